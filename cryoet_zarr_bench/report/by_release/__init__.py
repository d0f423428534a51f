"""The by-release page: every codec benchmark by Python, zarr and numcodecs release; the chunk-bytes alarm.

The model (pure data, no text, no drawing) is :mod:`.model` (the report and how it is built) with its parts:
:mod:`.table` (one benchmark's values by release), :mod:`.facts` (changes named by the one library that
changed) and :mod:`.comparison` (one environment against another).  :mod:`.text` says it in the terminal,
:mod:`.figures` draws it and :mod:`.page` lays it out as html.
"""
