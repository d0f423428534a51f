import numpy as np

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.sources.synthetic import synthetic_labels, synthetic_volume
from cryoet_zarr_bench.stores import MemoryStore

SHAPE = (64, 96, 128)


def test_labels_mark_some_of_the_tomograms_dark_particles_and_nothing_else():
    labels = synthetic_labels(SHAPE, seed=4)
    every_particle = synthetic_labels(SHAPE, seed=4, every=1).data
    tomogram = synthetic_volume(SHAPE, seed=4).data
    assert labels.data.dtype == np.uint8 and set(np.unique(labels.data)) == {0, 1}
    assert 0 < labels.data.mean() < 0.05  # mostly empty
    assert not (labels.data & ~every_particle).any()  # only particles are labelled
    assert tomogram[labels.data == 1].mean() < -0.5 * tomogram.std()  # and they are the dark ones
    assert same_bits(synthetic_labels(SHAPE, seed=4).data, labels.data)
    assert labels.source == "synthetic-labels?shape=64,96,128&seed=4&every=10"


def test_skipping_empty_chunks_stores_fewer_objects_and_reads_back_the_same_labels():
    labels = synthetic_labels(SHAPE, seed=4).data
    newest = _compat.SUPPORTED_FORMATS[-1]
    every, skipped = MemoryStore(), MemoryStore()
    every.write(labels, codec="zstd-3", chunks="16", zarr_format=newest)
    skipped.write(labels, codec="zstd-3", chunks="16+skipempty", zarr_format=newest)
    assert every.stored_objects() == 4 * 6 * 8
    assert 0 < skipped.stored_objects() < every.stored_objects()
    assert skipped.stored_bytes().total < every.stored_bytes().total
    assert same_bits(skipped.read(), labels)
