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

from conftest import FIXTURES, REPO, SAMPLES

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
if args[:2] == ["-m", "oidclint"]:  # called as the Python that has oidclint
    args = args[2:]
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

    def env_for(workspace: Path, exit_code: int = 0, as_python: bool = False) -> dict:
        env = {**runner_env(workspace, path_first=bin_dir), "FAKE_OIDCLINT_LOG": str(log),
               "FAKE_OIDCLINT_EXIT": str(exit_code)}
        if as_python:
            env["OIDCLINT_PYTHON"] = str(program)
        return env

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

BROKEN = ('resource "aws_iam_role" "broken" {\n'
          '  assume_role_policy = "sts:AssumeRoleWithWebIdentity"\n')  # never closed


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
    assert "\\`time-budget\\` = 100,000 seconds is above 30 seconds" in notes
    # The action's time-budget input goes past the cap: no note then.
    _, _, summary = run_scan_script(workspace, time_budget="120")
    assert "time-budget" not in summary.split("## oidclint")[-1]


def test_a_configuration_that_excludes_everything_fails_the_job(workspace):
    (workspace / ".oidclint.toml").write_text('exclude = ["**"]\n')
    commit_all(workspace)
    result, outputs, summary = run_scan_script(workspace)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "excludes every file of the scan" in summary


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
