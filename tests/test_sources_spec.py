"""The source syntax: parsing, canonical strings, crops and the one-line errors."""

from __future__ import annotations

import pytest

from cryoet_zarr_bench.sources import SourceError, SourceSpec, parse_source
from cryoet_zarr_bench.sources.spec import BoxCrop, CentreCrop, TomogramFilter
from cryoet_zarr_bench.sources.synthetic import synthetic_volume


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("synthetic", "synthetic?shape=128,128,128&seed=0"),
        ("synthetic?seed=3&shape=256", "synthetic?shape=256,256,256&seed=3"),
        ("synthetic?shape=32,64,48&seed=1", "synthetic?shape=32,64,48&seed=1"),
        (
            "synthetic?shape=64&crop=centre:32&dtype=float64",
            "synthetic?shape=64,64,64&seed=0&crop=centre:32&dtype=float64",
        ),
        ("portal:10445/TS_100_3", "portal:10445/TS_100_3?crop=centre:128&level=0"),
        (
            "portal:10445/TS_100_3?level=1&crop=center:64,128,128",
            "portal:10445/TS_100_3?crop=centre:64,128,128&level=1",
        ),
        (
            "portal:10445/TS_100_3?method=WBP&processing=raw&spacing=10.012&tomogram=7&crop=full",
            "portal:10445/TS_100_3?spacing=10.012&processing=raw&method=WBP&tomogram=7&crop=full&level=0",
        ),
        ("tomo.mrc", "tomo.mrc"),
        ("tomo.rec?crop=0:64,0:128,0:128", "tomo.rec?crop=0:64,0:128,0:128"),
        ("tomo.mrc?crop=full&dtype=f4", "tomo.mrc?dtype=float32"),
        ("path/to/tomo.zarr", "path/to/tomo.zarr?level=0"),
        ("s3://bucket/x/tomo.zarr?level=2&crop=centre:8", "s3://bucket/x/tomo.zarr?crop=centre:8&level=2"),
        ("vol.npy?dtype=int16", "vol.npy?dtype=int16"),
    ],
)
def test_canonical_form_round_trips(text: str, canonical: str) -> None:
    spec = parse_source(text)
    assert str(spec) == canonical
    assert parse_source(str(spec)) == spec
    assert parse_source(canonical) == spec


def test_synthetic_canonical_form_is_the_generators_source_string() -> None:
    spec = parse_source("synthetic?seed=2&shape=8,16,12")
    assert str(spec) == synthetic_volume(shape=(8, 16, 12), seed=2).source


def test_parsed_fields() -> None:
    spec = parse_source("portal:10445/TS_100_3?processing=denoised&spacing=10&crop=1:5,2:6,3:7")
    assert (spec.kind, spec.dataset_id, spec.run_name, spec.level) == ("portal", 10445, "TS_100_3", 0)
    assert spec.tomogram == TomogramFilter(voxel_spacing=10.0, processing="denoised")
    assert spec.crop == BoxCrop(((1, 5), (2, 6), (3, 7)))
    assert spec.is_remote
    assert not parse_source("a.npy").is_remote
    assert parse_source("https://host/a.zarr").is_remote


def test_specs_built_directly_get_the_same_defaults_except_the_portal_crop() -> None:
    assert SourceSpec("synthetic") == parse_source("synthetic")
    assert SourceSpec("zarr", "a.zarr") == parse_source("a.zarr")
    # crop=None is the whole volume for every kind; only the string syntax defaults the portal to centre:128
    assert str(SourceSpec("portal", "1/R")) == "portal:1/R?crop=full&level=0"


def test_with_absolute_path(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_source("sub/tomo.mrc?crop=centre:4").with_absolute_path()
    assert spec.location == str(tmp_path / "sub" / "tomo.mrc")
    assert spec.crop == CentreCrop((4, 4, 4))
    url = parse_source("s3://b/t.zarr")
    assert url.with_absolute_path() == url


def test_centre_crop_bounds_match_the_portal_geometry() -> None:
    # TS_100_3 level 0 is 184x630x630 in 256³ chunks (1 x 3 x 3): a centred 128³ crop touches 1 x 2 x 2
    bounds = CentreCrop((128, 128, 128)).bounds((184, 630, 630))
    assert bounds == ((28, 156), (251, 379), (251, 379))
    touched = [len(range(start // 256, (stop - 1) // 256 + 1)) for start, stop in bounds]
    assert touched == [1, 2, 2]


@pytest.mark.parametrize(
    ("crop", "shape"),
    [(CentreCrop((128, 128, 128)), (46, 158, 158)), (BoxCrop(((0, 10), (0, 10), (5, 11))), (10, 10, 10))],
)
def test_crop_outside_the_volume(crop, shape) -> None:
    with pytest.raises(SourceError, match=r"lies outside the volume of shape .* crop=full"):
        crop.bounds(shape)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty source"),
        ("tomo.tif", r"cannot tell what kind of source 'tomo.tif' is: .*\.mrc.*\.npy or \.zarr"),
        ("synthetic?sede=3", "unknown option 'sede' for synthetic sources; did you mean 'seed'"),
        ("tomo.mrc?level=1", "unknown option 'level' for mrc sources; .*they take crop, dtype"),
        ("portal:TS_100_3", "write portal:DATASET_ID/RUN_NAME"),
        ("portal:10445/TS_100_3?spacing=ten", "spacing must be a number"),
        ("synthetic?seed", "needs a value: write seed=VALUE"),
        ("synthetic?seed=1&seed=2", "given twice"),
        ("synthetic?seed=-1", "seed must be a non-negative integer"),
        ("synthetic?shape=0", "shape must be positive"),
        ("synthetic?shape=1,2", "shape must be N or Z,Y,X"),
        ("a.zarr?level=x", "level must be a non-negative integer"),
        ("a.npy?crop=0:4", "cannot read crop '0:4'"),
        ("a.npy?crop=4:4,0:1,0:1", "empty along z"),
        ("a.npy?dtype=complex64", "integer or float numpy dtype"),
        ("a.npy?dtype=nonsense", "integer or float numpy dtype"),
    ],
)
def test_malformed_sources_give_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        parse_source(text)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)
