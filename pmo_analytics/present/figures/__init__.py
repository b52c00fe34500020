"""Figures for the PMO views: each takes a metrics DataFrame and returns a matplotlib Figure.

Every function draws one question's answer with a title, labelled axes with units (the currency comes from
the frame's `currency` column unless given) and fonts readable at dashboard size. None calls plt.show:
the caller displays the figure and closes it (`display(fig); plt.close(fig)`). An empty frame gives a
figure that says "No data for this selection" instead of raising. One module per area; numbers are
written with the rules of present/format.py. Importing this package changes no global matplotlib setting.
"""
from pmo_analytics.present.figures.base import (
    COLORS,
    CURRENCY_SYMBOLS,
    NO_DATA,
    RAG,
    RAG_TINT,
    currency_of,
    empty_figure,
    figure_function,
    money_axis,
    money_label,
)
from pmo_analytics.present.figures.budget import budget_s_curve, budget_variance_chart
from pmo_analytics.present.figures.changes import DRIFT_MEASURES, drift_chart
from pmo_analytics.present.figures.earned_value import cpi_spi_quadrant, evm_s_curve, performance_trend
from pmo_analytics.present.figures.kpis import format_kpi, kpi_distribution_chart, kpi_tiles
from pmo_analytics.present.figures.milestones import baseline_slip_chart, milestone_trend_chart
from pmo_analytics.present.figures.resources import LOAD_CMAP, resource_heatmap
from pmo_analytics.present.figures.risks import RISK_ZONES, exposure_trend_chart, risk_matrix_chart

__all__ = [
    "COLORS",
    "CURRENCY_SYMBOLS",
    "DRIFT_MEASURES",
    "LOAD_CMAP",
    "NO_DATA",
    "RAG",
    "RAG_TINT",
    "RISK_ZONES",
    "baseline_slip_chart",
    "budget_s_curve",
    "budget_variance_chart",
    "cpi_spi_quadrant",
    "currency_of",
    "drift_chart",
    "empty_figure",
    "evm_s_curve",
    "exposure_trend_chart",
    "figure_function",
    "format_kpi",
    "kpi_distribution_chart",
    "kpi_tiles",
    "milestone_trend_chart",
    "money_axis",
    "money_label",
    "performance_trend",
    "resource_heatmap",
    "risk_matrix_chart",
]
