import numcodecs
import numpy as np
import pytest

from cryoet_zarr_bench.codecs import CODEC_SETS, CodecSpec, CodecSpecError, codec_set, parse_codec
from cryoet_zarr_bench.codecs.compressors import Blosc


@pytest.mark.parametrize("name", CODEC_SETS["all"])
def test_string_form_round_trips(name):
    spec = parse_codec(name)
    assert str(spec) == name
    assert parse_codec(str(spec)) == spec
    assert hash(parse_codec(name)) == hash(spec)


def test_the_full_sweep_covers_every_family_cname_shuffle_and_level():
    names = CODEC_SETS["all"]
    assert len(names) == len(set(names)) == 1 + 5 * 3 * 9 + 22 + 9
    assert {"blosc-blosclz-1-noshuffle", "blosc-lz4hc-9-bitshuffle", "zstd-22", "gzip-1"} <= set(names)


def test_parsing_is_case_and_space_insensitive():
    assert parse_codec("  Blosc-ZSTD-5-Shuffle ") == CodecSpec(Blosc(cname="zstd", level=5, shuffle="shuffle"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lzma-5", "unknown family 'lzma'; valid codecs: [<filter>+...]<compressor>"),
        ("blosc-lz4-5", "cannot parse codec 'blosc-lz4-5': blosc takes 3 argument(s), got 2"),
        ("blosc-lz5-5-shuffle", "unknown Blosc compressor 'lz5'; valid: blosclz, lz4, lz4hc, zlib, zstd"),
        ("blosc-lz4-5-byteshuffle", "unknown Blosc shuffle 'byteshuffle'; valid: noshuffle, shuffle, bitshuffle"),
        ("blosc-lz4-0-shuffle", "blosc level must be 1-9, got 0"),
        ("blosc-zstd-10-shuffle", "blosc level must be 1-9, got 10"),
        ("zstd-23", "zstd level must be 1-22, got 23"),
        ("gzip-0", "gzip level must be 1-9, got 0"),
        ("zstd-five", "level 'five' is not a whole number"),
        ("none-1", "cannot parse codec 'none-1': none takes 0 argument(s), got 1"),
    ],
)
def test_bad_names_say_what_is_wrong_and_what_is_valid(text, message):
    with pytest.raises(CodecSpecError) as excinfo:
        parse_codec(text)
    assert message in str(excinfo.value)


@pytest.mark.parametrize("name", CODEC_SETS["shuffles"])
def test_numcodecs_config_builds_a_codec_that_round_trips(name):
    spec = parse_codec(name)
    data = np.random.default_rng(1).standard_normal(4096).astype("<f4")
    filters, config = spec.zarr_v2("<f4")
    assert filters == []
    if config is None:
        assert name == "none"
        return
    codec = numcodecs.get_codec(dict(config))
    encoded = codec.encode(data)
    assert np.frombuffer(codec.decode(encoded), dtype="<f4").tobytes() == data.tobytes()


def test_translations_name_the_same_settings():
    spec = parse_codec("blosc-zstd-3-bitshuffle")
    assert spec.zarr_v2("<f4") == ([], {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0})
    assert spec.zarr_v3("<f4") == {
        "filters": [],
        "serializer": None,
        "compressors": [
            {"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "blocksize": 0}}
        ],
    }
    assert parse_codec("zstd-5").zarr_v3("<f4")["compressors"] == [
        {"name": "zstd", "configuration": {"level": 5, "checksum": False}}
    ]
    assert parse_codec("gzip-5").zarr_v2("<f4") == ([], {"id": "gzip", "level": 5})
    assert parse_codec("none").zarr_v2("<f4") == ([], None)
    assert parse_codec("none").zarr_v3("<f4") == {"filters": [], "serializer": None, "compressors": []}


def test_codec_sets_and_lists():
    assert codec_set("seed") == ("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5")
    assert codec_set("ZSTD-5, none") == ("zstd-5", "none")
    with pytest.raises(CodecSpecError, match="give a set"):
        codec_set(" , ")
    with pytest.raises(CodecSpecError, match="unknown Blosc compressor"):
        codec_set("none,blosc-foo-5-shuffle")
