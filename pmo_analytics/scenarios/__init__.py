"""What-if scenarios (issue 15, arbitration): named, versioned lists of changes on top of one snapshot
(model.py), kept as TOML (toml.py) and applied to an in-memory copy of the database on which every
metric runs unchanged (apply.py)."""
from pmo_analytics.scenarios.apply import replay, stale, view
from pmo_analytics.scenarios.model import KINDS, Change, Scenario, describe
from pmo_analytics.scenarios.toml import from_toml, to_toml

__all__ = ["KINDS", "Change", "Scenario", "describe", "from_toml", "replay", "stale", "to_toml", "view"]
