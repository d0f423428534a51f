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
def volz_kind(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A throwaway kind registered for one test, ``.volz`` files (NumPy ``.npz`` archives of a ``volume``
    array, under a made-up suffix so that it stays the last kind whatever kinds are added); the sources its
    reader was asked for."""
    reads: list[str] = []

    def read_volz(spec, *, progress, before_reading):
        reads.append(str(spec))
        with np.load(spec.location) as archive:
            data = archive["volume"]
        bounds = crop_bounds(spec.crop, data.shape)
        provenance = {"kind": "volz", **crop_provenance(spec.crop, bounds, data.shape)}
        return Volume(data[slices(bounds)].copy(), (1.0, 1.0, 1.0), str(spec), provenance)

    kind = SourceKind(
        "volz",
        syntax=".volz",
        title=".volz",
        suffixes=(".volz",),
        options=FILE_OPTIONS,
        read=read_volz,
        always_cached=True,
        fingerprint=lambda spec: file_fingerprint(spec.location),
        survey_suffixes=(".volz",),
    )
    monkeypatch.setitem(KINDS, "volz", kind)
    return reads


def _write_volz(path: Path, data: np.ndarray) -> None:
    with open(path, "wb") as stream:  # np.savez would add .npz to a path
        np.savez(stream, volume=data)


def test_a_kind_registered_once_is_parsed_read_cached_and_surveyed(
    volz_kind: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "vol.volz"
    data = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    _write_volz(path, data)
    source = f"{path}?crop=0:2,0:3,1:4&dtype=float64"

    spec = parse_source(source)
    assert (spec.kind, spec.location, str(spec), spec.is_local_path) == ("volz", str(path), source, True)
    first = acquire(source)
    np.testing.assert_array_equal(first.data, data[:2, :3, 1:4].astype(np.float64))
    assert first.source == source and first.provenance["kind"] == "volz"
    again = acquire(source)
    np.testing.assert_array_equal(again.data, first.data)
    assert volz_kind == [source]  # the second came from the cache
    entry = describe_cache_entry(source)
    assert entry is not None and first.checksum() in entry
    _write_volz(path, data + 1)  # a changed file: its fingerprint changes, so it is read again
    os.utime(path, ns=(1, 1))  # a different modification time even on coarse-grained filesystems
    assert acquire(source).data[0, 0, 0] == data[0, 0, 1] + 1 and len(volz_kind) == 2

    assert parse_source(f"tomo.mrc?halves={path},{path}").halves == (str(path), str(path))
    with pytest.raises(SourceError, match=r"^unknown option 'level' for volz sources; they take crop, dtype"):
        parse_source(f"{path}?level=1")
    with pytest.raises(
        SourceError, match=r"^cannot tell what kind of source 'a.tif' is: .*\.npy.* or \.volz$"
    ):
        parse_source("a.tif")
    with pytest.raises(SourceError, match=r"^a half-volume is an MRC, \.npy, .* or \.volz path"):
        parse_source("tomo.mrc?halves=a.volz,synthetic")
    assert expand_inputs([str(tmp_path)]) == [str(path.resolve())]
