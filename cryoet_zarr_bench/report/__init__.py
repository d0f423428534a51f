"""Turning measurements and asv results into tables and figures."""
