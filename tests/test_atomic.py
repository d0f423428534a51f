import os
from pathlib import Path

import pytest

from cryoet_zarr_bench._atomic import replace_directory, write_file

from support import finished_process_id


def test_an_interrupted_write_leaves_neither_file_nor_temporary(tmp_path: Path) -> None:
    target = tmp_path / "volumes" / "x.npy"

    def write_half_then_fail(stream) -> None:
        stream.write(b"\x93NUMPY half an array")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file(target, write_half_then_fail)
    assert list(target.parent.iterdir()) == []


def test_a_written_file_is_complete_and_world_readable(tmp_path: Path) -> None:
    target = tmp_path / "new" / "x.bin"
    write_file(target, lambda stream: stream.write(b"all of it"))
    assert target.read_bytes() == b"all of it"
    assert target.stat().st_mode & 0o777 == 0o644
    assert list(target.parent.iterdir()) == [target]


def test_replacing_a_directory_leaves_only_the_new_one(tmp_path: Path) -> None:
    target, new = tmp_path / "page", tmp_path / ".page-staging"
    target.mkdir()
    (target / "old.txt").write_text("old")
    new.mkdir()
    (new / "new.txt").write_text("new")
    replace_directory(new, target)
    assert [p.name for p in tmp_path.iterdir()] == ["page"]
    assert [p.name for p in target.iterdir()] == ["new.txt"]


def test_a_failed_second_rename_puts_the_old_directory_back(tmp_path: Path) -> None:
    target = tmp_path / "page"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(FileNotFoundError):
        replace_directory(tmp_path / ".page-staging-that-vanished", target)
    assert [p.name for p in tmp_path.iterdir()] == ["page"]
    assert (target / "old.txt").read_text() == "old"


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    leftover = tmp_path / f".x.bin.pid{finished_process_id()}-k1ll3d.partial"
    leftover.write_bytes(b"half")
    live = tmp_path / f".x.bin.pid{os.getpid()}-writing.partial"
    live.write_bytes(b"half")
    write_file(target, lambda stream: stream.write(b"whole"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "x.bin"])
