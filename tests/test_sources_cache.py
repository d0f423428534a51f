"""The on-disk volume cache: location, atomic entries, checksums, corruption, staleness."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.sources import cache
from cryoet_zarr_bench.volume import Volume

SOURCE = "portal:1/R?crop=centre:4&level=0"


def _volume(source: str = SOURCE) -> Volume:
    data = np.arange(64, dtype=np.float32).reshape(4, 4, 4)
    return Volume(data, (10.0, 10.0, 10.0), source, {"tomogram_id": 7, "crop": [[0, 4]] * 3})


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "cryoet-zarr-bench"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "cryoet-zarr-bench"
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "explicit"))
    assert cache.cache_dir() == tmp_path / "explicit"


def test_save_then_load_gives_the_same_volume(tmp_path: Path) -> None:
    volume = _volume()
    entry = cache.save(volume, root=tmp_path)
    assert entry.checksum == volume.checksum()
    assert entry.nbytes == entry.data_path.stat().st_size > volume.nbytes
    assert entry.data_path.parent == tmp_path / "volumes"
    assert sorted(p.name for p in (tmp_path / "volumes").iterdir()) == sorted(
        [entry.data_path.name, entry.sidecar_path.name]
    )
    sidecar = json.loads(entry.sidecar_path.read_text())
    assert sidecar["source"] == SOURCE and sidecar["shape"] == [4, 4, 4] and sidecar["dtype"] == "<f4"
    loaded = cache.load(SOURCE, root=tmp_path)
    assert loaded is not None
    np.testing.assert_array_equal(loaded.data, volume.data)
    assert loaded.data.dtype == np.float32
    assert (loaded.source, loaded.voxel_spacing, loaded.provenance) == (
        SOURCE,
        (10.0,) * 3,
        volume.provenance,
    )
    assert cache.find_entry(SOURCE, root=tmp_path) == entry
    assert SOURCE in entry.describe() and entry.checksum in entry.describe()


def test_entries_are_keyed_by_the_whole_source_string(tmp_path: Path) -> None:
    cache.save(_volume(), root=tmp_path)
    assert cache.load(SOURCE.replace("level=0", "level=1"), root=tmp_path) is None
    assert cache.find_entry(SOURCE.replace("centre:4", "centre:8"), root=tmp_path) is None


def _corrupt_one_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda entry: _corrupt_one_byte(entry.data_path), "checksum mismatch"),
        (lambda entry: entry.data_path.write_bytes(entry.data_path.read_bytes()[:150]), "cannot read"),
        (lambda entry: entry.data_path.unlink(), "cannot read"),
        (lambda entry: entry.sidecar_path.write_text('{"source": '), "unreadable sidecar"),
    ],
)
def test_a_damaged_entry_is_discarded(tmp_path: Path, damage, reason: str) -> None:
    entry = cache.save(_volume(), root=tmp_path)
    damage(entry)
    with pytest.warns(UserWarning, match=f"discarded the cache entry for .*{reason}.*fetched again"):
        assert cache.load(SOURCE, root=tmp_path) is None
    assert list((tmp_path / "volumes").iterdir()) == []


def test_a_stale_entry_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache.save(_volume(), fingerprint="size=1,mtime_ns=1", root=tmp_path)
    assert cache.load(SOURCE, fingerprint="size=1,mtime_ns=2", root=tmp_path) is None
    newer = Volume(np.ones((2, 2, 2), np.int16), (1.0, 1.0, 1.0), SOURCE)
    cache.save(newer, fingerprint="size=1,mtime_ns=2", root=tmp_path)
    loaded = cache.load(SOURCE, fingerprint="size=1,mtime_ns=2", root=tmp_path)
    assert loaded is not None and loaded.data.dtype == np.int16 and loaded.shape == (2, 2, 2)
    assert len(list((tmp_path / "volumes").iterdir())) == 2


def test_a_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    unserialisable = Volume(np.zeros((2, 2, 2), np.float32), (1.0, 1.0, 1.0), SOURCE, {"opened": object()})
    with pytest.raises(TypeError):
        cache.save(unserialisable, root=tmp_path)
    assert not (tmp_path / "volumes").exists() or list((tmp_path / "volumes").iterdir()) == []
