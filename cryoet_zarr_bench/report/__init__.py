"""Turning measurements and asv results into tables, figures and pages.

``asv_results`` reads asv's results; ``registry`` names every benchmark the reports read; ``runs`` holds what
every report shares (its error, measured values, choosing the machine, commit and environments).  Each page
has a model (pure data: no text, no drawing), its text and its page: ``answer`` (with ``answer_rules`` and
``answer_extrapolation``), ``answer_text``, ``answer_page``: the answer per use case, the front page;
``model``, ``text``, ``by_release``: by release; ``engines``, ``engines_page``; ``layout``, ``layout_page``;
``study``.  ``figures`` draws with matplotlib, ``pages`` writes self-contained html pages, ``graph_address``
addresses a result's graph on the dashboard, ``publishing`` puts a page next to the dashboard and links it,
and ``site`` lists every page and publishes them in one loop.
"""
