"""GitHub Actions reusable workflows: inputs, permissions and environments flowing from the
caller, in this repository and in others of the scan."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oidclint.model import Inventory, Level
from oidclint.readers.workloads.github_actions import parse_workflows
from oidclint.source import SourceFile, Span, Unknown
from github_actions_helpers import CALLEE, ROLE, WORKFLOWS, caller, job, only, parse, subjects


def test_a_reusable_workflow_gets_the_dispatch_choice_its_caller_passes():
    caller = """\
        on:
          push:
          workflow_dispatch:
            inputs:
              target: {type: choice, options: [dev, prod]}
        permissions:
          id-token: write
        jobs:
          call:
            uses: ./.github/workflows/deploy.yml
            with:
              stage: ${{ inputs.target }}
        """
    callee = """\
        on:
          workflow_call:
            inputs:
              stage: {type: string}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: ${{ inputs.stage }}
            steps:
              - uses: aws-actions/configure-aws-credentials@v4
                with:
                  role-to-assume: arn:aws:iam::123456789012:role/deploy
        """
    workload = only({"caller.yml": caller, "deploy.yml": callee})
    assert [(c.label, str(c.subject)) for c in workload.contexts] == [
        ("environment dev", "environment:dev"), ("environment prod", "environment:prod"),
        ("environment `${{ inputs.stage }}` empty", "${environment ${{ inputs.stage }} (empty)}")]


def test_inputs_flow_from_the_caller_into_a_local_reusable_workflow():
    workload = only({"deploy.yml": caller(f"role: {ROLE}"), "build.yml": CALLEE})
    assert workload.name == "deploy.yml job release → build.yml job publish"
    assert workload.role == ROLE
    assert workload.role.span.path == f"{WORKFLOWS}/deploy.yml"  # the literal is in the caller
    assert workload.role.span.line == 10
    assert workload.role_span.path == f"{WORKFLOWS}/build.yml"
    assert workload.span == Span(f"{WORKFLOWS}/build.yml", 7, 3, 7, 10)
    assert subjects(workload) == [("push to main", "ref:refs/heads/main", False)]
    assert workload.id_token_permission is True


def test_caller_inputs_of_other_types_fill_text():
    callee = CALLEE.replace(
        "aws-region: ${{ inputs.region }}",
        "role-session-name: run-${{ inputs.attempt }}-${{ inputs.debug }}\n"
        "          role-duration-seconds: ${{ inputs.seconds }}")
    text = caller(f"role: {ROLE}\n      attempt: 3\n      debug: false\n      seconds: 1800")
    workload = only({"deploy.yml": text, "build.yml": callee})
    assert workload.session_name == "run-3-false"
    assert workload.duration == 1800


def test_caller_input_that_is_a_secret_stays_unknown():
    workload = only({"deploy.yml": caller("role: ${{ secrets.ROLE }}"), "build.yml": CALLEE})
    assert workload.role == Unknown("secrets.ROLE", workload.role.span)
    assert workload.role.span.path == f"{WORKFLOWS}/deploy.yml"


def test_a_reusable_workflow_alone_gives_no_workload():
    assert parse({"build.yml": CALLEE}).workloads == []


def test_callee_environment_and_input_defaults():
    callee = CALLEE.replace("runs-on: ubuntu-latest", "environment: ${{ inputs.stage }}").replace(
        "region: {type: string, default: eu-west-1}", "stage: {type: string, default: staging}")
    workload = only({"deploy.yml": caller(f"role: {ROLE}"), "build.yml": callee})
    assert subjects(workload) == [("environment staging", "environment:staging", False)]


@pytest.mark.parametrize(("caller_permissions", "callee_permissions", "granted", "where"), [
    ("permissions:\n  id-token: write\n", "", True, "deploy.yml"),
    # A caller with the default permissions lets a workflow of its own repository ask for it.
    ("", "permissions:\n  id-token: write\n", True, "build.yml"),
    ("", "", False, "deploy.yml"),
    ("permissions:\n  contents: read\n", "permissions:\n  id-token: write\n", False,
     "deploy.yml"),  # declared without it: cannot elevate
    ("permissions:\n  id-token: write\n", "permissions:\n  contents: read\n", False, "build.yml"),
    ("permissions: write-all\n", "permissions:\n  id-token: write\n", True, "build.yml"),
])
def test_caller_permissions_cap_the_callee(caller_permissions, callee_permissions, granted,
                                           where):
    workload = only({"deploy.yml": caller(f"role: {ROLE}", caller_permissions),
                     "build.yml": callee_permissions + CALLEE})
    assert workload.id_token_permission is granted
    assert workload.permission_span.path == f"{WORKFLOWS}/{where}"


def test_nested_reusable_workflows_and_loops():
    middle = """\
        on: workflow_call
        jobs:
          inner:
            uses: ./.github/workflows/build.yml
            with: {role: "${{ inputs.role }}"}
          again:
            uses: ./.github/workflows/middle.yml
        """
    first = caller(f"role: {ROLE}").replace("build.yml", "middle.yml")
    inventory = parse({"deploy.yml": first, "middle.yml": middle, "build.yml": CALLEE})
    assert [w.name for w in inventory.workloads] == [
        "deploy.yml job release → middle.yml job inner → build.yml job publish"]
    assert inventory.workloads[0].role == ROLE
    assert any("loop" in d.message and d.level is Level.NOTE for d in inventory.diagnostics)


def test_calling_a_workflow_that_is_not_reusable_is_a_note_but_followed():
    callee = CALLEE.replace("workflow_call:", "workflow_dispatch:")
    inventory = parse({"deploy.yml": caller(f"role: {ROLE}"), "build.yml": callee})
    assert [w.name for w in inventory.workloads] == [
        "deploy.yml job release → build.yml job publish", "build.yml job publish"]
    assert [d.message for d in inventory.diagnostics] == [
        "./.github/workflows/build.yml is not a reusable workflow (no `on: workflow_call`)"]


def test_remote_and_missing_reusable_workflows():
    text = """\
        on: push
        jobs:
          remote:
            uses: acme/shared/.github/workflows/deploy.yml@v1
          missing:
            uses: ./.github/workflows/nowhere.yml
        """
    inventory = parse({"deploy.yml": text})
    assert inventory.workloads == []
    assert [d.message for d in inventory.diagnostics] == [
        "reusable workflow ./.github/workflows/nowhere.yml is not among the scanned workflows"]


CENTRAL = """\
    name: central deploy
    on:
      workflow_call:
        inputs:
          environment: {type: string, required: true}
    jobs:
      apply:
        runs-on: ubuntu-latest
        environment: ${{ inputs.environment }}
        steps:
          - uses: aws-actions/configure-aws-credentials@v4
            with:
              role-to-assume: arn:aws:iam::123456789012:role/central-deploy
    """
CALLER = """\
    name: release
    on:
      push:
        branches: [main]
    permissions:
      id-token: write
    jobs:
      deploy:
        uses: acme/platform/.github/workflows/deploy.yml@v2
        with:
          environment: production
    """


def parse_paths(files: dict[str, str]) -> Inventory:
    """Workflows given as {path: YAML}, parsed together."""
    return parse_workflows([SourceFile(path, Path(path), textwrap.dedent(text))
                            for path, text in files.items()])


def test_a_reusable_workflow_of_another_repository_in_the_scan_is_followed():
    inventory = parse_paths({f"{WORKFLOWS}/release.yml": CALLER,
                             f"platform/{WORKFLOWS}/deploy.yml": CENTRAL})
    assert inventory.diagnostics == []
    [workload] = inventory.workloads
    assert workload.name == "release.yml job deploy → deploy.yml job apply"
    assert subjects(workload) == [("environment production", "environment:production", False)]
    assert workload.id_token_permission is True
    # The token names the called file at the ref written, and the caller's workflow.
    assert (workload.job_workflow.repository, workload.job_workflow.path,
            workload.job_workflow.ref, workload.job_workflow.run) == (
        "acme/platform", ".github/workflows/deploy.yml", "v2", "release")


def test_a_called_repository_is_found_under_its_owner_too_and_the_nearest_wins():
    inventory = parse_paths({f"apps/api/{WORKFLOWS}/release.yml": CALLER,
                             f"apps/platform/{WORKFLOWS}/deploy.yml": CENTRAL,
                             f"vendor/acme/platform/{WORKFLOWS}/deploy.yml": CENTRAL})
    [workload] = inventory.workloads
    assert workload.span.path == f"apps/platform/{WORKFLOWS}/deploy.yml"
    # Two copies as near as each other: which one runs is not known, none is followed.
    inventory = parse_paths({f"{WORKFLOWS}/release.yml": CALLER,
                             f"a/platform/{WORKFLOWS}/deploy.yml": CENTRAL,
                             f"b/platform/{WORKFLOWS}/deploy.yml": CENTRAL})
    assert inventory.workloads == []
    assert [d.message for d in inventory.diagnostics] == [
        "reusable workflow acme/platform/.github/workflows/deploy.yml@v2 is in several folders "
        "of the scan (a/platform/.github/workflows/deploy.yml, "
        "b/platform/.github/workflows/deploy.yml); not followed"]


def test_a_called_workflow_not_in_the_scan_links_nothing_and_says_what_is_known():
    inventory = parse_paths({f"{WORKFLOWS}/release.yml": CALLER,
                             f"other/{WORKFLOWS}/deploy.yml": CENTRAL})  # not `platform/`
    assert inventory.workloads == []
    [note] = inventory.diagnostics
    assert note.level is Level.NOTE and note.span.line == 9
    assert note.message == (
        "job deploy calls acme/platform/.github/workflows/deploy.yml@v2 with `id-token: "
        "write`; that workflow is not among the scanned files, so the role it assumes is not "
        "known and not linked. Its tokens carry `job_workflow_ref` "
        "`acme/platform/.github/workflows/deploy.yml@refs/heads/v2` or "
        "`acme/platform/.github/workflows/deploy.yml@refs/tags/v2` and this caller's subject "
        "(push to main).")
    # Without `id-token: write` the called workflow cannot ask for a token of another
    # organisation's: nothing to say.
    quiet = CALLER.replace("    permissions:\n      id-token: write\n", "")
    assert parse_paths({f"{WORKFLOWS}/release.yml": quiet}).diagnostics == []


def test_a_local_call_inside_a_called_repository_keeps_its_repository_and_ref():
    central = CENTRAL.replace("    jobs:\n      apply:", "    jobs:\n      inner:\n"
                              "        uses: ./.github/workflows/apply.yml\n      apply:")
    inventory = parse_paths({f"{WORKFLOWS}/release.yml": CALLER,
                             f"platform/{WORKFLOWS}/deploy.yml": central,
                             f"platform/{WORKFLOWS}/apply.yml": CENTRAL})
    called = {w.name: w.job_workflow for w in inventory.workloads}
    inner = called["release.yml job deploy → deploy.yml job inner → apply.yml job apply"]
    assert (inner.repository, inner.path, inner.ref, inner.run) == (
        "acme/platform", ".github/workflows/apply.yml", "v2", "release")


def test_a_workflow_run_for_its_own_triggers_names_itself():
    workload = only(job("name: deploy\non: push\n"))
    assert (workload.job_workflow.path, workload.job_workflow.repository,
            workload.job_workflow.ref, workload.job_workflow.run) == (
        ".github/workflows/deploy.yml", None, None, "deploy")
    # Without a name the claim is the file's path, as `github.workflow` is.
    assert only(job("on: push\n")).job_workflow.run == ".github/workflows/deploy.yml"


def test_workflow_both_reusable_and_triggered_runs_both_ways():
    callee = CALLEE.replace("  workflow_call:\n", "  workflow_dispatch:\n  workflow_call:\n")
    inventory = parse({"deploy.yml": caller(f"role: {ROLE}"),
                       "build.yml": "permissions: {id-token: write}\n" + callee})
    by_name = {w.name: w for w in inventory.workloads}
    assert by_name["build.yml job publish"].role == Unknown(
        "inputs.role", by_name["build.yml job publish"].role_span)
    assert subjects(by_name["build.yml job publish"]) == [
        ("workflow_dispatch on any branch", "ref:refs/heads/*", True)]
    assert by_name["deploy.yml job release → build.yml job publish"].role == ROLE


def test_a_dispatch_choice_passed_as_the_role_is_one_role_not_known():
    caller = """\
        on:
          workflow_dispatch:
            inputs:
              role: {type: choice, options: [arn:aws:iam::123456789012:role/a]}
        permissions:
          id-token: write
        jobs:
          call:
            uses: ./.github/workflows/deploy.yml
            with:
              role: ${{ inputs.role }}
        """
    callee = """\
        on:
          workflow_call:
            inputs:
              role: {type: string}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: aws-actions/configure-aws-credentials@v4
                with:
                  role-to-assume: ${{ inputs.role }}
        """
    workload = only({"caller.yml": caller, "deploy.yml": callee})
    assert isinstance(workload.role, Unknown)
    assert workload.role.origin == "inputs.role"
