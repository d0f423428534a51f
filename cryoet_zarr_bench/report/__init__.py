"""Turning measurements and asv results into tables, figures and pages.

``asv_results`` reads asv's results, ``model`` arranges them (pure data: no text, no drawing), ``text`` and
``tables`` format for the terminal, ``figures`` draws with matplotlib, ``pages`` writes self-contained html
pages, and ``by_release`` puts the by-release report together.
"""
