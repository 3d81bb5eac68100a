"""The limits a configuration file sets (time-budget, max-file-size). A file in the scanned
tree may come from a pull request, so it cannot lift them past their caps: it is lowered to
the cap and the scan says so; only the command line goes past the caps."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_scans import rule_ids, runner, scan_json, write
from conftest import OPEN_TRUST
from oidclint.cli import app
from oidclint.config import ConfigError, load_config

pytestmark = pytest.mark.usefixtures("no_ambient_repository")


LARGE = 16 * 1024 * 1024 + 4096  # just over the cap on max-file-size


def large_comment_file(path: Path) -> Path:
    """A Terraform file of comments, just over 16 MiB: nothing in it matters, it only has to
    be read."""
    line = "# " + "x" * 97 + "\n"
    return write(path, line * (LARGE // len(line) + 1))


@pytest.mark.parametrize("text, field, cap, says", [
    ("time-budget = 100000\n", "time_budget", 30, "`time-budget` = 100,000 seconds"),
    ("time-budget = inf\n", "time_budget", 30, "`time-budget` = inf seconds"),
    ("time-budget = 30.5\n", "time_budget", 30, "`time-budget` = 30.5 seconds"),
    ("max-file-size = 100000000000\n", "max_file_size", 16 * 1024 * 1024,
     "`max-file-size` = 100,000,000,000 bytes"),
    ("[tool.oidclint]\nmax-file-size = 16777217\n", "max_file_size", 16 * 1024 * 1024,
     "`[tool.oidclint].max-file-size` = 16,777,217 bytes"),
])
def test_a_configuration_file_cannot_lift_the_limits(tmp_path, text, field, cap, says):
    name = "pyproject.toml" if text.startswith("[tool") else ".oidclint.toml"
    config = load_config(write(tmp_path / name, text))
    assert getattr(config, field) == cap
    [note] = config.capped.values()
    assert note.startswith(says) and f"is above {cap:,}" in note and "command line" in note


@pytest.mark.parametrize("text, field, value", [
    ("time-budget = 30\n", "time_budget", 30),
    ("time-budget = 0.5\n", "time_budget", 0.5),
    ("max-file-size = 16777216\n", "max_file_size", 16 * 1024 * 1024),
    ("max-file-size = 1000\n", "max_file_size", 1000),
])
def test_limits_within_the_caps_are_taken_as_written(tmp_path, text, field, value):
    config = load_config(write(tmp_path / ".oidclint.toml", text))
    assert getattr(config, field) == value and config.capped == {}


@pytest.mark.parametrize("text", ["time-budget = nan\n", "time-budget = -inf\n",
                                  "time-budget = 0\n", "max-file-size = 1.5e9\n",
                                  "max-file-size = true\n"])
def test_a_limit_that_is_not_a_positive_number_is_an_error(tmp_path, text):
    with pytest.raises(ConfigError, match="must be a positive"):
        load_config(write(tmp_path / ".oidclint.toml", text))


def test_max_file_size_from_a_file_is_capped_and_the_scan_says_so(tmp_path):
    # 100 GB once made every read allocate 100 GB up front (MemoryError for every file).
    write(tmp_path / "main.tf", OPEN_TRUST)
    large_comment_file(tmp_path / "generated.tf")
    write(tmp_path / ".oidclint.toml", "max-file-size = 100000000000\n")
    result, data = scan_json(str(tmp_path))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC204"]  # the planted finding is still found
    messages = {(d["path"], d["level"], d["message"]) for d in data["diagnostics"]}
    assert any(path == "generated.tf" and message.startswith(
        "larger than the 16,777,216-byte limit") for path, _, message in messages)
    [note] = [m for path, level, m in messages if path == "" and level == "note"]
    assert note.startswith("configuration .oidclint.toml: `max-file-size` = 100,000,000,000")
    assert "--max-file-size" in note and note in result.stderr


def test_the_command_line_goes_past_the_caps(tmp_path):
    write(tmp_path / "main.tf", OPEN_TRUST)
    large_comment_file(tmp_path / "generated.tf")
    write(tmp_path / ".oidclint.toml", "max-file-size = 100000000000\ntime-budget = 600\n")
    result, data = scan_json(str(tmp_path), "--max-file-size", str(32 * 1024 * 1024))
    assert result.exit_code == 1, result.output
    assert rule_ids(data) == ["OIDC204"]
    # generated.tf was read; the time budget, not given, is still the file's, capped.
    [note] = data["diagnostics"]
    assert note["level"] == "note"
    assert note["message"].startswith("configuration .oidclint.toml: `time-budget` = 600 ")


def test_the_limit_flags_reach_the_scan_over_the_file(tmp_path, monkeypatch):
    import oidclint.engine

    given = []
    monkeypatch.setattr(oidclint.engine, "scan",
                        lambda paths, config, **kwargs: given.append(config) or 1 / 0)
    write(tmp_path / ".oidclint.toml", "time-budget = 100000\nmax-file-size = 1000\n")
    runner.invoke(app, ["scan", str(tmp_path)])
    runner.invoke(app, ["scan", str(tmp_path), "--time-budget", "90"])
    runner.invoke(app, ["scan", str(tmp_path), "--time-budget", "0.5",
                        "--max-file-size", "100000000"])
    assert [(c.time_budget, c.max_file_size, sorted(c.capped)) for c in given] == [
        (30, 1000, ["time_budget"]), (90, 1000, []), (0.5, 100000000, [])]


@pytest.mark.parametrize("flag, value", [("--time-budget", "0"), ("--time-budget", "nan"),
                                         ("--time-budget", "1e12"), ("--max-file-size", "0"),
                                         ("--max-file-size", "-5")])
def test_a_limit_flag_out_of_range_is_a_usage_error(tmp_path, flag, value):
    write(tmp_path / "main.tf", OPEN_TRUST)
    result = runner.invoke(app, ["scan", str(tmp_path), flag, value])
    assert result.exit_code == 2
    assert flag in result.output and "must be above 0" in result.output
