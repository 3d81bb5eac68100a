"""The GitHub Action (action.yml): its definition, its scan script run against throwaway git
repositories with the environment the runner sets, and its steps run in order as the runner
runs a composite action (the `uses:` steps and the install step only recorded)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SAMPLES

ACTION_TEXT = (REPO / "action.yml").read_text()
ACTION = yaml.safe_load(ACTION_TEXT)
STEPS = ACTION["runs"]["steps"]
SCRIPT = REPO / "action" / "scan.sh"

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


# -- the definition ------------------------------------------------------------------------

def test_a_composite_action_whose_inputs_are_documented():
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["name"] and ACTION["description"]
    defaults = {name: spec.get("default") for name, spec in ACTION["inputs"].items()}
    assert defaults == {"paths": ".", "fail-on": "never", "config": "", "version": "",
                        "upload": "true", "sarif-file": "oidclint.sarif",
                        "python-version": "3.12"}
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
        assert spec["required"] is False, name
    for name, spec in ACTION["outputs"].items():
        assert spec["description"].strip() and "steps.scan.outputs." in spec["value"], name


def test_other_actions_are_pinned_to_a_commit_with_the_version_beside_it():
    used = [step["uses"] for step in STEPS if "uses" in step]
    assert {u.split("@")[0] for u in used} == {"actions/setup-python",
                                               "github/codeql-action/upload-sarif"}
    for uses in used:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), uses
        assert re.search(rf"uses: {re.escape(uses)} # v\d+\.\d+\.\d+$", ACTION_TEXT, re.M), uses


def test_inputs_reach_shell_code_through_env_only():
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            assert "${{" not in step["run"], f"{step['name']}: expression in run:"
    # Every input is used, and only where it cannot become code: env, with, if.
    referenced = set(re.findall(r"inputs\.([\w-]+)", ACTION_TEXT))
    assert referenced == set(ACTION["inputs"])
    scan = step_by_id("scan")
    assert scan["env"] == {"INPUT_PATHS": "${{ inputs.paths }}",
                           "INPUT_FAIL_ON": "${{ inputs.fail-on }}",
                           "INPUT_CONFIG": "${{ inputs.config }}",
                           "INPUT_SARIF_FILE": "${{ inputs.sarif-file }}"}


def test_the_sarif_is_uploaded_under_its_own_category():
    upload = next(s for s in STEPS if s.get("uses", "").startswith("github/codeql-action/"))
    assert upload["with"] == {"sarif_file": "${{ steps.scan.outputs.sarif-file }}",
                              "category": "oidclint"}
    assert "inputs.upload == 'true'" in upload["if"]


def test_the_scan_script_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_readme_workflow_uses_the_action_with_its_inputs():
    readme = (REPO / "README.md").read_text()
    section = readme.split("### GitHub code scanning")[1].split("\n## ")[0]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    assert workflow["permissions"] == {"contents": "read", "security-events": "write"}
    steps = workflow["jobs"]["oidclint"]["steps"]
    assert re.fullmatch(r"actions/checkout@[0-9a-f]{40}", steps[0]["uses"])
    # The same owner/name as the pre-commit `repo:` URL.
    repo_url = re.search(r"- repo: https://github\.com/(\S+)", readme).group(1)
    assert steps[-1]["uses"].split("@")[0] == repo_url
    table = re.findall(r"^\| `([\w-]+)` \| *(?:`([^`]*)`)? *\|", section, re.M)
    assert {name: default for name, default in table} == {
        name: spec["default"] for name, spec in ACTION["inputs"].items()}


# -- the scan script, in a throwaway repository --------------------------------------------

@pytest.fixture
def workspace(tmp_path) -> Path:
    """A checkout with the open trust of the github-actions-any-repo sample (OIDC201)."""
    root = tmp_path / "workspace"
    (root / "infra").mkdir(parents=True)
    for source in (SAMPLES / "github-actions-any-repo").glob("*.tf"):
        shutil.copy(source, root / "infra" / source.name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "infra"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                       env={**os.environ, **GIT_IDENTITY})
    return root


def runner_env(workspace: Path, path_first: Path = Path(sys.executable).parent) -> dict:
    """What the runner sets for a step of this action, less what the host's CI may have set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    files = workspace.parent / "runner"
    files.mkdir(exist_ok=True)
    (files / "summary.md").touch()
    env.update(PATH=f"{path_first}{os.pathsep}{os.environ['PATH']}",
               GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(REPO),
               GITHUB_STEP_SUMMARY=str(files / "summary.md"))
    return env


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


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


