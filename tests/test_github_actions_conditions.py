"""GitHub Actions `if:` conditions of jobs and steps: which runs they keep, which they drop,
and which they leave undecided."""

from __future__ import annotations

import pytest

from github_actions_helpers import (CALLEE, LOGIN, ROLE, WORKFLOWS, caller, job, only, parse,
    parse_tree, subjects, using)


def guarded(on: str, condition: str | None = None, step_condition: str | None = None,
            body: str = "", default_branch: str | None = None) -> list[tuple[str, str, bool]]:
    """The contexts of the one workload of ``job(on)`` with a job and a step ``if:``, each
    with whether an undecided condition guards it."""
    text = job(on, body=body + (f"if: {condition}\n" if condition is not None else ""))
    if step_condition is not None:
        text = text.replace("      - uses:", f"      - if: {step_condition}\n        uses:")
    workload = only(text, default_branch)
    return [(c.label, str(c.subject), c.guard is not None) for c in workload.contexts]


@pytest.mark.parametrize("condition, expected", [
    # A push to any branch narrowed to the refs the condition names, with or without ${{ }}.
    ("github.ref == 'refs/heads/main'", [("push to main", "ref:refs/heads/main", False)]),
    ("${{ github.ref == 'refs/heads/main' }}", [("push to main", "ref:refs/heads/main", False)]),
    ("github.ref == 'refs/heads/Main'", [("push to Main", "ref:refs/heads/Main", False)]),
    ("startsWith(github.ref, 'refs/tags/')", [("push of any tag", "ref:refs/tags/*", False)]),
    ("startsWith(github.ref, 'refs/heads/release/')",
     [("push to release/*", "ref:refs/heads/release/*", False)]),
    ("github.ref_type == 'tag'", [("push of any tag", "ref:refs/tags/*", False)]),
    ("github.ref_type == 'branch' && github.ref != 'refs/heads/main'",
     [("push to any branch", "ref:refs/heads/*", False)]),
    ("contains(fromJSON('[\"refs/heads/main\", \"refs/heads/dev\"]'), github.ref)",
     [("push to main", "ref:refs/heads/main", False), ("push to dev", "ref:refs/heads/dev", False)]),
    ("github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v')",
     [("push to main", "ref:refs/heads/main", False),
      ("push of tag v*", "ref:refs/tags/v*", False)]),
    # A tag may carry a branch's name: both run, and the message says so.
    ("github.ref_name == 'main'", [("push to main", "ref:refs/heads/main", True),
                                   ("push of tag main", "ref:refs/tags/main", True)]),
    # No restriction: status functions, an event the workflow has, an empty condition.
    ("success()", [("push to any branch or tag", "ref:refs/*", False)]),
    ("always() && github.event_name != 'pull_request'",
     [("push to any branch or tag", "ref:refs/*", False)]),
    ("true", [("push to any branch or tag", "ref:refs/*", False)]),
    ("''", [("push to any branch or tag", "ref:refs/*", False)]),
    # What is not known before the run keeps the context, guarded.
    ("steps.changes.outputs.infra == 'true'", [("push to any branch or tag", "ref:refs/*", True)]),
    ("env.DEPLOY && github.ref == 'refs/heads/main'", [("push to main", "ref:refs/heads/main", True)]),
    ("vars.ENABLED == 'true'", [("push to any branch or tag", "ref:refs/*", True)]),
    ("contains(github.ref, 'main')", [("push to any branch or tag", "ref:refs/*", True)]),
    # Not understood: kept, guarded.
    ("${{ github.ref == 'refs/heads/main' }} && ${{ true }}",
     [("push to any branch or tag", "ref:refs/*", True)]),
    ("github.ref ==", [("push to any branch or tag", "ref:refs/*", True)]),
    # Never true: no context at all.
    ("false", []), ("github.event_name == 'pull_request'", []),
    ("github.event.pull_request.head.ref == 'feature'", []),
    ("github.event.inputs.confirm == 'yes'", []), ("inputs.stage == 'prod'", []),
    ("github.head_ref != ''", []),
])
def test_a_job_condition_over_a_push_to_any_branch(condition, expected):
    assert guarded("on: push\n", condition) == expected


def test_step_conditions_restrict_as_job_conditions_do():
    on = "on: [push, pull_request]\n"
    assert guarded(on, step_condition="github.event_name == 'push' && github.ref_name == 'main'"
                   ) == [("push to main", "ref:refs/heads/main", True),
                         ("push of tag main", "ref:refs/tags/main", True)]
    assert guarded(on, "github.event_name != 'pull_request'",
                   "github.ref == 'refs/heads/main'") == [
        ("push to main", "ref:refs/heads/main", False)]
    assert guarded(on, step_condition="github.event_name == 'pull_request'") == [
        ("pull_request", "pull_request", False)]


def test_conditions_read_the_event_of_each_trigger():
    on = ("on:\n  push:\n    branches: [main, develop]\n  pull_request:\n  workflow_dispatch:\n"
          "    inputs:\n      action:\n        type: choice\n        options: [plan, apply]\n")
    condition = ("(github.ref == 'refs/heads/main' && github.event_name == 'push') || "
                 "(github.event_name == 'workflow_dispatch' && github.event.inputs.action == 'apply')")
    assert guarded(on, condition) == [
        ("push to main", "ref:refs/heads/main", False),
        ("workflow_dispatch on any branch", "ref:refs/heads/*", True)]
    # A choice none of whose options passes rules the dispatch out.
    assert guarded(on, "github.event_name != 'push' && inputs.action == 'destroy'") == []
    assert guarded(on, "contains(fromJSON('[\"push\", \"workflow_dispatch\"]'), github.event_name)"
                   ) == [("push to main", "ref:refs/heads/main", False),
                         ("push to develop", "ref:refs/heads/develop", False),
                         ("workflow_dispatch on any branch", "ref:refs/heads/*", False)]


