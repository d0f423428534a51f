"""The codec study's page: each lossy setting judged by the noise, the half-maps and a Gaussian reference.

:mod:`.model` arranges the recorded results (pure data), :mod:`.text` says them in the terminal,
:mod:`.figures` draws them and :mod:`.page` lays them out as html; :mod:`.slices` adds the central slices of
one setting, computed from the volume.
"""
