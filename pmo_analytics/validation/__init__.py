"""Checking staged exports against the contract: every problem with its file, row and column, the
checks across files of a snapshot, and the data-quality score."""
