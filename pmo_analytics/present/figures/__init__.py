"""Figures for the PMO views: each takes a metrics DataFrame and returns a matplotlib Figure, or a Note
(one line, shown as HTML) when the frame lacks what the figure draws: never an empty axis.

Every function draws one question's answer with a title, labelled axes with units (the currency comes from
the frame's `currency` column unless given) and fonts readable at dashboard size. None calls plt.show:
the caller displays the figure and closes it (ui.views.show). An empty frame, or one without the
figure's inputs (one snapshot for a trend, no monthly phasing for a curve, no progress for CPI), gives
a Note saying why. One module per area; numbers are written with the rules of present/format.py.
Importing this package changes no global matplotlib setting.
"""
from pmo_analytics.present.figures.base import (
    COLORS,
    CURRENCY_SYMBOLS,
    NO_DATA,
    RAG,
    RAG_TINT,
    Note,
    currency_of,
    figure_function,
    integer_axis,
    money_axis,
    money_label,
)
from pmo_analytics.present.figures.budget import budget_s_curve, budget_variance_chart
from pmo_analytics.present.figures.changes import DRIFT_MEASURES, drift_chart
from pmo_analytics.present.figures.earned_value import evm_s_curve, performance_trend
from pmo_analytics.present.figures.forecasts import cost_s_curve, finish_ranges, forecast_tornado, project_ranges
from pmo_analytics.present.figures.kpis import format_kpi, kpi_distribution_chart, kpi_tiles
from pmo_analytics.present.figures.milestones import baseline_slip_chart, milestone_trend_chart
from pmo_analytics.present.figures.quadrant import cpi_spi_quadrant
from pmo_analytics.present.figures.resources import LOAD_CMAP, resource_heatmap
from pmo_analytics.present.figures.risks import RISK_ZONES, exposure_trend_chart, risk_matrix_chart
from pmo_analytics.present.figures.scenarios import (
    capacity_fit,
    marginal_values_chart,
    optimiser_frontier,
    scenario_budget,
    scenario_load_delta,
)

__all__ = [
    "COLORS",
    "CURRENCY_SYMBOLS",
    "DRIFT_MEASURES",
    "LOAD_CMAP",
    "NO_DATA",
    "Note",
    "RAG",
    "RAG_TINT",
    "RISK_ZONES",
    "baseline_slip_chart",
    "budget_s_curve",
    "budget_variance_chart",
    "capacity_fit",
    "cost_s_curve",
    "cpi_spi_quadrant",
    "currency_of",
    "drift_chart",
    "evm_s_curve",
    "exposure_trend_chart",
    "figure_function",
    "finish_ranges",
    "forecast_tornado",
    "format_kpi",
    "integer_axis",
    "kpi_distribution_chart",
    "kpi_tiles",
    "marginal_values_chart",
    "milestone_trend_chart",
    "money_axis",
    "money_label",
    "optimiser_frontier",
    "performance_trend",
    "project_ranges",
    "resource_heatmap",
    "risk_matrix_chart",
    "scenario_budget",
    "scenario_load_delta",
]
