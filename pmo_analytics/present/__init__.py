"""Presentation: formatting rules, figures (DataFrame in, matplotlib Figure out), HTML tables and tiles."""
