"""The GitHub Action's definition (action.yml): documented inputs and outputs, the actions it
uses pinned to a commit, inputs that reach shell code only through the environment, the SARIF
upload, and the README workflow that uses the action."""

from __future__ import annotations

import re
import subprocess

import yaml

from action_runner import ACTION, ACTION_TEXT, SCRIPT, STEPS, step_by_id
from conftest import REPO


# -- the definition ------------------------------------------------------------------------

def test_a_composite_action_whose_inputs_are_documented():
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["name"] and ACTION["description"]
    defaults = {name: spec.get("default") for name, spec in ACTION["inputs"].items()}
    assert defaults == {"paths": ".", "fail-on": "never", "fail-on-incomplete": "true",
                        "config": "", "repository": "", "baseline": "", "time-budget": "",
                        "max-file-size": "", "version": "", "upload": "true",
                        "sarif-file": "oidclint.sarif", "python-version": "3.12"}
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
        assert spec["required"] is False, name
    for name, spec in ACTION["outputs"].items():
        assert spec["description"].strip() and "steps.scan.outputs." in spec["value"], name


# The releases pinned, each commit checked against the release tag of its repository.
PINNED = {
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "github/codeql-action/upload-sarif": ("8aad20d150bbac5944a9f9d289da16a4b0d87c1e", "v4.36.2"),
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
}


def test_other_actions_are_pinned_to_a_commit_with_the_version_beside_it():
    used = [step["uses"] for step in STEPS if "uses" in step]
    assert {u.split("@")[0] for u in used} == {"actions/setup-python",
                                               "github/codeql-action/upload-sarif"}
    for uses in used:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), uses
        name, commit = uses.split("@")
        assert (commit, re.search(rf"uses: {re.escape(uses)} # (v\d+\.\d+\.\d+)$",
                                  ACTION_TEXT, re.M).group(1)) == PINNED[name]


def test_the_jobs_python_is_left_alone():
    setup = step_by_id("python")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}",
                             "update-environment": False}
    # Later steps call the interpreter set up, by its path, never `python` from PATH.
    install = step_by_id("install")
    assert install["env"]["SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert step_by_id("scan")["env"]["OIDCLINT_PYTHON"] == "${{ steps.install.outputs.python }}"
    for step in STEPS:
        for line in step.get("run", "").splitlines():
            assert not re.match(r"\s*(python3?|pip3?)\s", line), (step["name"], line)


def test_inputs_reach_shell_code_through_env_only():
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            assert "${{" not in step["run"], f"{step['name']}: expression in run:"
    # Every input is used, and only where it cannot become code: env, with, if.
    referenced = set(re.findall(r"inputs\.([\w-]+)", ACTION_TEXT))
    assert referenced == set(ACTION["inputs"])
    for step in STEPS:
        for name, value in step.get("env", {}).items():
            if "inputs." in value:  # the whole value, nothing around it
                assert re.fullmatch(r"\$\{\{ inputs\.[\w-]+ \}\}", value), (name, value)
    scan = step_by_id("scan")
    assert {name: value for name, value in scan["env"].items() if name.startswith("INPUT_")} == {
        f"INPUT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
        for name in ACTION["inputs"] if name not in ("version", "upload", "python-version")}


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
    # actions: read lets upload-sarif read the run's status on private repositories
    # (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/
    # uploading-a-sarif-file-to-github, and GitHub's code scanning starter workflows).
    assert workflow["permissions"] == {"contents": "read", "security-events": "write",
                                       "actions": "read"}
    steps = workflow["jobs"]["oidclint"]["steps"]
    checkout, commit = steps[0]["uses"].split("@")
    assert (commit, re.search(rf"{commit} # (v[\d.]+)", section).group(1)) == PINNED[checkout]
    # The same owner/name as the pre-commit `repo:` URL.
    repo_url = re.search(r"- repo: https://github\.com/(\S+)", readme).group(1)
    assert steps[-1]["uses"].split("@")[0] == repo_url
    table = re.findall(r"^\| `([\w-]+)` \| *(?:`([^`]*)`)? *\|", section, re.M)
    assert {name: default for name, default in table} == {
        name: spec["default"] for name, spec in ACTION["inputs"].items()}
