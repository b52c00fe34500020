"""PMO Workbench: load PMO exports into DuckDB monthly snapshots and compute every metric."""
from .db import connect

__version__ = "0.1.0"
__all__ = ["connect", "__version__"]
