"""Turning measurements and asv results into tables, figures and pages.

``asv_results`` reads asv's results, ``model`` (by release) and ``engines`` (engines side by side) arrange
them (pure data: no text, no drawing), ``text`` and ``tables`` format for the terminal, ``figures`` draws with
matplotlib, ``pages`` writes self-contained html pages, ``publishing`` puts a page next to the dashboard and
links it, and ``by_release`` and ``engines_page`` put the by-release and engines reports together.
"""
