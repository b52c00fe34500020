"""Serving the dashboards: the Voila command line, and Voila with the guards it lacks."""
