"""Buildkite pipelines to workloads: the aws-assume-role-with-web-identity plugin's role, its
fixed audience, interpolated variables and the refs a step runs for."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oidclint.iam.claims import tokens_for
from oidclint.iam.patterns import FIELD, UNKNOWN
from oidclint.model import Inventory
from oidclint.readers.workloads.buildkite import parse_buildkite
from oidclint.source import Partial, SourceFile, Unknown

ROLE = "arn:aws:iam::123456789012:role/deploy"


def read(text: str, path: str = ".buildkite/pipeline.yml") -> Inventory:
    return parse_buildkite(SourceFile(path, Path("pipeline.yml"), textwrap.dedent(text)))


def subjects(workload) -> list[str]:
    return [t.subject.text.replace(UNKNOWN, "?").replace(FIELD, "?")
            for t in tokens_for(workload, None)]


def test_plugin_step_with_branches_and_a_key():
    inventory = read(f"""
        steps:
          - label: Deploy
            key: deploy
            branches: "main release/* !release/old"
            plugins:
              - buildkite-plugins/aws-assume-role-with-web-identity-buildkite-plugin#v1.4.0:
                  role-arn: {ROLE}
                  role-session-name: deploy-$$BUILDKITE_JOB_ID
                  role-session-duration: 900
        """)
    [workload] = inventory.workloads
    assert workload.kind == "buildkite" and workload.name == ".buildkite/pipeline.yml step deploy"
    assert workload.role == ROLE and workload.audience == "sts.amazonaws.com"
    assert workload.session_name == "deploy-$BUILDKITE_JOB_ID" and workload.duration == 900
    assert [c.label for c in workload.contexts] == ["branch main", "branch release/*"]
    assert subjects(workload) == [
        "organization:?:pipeline:?:ref:refs/heads/main:commit:*:step:deploy",
        "organization:?:pipeline:?:ref:refs/heads/release/*:commit:*:step:deploy"]
    assert tokens_for(workload, None)[0].audience == "sts.amazonaws.com"


def test_top_level_list_group_steps_and_variables():
    inventory = read("""
        - command: make test
        - wait
        - group: release
          steps:
            - label: ship
              env: {ROLE_NAME: ship}
              plugins:
                aws-assume-role-with-web-identity:
                  role-arn: arn:aws:iam::${ACCOUNT_ID}:role/$ROLE_NAME
        """)
    [workload] = inventory.workloads
    assert workload.name.endswith("step ship")
    role = workload.role
    assert isinstance(role, Partial) and role.known_suffix == ":role/ship"
    assert isinstance(role.parts[1], Unknown) and "ACCOUNT_ID" in role.parts[1].origin
    [context] = workload.contexts
    assert context.label == "any ref" and context.every_ref
    assert subjects(workload) == ["organization:?:pipeline:?:ref:*:commit:*:step:"]


def test_other_plugins_and_plain_steps_are_no_workload():
    inventory = read(f"""
        steps:
          - command: aws sts get-caller-identity
          - plugins:
              - cultureamp/aws-assume-role#v0.1.0: {{role: {ROLE}}}
              - docker#v5.0.0: {{image: alpine}}
        """)
    assert inventory.workloads == []


def test_a_pipeline_of_another_type_is_reported():
    inventory = read("just text")
    assert [d.message for d in inventory.diagnostics] == [
        "the Buildkite pipeline is not a mapping or a list; not read"]
