"""Interactive views for notebooks and Voila dashboards, one module per area.

One `FilterBar` (ui/filterbar.py: snapshot month, portfolio, program, department, project) is shared by
every view. Each view (BudgetView, EvmView, ResourceView, RiskView, MilestoneView, KpiView, DriftView)
owns an `ipywidgets.Output`, redraws when a filter changes, and shows its figures with the numbers under
them as an escaped HTML table; `view.table` holds that table as a DataFrame. Choosing a project in a
view's "Drill down to" list sets the FilterBar's project, which redraws every view for that project.
This package also gives notebooks the helpers they use (`show`, `resolve_db`, `exports_folder`,
`snapshot_currency`, `html_table`, `report_header`) under one name: `from pmo_analytics.ui import views as widgets`.
"""
from pmo_analytics.metrics.options import snapshot_currency
from pmo_analytics.present.tiles import html_table
from pmo_analytics.ui.filterbar import ALL, FilterBar
from pmo_analytics.ui.paths import exports_folder, resolve_db
from pmo_analytics.ui.redraws import Redraws
from pmo_analytics.ui.report import report_header
from pmo_analytics.ui.views.base import FRIENDLY_ERROR, View, show
from pmo_analytics.ui.views.budget import BudgetView, EvmView
from pmo_analytics.ui.views.changes import DriftView
from pmo_analytics.ui.views.delivery import MilestoneView, ResourceView, RiskView
from pmo_analytics.ui.views.kpis import KpiView

VIEWS = (BudgetView, EvmView, ResourceView, RiskView, MilestoneView, KpiView, DriftView)

__all__ = [
    "ALL", "FRIENDLY_ERROR", "VIEWS", "BudgetView", "DriftView", "EvmView", "FilterBar", "KpiView",
    "MilestoneView", "Redraws", "ResourceView", "RiskView", "View", "exports_folder", "html_table",
    "report_header", "resolve_db", "show", "snapshot_currency",
]
