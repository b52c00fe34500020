"""Schedule files read onto the canonical tables (MS Project XML today)."""
