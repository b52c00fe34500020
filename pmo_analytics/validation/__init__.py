"""Checking staged exports against the contract: every problem with its file, row and column, the
checks across files of a snapshot, and the data-quality score."""
from pmo_analytics.problems import Problem
from pmo_analytics.validation.rules import select_canonical
from pmo_analytics.validation.snapshot import check_dependents, check_references, check_snapshot
from pmo_analytics.validation.staged import check_staged
from pmo_analytics.validation.table import check_table
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["Problem", "TableCheck", "check_dependents", "check_references", "check_snapshot", "check_staged",
           "check_table", "select_canonical"]