FAKE_OIDCLINT = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_OIDCLINT_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if "--output" in args:
    with open(args[args.index("--output") + 1], "w") as out:
        out.write("{{}}")
else:
    print("# oidclint")
sys.exit(int(os.environ.get("FAKE_OIDCLINT_EXIT", "0")) if "sarif" in args else 0)
"""


@pytest.fixture
def fake_oidclint(tmp_path):
    """An `oidclint` that records its arguments, to see exactly what the script passes."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    program = bin_dir / "oidclint"
    program.write_text(FAKE_OIDCLINT.format(python=sys.executable))
    program.chmod(0o755)
    log = tmp_path / "fake-oidclint.log"

    def env_for(workspace: Path, exit_code: int = 0) -> dict:
        return {**runner_env(workspace, path_first=bin_dir), "FAKE_OIDCLINT_LOG": str(log),
                "FAKE_OIDCLINT_EXIT": str(exit_code)}

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return env_for, calls


def test_paths_are_split_on_whitespace_and_never_expanded_or_run(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(
        workspace, env_for(workspace), paths="infra\n  modules/iam\t$(touch pwned) * -x",
        config="ci/oidclint.toml")
    assert result.returncode == 0, result.stderr
    paths = ["infra", "modules/iam", "$(touch", "pwned)", "*", "-x"]
    assert calls() == [
        ["scan", "--format", "sarif", "--output", "oidclint.sarif", "--fail-on", "never",
         "--config", "ci/oidclint.toml", "--", *paths],
        ["scan", "--format", "markdown", "--fail-on", "never",
         "--config", "ci/oidclint.toml", "--", *paths],
    ]
    assert not (workspace / "pwned").exists() and not (workspace.parent / "pwned").exists()


def test_a_scan_that_cannot_run_fails_the_step_without_a_sarif_output(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(workspace, env_for(workspace, exit_code=2))
    assert result.returncode == 2
    assert outputs == {"exit-code": "2"}
    assert "::error" in result.stdout
    assert len(calls()) == 1  # no summary of a scan that did not run


def test_an_unknown_fail_on_level_is_refused(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    result, outputs, _ = run_scan_script(workspace, env_for(workspace), fail_on="errors")
    assert result.returncode == 2
    assert outputs == {"exit-code": "2"} and calls() == []


# -- the steps of action.yml, run in order -------------------------------------------------

def step_by_id(step_id: str) -> dict:
    return next(step for step in STEPS if step.get("id") == step_id)


TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<status>always|success|failure|"
                   r"cancelled)\(\)|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<name>[A-Za-z_][\w.-]*))")


def evaluate(expression: str, inputs: dict, outputs: dict, failed: bool = False):
    """The part of the runner's expression language this action uses: inputs, step outputs,
    string literals, ==, !=, &&, ||, ! and the status functions."""
    expression = expression.strip()
    if expression.startswith("${{"):
        expression = expression[3:-2]
    status = {"always": True, "success": not failed, "failure": failed, "cancelled": False}
    python, position = [], 0
    while position < len(expression.rstrip()):
        token = TOKEN.match(expression, position)
        assert token, f"cannot evaluate {expression!r} at {position}"
        position = token.end()
        if token["string"]:
            python.append(repr(token["string"][1:-1].replace("''", "'")))
        elif token["status"]:
            python.append(repr(status[token["status"]]))
        elif token["op"]:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(token["op"],
                                                                        token["op"]))
        else:
            parts = token["name"].split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                value = inputs[parts[1]]
            elif parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                value = outputs.get(parts[1], {}).get(parts[3], "")
            else:
                raise AssertionError(f"the action uses a context the test does not know: "
                                     f"{token['name']}")
            python.append(repr(value))
    return eval("".join(python), {"__builtins__": {}})  # noqa: S307 - built from tokens above


def condition(expression: str, inputs: dict, outputs: dict, failed: bool) -> bool:
    """A step's `if:`; without a status function, success() is implied."""
    if not re.search(r"\b(?:always|success|failure|cancelled)\(\)", expression):
        return not failed and bool(evaluate(expression, inputs, outputs))
    return bool(evaluate(expression, inputs, outputs, failed))


def interpolate(text: str, inputs: dict, outputs: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), inputs, outputs)),
                  text)


