import pytest

from cryoet_zarr_bench.asv_config import AsvConfig, AsvConfigError


def test_paths_are_read_relative_to_the_file_with_asv_defaults(tmp_path):
    (tmp_path / "asv.conf.json").write_text(
        '{\n  // a comment, as asv allows\n  "version": 1,\n  "results_dir": ".asv/results",\n}\n'
    )
    config = AsvConfig.read(tmp_path / "asv.conf.json")
    assert config.path == tmp_path / "asv.conf.json"
    assert config.repo == tmp_path / "."
    assert config.results_dir == tmp_path / ".asv/results"
    assert config.html_dir == tmp_path / "html"


def test_the_project_configuration(request):
    root = request.config.rootpath
    config = AsvConfig.read(root / "asv.conf.json")
    assert (config.results_dir, config.html_dir) == (root / ".asv/results", root / ".asv/html")


def test_missing_and_malformed_files_say_so(tmp_path):
    with pytest.raises(AsvConfigError, match="no asv configuration at .*pass --config"):
        AsvConfig.read(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{ not json")
    with pytest.raises(AsvConfigError, match="cannot parse asv configuration .*bad.json"):
        AsvConfig.read(tmp_path / "bad.json")
