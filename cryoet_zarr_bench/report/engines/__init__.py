"""The engines page: zarr-python, TensorStore and zarrs side by side at the same codec, chunks, format and
threads.

:mod:`.model` arranges the results (pure data), :mod:`.text` says them in the terminal, :mod:`.figures` draws
them and :mod:`.page` lays them out as html.
"""
