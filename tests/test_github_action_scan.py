"""The GitHub Action's scan script (action/scan.sh), run as its scan step runs it against a
throwaway git repository with the environment the runner sets: the SARIF file and the job
summary it writes, its exit codes, each input passed as one argument and never run, and the
inputs checked against real scans."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from action_runner import BROKEN, GIT_IDENTITY, SCRIPT, read_outputs, runner_env
from conftest import FIXTURES


# -- the scan script, in a throwaway repository --------------------------------------------

def run_scan_script(workspace: Path, env: dict | None = None, **inputs: str):
    """scan.sh as the scan step runs it, from somewhere else than the checkout."""
    env = dict(env or runner_env(workspace))
    output = workspace.parent / "runner" / "output"
    output.write_text("")
    env["GITHUB_OUTPUT"] = str(output)
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    result = subprocess.run(["bash", str(SCRIPT)], cwd=workspace.parent, env=env,
                            capture_output=True, text=True)
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    return result, read_outputs(output), summary


def sarif_results(path: Path) -> list[dict]:
    return json.loads(path.read_text())["runs"][0]["results"]


def test_fail_on_error_fails_on_the_open_trust(workspace):
    result, outputs, summary = run_scan_script(workspace, paths="infra", fail_on="error")
    assert result.returncode == 1, result.stdout + result.stderr
    assert outputs["exit-code"] == "1"
    sarif = Path(outputs["sarif-file"])
    assert sarif == workspace / "oidclint.sarif"
    results = sarif_results(sarif)
    assert [r["ruleId"] for r in results] == ["OIDC201"]
    location = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "infra/site_deploy.tf", "uriBaseId": "%SRCROOT%"}
    assert re.search(r"^#{1,3} \S", summary, re.M), summary
    assert "OIDC201" in summary
    assert re.search(r"infra/site\\?_deploy\.tf", summary)  # Markdown may escape the _


def test_fail_on_never_reports_and_passes(workspace):
    result, outputs, summary = run_scan_script(workspace, fail_on="never",
                                               sarif_file="reports/oidclint.sarif")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == {"exit-code": "0",
                       "sarif-file": str(workspace / "reports" / "oidclint.sarif")}
    assert [r["ruleId"] for r in sarif_results(workspace / "reports" / "oidclint.sarif")] \
        == ["OIDC201"]
    assert "OIDC201" in summary


def test_the_config_input_is_the_scan_configuration(workspace):
    (workspace / "ci").mkdir()
    (workspace / "ci" / "oidclint.toml").write_text('[severity]\nOIDC201 = "warning"\n')
    result, outputs, _ = run_scan_script(workspace, fail_on="error", config="ci/oidclint.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    [finding] = sarif_results(Path(outputs["sarif-file"]))
    assert (finding["ruleId"], finding["level"]) == ("OIDC201", "warning")


def test_paths_are_split_on_whitespace_and_never_expanded_or_run(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(
        workspace, env_for(workspace), paths="infra\n  modules/iam\t$(touch pwned) * -x",
        config="ci/oidclint.toml")
    assert result.returncode == 0, result.stderr
    paths = ["infra", "modules/iam", "$(touch", "pwned)", "*", "-x"]
    assert calls() == [
        ["scan", "--format", "sarif", "--output", "oidclint.sarif", "--fail-on", "never",
         "--fail-on-incomplete", "--config=ci/oidclint.toml", "--", *paths],
        ["scan", "--format", "markdown", "--fail-on", "never",
         "--config=ci/oidclint.toml", "--", *paths],
    ]
    assert not (workspace / "pwned").exists() and not (workspace.parent / "pwned").exists()


def test_each_input_is_one_argument_of_its_flag_and_never_run(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    given = {"config": "-c x.toml", "repository": "$(touch pwned)/x", "baseline": "a b;c",
             "time_budget": "45", "max_file_size": "`touch pwned`"}
    result, outputs, _ = run_scan_script(workspace, env_for(workspace, as_python=True),
                                         fail_on_incomplete="false", **given)
    assert result.returncode == 0, result.stderr
    flags = ["--config=-c x.toml", "--repository=$(touch pwned)/x", "--baseline=a b;c",
             "--time-budget=45", "--max-file-size=`touch pwned`"]
    assert calls() == [
        ["scan", "--format", "sarif", "--output", "oidclint.sarif", "--fail-on", "never",
         *flags, "--", "."],
        ["scan", "--format", "markdown", "--fail-on", "never", *flags, "--", "."],
    ]
    assert not (workspace / "pwned").exists() and not (workspace.parent / "pwned").exists()


def test_files_not_read_keep_the_sarif_and_exit_three(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, summary = run_scan_script(workspace, env_for(workspace, exit_code=3))
    assert result.returncode == 3
    assert outputs == {"exit-code": "3", "sarif-file": str(workspace / "oidclint.sarif")}
    assert len(calls()) == 2 and summary == "# oidclint\n"


def test_a_scan_that_cannot_run_fails_the_step_without_a_sarif_output(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(workspace, env_for(workspace, exit_code=2))
    assert result.returncode == 2
    assert outputs == {"exit-code": "2"}
    assert "::error" in result.stdout
    assert len(calls()) == 1  # no summary of a scan that did not run


@pytest.mark.parametrize("inputs", [{"fail_on": "errors"}, {"fail_on_incomplete": "yes"},
                                    {"fail_on_incomplete": "True"}])
def test_an_unknown_choice_is_refused(workspace, fake_oidclint, inputs):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(workspace, env_for(workspace), **inputs)
    assert result.returncode == 2
    assert outputs == {"exit-code": "2"} and calls() == []
    assert "::error title=oidclint::" in result.stdout


# -- inputs against real scans -------------------------------------------------------------

def commit_all(root: Path) -> None:
    for args in (["add", "-A"], ["commit", "-qm", "change"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                       env={**os.environ, **GIT_IDENTITY})


def test_a_file_not_read_fails_by_default_and_is_listed_in_the_summary(workspace):
    (workspace / "infra" / "broken.tf").write_text(BROKEN)
    result, outputs, summary = run_scan_script(workspace)
    assert result.returncode == 3, result.stdout + result.stderr
    assert outputs["exit-code"] == "3"
    run = json.loads(Path(outputs["sarif-file"]).read_text())["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["OIDC201"]  # the findings still go up
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert "HCL syntax error" in notification["message"]["text"]
    assert "### Not read or not understood" in summary
    assert re.search(r"^\| infra/broken\.tf\\:3 \| HCL syntax error\\: .* \|$", summary, re.M), \
        summary
    assert "could not be read or understood" in result.stdout


def test_fail_on_incomplete_false_passes_and_still_lists_the_file(workspace):
    (workspace / "infra" / "broken.tf").write_text(BROKEN)
    result, outputs, summary = run_scan_script(workspace, fail_on_incomplete="false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["exit-code"] == "0"
    assert "infra/broken.tf" in summary and "HCL syntax error" in summary


def test_findings_that_fail_come_before_files_not_read(workspace):
    (workspace / "infra" / "broken.tf").write_text(BROKEN)
    result, outputs, _ = run_scan_script(workspace, fail_on="error")
    assert result.returncode == 1 and outputs["exit-code"] == "1"


@pytest.fixture
def ci_workspace(tmp_path) -> Path:
    """A checkout whose workflow pushes to main, and a trust that admits acme/api on main."""
    root = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "OIDC108" / "negative-push-to-main", root,
                    ignore=shutil.ignore_patterns("expected.yaml"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    commit_all(root)
    return root


@pytest.mark.parametrize("repository, found", [("acme/api", []), ("acme/web", ["OIDC108"])])
def test_the_repository_input_names_the_subjects_repository(ci_workspace, repository, found):
    result, outputs, summary = run_scan_script(ci_workspace, repository=repository)
    assert result.returncode == 0, result.stdout + result.stderr
    results = sarif_results(Path(outputs["sarif-file"]))
    assert [r["ruleId"] for r in results] == found
    if found:
        assert f"repo:{repository}:ref:refs/heads/main" in results[0]["message"]["text"]
    assert "repository is unknown" not in summary


def test_the_baseline_input_hides_known_findings(workspace):
    written = subprocess.run(
        [sys.executable, "-m", "oidclint", "scan", "infra", "--write-baseline",
         "ci/known.json"], cwd=workspace, capture_output=True, text=True)
    assert written.returncode == 0, written.stderr
    result, outputs, summary = run_scan_script(workspace, fail_on="error",
                                               baseline="ci/known.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sarif_results(Path(outputs["sarif-file"])) == []
    assert "1 in the baseline" in summary


def test_a_missing_baseline_stops_the_scan(workspace):
    result, outputs, _ = run_scan_script(workspace, baseline="ci/nope.json")
    assert result.returncode == 2 and outputs == {"exit-code": "2"}
    assert "nope.json" in result.stderr


def test_the_summary_says_what_the_configuration_turned_off(workspace):
    (workspace / ".oidclint.toml").write_text(
        'disable = ["OIDC201"]\nexclude = ["legacy/"]\ntime-budget = 100000\n')
    (workspace / "legacy").mkdir()
    (workspace / "legacy" / "old.tf").write_text(BROKEN)
    commit_all(workspace)
    result, outputs, summary = run_scan_script(workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sarif_results(Path(outputs["sarif-file"])) == []
    notes = summary.split("### Notes")[1]
    assert ("| (the scan) | configuration .oidclint.toml disables 1 rule, whose findings are "
            "not reported\\: OIDC201 \\(missing-subject-condition\\) |") in notes
    assert "configuration .oidclint.toml excludes 1 file from the scan" in notes
    assert "`time-budget` = 100,000 seconds is above 30 seconds" in notes
    # The action's time-budget input goes past the cap: no note then.
    _, _, summary = run_scan_script(workspace, time_budget="120")
    assert "time-budget" not in summary.split("## oidclint")[-1]


def test_a_configuration_that_excludes_everything_fails_the_job(workspace):
    (workspace / ".oidclint.toml").write_text('exclude = ["**"]\n')
    commit_all(workspace)
    result, outputs, summary = run_scan_script(workspace)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "excludes every file of the scan" in summary
