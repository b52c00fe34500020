"""Storage: the DuckDB file, its schema, the loads record and atomic publishing (the lowest layer)."""
