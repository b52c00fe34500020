"""The synthetic portfolio `pmo sample` and `pmo demo` write. sample.py describes what is simulated
and lists the step modules; simulation.py runs them in their draw order."""
from pmo_analytics.demo.sample import FILES, write_sample

__all__ = ["FILES", "write_sample"]