def test_the_default_branch_decides_a_condition_when_it_is_given():
    condition = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    assert guarded("on: push\n", condition, default_branch="trunk") == [
        ("push to trunk", "ref:refs/heads/trunk", False)]
    assert guarded("on: push\n", condition) == [("push to any branch or tag", "ref:refs/*", True)]


def test_a_condition_before_an_environment_keeps_or_drops_its_runs():
    body = "environment: production\n"
    on = "on: [push, pull_request]\n"
    assert guarded(on, "github.ref == 'refs/heads/main'", body=body) == [
        ("environment production", "environment:production", False)]
    assert guarded(on, "steps.x.outputs.y", body=body) == [
        ("environment production", "environment:production", True)]
    assert guarded("on: pull_request\n", "github.event_name == 'push'", body=body) == []
    # A dispatch-only condition leaves no run of other events naming an empty environment.
    on = ("on:\n  push:\n  workflow_dispatch:\n    inputs:\n      stage:\n        type: choice\n"
          "        options: [staging, production]\n")
    assert guarded(on, "github.event_name == 'workflow_dispatch'",
                   body="environment: ${{ inputs.stage }}\n") == [
        ("workflow_dispatch, environment staging", "environment:staging", False),
        ("workflow_dispatch, environment production", "environment:production", False)]


def test_a_calling_job_condition_reaches_the_reusable_workflow():
    text = caller(f"role: {ROLE}").replace("    uses:", "    if: github.event_name == 'push'\n"
                                                       "    uses:")
    text = text.replace("on:\n  push:\n    branches: [main]\n", "on: [push, pull_request]\n")
    workload = only({"deploy.yml": text, "build.yml": CALLEE})
    assert subjects(workload) == [("push to any branch or tag", "ref:refs/*", True)]
    text = text.replace("github.event_name == 'push'", "github.ref == 'refs/heads/main'")
    assert subjects(only({"deploy.yml": text, "build.yml": CALLEE})) == [
        ("push to main", "ref:refs/heads/main", False)]


def test_a_calling_job_that_never_runs_leaves_its_callee_no_run():
    callee = CALLEE.replace("    runs-on:", "    environment: production\n    runs-on:")
    text = caller(f"role: {ROLE}").replace("    uses:", "    if: github.event_name == 'release'\n"
                                                       "    uses:")
    (workload,) = parse({"deploy.yml": text, "build.yml": callee}).workloads
    assert workload.contexts == []
    (workload,) = parse({"deploy.yml": caller(f"role: {ROLE}"), "build.yml": callee}).workloads
    assert [c.label for c in workload.contexts] == ["environment production"]


def test_a_reusable_workflow_reads_its_callers_inputs_in_conditions():
    callee = CALLEE.replace("    runs-on:", "    if: inputs.region == 'eu-west-1'\n    runs-on:")
    assert only({"deploy.yml": caller(f"role: {ROLE}"), "build.yml": callee}).contexts
    other = caller(f"role: {ROLE}\n      region: us-east-1")
    workloads = parse({"deploy.yml": other, "build.yml": callee}).workloads
    assert [w.contexts for w in workloads] == [[]]


def test_conditions_on_the_way_into_a_composite_action():
    action = LOGIN.replace("    - uses: aws-actions", "    - if: inputs.session != 'off'\n"
                                                    "      uses: aws-actions")
    assert "inputs.session != 'off'" in action
    given = f"        if: github.ref == 'refs/heads/main'\n        with:\n          role: {ROLE}\n"
    workflow = using("./.github/actions/login", given).replace(
        "on: {push: {branches: [main]}}", "on: push")
    (workload,) = parse_tree({f"{WORKFLOWS}/deploy.yml": workflow,
                              ".github/actions/login/action.yml": action}).workloads
    assert [(c.label, c.guard) for c in workload.contexts] == [("push to main", None)]
    off = given.replace(f"role: {ROLE}", f"role: {ROLE}\n          session: 'off'")
    (workload,) = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using("./.github/actions/login", off),
        ".github/actions/login/action.yml": action}).workloads
    assert workload.contexts == []


def test_the_guard_says_which_condition_and_what_it_depends_on():
    text = job("on: push\n").replace(
        "      - uses:", "      - if: steps.plan.outputs.changed == 'true' && always()\n"
                          "        uses:")
    (context,) = only(text).contexts
    assert context.guard == ("`if: steps.plan.outputs.changed == 'true' && always()` of step 1, "
                             "which depends on `steps.plan.outputs.changed`, not known before "
                             "the run")
    text = job("on: push\n", body="if: ${{ github.ref }} == 'x'\n")
    (context,) = only(text).contexts
    assert context.guard == ("`if: ${{ github.ref }} == 'x'` of job deploy, which oidclint "
                             "does not understand")


def test_a_job_that_never_runs_keeps_its_workload_with_no_context():
    workload = only(job("on: pull_request\n", body="if: false\n"))
    assert workload.contexts == []


def test_push_contexts_run_on_every_ref_of_their_glob_and_others_do_not():
    workload = only(job("on:\n  push:\n    tags: ['v*']\n  workflow_dispatch:\n"))
    assert [(c.label, c.every_ref) for c in workload.contexts] == [
        ("push of tag v*", True), ("workflow_dispatch on any branch", False)]
    assert [c.event for c in workload.contexts] == ["push", "workflow_dispatch"]
