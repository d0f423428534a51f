"""Sources that are damaged, odd or lossy to convert, and codecs given data they cannot take.

Each ends with one line (exit status 2) naming what is wrong, or, where the data can be read but differs from
what one would assume (chunks missing from a store, bytes after what an MRC header describes, a conversion
asked to lose values), is read with a note that counts what differs.  Nothing is read silently wrong.
"""

from __future__ import annotations

import bz2
import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.sources import SourceError, acquire

from portal_data import pyramid, write_ome_zarr
from support import answering_server, main_error, server_url, write_mrc

QUICK = ("quick", "--chunks", "16", "--repeats", "1", "--codecs", "none", "--memory")


def _ome_zarr(path: Path) -> Path:
    """A small OME-Zarr image (level 0: 40x100x100 in 64³ chunks, 1x2x2 of them), in the portal's layout."""
    write_ome_zarr(path, pyramid(seed=1, shape=(40, 100, 100)), voxel_spacing=10.0)
    return path


# --------------------------------------------------------------------------- MRC and .npy files


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gzip", "bzip2"])
def test_a_truncated_compressed_mrc_file(tmp_path: Path, compress, capsys) -> None:
    whole = compress(write_mrc(tmp_path / "tomo.mrc").read_bytes())
    suffix = ".gz" if compress is gzip.compress else ".bz2"
    cut = tmp_path / f"cut.mrc{suffix}"
    cut.write_bytes(whole[: len(whole) // 2])
    message = main_error(capsys, *QUICK, "--source", str(cut))
    assert message.startswith(f"{cut} ends before its compressed data does (EOFError: ")
    assert message.endswith("the file is truncated: copy or download it again")


def test_an_mrc_file_holding_more_planes_than_its_header_says_is_read_with_a_note(
    tmp_path: Path, capsys
) -> None:
    path = write_mrc(tmp_path / "long.mrc", np.arange(10 * 6 * 8, dtype=np.float32).reshape(10, 6, 8))
    raw = bytearray(path.read_bytes())
    raw[8:12] = struct.pack("<i", 4)  # nz: the header now describes 4 of the 10 planes
    path.write_bytes(bytes(raw))
    volume = acquire(str(path), cache=False)
    assert volume.shape == (4, 6, 8)
    (note,) = volume.provenance["notes"]
    assert note.startswith(
        f"{path} holds 1152 bytes after the 4 plane(s) its header describes, 6 more plane(s)"
    )
    assert main(["fetch", "--no-cache", str(path)]) == 0
    assert f"note: {note}" in capsys.readouterr().out


def test_a_text_file_named_npy_is_not_called_pickled(tmp_path: Path, capsys) -> None:
    path = tmp_path / "notes.npy"
    path.write_text("hello, world\n")
    message = main_error(capsys, *QUICK, "--source", str(path))
    assert message == (
        f"{path} is not a .npy file (it starts b'hello, world\\n', not with numpy's magic bytes); give an "
        "array saved with numpy.save"
    )


def test_a_zero_dimensional_npy(tmp_path: Path, capsys) -> None:
    np.save(tmp_path / "one.npy", np.float32(3))
    message = main_error(capsys, *QUICK, "--source", str(tmp_path / "one.npy"))
    assert "holds an array of shape () (a single value), not a 3-D volume" in message


@pytest.mark.parametrize("command", ["quick", "survey"])
def test_a_path_that_is_not_utf8(tmp_path: Path, command: str, capsys) -> None:
    name = b"bad\xff.mrc".decode("utf-8", "surrogateescape")
    write_mrc(tmp_path / name)
    argv = [*QUICK, "--source", str(tmp_path / name)] if command == "quick" else ["survey", str(tmp_path)]
    message = main_error(capsys, *argv)
    assert message == (
        f"the path {tmp_path}/bad\\xff.mrc holds bytes that are not UTF-8; rename the file, or link it under "
        "a UTF-8 name"
    )


# --------------------------------------------------------------------------- OME-Zarr stores


def test_html_where_the_group_metadata_should_be(tmp_path: Path, capsys) -> None:
    store = _ome_zarr(tmp_path / "image.zarr")
    (store / ".zattrs").write_text("<html><body>404 Not Found</body></html>")
    message = main_error(capsys, *QUICK, "--source", str(store))
    assert message == (
        f".zattrs of {store} is not JSON (it starts '<html><body>404 Not Found</body></html>'); check the "
        "URL (a web page instead of the store?) or copy the store again"
    )


def test_html_where_the_group_metadata_should_be_over_s3(monkeypatch, capsys) -> None:
    import s3fs

    server = answering_server(200, "text/html", b"<html><body>Welcome to nginx</body></html>")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server_url(server))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        message = main_error(capsys, "fetch", "s3://bucket/image.zarr")
    finally:
        server.shutdown()
        s3fs.S3FileSystem.clear_instance_cache()
    assert message.startswith(".zattrs of s3://bucket/image.zarr is not JSON (it starts '<html><body>Welcome")


def test_a_corrupt_chunk(tmp_path: Path, capsys) -> None:
    store = _ome_zarr(tmp_path / "image.zarr")
    chunk = store / "0" / "0" / "1" / "0"
    chunk.write_bytes(chunk.read_bytes()[:100])
    message = main_error(capsys, *QUICK, "--source", str(store))
    assert message.startswith(f"chunk (0, 1, 0) of {store} cannot be read (")
    assert message.endswith("the chunk is damaged or not what the array's metadata describes; copy or "
                            "download the store again")  # fmt: skip


def test_array_metadata_without_a_dtype(tmp_path: Path, capsys) -> None:
    store = _ome_zarr(tmp_path / "image.zarr")
    metadata = json.loads((store / "0" / ".zarray").read_text())
    del metadata["dtype"]
    (store / "0" / ".zarray").write_text(json.dumps(metadata))
    message = main_error(capsys, *QUICK, "--source", str(store))
    assert message.startswith(f"level 0 of {store} has array metadata zarr cannot open (KeyError: 'dtype')")


def test_chunks_missing_from_a_store_are_counted_in_a_note(tmp_path: Path, capsys) -> None:
    store = _ome_zarr(tmp_path / "image.zarr")
    (store / "0" / "0" / "1" / "1").unlink()
    volume = acquire(str(store))
    assert volume.provenance["chunks_missing"] == 1
    assert np.all(volume.data[:, 64:, 64:] == 0) and np.all(volume.data[:, :64, :64] != 0)
    assert main([*QUICK, "--source", str(store)]) == 0
    out = capsys.readouterr().out
    assert (
        f"note: 1 stored object(s) of the 4 chunk(s) read are missing from {store} and were read as the fill "
        "value 0.0 (e.g. 0/0/1/1)"
    ) in out


def test_a_complete_store_has_no_note(tmp_path: Path) -> None:
    volume = acquire(str(_ome_zarr(tmp_path / "image.zarr")))
    assert volume.provenance["chunks_missing"] == 0 and "notes" not in volume.provenance


# --------------------------------------------------------------------------- dtype conversions


def test_nan_and_infinity_are_not_converted_to_integers_unless_asked(tmp_path: Path, capsys) -> None:
    data = np.array([np.nan, np.inf, -np.inf, 1.0] * 16, dtype=np.float32).reshape(4, 4, 4)
    np.save(tmp_path / "v.npy", data)
    message = main_error(capsys, *QUICK, "--source", f"{tmp_path}/v.npy?dtype=int16")
    assert message == (
        f"converting {tmp_path}/v.npy?dtype=int16 from float32 to int16 would change 48 of 64 values "
        "(48 NaN or infinite (no integer value)); its values span 1 to 1; add &lossy=yes to the source to "
        "convert anyway, or choose a dtype that holds these values (e.g. float32)"
    )
    volume = acquire(f"{tmp_path}/v.npy?dtype=int16&lossy=yes")
    assert volume.data.dtype == np.int16 and volume.data.ravel()[:4].tolist() == [0, 32767, -32768, 1]
    assert volume.provenance["notes"] == [
        "converted from float32 to int16 with lossy=yes, changing 48 of 64 values "
        "(48 NaN or infinite (no integer value)); its values span 1 to 1 "
        "(rounded to the nearest integer, clipped to the range, NaN made 0)"
    ]


def test_a_tomogram_is_not_made_zeros_by_a_conversion_to_uint8(capsys) -> None:
    message = main_error(capsys, *QUICK, "--source", "synthetic?shape=16&dtype=uint8")
    assert message.startswith(
        "converting synthetic?shape=16,16,16&seed=0&dtype=uint8 from float32 to uint8 would change "
        "4096 of 4096 values ("
    )
    assert (
        "with a fraction (rounded to whole numbers)" in message
        and "outside uint8's range 0 to 255" in message
    )


def test_conversions_that_keep_every_value_need_nothing_and_note_nothing(tmp_path: Path) -> None:
    np.save(tmp_path / "i.npy", np.arange(-100, 100, dtype=np.int16).reshape(2, 10, 10))
    volume = acquire(f"{tmp_path}/i.npy?dtype=float32")
    assert volume.data.dtype == np.float32 and "notes" not in volume.provenance
    assert acquire("synthetic?shape=16&dtype=float64").data.dtype == np.float64
    with pytest.raises(SourceError, match="lossy=yes allows a lossy dtype conversion: give it with dtype="):
        acquire("synthetic?shape=16&lossy=yes")


# ------------------------------------------------------------------------- codecs given what they cannot take


@pytest.mark.parametrize(
    ("source", "codec", "expected"),
    [
        ("synthetic?shape=16", "bitround-8+bitround-8+zstd-5", "bitround-8 compresses float data; it would "
                                                                "receive int32"),  # fmt: skip
        ("{tmp}/halves.npy", "zfp-reversible", "zfp-reversible compresses float32 or float64 data; it would "
                                                 "receive float16"),  # fmt: skip
        ("{tmp}/bytes.npy", "pcodec-8", "pcodec-8 compresses 16-, 32- or 64-bit numbers, not int8"),
    ],
)
def test_a_codec_given_data_it_cannot_take(tmp_path: Path, source: str, codec: str, expected: str, capsys):
    pytest.importorskip({"zfp": "zfpy", "pcodec": "pcodec"}.get(codec.split("-")[0], "numcodecs"))
    np.save(tmp_path / "bytes.npy", np.zeros((4, 4, 4), np.int8))
    np.save(tmp_path / "halves.npy", np.zeros((4, 4, 4), np.float16))
    argv = ["quick", "--chunks", "16", "--repeats", "1", "--memory", "--codecs", codec]
    assert main_error(capsys, *argv, "--source", source.format(tmp=tmp_path)) == expected
