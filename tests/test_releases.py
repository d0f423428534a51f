import json

import pytest

from cryoet_zarr_bench._compat import library_versions
from cryoet_zarr_bench.releases import PinMismatchError, asv_pins, verify_pins, version_number


def _asv_env(tmp_path, requirements):
    (tmp_path / "asv-env-info.json").write_text(
        json.dumps({"tool_name": "virtualenv", "requirements": requirements})
    )
    return {"ASV_ENV_DIR": str(tmp_path), "ASV_ENV_NAME": "virtualenv-py3.11-test"}


def test_outside_asv_nothing_is_pinned():
    assert asv_pins({}) == {}
    assert verify_pins({}) == {name: library_versions()[name] for name in ("zarr", "numcodecs", "numpy")}


def test_pins_that_match_the_imported_releases_pass(tmp_path):
    installed = library_versions()
    environ = _asv_env(
        tmp_path, {"zarr": installed["zarr"], "numcodecs": installed["numcodecs"], "numpy": ""}
    )
    assert asv_pins(environ) == {"zarr": installed["zarr"], "numcodecs": installed["numcodecs"]}
    assert verify_pins(environ)["zarr"] == installed["zarr"]
    environ = _asv_env(tmp_path, {**installed, "scipy": "0.1"})
    assert asv_pins(environ) == installed
    assert verify_pins(environ) == installed


def test_a_moved_numpy_pin_fails_too(tmp_path):
    """numpy decides the synthetic volume's bits, so every environment checks its numpy pin as well."""
    environ = _asv_env(tmp_path, {**library_versions(), "numpy": "1.25.0"})
    with pytest.raises(PinMismatchError, match=rf"numpy {library_versions()['numpy']} \(pinned 1.25.0\)"):
        verify_pins(environ)


def test_a_moved_pin_fails_loudly_naming_both_versions(tmp_path):
    environ = _asv_env(tmp_path, {"zarr": "1.0.0", "numcodecs": library_versions()["numcodecs"]})
    with pytest.raises(PinMismatchError) as excinfo:
        verify_pins(environ)
    message = str(excinfo.value)
    assert f"zarr {library_versions()['zarr']} (pinned 1.0.0)" in message
    assert "virtualenv-py3.11-test" in message
    assert "numcodecs" not in message.split("imports", 1)[1].split(";")[0]


def test_version_numbers_sort_like_releases():
    assert version_number("3.1.6") == 30106
    assert version_number("2.18.7") == 21807
    assert version_number("0.16.6") == 1606
    assert version_number("3.1.0rc1") == 30100
    assert version_number("2.18.7") < version_number("3.0.10") < version_number("3.1.6")
    with pytest.raises(ValueError, match="cannot read a release number"):
        version_number("main")
