"""GitHub Actions workflows to token contexts: the subject each trigger, branch and tag
filter, environment and dispatch input gives."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from oidclint.model import Level
from oidclint.readers.workloads.github_actions import filter_glob
from oidclint.source import Partial, Span, Unknown
from github_actions_helpers import WORKFLOWS, job, only, parse, subjects


def test_environment_decides_the_subject_over_pull_request_and_push():
    workload = only(job("on:\n  push:\n    branches: [main]\n  pull_request:\n",
                        body="environment: production\n"))
    assert subjects(workload) == [("environment production", "environment:production", False)]
    context = workload.contexts[0]
    assert context.claims == {"environment": "production"}
    assert context.span == Span(f"{WORKFLOWS}/deploy.yml", 10, 18, 10, 28)


def test_environment_as_mapping_and_colon_encoded():
    workload = only(job("on: push\n", body="environment:\n  name: prod:eu\n  url: https://x\n"))
    assert subjects(workload) == [("environment prod:eu", "environment:prod%3Aeu", False)]
    assert workload.contexts[0].claims["environment"] == "prod:eu"


def test_an_environment_not_written_down_is_an_environment_subject_with_an_unknown_name():
    workload = only(job("on: push\n", body="environment: ${{ vars.DEPLOY_ENV }}\n"))
    (context,) = workload.contexts
    assert isinstance(context.subject, Partial)
    assert context.subject.parts[0] == "environment:"
    assert context.subject.unknowns[0].origin == "vars.DEPLOY_ENV"
    assert context.span.line == 7


def test_dispatch_inputs_are_empty_in_runs_of_other_events():
    """`github.event.inputs.X` on a push is empty; what GitHub does with an empty
    environment name is not documented, so the subject of those runs is unknown."""
    workload = only(job("on: push\n", body="environment: ${{ github.event.inputs.env }}\n"))
    (context,) = workload.contexts
    assert isinstance(context.subject, Unknown)
    assert context.label == "other events, environment `${{ github.event.inputs.env }}` empty"


DISPATCH = """\
on:
  workflow_dispatch:
    inputs:
      environment:
        type: choice
        options: [staging, production]
        default: staging
      stage:
        type: string
        default: blue
