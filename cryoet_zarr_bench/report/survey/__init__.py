"""The survey's page: each codec's ratio across many tomograms, its spread and the saving extrapolated.

Its model and terminal text are the survey package's summary (:mod:`cryoet_zarr_bench.survey.summary`, which
the ``survey`` command prints); :mod:`.figures` draws the ratios and :mod:`.page` lays it out as html.
"""
