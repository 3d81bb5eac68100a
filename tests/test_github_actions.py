"""GitHub Actions workflows to located workloads: contexts, permissions, roles, reusable calls."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory, Level, Workload
from oidclint.readers.workloads.github_actions import filter_glob, parse_workflows
from oidclint.source import Partial, SourceFile, Span, Str, Unknown

WORKFLOWS = ".github/workflows"
ROLE = "arn:aws:iam::123456789012:role/deploy"
ACTION = "aws-actions/configure-aws-credentials@v4"


def parse(files: dict[str, str], default_branch: str | None = None) -> Inventory:
    """Workflows given as {file name: YAML}, parsed together."""
    sources = [SourceFile(f"{WORKFLOWS}/{name}", Path(name), textwrap.dedent(text))
               for name, text in files.items()]
    return parse_workflows(sources, default_branch=default_branch)


def only(files: dict[str, str] | str, default_branch: str | None = None) -> Workload:
    if isinstance(files, str):
        files = {"deploy.yml": files}
    workloads = parse(files, default_branch).workloads
    assert len(workloads) == 1, [w.name for w in workloads]
    return workloads[0]


def subjects(workload: Workload) -> list[tuple[str, str, bool]]:
    return [(c.label, str(c.subject), c.pattern) for c in workload.contexts]


def job(on: str, body: str = "", permissions: str = "permissions:\n  id-token: write\n",
        role: str = ROLE) -> str:
    """A workflow of one job `deploy` with one configure-aws-credentials step."""
    body = textwrap.indent(textwrap.dedent(body), "    ")
    return (f"{textwrap.dedent(on)}{permissions}jobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
            f"{body}    steps:\n      - uses: {ACTION}\n        with:\n"
            f"          role-to-assume: {role}\n")


# -- token contexts ----------------------------------------------------------------------------

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


def test_environment_from_a_matrix_gives_one_context_each():
    workload = only(job("on: push\n", body="""\
        strategy:
          matrix:
            stage: [staging, production]
        environment: ${{ matrix.stage }}
        """))
    assert [str(c.subject) for c in workload.contexts] == [
        "environment:staging", "environment:production"]


def test_environment_matrix_include_entries_count_too():
    workload = only(job("on: push\n", body="""\
        strategy:
          matrix:
            region: [eu, us]
            include:
              - {env: sandbox}
              - {env: live, region: eu}
        environment: ${{ matrix.env }}
        """))
    # region eu takes `live` (an include may overwrite what an earlier one added), us keeps
    # `sandbox`.
    assert sorted(str(c.subject) for c in workload.contexts) == [
        "environment:live", "environment:sandbox"]
    assert workload.contexts[0].span.line == 13  # where the environment is named


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


# -- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize(("workflow_level", "job_level", "granted", "line"), [
    ("permissions:\n  id-token: write\n", "", True, 2),
    ("permissions:\n  id-token: write\n", "permissions:\n  contents: read\n", False, 7),
    ("permissions:\n  contents: read\n", "permissions:\n  id-token: write\n", True, 7),
    ("permissions: write-all\n", "", True, 2),
    ("permissions: read-all\n", "", False, 2),
    ("permissions: {}\n", "", False, 2),
    ("", "permissions: {}\n", False, 5),
    ("", "", False, 3),  # absent everywhere: the defaults never include id-token
    ("permissions:\n  id-token: read\n", "", False, 2),
])
def test_effective_id_token_permission(workflow_level, job_level, granted, line):
    text = job("on: push\n", body=job_level, permissions=workflow_level)
    workload = only(text)
    assert workload.id_token_permission is granted
    assert workload.permission_span.line == line
    assert text.splitlines()[line - 1].strip().startswith(("permissions", "deploy"))


# -- the action and its inputs -------------------------------------------------------------------

@pytest.mark.parametrize("uses", [
    "aws-actions/configure-aws-credentials@v4",
    "aws-actions/configure-aws-credentials@v4.1.0",
    "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502",
    "aws-actions/configure-aws-credentials@main",
    "AWS-Actions/configure-aws-credentials@v3",
    "acme/configure-aws-credentials@v4",
])
def test_any_ref_of_the_action(uses):
    workload = only(job("on: push\n").replace(ACTION, uses))
    assert workload.role == ROLE
    assert workload.kind == "github-actions"
    assert workload.issuer == "token.actions.githubusercontent.com"


def test_role_literal_with_exact_span():
    workload = only(job("on: push\n", body="environment: production\n"))
    path = f"{WORKFLOWS}/deploy.yml"
    assert isinstance(workload.role, Str)
    assert workload.role.span == Span(path, 11, 27, 11, 27 + len(ROLE))
    assert workload.role_span == workload.role.span
    assert workload.span == Span(path, 5, 3, 5, 9)
    assert workload.name == "deploy.yml job deploy"
    assert (workload.audience, workload.session_name, workload.duration) == (None, None, None)


@pytest.mark.parametrize(("role", "origin"), [
    ("${{ secrets.ROLE_ARN }}", "secrets.ROLE_ARN"),
    ("${{ vars.DEPLOY_ROLE }}", "vars.DEPLOY_ROLE"),
    ("${{ env.NOT_DEFINED }}", "env.NOT_DEFINED"),
    ("${{ steps.lookup.outputs.arn }}", "steps.lookup.outputs.arn"),
    ("${{ inputs.role }}", "inputs.role"),
    ("${{ github.ref == 'refs/heads/main' && vars.A || vars.B }}",
     "github.ref == 'refs/heads/main' && vars.A || vars.B"),
])
def test_role_from_expressions_is_unknown(role, origin):
    workload = only(job("on: push\n", role=role))
    assert workload.role == Unknown(origin, workload.role_span)
    assert workload.role_span.line == 10


def test_quoted_literal_expression_is_known():
    workload = only(job("on: push\n", role="${{ 'arn:aws:iam::1:role/it''s' }}"))
    assert workload.role == "arn:aws:iam::1:role/it's"


def test_role_mixing_text_and_expressions_is_partial():
    workload = only(job("on: push\n",
                        role="arn:aws:iam::${{ vars.ACCOUNT_ID }}:role/deploy"))
    assert isinstance(workload.role, Partial)
    assert workload.role.parts == ("arn:aws:iam::", Unknown("vars.ACCOUNT_ID", workload.role_span),
                                   ":role/deploy")


def test_role_from_env_resolves_innermost_first():
    text = """\
        on: push
        permissions: {id-token: write}
        env:
          ROLE: arn:aws:iam::1:role/workflow
          ACCOUNT: "123456789012"
        jobs:
          deploy:
            env:
              ROLE: arn:aws:iam::1:role/job
              OTHER: arn:aws:iam::${{ env.ACCOUNT }}:role/other
              SECRET: ${{ secrets.ROLE }}
            steps:
              - uses: aws-actions/configure-aws-credentials@v4
                env: {ROLE: arn:aws:iam::1:role/step}
                with: {role-to-assume: "${{ env.ROLE }}"}
              - uses: aws-actions/configure-aws-credentials@v4
                with: {role-to-assume: "${{ env.role }}"}
              - uses: aws-actions/configure-aws-credentials@v4
                with: {role-to-assume: "${{ env.OTHER }}"}
              - uses: aws-actions/configure-aws-credentials@v4
                with: {role-to-assume: "${{ env.SECRET }}"}
        """
    workloads = parse({"deploy.yml": text}).workloads
    assert [str(w.role) for w in workloads] == [
        "arn:aws:iam::1:role/step", "arn:aws:iam::1:role/job",
        "arn:aws:iam::123456789012:role/other", "${secrets.ROLE}"]
    assert [w.name for w in workloads] == [f"deploy.yml job deploy step {n}" for n in (1, 2, 3, 4)]
    assert workloads[0].role.span.line == 14  # where the value is written
    assert workloads[0].role_span.line == 15  # where role-to-assume refers to it


def test_other_inputs():
    workload = only(job("on: push\n").replace(
        f"role-to-assume: {ROLE}\n",
        f"Role-To-Assume: {ROLE}\n          audience: sts.amazonaws.com.cn\n"
        "          role-session-name: deploy-${{ github.run_id }}\n"
        "          role-duration-seconds: '900'\n"))
    assert workload.role == ROLE
    assert workload.audience == "sts.amazonaws.com.cn"
    assert isinstance(workload.session_name, Partial)
    assert workload.session_name.known_prefix == "deploy-"
    assert workload.duration == 900


@pytest.mark.parametrize(("written", "duration"), [
    ("3600", 3600), ("'7200'", 7200), ("${{ vars.SECONDS }}", Unknown("vars.SECONDS")),
    ("one hour", None), ("1.5", None), ("[900]", None), ("~", None),
])
def test_role_duration_seconds(written, duration):
    workload = only(job("on: push\n").replace(
        f"role-to-assume: {ROLE}\n",
        f"role-to-assume: {ROLE}\n          role-duration-seconds: {written}\n"))
    if isinstance(duration, Unknown):
        assert isinstance(workload.duration, Unknown)
        assert workload.duration.origin == duration.origin
    else:
        assert workload.duration == duration


@pytest.mark.parametrize("flag", ["true", "'true'", "True"])
def test_role_chaining_is_marked(flag):
    workload = only(job("on: push\n").replace(
        f"role-to-assume: {ROLE}\n",
        f"role-to-assume: {ROLE}\n          role-chaining: {flag}\n"))
    assert workload.role_chaining is True


def test_steps_that_do_not_use_the_oidc_token_are_skipped():
    text = job("on: push\n").replace(
        f"role-to-assume: {ROLE}\n",
        f"role-to-assume: {ROLE}\n          aws-access-key-id: ${{{{ secrets.KEY }}}}\n")
    assert parse({"keys.yml": text}).workloads == []
    text = job("on: push\n").replace(
        f"role-to-assume: {ROLE}\n",
        f"role-to-assume: {ROLE}\n          web-identity-token-file: /tmp/token\n")
    assert parse({"file.yml": text}).workloads == []


def test_jobs_without_the_action_or_a_role_give_no_workload():
    text = """\
        on: push
        jobs:
          build:
            steps:
              - uses: actions/checkout@v4
              - uses: aws-actions/amazon-ecr-login@v2
              - uses: aws-actions/configure-aws-credentials@v4
                with: {aws-region: eu-west-1}
              - run: echo done
        """
    inventory = parse({"build.yml": text})
    assert inventory.workloads == []
    assert inventory.diagnostics == []


# -- reusable workflows ------------------------------------------------------------------------

CALLEE = textwrap.dedent("""\
    on:
      workflow_call:
        inputs:
          role: {type: string, required: true}
          region: {type: string, default: eu-west-1}
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          - uses: aws-actions/configure-aws-credentials@v4
            with:
              role-to-assume: ${{ inputs.role }}
              aws-region: ${{ inputs.region }}
    """)


def caller(role_line: str, permissions: str = "permissions:\n  id-token: write\n") -> str:
    return (f"on:\n  push:\n    branches: [main]\n{permissions}jobs:\n  release:\n"
            f"    uses: ./.github/workflows/build.yml\n    with:\n      {role_line}\n")


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


# -- matrix combinations -----------------------------------------------------------------------

@pytest.mark.parametrize("matrix, combinations", [
    ({"a": [1, 2], "b": ["x"]}, [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]),
    ({"a": [1, 2], "b": ["x", "y"], "exclude": [{"a": 2, "b": "y"}]},
     [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}]),
    # An include entry joins every combination whose original values it keeps ...
    ({"a": [1, 2], "include": [{"c": "z"}]}, [{"a": 1, "c": "z"}, {"a": 2, "c": "z"}]),
    # ... may overwrite what an earlier include added, and stands alone when it fits none.
    ({"a": [1, 2], "include": [{"c": "z"}, {"a": 1, "c": "w"}, {"a": 3}]},
     [{"a": 1, "c": "w"}, {"a": 2, "c": "z"}, {"a": 3}]),
    ({"include": [{"env": "dev"}, {"env": "prod"}]}, [{"env": "dev"}, {"env": "prod"}]),
    # GitHub's own example of include: six jobs.
    ({"fruit": ["apple", "pear"], "animal": ["cat", "dog"],
      "include": [{"color": "green"}, {"color": "pink", "animal": "cat"},
                  {"fruit": "apple", "shape": "circle"}, {"fruit": "banana"},
                  {"fruit": "banana", "animal": "cat"}]},
     [{"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
      {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
      {"fruit": "pear", "animal": "cat", "color": "pink"},
      {"fruit": "pear", "animal": "dog", "color": "green"},
      {"fruit": "banana"}, {"fruit": "banana", "animal": "cat"}]),
    # Not written out: not known.
    ("${{ fromJSON(needs.plan.outputs.matrix) }}", None),
    ({"a": "${{ fromJSON(inputs.list) }}"}, None),
    ({"a": [1], "include": "${{ fromJSON(inputs.more) }}"}, None),
    ({"a": list(range(17)), "b": list(range(17))}, None),  # past GitHub's 256 jobs
])
def test_matrix_combinations_follow_githubs_include_and_exclude_rules(matrix, combinations):
    from oidclint.readers.workloads.github_matrix import matrix_combinations

    assert matrix_combinations({"strategy": {"matrix": matrix}}) == combinations
    assert matrix_combinations({}) is None


MATRIX_ROLES = """\
    strategy:
      matrix:
        include:
          - {stage: staging, account: "111111111111"}
          - {stage: production, account: "222222222222"}
    environment: ${{ matrix.stage }}
    """


def test_each_matrix_combination_assumes_its_own_role_in_its_own_environment():
    role = "arn:aws:iam::${{ matrix.account }}:role/deploy-${{ matrix.stage }}"
    workloads = parse({"deploy.yml": job("on: push\n", body=MATRIX_ROLES, role=role)}).workloads
    assert [(w.name, str(w.role), subjects(w)) for w in workloads] == [
        ("deploy.yml job deploy (matrix stage=staging, account=111111111111)",
         "arn:aws:iam::111111111111:role/deploy-staging",
         [("environment staging", "environment:staging", False)]),
        ("deploy.yml job deploy (matrix stage=production, account=222222222222)",
         "arn:aws:iam::222222222222:role/deploy-production",
         [("environment production", "environment:production", False)]),
    ]


def test_combinations_sharing_a_role_are_one_workload_that_runs_in_each_way():
    workload = only(job("on: push\n", body=MATRIX_ROLES, role=ROLE))
    assert workload.name == "deploy.yml job deploy"
    assert subjects(workload) == [("environment staging", "environment:staging", False),
                                  ("environment production", "environment:production", False)]
    # A role from a matrix not written out stays unknown.
    unknown = only(job("on: push\n", body="""\
        strategy:
          matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
        """, role="${{ matrix.role }}"))
    assert isinstance(unknown.role, Unknown)


# -- composite actions -------------------------------------------------------------------------

LOGIN = textwrap.dedent("""\
    name: login
    description: assume a role
    inputs:
      role: {description: role, required: true}
      session: {description: session name, default: ci-login}
    runs:
      using: composite
      steps:
        - shell: bash
          run: echo logging in
        - uses: aws-actions/configure-aws-credentials@v4
          with:
            role-to-assume: ${{ inputs.role }}
            role-session-name: ${{ inputs.session }}-${{ env.STAGE }}
    """)


def parse_tree(files: dict[str, str]) -> Inventory:
    """Workflows and actions given as {path from the repository root: YAML}."""
    sources = [SourceFile(path, Path(path), textwrap.dedent(text))
               for path, text in files.items()]
    return parse_workflows(sources)


def using(action: str, given: str = "", env: str = "") -> str:
    return (f"on: {{push: {{branches: [main]}}}}\npermissions: {{id-token: write}}\n"
            f"env: {{STAGE: prod}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: actions/checkout@v4\n      - uses: {action}\n{given}{env}")


def test_a_local_composite_action_assumes_the_role_its_caller_gives():
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using("./.github/actions/login",
                                         f"        with:\n          role: {ROLE}\n"),
        ".github/actions/login/action.yml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.name == "deploy.yml job deploy → ./.github/actions/login"
    assert workload.role == ROLE and workload.role.span.path == f"{WORKFLOWS}/deploy.yml"
    assert workload.role_span.path == ".github/actions/login/action.yml"
    assert workload.session_name == "ci-login-prod"  # the default; env of the job
    assert workload.span.path == f"{WORKFLOWS}/deploy.yml"
    assert subjects(workload) == [("push to main", "ref:refs/heads/main", False)]
    assert workload.id_token_permission is True
    assert inventory.diagnostics == []


def test_the_calling_step_env_and_inputs_reach_the_action():
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using(
            "./.github/actions/login",
            "        with:\n          role: ${{ env.ROLE }}\n          session: ${{ env.STAGE }}\n",
            f"        env:\n          ROLE: {ROLE}\n          STAGE: canary\n"),
        ".github/actions/login/action.yaml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.role == ROLE
    assert workload.session_name == "canary-canary"


def test_an_input_not_given_and_without_default_is_unknown():
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": using("./.github/actions/login"),
                            ".github/actions/login/action.yml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.role == Unknown("inputs.role", workload.role_span)


def test_actions_of_a_repository_in_a_sub_folder_of_the_scan():
    inventory = parse_tree({
        f"svc/{WORKFLOWS}/deploy.yml": using("./.github/actions/login",
                                             f"        with:\n          role: {ROLE}\n"),
        "svc/.github/actions/login/action.yml": LOGIN,
        ".github/actions/login/action.yml": LOGIN.replace("inputs.role", "inputs.other")})
    (workload,) = inventory.workloads
    assert workload.role == ROLE


def test_nested_composite_actions_and_loops():
    outer = textwrap.dedent(f"""\
        name: outer
        description: calls login, and itself
        runs:
          using: composite
          steps:
            - uses: ./.github/actions/login
              with: {{role: "{ROLE}"}}
            - uses: ./.github/actions/outer
        """)
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": using("./.github/actions/outer"),
                            ".github/actions/outer/action.yml": outer,
                            ".github/actions/login/action.yml": LOGIN})
    assert [(w.name, w.role) for w in inventory.workloads] == [
        ("deploy.yml job deploy → ./.github/actions/outer → ./.github/actions/login", ROLE)]
    assert [d.message for d in inventory.diagnostics] == [
        "local action ./.github/actions/outer uses itself (a loop) or nests too deeply: "
        "not followed"]


def test_other_actions_are_not_followed():
    node = "name: x\ndescription: y\nruns:\n  using: node20\n  main: index.js\n"
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using("./.github/actions/node")
        .replace("      - uses: actions/checkout@v4\n",
                 "      - uses: actions/checkout@v4\n      - uses: ./.github/actions/gone\n"),
        ".github/actions/node/action.yml": node})
    assert inventory.workloads == []
    assert [d.message for d in inventory.diagnostics] == [
        "local action ./.github/actions/gone is not among the scanned files"]


def test_steps_of_a_job_and_of_its_action_are_numbered_apart():
    text = using("./.github/actions/login", f"        with:\n          role: {ROLE}\n") + (
        f"      - uses: {ACTION}\n        with:\n          role-to-assume: {ROLE}-2\n")
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": text,
                            ".github/actions/login/action.yml": LOGIN})
    assert [(w.name, str(w.role)) for w in inventory.workloads] == [
        ("deploy.yml job deploy step 2 → ./.github/actions/login", ROLE),
        ("deploy.yml job deploy step 3", f"{ROLE}-2")]


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


# -- broken input ------------------------------------------------------------------------------

def test_broken_yaml_is_a_diagnostic_and_the_rest_goes_on():
    inventory = parse({"broken.yml": "on: push\njobs: [\n", "deploy.yml": job("on: push\n")})
    assert len(inventory.workloads) == 1
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.path == f"{WORKFLOWS}/broken.yml"
    assert diagnostic.message.startswith("YAML syntax error: ")


def test_wrong_types_are_notes():
    text = job("on: push\n", role="[a, b]")
    inventory = parse({"deploy.yml": text})
    assert inventory.workloads == []
    assert [(d.level, d.message) for d in inventory.diagnostics] == [
        (Level.NOTE, "`role-to-assume` is not a string")]


TEMPLATE = {
    "on": {"push": {"branches": ["main"], "tags": ["v*"]}, "schedule": [{"cron": "0 0 * * *"}],
           "workflow_call": {"inputs": {"role": {"default": ROLE}}}},
    "permissions": {"id-token": "write"},
    "env": {"ROLE": ROLE},
    "jobs": {
        "deploy": {
            "environment": {"name": "production"},
            "if": "github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')",
            "permissions": "write-all",
            "strategy": {"matrix": {"stage": ["a", "b"], "include": [{"stage": "c"}]}},
            "env": {"X": "${{ env.ROLE }}"},
            "steps": [{"uses": ACTION, "env": {"Y": "1"}, "if": "${{ inputs.role != '' }}",
                       "with": {"role-to-assume": "${{ env.ROLE }}", "audience": "sts",
                                "role-session-name": "s", "role-duration-seconds": "900",
                                "role-chaining": True, "aws-access-key-id": ""}}],
        },
        "call": {"uses": "./.github/workflows/deploy.yml", "with": {"role": ROLE},
                 "permissions": {"id-token": "write"}},
    },
}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replaced(document, path, new):
    if not path:
        return new
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = _replaced(copy[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("path", list(_paths(TEMPLATE)), ids=lambda p: ".".join(map(str, p)))
@pytest.mark.parametrize("junk", [None, [], ["x", 1], 42, 1.5, True, {}, {"a": None}, "",
                                  "${{ }}", "${{ env.X }}", "./.github/workflows/deploy.yml"])
def test_junk_in_any_field_does_not_crash(path, junk):
    document = _replaced(TEMPLATE, path, junk)
    text = yaml.safe_dump(document, sort_keys=False)
    inventory = parse({"deploy.yml": text})
    assert isinstance(inventory, Inventory)


# Random JSON-ish workflows (shaped like real ones, with junk anywhere) must never raise.

_WORDS = st.sampled_from([
    "on", "jobs", "steps", "uses", "with", "env", "permissions", "environment", "name",
    "push", "pull_request", "pull_request_target", "schedule", "workflow_dispatch",
    "workflow_call", "release", "branches", "tags", "branches-ignore", "inputs", "default",
    "strategy", "matrix", "include", "id-token", "write", "write-all", "read-all",
    "role-to-assume", "role-duration-seconds", "role-chaining", "audience", ACTION,
    "./.github/workflows/a.yml", "./.github/workflows/b.yml", "${{ inputs.role }}",
    "${{ env.ROLE }}", "${{ matrix.env }}", "${{ secrets.X }}", "x${{ vars.Y }}y", "ROLE",
    "release/**", "!main", "v[0-9]+", "\\", "[", "${{", "}}",
    "github.ref == 'refs/heads/main'", "startsWith(github.ref_name, 'v')", "!(",
    "${{ github.event_name != 'push' && inputs.role }}", "contains(fromJSON('[1]'), github.ref)",
    "github.ref_type == 'tag' || github.ref == format('refs/heads/{0}', vars.X)",
])
_SCALARS = (st.none() | st.booleans() | st.integers() | _WORDS
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
_KEYS = st.none() | st.booleans() | st.integers() | _WORDS
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=12)


def _mostly(good, junk=_VALUES):
    """Well-formed nine times out of ten, junk otherwise."""
    return st.integers(0, 9).flatmap(lambda n: junk if n == 0 else good)


_TEXT = _mostly(_WORDS, _SCALARS)
_EVENT = st.sampled_from(["push", "pull_request", "pull_request_target", "schedule",
                          "workflow_dispatch", "workflow_call", "release", "issues"])
_ON = _mostly(_EVENT | st.lists(_EVENT, max_size=3) | st.dictionaries(_EVENT, _mostly(
    st.dictionaries(st.sampled_from(["branches", "tags", "branches-ignore", "inputs"]),
                    _mostly(st.lists(_TEXT, max_size=3)), max_size=2)), max_size=3))
_PERMISSIONS = _mostly(st.sampled_from(["write-all", "read-all"]) | st.dictionaries(
    st.sampled_from(["id-token", "contents"]), st.sampled_from(["write", "read", "none"])))
_ENV = _mostly(st.dictionaries(_WORDS, _TEXT, max_size=3))
_WITH = st.fixed_dictionaries({"role-to-assume": _TEXT}, optional=dict.fromkeys(
    ["role-duration-seconds", "audience", "role-chaining", "role", "aws-access-key-id"], _TEXT))
_STEP = st.fixed_dictionaries({"uses": _mostly(st.just(ACTION)), "with": _mostly(_WITH)},
                              optional={"env": _ENV, "if": _TEXT})
_CALL = st.sampled_from(["./.github/workflows/a.yml", "./.github/workflows/b.yml"])
_STRATEGY = st.fixed_dictionaries({"matrix": st.dictionaries(
    _WORDS, _mostly(st.lists(_TEXT, max_size=3)), max_size=3)})
_JOB = st.fixed_dictionaries(
    {"steps": _mostly(st.lists(_mostly(_STEP), min_size=1, max_size=3))},
    optional={"uses": _mostly(_CALL), "with": _mostly(_WITH), "permissions": _PERMISSIONS,
              "environment": _mostly(_TEXT | st.fixed_dictionaries({"name": _TEXT})),
              "env": _ENV, "strategy": _mostly(_STRATEGY), "if": _TEXT})
_JOB_IDS = _mostly(st.sampled_from(["deploy", "build"]), _KEYS)
_WORKFLOW = st.fixed_dictionaries(
    {True: _ON, "jobs": _mostly(st.dictionaries(_JOB_IDS, _mostly(_JOB), min_size=1, max_size=3))},
    optional={"on": _ON, "permissions": _PERMISSIONS, "env": _ENV})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mostly(_WORKFLOW), min_size=2, max_size=2), st.none() | st.just("main"))
def test_random_workflows_never_raise(documents, default_branch):
    files = {name: yaml.safe_dump(document, sort_keys=False)
             for name, document in zip(("a.yml", "b.yml"), documents)}
    inventory = parse(files, default_branch)
    for workload in inventory.workloads:
        assert workload.span.path in (f"{WORKFLOWS}/a.yml", f"{WORKFLOWS}/b.yml")
        assert isinstance(workload.role, (str, Partial, Unknown))
        assert workload.duration is None or isinstance(workload.duration, (int, Unknown))
        assert workload.id_token_permission in (True, False, None)
        assert all(isinstance(c.label, str) and c.subject for c in workload.contexts)
    assert all(d.path.startswith(WORKFLOWS) for d in inventory.diagnostics)


def test_workflows_are_read_with_the_yaml_1_2_core_schema_as_github_reads_them():
    """`on`, `yes` and dates are strings to GitHub: a tag filter `2024-06-01` and an
    environment named `on` are names, not a date and a boolean."""
    workload = only(job("on:\n  push:\n    tags: [2024-06-01, yes]\n"))
    assert subjects(workload) == [
        ("push of tag 2024-06-01", "ref:refs/tags/2024-06-01", False),
        ("push of tag yes", "ref:refs/tags/yes", False)]
    workload = only(job("on: push\n", body="environment: on\n"))
    assert subjects(workload) == [("environment on", "environment:on", False)]


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


def test_an_expression_that_can_be_empty_leaves_those_runs_unknown():
    workload = only(job("on: push\n", body=(
        "environment: ${{ github.ref == 'refs/heads/main' && 'production' || '' }}\n")))
    environment, empty = workload.contexts
    assert isinstance(environment.subject, Partial) and environment.subject.parts[0] == "environment:"
    assert isinstance(empty.subject, Unknown)


# -- if: conditions ----------------------------------------------------------------------------

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