"""


@pytest.mark.parametrize("expression", ["${{ github.event.inputs.environment }}",
                                        "${{ inputs.environment }}",
                                        "${{ inputs.Environment }}"])
def test_environment_from_a_dispatch_choice_gives_one_context_per_option(expression):
    workload = only(job(DISPATCH, body=f"environment: {expression}\n"))
    assert subjects(workload) == [
        ("workflow_dispatch, environment staging", "environment:staging", False),
        ("workflow_dispatch, environment production", "environment:production", False)]
    assert workload.contexts[1].claims == {"environment": "production"}


def test_environment_name_mapping_with_a_dispatch_choice_and_other_events():
    on = DISPATCH.replace("on:\n", "on:\n  push:\n    branches: [main]\n")
    workload = only(job(on, body="environment:\n  name: ${{ inputs.environment || 'dev' }}\n"))
    assert subjects(workload) == [
        ("workflow_dispatch, environment staging", "environment:staging", False),
        ("workflow_dispatch, environment production", "environment:production", False),
        ("other events, environment dev", "environment:dev", False)]


def test_a_free_text_dispatch_input_leaves_the_name_partly_known():
    workload = only(job(DISPATCH, body="environment: deploy:${{ inputs.stage }}\n"))
    (context,) = workload.contexts
    assert isinstance(context.subject, Partial)
    assert context.subject.parts[0] == "environment:deploy%3A"  # `:` is written %3A
    assert context.subject.unknowns[0].origin == "inputs.stage"
    assert context.label == "workflow_dispatch, environment deploy:${inputs.stage}"


def test_a_partial_name_with_a_choice_and_a_matrix_is_every_combination():
    workload = only(job(DISPATCH, body="""\
        strategy:
          matrix:
            region: [eu, us]
        environment: ${{ inputs.environment }}-${{ matrix.region }}
        """))
    assert sorted(str(c.subject) for c in workload.contexts) == [
        "environment:production-eu", "environment:production-us", "environment:staging-eu",
        "environment:staging-us"]


def test_a_single_branch_filter_may_be_a_string():
    workload = only(job("on:\n  push:\n    branches: main\n"))
    assert subjects(workload) == [("push to main", "ref:refs/heads/main", False)]
    assert workload.contexts[0].span.line == 3


def test_missing_on_gives_no_context_and_a_note():
    inventory = parse({"deploy.yml": job("name: no trigger\n")})
    (workload,) = inventory.workloads
    assert workload.contexts == []
    assert [(d.level, d.message) for d in inventory.diagnostics] == [
        (Level.NOTE, "`on` is missing or is neither an event, a list nor a mapping")]


def test_push_branch_and_tag_filters():
    workload = only(job("""\
        on:
          push:
            branches: [main, develop]
            tags: [v1.0.0]
            paths: ['src/**']
        """))
    assert subjects(workload) == [
        ("push to main", "ref:refs/heads/main", False),
        ("push to develop", "ref:refs/heads/develop", False),
        ("push of tag v1.0.0", "ref:refs/tags/v1.0.0", False),
    ]
    assert workload.contexts[0].claims == {"ref": "refs/heads/main"}
    assert workload.contexts[1].span.line == 3


def test_glob_filters_become_patterns_and_negations_only_exclude():
    workload = only(job("""\
        on:
          push:
            branches: ['release/**', '!release/**-alpha', 'feature/*']
            tags: ['v[0-9]+.*']
        """))
    assert subjects(workload) == [
        ("push to release/**", "ref:refs/heads/release/*", True),
        ("push to feature/*", "ref:refs/heads/feature/*", True),
        ("push of tag v[0-9]+.*", "ref:refs/tags/v?*.*", True),
    ]


@pytest.mark.parametrize(("written", "glob", "is_glob"), [
    ("main", "main", False),
    ("releases/**", "releases/*", True),
    ("v*.*", "v*.*", True),
    ("v2?", "v*", True),
    ("v[12].x", "v?.x", True),
    (r"weird\*name", "weird*name", False),
])
def test_filter_glob(written, glob, is_glob):
    assert filter_glob(written) == (glob, is_glob)


def test_filter_glob_takes_linear_time_on_unclosed_brackets():
    # Each `[` used to search the rest of the filter for a `]`: quadratic, minutes on a
    # megabyte. In a process of its own, so a regression fails instead of hanging.
    program = ("from oidclint.readers.workloads.github_actions import filter_glob\n"
               "print(filter_glob('[' * 1_000_000 + 'x')[1])\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout == "False\n"


@pytest.mark.parametrize(("on", "expected"), [
    ("on: push\n", [("push to any branch or tag", "ref:refs/*", True)]),
    ("on:\n  push:\n    branches-ignore: [wip]\n",
     [("push to any branch", "ref:refs/heads/*", True)]),
    ("on:\n  push:\n    tags-ignore: [old]\n", [("push of tag any tag", "ref:refs/tags/*", True)]),
    ("on:\n  push:\n    paths: [src]\n", [("push to any branch or tag", "ref:refs/*", True)]),
])
def test_push_without_positive_filters_is_a_pattern(on, expected):
    assert subjects(only(job(on))) == expected


def test_schedule_runs_on_the_default_branch():
    on = "on:\n  schedule:\n    - cron: '0 3 * * *'\n"
    assert subjects(only(job(on), default_branch="trunk")) == [
        ("schedule on trunk (default branch)", "ref:refs/heads/trunk", False)]
    assert subjects(only(job(on))) == [
        ("schedule (default branch unknown)", "ref:refs/heads/*", True)]


def test_workflow_dispatch_runs_on_any_branch():
    workload = only(job("on:\n  workflow_dispatch:\n    inputs:\n      x: {type: string}\n"))
    assert subjects(workload) == [("workflow_dispatch on any branch", "ref:refs/heads/*", True)]
    assert workload.contexts[0].claims == {"ref": "refs/heads/*"}


@pytest.mark.parametrize(("on", "expected"), [
    ("on: [pull_request]\n", [("pull_request", "pull_request", False)]),
    ("on:\n  pull_request:\n    branches: [main]\n", [("pull_request", "pull_request", False)]),
    ("on:\n  pull_request_target:\n    branches: [main]\n",
     [("pull_request_target into main", "ref:refs/heads/main", False)]),
    ("on: pull_request_target\n",
     [("pull_request_target into any branch", "ref:refs/heads/*", True)]),
    ("on: release\n", [("release (any tag)", "ref:refs/tags/*", True)]),
    ("on: merge_group\n", [("merge_group", "ref:refs/heads/gh-readonly-queue/*", True)]),
    ("on: [workflow_run, repository_dispatch]\n", [
        ("workflow_run on main (default branch)", "ref:refs/heads/main", False),
        ("repository_dispatch on main (default branch)", "ref:refs/heads/main", False)]),
    ("on: create\n", [("create", "ref:refs/*", True)]),
    ("'on': push\n", [("push to any branch or tag", "ref:refs/*", True)]),
])
def test_other_triggers(on, expected):
    assert subjects(only(job(on), default_branch="main")) == expected


def test_on_is_read_as_true_by_yaml_1_1():
    text = job("on:\n  push:\n    branches: [main]\n")
    assert True in yaml.safe_load(text)
    assert subjects(only(text)) == [("push to main", "ref:refs/heads/main", False)]


def test_workflows_are_read_with_the_yaml_1_2_core_schema_as_github_reads_them():
    """`on`, `yes` and dates are strings to GitHub: a tag filter `2024-06-01` and an
    environment named `on` are names, not a date and a boolean."""
    workload = only(job("on:\n  push:\n    tags: [2024-06-01, yes]\n"))
    assert subjects(workload) == [
        ("push of tag 2024-06-01", "ref:refs/tags/2024-06-01", False),
        ("push of tag yes", "ref:refs/tags/yes", False)]
    workload = only(job("on: push\n", body="environment: on\n"))
    assert subjects(workload) == [("environment on", "environment:on", False)]


def test_an_expression_that_can_be_empty_leaves_those_runs_unknown():
    workload = only(job("on: push\n", body=(
        "environment: ${{ github.ref == 'refs/heads/main' && 'production' || '' }}\n")))
    environment, empty = workload.contexts
    assert isinstance(environment.subject, Partial) and environment.subject.parts[0] == "environment:"
    assert isinstance(empty.subject, Unknown)


# -- valid forms of the workflow syntax give no note ------------------------------------------

@pytest.mark.parametrize("on, expected", [
    ("on:\n  schedule:\n    - cron: '0 0 * * *'\n    - cron: '30 6 * * 1'\n",
     [("schedule (default branch unknown)", "ref:refs/heads/*", True)]),
    ("on:\n  push:\n    branches: [2024, main]\n    tags: [1]\n",
     [("push to 2024", "ref:refs/heads/2024", False), ("push to main", "ref:refs/heads/main", False),
      ("push of tag 1", "ref:refs/tags/1", False)]),
])
def test_documented_forms_are_read_without_a_note(on, expected):
    inventory = parse({"deploy.yml": job(on)})
    assert inventory.diagnostics == []
    assert subjects(inventory.workloads[0]) == expected


def test_action_inputs_written_as_numbers_are_their_text():
    text = job("on: push\n").replace("          role-to-assume:",
                                     "          role-session-name: 2024\n"
                                     "          audience: 1\n          role-to-assume:")
    inventory = parse({"deploy.yml": text})
    assert inventory.diagnostics == []
    assert (inventory.workloads[0].session_name, inventory.workloads[0].audience) == ("2024", "1")


def test_an_environment_written_as_a_number_is_its_name():
    inventory = parse({"deploy.yml": job("on: push\n", body="environment: 2024\n")})
    assert inventory.diagnostics == []
    assert subjects(inventory.workloads[0]) == [("environment 2024", "environment:2024", False)]
