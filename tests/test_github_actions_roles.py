"""GitHub Actions workflows to roles: the id-token permission, the configure-aws-credentials
step, the role it assumes and its other inputs."""

from __future__ import annotations

import pytest

from oidclint.source import Partial, Span, Str, Unknown
from github_actions_helpers import ACTION, ROLE, WORKFLOWS, job, only, parse


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
