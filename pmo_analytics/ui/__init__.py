"""Interactive views: the shared filter bar, one view per area, and the directors' dashboards."""
