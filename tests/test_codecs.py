import re

import numcodecs
import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.codecs import (
    CODEC_SETS,
    NOISE_TIED,
    CodecCannotExpress,
    CodecSpec,
    CodecSpecError,
    CodecUnavailable,
    ErrorBoundExceeded,
    check_error_bound,
    codec_set,
    error_check,
    is_noise_tied,
    parse_codec,
    resolve_noise_tied,
)
from cryoet_zarr_bench.codecs.compressors import Blosc
from cryoet_zarr_bench.sources.synthetic import synthetic_volume
from cryoet_zarr_bench.stores import MemoryStore, decode_chunks
from cryoet_zarr_bench.volume import same_bits

from support import require


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
    assert parse_codec("  Blosc-ZSTD-5-Shuffle ") == CodecSpec(
        Blosc(cname="zstd", level=5, shuffle="shuffle")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lzma-5", "unknown family 'lzma'; valid codecs: [<filter>+...]<compressor>"),
        ("blosc-lz4-5", "cannot parse codec 'blosc-lz4-5': blosc takes 3 argument(s), got 2"),
        ("blosc-lz5-5-shuffle", "unknown Blosc compressor 'lz5'; valid: blosclz, lz4, lz4hc, zlib, zstd"),
        (
            "blosc-lz4-5-byteshuffle",
            "unknown Blosc shuffle 'byteshuffle'; valid: noshuffle, shuffle, bitshuffle",
        ),
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
    assert spec.zarr_v2("<f4") == (
        [],
        {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0},
    )
    assert spec.zarr_v3("<f4") == {
        "filters": [],
        "serializer": None,
        "compressors": [
            {
                "name": "blosc",
                "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "blocksize": 0},
            }
        ],
    }
    assert parse_codec("zstd-5").zarr_v3("<f4")["compressors"] == [
        {"name": "zstd", "configuration": {"level": 5, "checksum": False}}
    ]
    assert parse_codec("gzip-5").zarr_v2("<f4") == ([], {"id": "gzip", "level": 5})
    assert parse_codec("none").zarr_v2("<f4") == ([], None)
    assert parse_codec("none").zarr_v3("<f4") == {"filters": [], "serializer": None, "compressors": []}
    # The single-codec forms callers used before pipelines, for filterless general-purpose compressors.
    assert spec.numcodecs_config() == spec.zarr_v2("<f4")[1]
    assert spec.zarr_v3_codec() == spec.zarr_v3("<f4")["compressors"][0]
    assert parse_codec("none").numcodecs_config() is None and parse_codec("none").zarr_v3_codec() is None
    with pytest.raises(CodecCannotExpress, match="use zarr_v2"):
        parse_codec("bitround-8+zstd-5").numcodecs_config()
    with pytest.raises(CodecCannotExpress, match="use zarr_v3"):
        parse_codec("pcodec-8").zarr_v3_codec()


def test_codec_sets_and_lists():
    assert codec_set("baseline") == ("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5")
    assert codec_set("ZSTD-5, none") == ("zstd-5", "none")
    with pytest.raises(CodecSpecError, match="give a set"):
        codec_set(" , ")
    with pytest.raises(CodecSpecError, match="unknown Blosc compressor"):
        codec_set("none,blosc-foo-5-shuffle")


# -- Pipelines, float-aware and lossy codecs -------------------------------------------------------------

# A pipeline of each float-aware or lossy family: a filter before Blosc and before a standalone compressor,
# pcodec, and ZFP's three modes.
FLOAT_AND_LOSSY_PIPELINES = (
    "bitround-12+blosc-zstd-5-shuffle",
    "quantize-4+zstd-5",
    "pcodec-8",
    "zfp-reversible",
    "zfp-accuracy-1e-6",
    "zfp-precision-16",
)


def _require_packages(spec):
    try:
        spec.require()
    except CodecUnavailable as error:
        require(False, str(error))


def _concrete(name, data, sigma=1e-5):
    """A set member as written: noise-tied names resolved at the synthetic volume's scale."""
    return resolve_noise_tied(name, data, sigma) if is_noise_tied(name) else name


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            *FLOAT_AND_LOSSY_PIPELINES,
            *(name for name in CODEC_SETS["study"] if not is_noise_tied(name)),
            "step-2.5e-7+bitround-3+gzip-1",
        }
    ),
)
def test_pipeline_names_round_trip(name):
    spec = parse_codec(name)
    assert str(spec) == name
    assert parse_codec(str(spec)) == spec


def test_sets_keep_their_members_and_grow():
    assert CODEC_SETS["baseline"] == ("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5")
    assert all(parse_codec(name).lossless for name in CODEC_SETS["float"])
    data = synthetic_volume(16).data
    assert not any(parse_codec(_concrete(name, data)).lossless for name in CODEC_SETS["lossy"])
    first_stages = {name.split("+")[0] for name in CODEC_SETS["lossy"]}
    assert {
        "bitround-8",
        "bitround-12",
        "bitround-16",
        "zfp-precision-16",
        "zfp-accuracy-0.1sigma",
        "step-1%",
    } <= first_stages
    assert {stage.split("-")[0] for stage in first_stages} == {"bitround", "quantize", "step", "zfp"}
    assert set(CODEC_SETS["study"]) == {*CODEC_SETS["baseline"], *CODEC_SETS["float"], *CODEC_SETS["lossy"]}


