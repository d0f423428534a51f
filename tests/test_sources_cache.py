"""The on-disk volume cache: location, atomic entries, checksums, corruption, staleness."""

from __future__ import annotations

import errno
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.sources import cache
from cryoet_zarr_bench.volume import Volume

from support import finished_process_id

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
        (lambda entry: entry.data_path.unlink(), "is missing"),
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


def _entry_files(root: Path) -> list[str]:
    directory = root / "volumes"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_failed_data_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write_half_then_fill_the_disk(stream, array, allow_pickle) -> None:
        stream.write(b"\x93NUMPY" + bytes(100))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache.np, "save", write_half_then_fill_the_disk)
    with pytest.raises(OSError, match="No space left"):
        cache.save(_volume(), root=tmp_path)
    assert _entry_files(tmp_path) == []


def test_a_failed_sidecar_write_leaves_no_orphan_data_file(tmp_path: Path) -> None:
    sidecar_path = cache.save(_volume(), root=tmp_path).sidecar_path
    for path in (tmp_path / "volumes").iterdir():
        path.unlink()
    sidecar_path.mkdir()  # the sidecar's rename into place fails: a directory stands there
    with pytest.raises(IsADirectoryError):
        cache.save(_volume(), root=tmp_path)
    assert _entry_files(tmp_path) == [sidecar_path.name]


def test_a_reader_between_the_two_renames_keeps_the_fresh_entry(tmp_path: Path) -> None:
    """A save replaces the data, then the sidecar; a load in between reads the old entry or none."""
    old = cache.save(_volume(), root=tmp_path)
    newer = Volume(np.ones((4, 4, 4), np.float32), (10.0, 10.0, 10.0), SOURCE)
    new_data_path = cache._data_path(old.sidecar_path, newer.checksum())
    np.save(new_data_path, newer.data)  # the first rename of save(newer) has happened, the second not yet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = cache.load(SOURCE, root=tmp_path)
    assert loaded is not None and loaded.checksum() == old.checksum
    assert new_data_path.exists()
    cache.save(newer, root=tmp_path)
    assert _entry_files(tmp_path) == sorted([new_data_path.name, old.sidecar_path.name])
    assert cache.load(SOURCE, root=tmp_path).checksum() == newer.checksum()


def test_partial_files_of_dead_processes_are_removed(tmp_path: Path) -> None:
    entry = cache.save(_volume(), root=tmp_path)
    leftover = entry.data_path.with_name(
        f".{entry.data_path.name}.pid{finished_process_id()}-abcdefgh.partial"
    )
    leftover.write_bytes(b"\x93NUMPY half")
    mine = entry.data_path.with_name(f".{entry.data_path.name}.pid{os.getpid()}-abcdefgh.partial")
    mine.write_bytes(b"\x93NUMPY being written")
    assert cache.load(SOURCE, root=tmp_path) is not None
    assert not leftover.exists() and mine.exists()
