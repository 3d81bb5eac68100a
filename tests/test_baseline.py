"""Baselines: record today's findings, then report only new ones, across edits that move code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oidclint.baseline import Baseline, BaselineError, read_baseline
from oidclint.cli import app
from oidclint.engine import scan
from oidclint.findings import fingerprint
from conftest import OPEN_TRUST

# `repo:acme/*`: OIDC204 (broad-subject), a warning, and nothing else.

# A second, different problem: another role open to every repository of another owner.
NEW_ROLE = '''
resource "aws_iam_role" "docs" {
  name = "docs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme-docs/*" }
      }
    }]
  })
}
'''

runner = CliRunner()


@pytest.fixture
def stack(tmp_path) -> Path:
    folder = tmp_path / "stack"
    folder.mkdir()
    (folder / "main.tf").write_text(OPEN_TRUST)
    return folder


def invoke(*args: str):
    return runner.invoke(app, ["scan", *args])


def scan_json(*args: str):
    result = invoke("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(result.stdout)


def test_write_then_use_the_baseline(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    written = invoke(str(stack), "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output  # adopting is not a failure
    recorded = json.loads(baseline.read_text())
    assert [f["rule_id"] for f in recorded["findings"]] == ["OIDC204"]
    assert read_baseline(baseline).fingerprints == {recorded["findings"][0]["fingerprint"]}

    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 0
    assert data["findings"] == [] and data["baselined"] == 1
    text = invoke(str(stack), "--baseline", str(baseline))
    assert text.exit_code == 0
    assert re.search(r"\b1 in the baseline\b", text.stdout), text.stdout
    assert invoke(str(stack), "--baseline", str(baseline), "--fail-on", "note").exit_code == 0


def test_lines_inserted_above_the_finding_still_match(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    line_before = json.loads(baseline.read_text())["findings"][0]["line"]
    (stack / "main.tf").write_text("# Roles for CI.\n\n# Owned by platform.\n" + OPEN_TRUST)
    result, data = scan_json(str(stack))
    assert data["findings"][0]["line"] == line_before + 3  # it moved
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 0
    assert data["findings"] == [] and data["baselined"] == 1


def test_a_new_problem_is_still_reported(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    (stack / "main.tf").write_text(OPEN_TRUST + NEW_ROLE)
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 1
    assert [(f["rule_id"], f["address"]) for f in data["findings"]] == [
        ("OIDC204", "aws_iam_role.docs")]
    assert data["baselined"] == 1


def test_the_same_problem_in_a_new_place_is_new(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    (stack / "copy").mkdir()
    (stack / "copy" / "main.tf").write_text(OPEN_TRUST)
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert [f["path"] for f in data["findings"]] == ["copy/main.tf"]


def test_a_fixed_finding_leaves_nothing_behind(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    fixed = OPEN_TRUST.replace(
        'StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" }',
        'StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:*" }')
    assert fixed != OPEN_TRUST
    (stack / "main.tf").write_text(fixed)
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 0
    assert data["findings"] == [] and data["baselined"] == 0


def test_an_earlier_sarif_log_works_as_a_baseline(stack, tmp_path):
    log = tmp_path / "earlier.sarif"
    assert invoke(str(stack), "--format", "sarif", "--output", str(log)).exit_code == 1
    (stack / "main.tf").write_text("\n\n" + OPEN_TRUST + NEW_ROLE)
    result, data = scan_json(str(stack), "--baseline", str(log))
    assert result.exit_code == 1
    assert [f["address"] for f in data["findings"]] == ["aws_iam_role.docs"]
    assert data["baselined"] == 1


def test_rewriting_the_baseline_it_reads_keeps_the_old_findings(stack, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    (stack / "main.tf").write_text(OPEN_TRUST + NEW_ROLE)
    refreshed = invoke(str(stack), "--baseline", str(baseline), "--write-baseline", str(baseline))
    assert refreshed.exit_code == 0, refreshed.output
    assert sorted(f["address"] for f in json.loads(baseline.read_text())["findings"]) == [
        "aws_iam_role.deploy", "aws_iam_role.docs"]
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert data["findings"] == [] and data["baselined"] == 2


@pytest.mark.parametrize("content, says", [
    (None, "cannot read the baseline"),
    ("not json {", "not JSON"),
    ("[1, 2]", "not an oidclint JSON report or SARIF log"),
    ('{"version": "0.1.0"}', "not an oidclint JSON report or SARIF log"),
    (b"\xff\xfe\x00garbage", "not JSON"),
])
def test_an_unusable_baseline_is_exit_two_naming_the_file(stack, tmp_path, content, says):
    baseline = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        baseline.write_bytes(content)
    elif content is not None:
        baseline.write_text(content)
    result = invoke(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert str(baseline) in result.stderr and says in result.stderr
    assert "internal error" not in result.stderr
    assert result.stdout == ""
    with pytest.raises(BaselineError, match=re.escape(str(baseline))):
        read_baseline(baseline)


def test_an_empty_baseline_shows_everything(stack, tmp_path):
    # The README's way to see the findings a configured baseline hides: --baseline /dev/null.
    empty = tmp_path / "empty.json"
    empty.write_text("")
    result, data = scan_json(str(stack), "--baseline", str(empty))
    assert result.exit_code == 1
    assert [f["rule_id"] for f in data["findings"]] == ["OIDC204"] and data["baselined"] == 0


def test_the_configured_baseline_is_relative_to_the_config_file(stack, tmp_path, monkeypatch):
    (stack / "ci").mkdir()
    written = invoke(str(stack), "--write-baseline", str(stack / "ci" / "known.json"))
    assert written.exit_code == 0
    (stack / ".oidclint.toml").write_text('baseline = "ci/known.json"\n')
    monkeypatch.chdir(tmp_path)
    result, data = scan_json(str(stack))
    assert result.exit_code == 0, result.output
    assert data["findings"] == [] and data["baselined"] == 1
    # --baseline wins: an empty one shows everything again.
    (tmp_path / "none.json").write_text('{"findings": []}')
    result, data = scan_json(str(stack), "--baseline", str(tmp_path / "none.json"))
    assert result.exit_code == 1 and data["baselined"] == 0
    # ... and --write-baseline records everything, whatever the configured baseline holds.
    assert invoke(str(stack), "--write-baseline", str(tmp_path / "all.json")).exit_code == 0
    assert len(json.loads((tmp_path / "all.json").read_text())["findings"]) == 1


def test_a_configured_baseline_that_is_missing_is_exit_two(stack):
    (stack / ".oidclint.toml").write_text('baseline = "ci/nope.json"\n')
    result = invoke(str(stack))
    assert result.exit_code == 2
    assert "nope.json" in result.stderr


def test_the_engine_takes_a_baseline_object(stack):
    [finding] = scan([stack]).findings
    report = scan([stack], baseline=Baseline(frozenset({fingerprint(finding)})))
    assert report.findings == [] and report.baselined == 1
    report = scan([stack], baseline=Baseline(frozenset({"0" * 64})))
    assert len(report.findings) == 1 and report.baselined == 0


def test_suppressed_findings_are_recorded_and_stay_suppressed(stack, tmp_path):
    (stack / "main.tf").write_text(OPEN_TRUST.replace(
        '"repo:acme/*" }', '"repo:acme/*" } # oidclint: ignore[OIDC204] org-wide on purpose'))
    baseline = tmp_path / "baseline.json"
    invoke(str(stack), "--write-baseline", str(baseline))
    [recorded] = json.loads(baseline.read_text())["findings"]
    assert recorded["suppression"]["justification"] == "org-wide on purpose"
    result, data = scan_json(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 0 and data["findings"] == [] and data["baselined"] == 1


# --- a baseline is read like any file a pull request may have replaced ----------------------


def git_repository(folder: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


@pytest.mark.parametrize("named", ["/dev/zero", "/dev/urandom", "../outside.json",
                                   "link-to-dev-zero.json", "link-outside.json"])
def test_a_configured_baseline_outside_the_repository_is_refused(stack, tmp_path, named):
    git_repository(stack)
    # A baseline that would work, outside the repository: refused all the same.
    assert invoke(str(stack), "--write-baseline", str(tmp_path / "outside.json")).exit_code == 0
    (stack / "link-to-dev-zero.json").symlink_to("/dev/zero")
    (stack / "link-outside.json").symlink_to(tmp_path / "outside.json")
    config = stack / ".oidclint.toml"
    config.write_text(f'baseline = "{named}"\n')
    result = invoke(str(stack))
    assert result.exit_code == 2, result.output
    assert f"{config.resolve()}: `baseline`: " in result.stderr
    assert "the baseline is outside the repository" in result.stderr
    assert named in result.stderr and "internal error" not in result.stderr


def test_a_configured_baseline_linked_inside_the_repository_is_read(stack):
    git_repository(stack)
    (stack / "ci").mkdir()
    assert invoke(str(stack), "--write-baseline", str(stack / "ci" / "known.json")).exit_code == 0
    (stack / "baseline.json").symlink_to(stack / "ci" / "known.json")
    (stack / ".oidclint.toml").write_text('baseline = "baseline.json"\n')
    result, data = scan_json(str(stack))
    assert result.exit_code == 0 and data["baselined"] == 1


def test_a_configured_baseline_may_be_anywhere_in_the_repository(tmp_path):
    repo = git_repository(tmp_path / "repo")
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(OPEN_TRUST)
    assert invoke(str(repo / "infra"), "--write-baseline",
                  str(repo / "known.json")).exit_code == 0
    (repo / "infra" / ".oidclint.toml").write_text('baseline = "../known.json"\n')
    result, data = scan_json(str(repo / "infra"))
    assert result.exit_code == 0 and data["baselined"] == 1


@pytest.mark.parametrize("special", ["/dev/zero", "directory", "fifo"])
def test_a_baseline_that_is_not_a_regular_file_is_refused(stack, tmp_path, special):
    if special == "directory":
        special = str(tmp_path)
    elif special == "fifo":
        special = str(tmp_path / "fifo.json")
        os.mkfifo(special)
    # In a separate process with a timeout: a FIFO opened for reading must not wait for a
    # writer, and /dev/zero must not be read without end.
    result = subprocess.run([sys.executable, "-m", "oidclint", "scan", str(stack),
                             "--baseline", special], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"{special}: cannot read the baseline: not a regular file; not read" in result.stderr


def test_the_null_device_is_the_empty_baseline(stack):
    result, data = scan_json(str(stack), "--baseline", os.devnull)
    assert result.exit_code == 1 and data["baselined"] == 0
    assert [f["rule_id"] for f in data["findings"]] == ["OIDC204"]


def test_a_baseline_over_the_size_limit_is_refused_without_being_read(stack, tmp_path,
                                                                      monkeypatch):
    import oidclint.baseline

    baseline = tmp_path / "baseline.json"
    assert invoke(str(stack), "--write-baseline", str(baseline)).exit_code == 0
    size = baseline.stat().st_size
    monkeypatch.setattr(oidclint.baseline, "MAX_BASELINE_BYTES", size)
    assert len(read_baseline(baseline).fingerprints) == 1  # exactly at the limit
    monkeypatch.setattr(oidclint.baseline, "MAX_BASELINE_BYTES", size - 1)
    with pytest.raises(BaselineError, match=rf"larger than the {size - 1:,}-byte limit"):
        read_baseline(baseline)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_a_baseline_whose_size_says_nothing_is_read_only_up_to_the_limit(monkeypatch):
    """Files under /proc say they are empty and hold kilobytes: the reading stops at the
    limit, in chunks, not at the end of the file."""
    import oidclint.baseline
    import oidclint.reading

    monkeypatch.setattr(oidclint.baseline, "MAX_BASELINE_BYTES", 100)
    monkeypatch.setattr(oidclint.reading, "CHUNK_BYTES", 7)
    reads = []
    real_read = os.read
    monkeypatch.setattr(oidclint.reading.os, "read",
                        lambda fd, n: reads.append(n) or real_read(fd, n))
    maps = Path("/proc/self/maps")
    assert maps.stat().st_size == 0
    with pytest.raises(BaselineError, match="larger than the 100-byte limit"):
        read_baseline(maps)
    assert sum(reads) == 101 and max(reads) == 7


@pytest.mark.parametrize("how", ["--baseline", "--write-baseline", "configured"])
def test_the_baseline_file_in_the_tree_is_not_a_scanned_file(stack, how):
    """The baseline is oidclint's own file: a scan of the tree that holds it counts only the
    infrastructure code, whether the baseline is given, written or configured."""
    _, before = scan_json(str(stack))
    assert before["files_scanned"] == 1
    assert invoke(str(stack), "--write-baseline", str(stack / "known.json")).exit_code == 0
    if how == "configured":
        (stack / ".oidclint.toml").write_text('baseline = "known.json"\n')
        _, data = scan_json(str(stack))
    else:
        _, data = scan_json(str(stack), how, str(stack / "known.json"))
    assert data["files_scanned"] == 1
    # Any other JSON file beside it still counts.
    (stack / "other.json").write_text('{"findings": []}')
    _, more = scan_json(str(stack), "--baseline", str(stack / "known.json"))
    assert more["files_scanned"] == data["files_scanned"] + 1
