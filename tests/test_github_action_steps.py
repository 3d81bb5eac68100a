"""The steps of the GitHub Action (action.yml) run as the runner runs a composite action: the
install step on its own, then every step in order with the part of the runner's expression
language the action uses (the `uses:` steps and the install step only recorded)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from action_runner import ACTION, BROKEN, STEPS, read_outputs, runner_env, step_by_id
from conftest import REPO


# -- the install step ----------------------------------------------------------------------

FAKE_PYTHON = """#!{python}
import json, os, sys
with open(os.environ["FAKE_PYTHON_LOG"], "a") as log:
    log.write(json.dumps([sys.argv[0], *sys.argv[1:]]) + "\\n")
if sys.argv[1:3] == ["-m", "venv"]:
    os.makedirs(os.path.join(sys.argv[3], "bin"))
    os.symlink(sys.argv[0], os.path.join(sys.argv[3], "bin", "python"))
"""


@pytest.mark.parametrize("version, package", [("", "{action}"), ("v0.2.0", "oidclint==0.2.0")])
def test_the_install_step_uses_the_python_set_up_in_a_virtual_environment(tmp_path, version,
                                                                          package):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "python.log"
    for name in ("setup-python", "python", "python3", "pip", "pip3"):
        (bin_dir / name).write_text(FAKE_PYTHON.format(python=sys.executable))
        (bin_dir / name).chmod(0o755)
    temp, output = tmp_path / "runner-temp", tmp_path / "output"
    temp.mkdir()
    output.write_text("")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "FAKE_PYTHON_LOG": str(log), "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(output),
           "GITHUB_ACTION_PATH": str(REPO), "INPUT_VERSION": version,
           "SETUP_PYTHON": str(bin_dir / "setup-python")}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             step_by_id("install")["run"]], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    venv_python = str(temp / "oidclint-venv" / "bin" / "python")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [
        [str(bin_dir / "setup-python"), "-m", "venv", str(temp / "oidclint-venv")],
        [venv_python, "-m", "pip", "install", "--disable-pip-version-check",
         package.format(action=REPO)],
    ]  # neither `python` nor `pip` from PATH
    assert read_outputs(output) == {"python": venv_python}


# -- the steps of action.yml, run in order -------------------------------------------------

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
    # The Python set up, and the one oidclint is installed for: this test's own (or a fake
    # oidclint standing for it).
    outputs["python"] = {"python-path": sys.executable}
    outputs["install"] = {"python": base.pop("OIDCLINT_PYTHON", sys.executable)}
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
    steps = by_name(run_action(workspace, env_for(workspace, exit_code=2, as_python=True),
                               fail_on="error"))
    assert steps["Scan"]["exit"] != 0
    assert not steps["Upload SARIF to code scanning"]["ran"]
    assert not steps["Fail on findings"]["ran"]


def test_a_file_not_read_fails_the_job_after_the_upload(workspace):
    (workspace / "infra" / "broken.tf").write_text(BROKEN)
    steps = by_name(run_action(workspace))
    assert steps["Scan"]["exit"] == 0, steps["Scan"]["log"]
    assert steps["Upload SARIF to code scanning"]["ran"]
    assert not steps["Fail on findings"]["ran"]
    failing = steps["Fail on files not read"]
    assert failing["exit"] == 3
    assert "::error title=oidclint::files could not be read" in failing["log"]
    steps = by_name(run_action(workspace, fail_on_incomplete="false"))
    assert steps["Upload SARIF to code scanning"]["ran"]
    assert not steps["Fail on findings"]["ran"] and not steps["Fail on files not read"]["ran"]


def test_the_scan_step_runs_the_python_the_install_step_names(workspace, fake_oidclint):
    env_for, calls = fake_oidclint
    env = env_for(workspace, as_python=True)
    env["PATH"] = os.environ["PATH"]  # no fake `oidclint` on PATH: it is called by its path
    steps = by_name(run_action(workspace, env))
    assert steps["Scan"]["exit"] == 0, steps["Scan"]["log"]
    assert [call[:3] for call in calls()] == [["scan", "--format", "sarif"],
                                              ["scan", "--format", "markdown"]]
    assert steps["Upload SARIF to code scanning"]["ran"]
