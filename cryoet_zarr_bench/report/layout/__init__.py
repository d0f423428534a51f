"""The layout page: chunk and shard layouts against the reads users do, per codec and store.

:mod:`.model` arranges the results (pure data), :mod:`.text` writes its table rows and summaries,
:mod:`.figures` draws its heat maps and :mod:`.page` lays them out as html.
"""
