"""The registry of source kinds: a kind registered once is parsed, printed, read, cached and surveyed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.sources import SourceError, acquire, describe_cache_entry, parse_source
from cryoet_zarr_bench.sources.kinds import FILE_OPTIONS, KINDS, SourceKind, kind_of, source_kind
from cryoet_zarr_bench.sources.local import file_fingerprint
from cryoet_zarr_bench.sources.ome_zarr import crop_bounds, crop_provenance, slices
from cryoet_zarr_bench.survey.inputs import expand_inputs
from cryoet_zarr_bench.volume import Volume


def test_the_built_in_kinds_in_the_order_messages_list_them() -> None:
    assert list(KINDS) == ["synthetic", "portal", "mrc", "npy", "zarr"]
    assert [
        kind_of(base).name for base in ("synthetic", "portal:1/a", "a.MAP.GZ", "s3://b/a.npy", "a.zarr/")
    ] == [
        "synthetic",
        "portal",
        "mrc",
        "npy",
        "zarr",
    ]
    with pytest.raises(
        SourceError, match=r"^unknown source kind 'tif'; expected one of synthetic, portal, mrc"
    ):
        source_kind("tif")


@pytest.fixture
def npz_kind(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A throwaway kind, NumPy ``.npz`` archives holding a ``volume`` array, registered for one test; the
    sources its reader was asked for."""
    reads: list[str] = []

    def read_npz(spec, *, progress, before_reading):
        reads.append(str(spec))
        with np.load(spec.location) as archive:
            data = archive["volume"]
        bounds = crop_bounds(spec.crop, data.shape)
        provenance = {"kind": "npz", **crop_provenance(spec.crop, bounds, data.shape)}
        return Volume(data[slices(bounds)].copy(), (1.0, 1.0, 1.0), str(spec), provenance)

    kind = SourceKind(
        "npz",
        syntax=".npz",
        title=".npz",
        suffixes=(".npz",),
        options=FILE_OPTIONS,
        read=read_npz,
        always_cached=True,
        fingerprint=lambda spec: file_fingerprint(spec.location),
        survey_suffixes=(".npz",),
    )
    monkeypatch.setitem(KINDS, "npz", kind)
    return reads


def test_a_kind_registered_once_is_parsed_read_cached_and_surveyed(
    npz_kind: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "vol.npz"
    data = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    np.savez(path, volume=data)
    source = f"{path}?crop=0:2,0:3,1:4&dtype=float64"

    spec = parse_source(source)
    assert (spec.kind, spec.location, str(spec), spec.is_local_path) == ("npz", str(path), source, True)
    first = acquire(source)
    np.testing.assert_array_equal(first.data, data[:2, :3, 1:4].astype(np.float64))
    assert first.source == source and first.provenance["kind"] == "npz"
    again = acquire(source)
    np.testing.assert_array_equal(again.data, first.data)
    assert npz_kind == [source]  # the second came from the cache
    entry = describe_cache_entry(source)
    assert entry is not None and first.checksum() in entry
    np.savez(path, volume=data + 1)  # a changed file: its fingerprint changes, so it is read again
    os.utime(path, ns=(1, 1))  # a different modification time even on coarse-grained filesystems
    assert acquire(source).data[0, 0, 0] == data[0, 0, 1] + 1 and len(npz_kind) == 2

    assert parse_source(f"tomo.mrc?halves={path},{path}").halves == (str(path), str(path))
    with pytest.raises(SourceError, match=r"^unknown option 'level' for npz sources; they take crop, dtype"):
        parse_source(f"{path}?level=1")
    with pytest.raises(SourceError, match=r", \.npy, \.zarr or \.npz$"):
        parse_source("a.tif")
    with pytest.raises(SourceError, match=r"^a half-volume is an MRC, \.npy, OME-Zarr or \.npz path"):
        parse_source("tomo.mrc?halves=a.npz,synthetic")
    assert expand_inputs([str(tmp_path)]) == [str(path.resolve())]