def test_float_and_step_spellings_are_canonical():
    assert str(parse_codec("ZFP-Accuracy-0.000001")) == "zfp-accuracy-1e-6"
    assert str(parse_codec("step-3.50e-06+zstd-5")) == "step-3.5e-6+zstd-5"
    assert str(parse_codec("zfp-accuracy-0.5")) == "zfp-accuracy-0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("zstd-5+bitround-12", "is a filter; a pipeline ends with a compressor"),
        ("pcodec-8+zstd-5", "is a compressor; only filters"),
        ("bitround-12+", "empty stage"),
        ("zfp-fast", "unknown ZFP mode"),
        ("zfp-accuracy-0", "is not a positive number"),
        ("zfp-reversible-3", "unknown ZFP mode or missing setting"),
        ("zfp-precision-40", "zfp precision level must be 1-32, got 40"),
        ("pcodec-13", "pcodec level must be 0-12, got 13"),
        ("pcodec-8-pages-0", "pcodec pages must be a whole number 1-16777216, got '0'"),
        ("pcodec-8-pages", "pcodec takes a level and optionally -pages-<n>"),
        ("pcodec-8-sheets-4096", "pcodec takes a level and optionally -pages-<n>"),
        ("bitround-53+zstd-5", "bitround level must be 0-52"),
        ("step-nan+zstd-5", "is not a positive number"),
    ],
)
def test_bad_pipelines_say_what_is_wrong(text, message):
    with pytest.raises(CodecSpecError, match=re.escape(message)):
        parse_codec(text)


def test_pcodec_pages_name_and_translate_to_numcodecs_equal_pages_up_to():
    spec = parse_codec("step-1e-6+PCODEC-8-pages-16384")
    assert str(spec) == "step-1e-6+pcodec-8-pages-16384" and parse_codec(str(spec)) == spec
    assert spec.zarr_v2("<f4")[1] == {"id": "pcodec", "level": 8, "equal_pages_up_to": 16384}
    assert spec.zarr_v3("<f4")["serializer"] == {
        "name": "numcodecs.pcodec",
        "configuration": {"level": 8, "equal_pages_up_to": 16384},
    }
    # Without pages the configuration is numcodecs' own default, as before.
    assert parse_codec("pcodec-8").zarr_v2("<f4")[1] == {"id": "pcodec", "level": 8}
    assert parse_codec("pcodec-8") != parse_codec("pcodec-8-pages-262144")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_pcodec_with_many_pages_per_chunk_round_trips_exactly(zarr_format):
    if zarr_format not in _compat.SUPPORTED_FORMATS:
        pytest.skip(f"zarr {_compat.library_versions()['zarr']} cannot write format {zarr_format}")
    spec = parse_codec("pcodec-8-pages-500")  # 16³ chunks: 9 pages each, the last one short
    _require_packages(spec)
    data = synthetic_volume(24).data
    store = MemoryStore()
    try:
        store.write(data, codec=spec, chunks=(16, 16, 16), zarr_format=zarr_format)
    except CodecCannotExpress as error:
        pytest.skip(str(error))
    assert same_bits(store.read(), data)


def test_lossless_is_true_only_when_every_stage_is():
    assert parse_codec("pcodec-8").lossless and parse_codec("zfp-reversible").lossless
    assert parse_codec("blosc-lz4-5-bitshuffle").lossless
    for name in (
        "bitround-12+zstd-5",
        "zfp-accuracy-1e-6",
        "zfp-precision-16",
        "quantize-6+none",
        "step-1e-6+pcodec-8",
    ):
        assert not parse_codec(name).lossless


