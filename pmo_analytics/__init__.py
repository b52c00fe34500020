"""PMO Workbench: load PMO exports into DuckDB monthly snapshots and compute every metric."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["connect", "__version__"]


def connect(path=None, read_only: bool = True):
    """A DuckDB connection to the workbench database (path, then $PMO_DB, then data/pmo.duckdb);
    read-only unless asked. DuckDB is imported here, so `import pmo_analytics` costs nothing."""
    from pmo_analytics.store.connection import connect as _connect

    return _connect(path, read_only=read_only)
