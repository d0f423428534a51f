"""Turning asv results into tables, figures and pages beside the dashboard.

What every page reads and shares: ``asv_results`` reads asv's results; ``registry`` names every benchmark the
pages read; ``runs`` holds what every report shares (its error, measured values, choosing the machine, commit
and environments, naming an environment by its releases); ``sampling`` says when timings are single samples;
``graph_address`` addresses a result's graph on the dashboard.  What every page draws and writes with:
``panels`` (the kinds of matplotlib figure), ``pages`` (self-contained html pages), ``tables`` (plain-text
tables for the terminal).  ``publishing`` puts a page next to the dashboard and links it, and ``site`` lists
every page and publishes them in one loop.

Each page is a subpackage of the same four modules, ``answer``, ``by_release``, ``engines``, ``layout``,
``study`` and ``survey``:

* ``model``: results in, dataclasses out; no text, no drawing (a large model keeps its parts beside it, as
  ``by_release`` does with ``table``, ``facts`` and ``comparison``);
* ``text``: the model in words and table cells, for the terminal (or Markdown) and for the page alike;
* ``figures``: the model drawn with matplotlib, through ``panels`` where one of its kinds fits;
* ``page``: ``PAGE_DIR`` and a function from the model to a :class:`~.pages.Page`, listed in ``site``.

The survey's model and text are the survey package's own summary (``cryoet_zarr_bench.survey.summary``).
"""