def test_a_pipeline_translates_to_both_formats():
    spec = parse_codec("bitround-12+blosc-zstd-5-shuffle")
    assert spec.zarr_v2("<f4") == (
        [{"id": "bitround", "keepbits": 12}],
        {"id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": 1, "blocksize": 0},
    )
    v3 = spec.zarr_v3("<f4")
    assert v3["filters"] == [{"name": "numcodecs.bitround", "configuration": {"keepbits": 12}}]
    assert v3["serializer"] is None and v3["compressors"][0]["name"] == "blosc"
    zfp = parse_codec("zfp-accuracy-1e-6").zarr_v3("<f4")
    assert zfp["serializer"] == {
        "name": "numcodecs.zfpy",
        "configuration": {"mode": 4, "tolerance": 1e-6, "rate": -1, "precision": -1},
    }
    assert zfp["compressors"] == []


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("name", [*CODEC_SETS["float"], *CODEC_SETS["lossy"], *FLOAT_AND_LOSSY_PIPELINES])
def test_pipelines_write_and_read_back_within_their_guarantee(name, zarr_format):
    if zarr_format not in _compat.SUPPORTED_FORMATS:
        pytest.skip(f"zarr {_compat.library_versions()['zarr']} cannot write format {zarr_format}")
    data = synthetic_volume(24).data
    spec = parse_codec(_concrete(name, data))
    _require_packages(spec)
    store = MemoryStore()
    try:
        store.write(data, codec=spec, chunks=(16, 16, 16), zarr_format=zarr_format)
    except CodecCannotExpress as error:  # a release pair known not to store it: asv skips it the same way
        pytest.skip(str(error))
    decoded = store.read()
    check = check_error_bound(spec, data, decoded)
    if spec.lossless:
        assert same_bits(decoded, data) and check.guarantee == "exact"
    else:
        assert not same_bits(decoded, data)
        assert check.within is (None if name.startswith("zfp-precision") else True)
    # numcodecs alone decodes the same chunk bytes to the same array, filters included.
    numcodecs_decoded = decode_chunks(
        store.chunk_payloads(), codec=spec, shape=data.shape, chunks=(16, 16, 16), dtype=data.dtype
    )
    assert same_bits(numcodecs_decoded, decoded)


@pytest.mark.parametrize(
    ("name", "tight"),
    [
        ("bitround-10+none", 0.9),
        ("quantize-6+zstd-1", 0.9),
        ("step-1e-6+zstd-1", 0.9),
        ("zfp-accuracy-1e-6", 0.01),
    ],
)
def test_each_lossy_family_keeps_its_stated_bound(name, tight):
    spec = parse_codec(name)
    _require_packages(spec)
    data = synthetic_volume(24).data
    store = MemoryStore()
    store.write(data, codec=spec, chunks=(24, 24, 24), zarr_format=2)
    check = check_error_bound(spec, data, store.read())
    assert check.within is True
    assert tight < check.worst_fraction <= 1.0  # the bound holds and is not vacuous


def test_a_broken_bound_fails_loudly():
    data = np.linspace(-1e-5, 1e-5, 1000, dtype=np.float32).reshape(10, 10, 10)
    with pytest.raises(ErrorBoundExceeded, match="zfp-accuracy-1e-6 broke its guarantee"):
        check_error_bound("zfp-accuracy-1e-6", data, data + np.float32(2e-6))
    with pytest.raises(ErrorBoundExceeded, match="bitround-4"):
        check_error_bound("bitround-4+zstd-5", data, data * np.float32(1.05))
    changed = data.copy()
    changed.view(np.uint32)[0, 0, 0] ^= 1
    with pytest.raises(ErrorBoundExceeded, match="exact"):
        check_error_bound("zstd-5", data, changed)
    assert error_check("zfp-precision-8", data, data + 1).describe() == "no bound stated"


def test_lossy_filters_refuse_integer_data_the_asv_way():
    data = np.arange(512, dtype=np.int16).reshape(8, 8, 8)
    with pytest.raises(CodecCannotExpress, match="compresses float data; it would receive int16") as excinfo:
        MemoryStore().write(data, codec="bitround-8+zstd-5", chunks=(8, 8, 8), zarr_format=2)
    assert isinstance(excinfo.value, NotImplementedError)


def test_each_filter_is_configured_for_the_type_it_receives():
    # step hands int32 on: pcodec and ZFP take it, a float filter after it cannot.
    assert parse_codec("step-1e-6+pcodec-8").zarr_v2("<f4")[0][0]["astype"] == "<i4"
    with pytest.raises(CodecCannotExpress, match="bitround-3 compresses float data; it would receive int32"):
        parse_codec("step-1e-6+bitround-3+zstd-5").zarr_v3("<f4")
    with pytest.raises(CodecCannotExpress, match="zfp-reversible compresses float data"):
        parse_codec("step-1e-6+zfp-reversible").zarr_v2("<f4")


def test_noise_tied_settings_resolve_against_sigma():
    data = (1e-5 * np.random.default_rng(0).standard_normal((16, 16, 16))).astype(np.float32)
    step = parse_codec(resolve_noise_tied("step-1%+pcodec-8", data, sigma=1e-5)).filters[0].size
    assert 3.4e-6 <= step <= 3.46e-6  # √(12·0.01)·σ = 3.4641e-6, rounded down, never up
    resolved = resolve_noise_tied("bitround-1%+blosc-zstd-5-shuffle", data, sigma=1e-5)
    assert re.fullmatch(r"bitround-\d+\+blosc-zstd-5-shuffle", resolved)
    for name in NOISE_TIED:
        parse_codec(resolve_noise_tied(name, data, sigma=1e-5))
    with pytest.raises(CodecSpecError, match="not a noise-tied setting"):
        resolve_noise_tied("step-0.01+pcodec-8", data, sigma=1e-5)
