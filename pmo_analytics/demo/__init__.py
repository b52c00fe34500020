"""The synthetic portfolio `pmo sample` and `pmo demo` write."""
from pmo_analytics.demo.sample import FILES, write_sample

__all__ = ["FILES", "write_sample"]
