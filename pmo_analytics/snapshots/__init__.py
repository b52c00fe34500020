"""Monthly snapshots: check and load a month's exports, the summaries computed when a month is
published, and the import of a Parquet history (lake_import.py)."""
from pmo_analytics.snapshots.loading import Report, check, load, refresh_summaries
from pmo_analytics.store.loads import list_snapshots

__all__ = ["Report", "check", "list_snapshots", "load", "refresh_summaries"]
