"""The answer page, the front page: which codec (and layout) for which use, by stated rules, from the recorded
results.

:mod:`.model` applies each use case's rule (pure data) with :mod:`.rules` (the rules' numbers, the candidates
and their ranking) and :mod:`.extrapolation` (storage and egress at the dataset's and the portal's size);
:mod:`.text` says it in Markdown and :mod:`.page` lays it out as html, every number linked to its graph.
"""
