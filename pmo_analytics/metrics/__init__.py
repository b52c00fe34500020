"""Every metric a PMO reports, one module per area; each is f(con, **filters) -> tidy DataFrame.

Filters (all optional, all bound as SQL parameters): as_of ('YYYY-MM', default the latest snapshot),
portfolio, program, department, project_ids (one value or a list), period_from, period_to. Each metric
checks them through one scope.Scope: a filter it cannot honour is a UsageError naming it.
"""
from pmo_analytics.metrics.baselines import baseline_slip, rebaselines
from pmo_analytics.metrics.budget import budget_by_category, budget_curve, budget_variance
from pmo_analytics.metrics.changes import closed_risks, drift, new_risks, slipped_milestones, snapshot_pair
from pmo_analytics.metrics.earned_value import evm, evm_series
from pmo_analytics.metrics.improvement import kpi_config, kpi_distribution, kpis
from pmo_analytics.metrics.milestones import milestone_slippage, milestone_summary, milestone_trend
from pmo_analytics.metrics.options import (
    filter_options,
    narrow_options,
    snapshot_currency,
    snapshot_header,
    snapshot_months,
    snapshot_projects,
)
from pmo_analytics.metrics.performance import performance_history
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.metrics.resources import over_allocations, resource_load
from pmo_analytics.metrics.risks import (
    exposure_trend,
    risk_ageing,
    risk_exposure,
    risk_matrix,
    risk_register,
    top_risks,
)
from pmo_analytics.metrics.scope import resolve_as_of

__all__ = [
    "rebaselines", "baseline_slip",
    "budget_variance", "budget_by_category", "budget_curve", "evm", "evm_series", "resource_load",
    "over_allocations", "risk_register", "risk_exposure", "risk_matrix", "top_risks", "risk_ageing",
    "exposure_trend", "milestone_slippage", "milestone_summary", "milestone_trend", "kpis", "kpi_config",
    "kpi_distribution", "drift", "new_risks", "closed_risks", "slipped_milestones", "snapshot_pair",
    "resolve_as_of", "filter_options", "narrow_options", "snapshot_currency", "snapshot_header",
    "snapshot_months", "snapshot_projects", "performance_history", "headline",
]
