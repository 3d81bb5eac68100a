"""CircleCI configurations to workloads: the aws-cli orb's role, the token version its
version passes, parameters, reusable commands and the refs a workflow job runs for."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oidclint.iam.claims import tokens_for
from oidclint.iam.patterns import FIELD, UNKNOWN
from oidclint.model import Inventory
from oidclint.readers.workloads.circleci import parse_circleci, v2_token
from oidclint.readers.workloads.ci_pipelines import pipeline_kind
from oidclint.source import Partial, SourceFile, Unknown

ROLE = "arn:aws:iam::123456789012:role/deploy"


def read(text: str) -> Inventory:
    return parse_circleci(SourceFile(".circleci/config.yml", Path("config.yml"),
                                     textwrap.dedent(text)))


def subjects(workload) -> list[str]:
    return [t.subject.text.replace(UNKNOWN, "?").replace(FIELD, "?")
            for t in tokens_for(workload, None)]


@pytest.mark.parametrize("version, v2", [
    ("3.1.4", False), ("3.1.0", False), ("3.1.5", True), ("3.1", True), ("3", True),
    ("4.1.3", True), ("5", True), ("volatile", True), ("3.0.0", False), ("2.0", False)])
def test_token_version_follows_the_orb_version(version, v2):
    assert v2_token(version) is v2


def test_setup_step_in_a_job_with_branch_filters():
    inventory = read(f"""
        version: 2.1
        orbs:
          aws: circleci/aws-cli@4.1.3
        jobs:
          deploy:
            steps:
              - checkout
              - aws/setup:
                  role_arn: {ROLE}
                  role_session_name: deploy-session
                  session_duration: "900"
        workflows:
          release:
            jobs:
              - deploy:
                  filters:
                    branches:
                      only: [main, /release-.*/]
                    tags:
                      only: v1
        """)
    [workload] = inventory.workloads
    assert workload.kind == "circleci"
    assert workload.name == ".circleci/config.yml workflow release job deploy"
    assert workload.role == ROLE and workload.role_span.line == 10
    assert workload.session_name == "deploy-session" and workload.duration == 900
    assert [c.label for c in workload.contexts] == [
        "branch main", "branches matching /release-.*/", "tag v1"]
    assert subjects(workload) == [
        f"org/?/project/?/user/?/vcs-origin/?/vcs-ref/refs/heads/{ref}"
        for ref in ("main", "release-*")] + [
        "org/?/project/?/user/?/vcs-origin/?/vcs-ref/refs/tags/v1"]
    assert [c.pattern for c in workload.contexts] == [False, True, False]


def test_v1_token_of_an_old_orb_and_its_kebab_case_command():
    inventory = read(f"""
        orbs:
          aws-cli: circleci/aws-cli@3.1.1
        jobs:
          deploy:
            steps:
              - aws-cli/assume-role-with-web-identity:
                  role-arn: {ROLE}
        workflows:
          main:
            jobs: [deploy]
        """)
    [workload] = inventory.workloads
    assert subjects(workload) == ["org/?/project/?/user/?"]
    assert workload.contexts[0].label == "any branch" and workload.contexts[0].every_ref


def test_parameters_reusable_commands_and_environment():
    inventory = read("""
        version: 2.1
        orbs:
          aws-cli: circleci/aws-cli@4.0
        parameters:
          account: {type: string, default: "123456789012"}
        commands:
          login:
            parameters:
              role: {type: string}
            steps:
              - aws-cli/assume_role_with_web_identity:
                  role_arn: arn:aws:iam::<< pipeline.parameters.account >>:role/<< parameters.role >>
        jobs:
          deploy:
            parameters:
              stage: {type: string, default: dev}
            environment:
              PREFIX: api
            steps:
              - login:
                  role: $PREFIX-<< parameters.stage >>
        workflows:
          main:
            jobs:
              - deploy:
                  name: deploy-prod
                  stage: prod
              - deploy
        """)
    assert [(w.name.rsplit(" ", 1)[1], w.role) for w in inventory.workloads] == [
        ("deploy-prod", "arn:aws:iam::123456789012:role/api-prod"),
        ("deploy", "arn:aws:iam::123456789012:role/api-dev")]


def test_a_variable_the_file_does_not_set_is_unknown():
    inventory = read("""
        orbs: {aws-cli: circleci/aws-cli@5}
        jobs:
          build:
            steps:
              - aws-cli/setup: {role_arn: "arn:aws:iam::${ACCOUNT}:role/deploy"}
        """)
    [workload] = inventory.workloads
    role = workload.role
    assert isinstance(role, Partial) and role.known_suffix == ":role/deploy"
    assert isinstance(role.parts[1], Unknown)
    assert "ACCOUNT" in role.parts[1].origin


def test_no_workflows_runs_only_the_build_job():
    text = """
        orbs: {{aws-cli: circleci/aws-cli@5}}
        jobs:
          {name}:
            steps:
              - aws-cli/setup: {{role_arn: arn:aws:iam::123456789012:role/deploy}}
        """
    assert [w.name for w in read(text.format(name="build")).workloads] == [
        ".circleci/config.yml job build"]
    assert read(text.format(name="deploy")).workloads == []


def test_steps_without_a_role_or_of_another_orb_are_no_workload():
    inventory = read("""
        orbs:
          aws-cli: circleci/aws-cli@4.1
          other: acme/aws-cli@1.0
        jobs:
          keys:
            steps: [{aws-cli/setup: {aws_access_key_id: $KEY}}]
          other:
            steps: [{other/setup: {role_arn: arn:aws:iam::123456789012:role/x}}]
        workflows:
          main: {jobs: [keys, other]}
        """)
    assert inventory.workloads == []


def test_pipeline_files_are_recognised_by_path():
    assert pipeline_kind(".circleci/config.yml") == "circleci"
    assert pipeline_kind("svc/.circleci/config.yml") == "circleci"
    assert pipeline_kind(".circleci/other.yml") is None
    assert pipeline_kind("bitbucket-pipelines.yml") == "bitbucket-pipelines"
    assert pipeline_kind(".buildkite/pipeline.deploy.yml") == "buildkite"
    assert pipeline_kind("buildkite.yaml") == "buildkite"
    assert pipeline_kind("config.yml") is None