def run_action(workspace: Path, env: dict | None = None, **given: str) -> list[dict]:
    """Each step of action.yml: whether it ran, and its exit code (run steps) or its `with:`
    (uses steps). The install step is recorded, not run: oidclint is already installed."""
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    base = dict(env or runner_env(workspace))
    outputs: dict[str, dict[str, str]] = {}
    failed, record = False, []
    for step in STEPS:
        if not condition(step.get("if", "success()"), inputs, outputs, failed):
            record.append({"name": step["name"], "ran": False})
            continue
        if "uses" in step or step.get("id") == "install":
            with_ = {k: interpolate(str(v), inputs, outputs)
                     for k, v in step.get("with", {}).items()}
            record.append({"name": step["name"], "ran": True, "with": with_})
            continue
        output = workspace.parent / "runner" / f"output-{len(record)}"
        output.write_text("")
        step_env = {**base, "GITHUB_OUTPUT": str(output),
                    **{k: interpolate(v, inputs, outputs)
                       for k, v in step.get("env", {}).items()}}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 step["run"]], cwd=workspace, env=step_env,
                                capture_output=True, text=True)
        if "id" in step:
            outputs[step["id"]] = read_outputs(output)
        failed = failed or result.returncode != 0
        record.append({"name": step["name"], "ran": True, "exit": result.returncode,
                       "log": result.stdout + result.stderr})
    return record


def by_name(record: list[dict]) -> dict[str, dict]:
    return {entry["name"]: entry for entry in record}


def test_findings_are_uploaded_and_then_fail_the_job(workspace):
    steps = by_name(run_action(workspace, fail_on="error"))
    assert steps["Scan"]["exit"] == 0, steps["Scan"]["log"]
    upload = steps["Upload SARIF to code scanning"]
    assert upload["ran"] and Path(upload["with"]["sarif_file"]).is_file()
    assert steps["Fail on findings"]["exit"] == 1
    assert "::error title=oidclint::findings at or above 'error'" in steps["Fail on findings"]["log"]


def test_by_default_findings_are_alerts_and_the_job_passes(workspace):
    steps = by_name(run_action(workspace))
    assert steps["Scan"]["exit"] == 0, steps["Scan"]["log"]
    assert steps["Upload SARIF to code scanning"]["ran"]
    assert not steps["Fail on findings"]["ran"]


def test_upload_false_skips_the_upload_only(workspace):
    steps = by_name(run_action(workspace, upload="false", fail_on="warning"))
    assert not steps["Upload SARIF to code scanning"]["ran"]
    assert steps["Fail on findings"]["exit"] == 1


def test_a_scan_that_cannot_run_fails_the_job_with_nothing_to_upload(workspace, fake_oidclint):
    env_for, _ = fake_oidclint
    steps = by_name(run_action(workspace, env_for(workspace, exit_code=2), fail_on="error"))
    assert steps["Scan"]["exit"] != 0
    assert not steps["Upload SARIF to code scanning"]["ran"]
    assert not steps["Fail on findings"]["ran"]
