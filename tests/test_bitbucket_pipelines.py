"""Bitbucket Pipelines to workloads: `oidc: true` steps, the role their script or pipe
hands to AWS, and the subject of a step and of a deployment step."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oidclint.iam.claims import tokens_for
from oidclint.iam.patterns import FIELD, UNKNOWN
from oidclint.model import Inventory
from oidclint.readers.workloads.bitbucket_pipelines import parse_bitbucket_pipelines
from oidclint.source import Partial, SourceFile, Unknown

ROLE = "arn:aws:iam::123456789012:role/deploy"


def read(text: str) -> Inventory:
    return parse_bitbucket_pipelines(SourceFile(
        "bitbucket-pipelines.yml", Path("bitbucket-pipelines.yml"), textwrap.dedent(text)))


def subjects(workload) -> list[str]:
    return [t.subject.text.replace(UNKNOWN, "?").replace(FIELD, "?")
            for t in tokens_for(workload, None)]


def test_a_step_shared_by_an_anchor_runs_in_each_pipeline():
    inventory = read(f"""
        definitions:
          steps:
            - step: &deploy
                name: Deploy
                oidc: true
                script:
                  - export AWS_ROLE_ARN="{ROLE}"
                  - echo $BITBUCKET_STEP_OIDC_TOKEN > token
        pipelines:
          default:
            - step: *deploy
          tags:
            "v*":
              - step:
                  <<: *deploy
                  deployment: production
        """)
    first, second = inventory.workloads
    assert first.kind == second.kind == "bitbucket-pipelines"
    assert first.name == second.name == "bitbucket-pipelines.yml step Deploy"
    assert first.role == second.role == ROLE
    assert [c.label for c in first.contexts] == ["default pipeline"]
    assert [c.label for c in second.contexts] == ["tag v*, deployment production"]
    assert subjects(first) == ["{?}:{?}"]
    assert subjects(second) == ["{?}:{?}:{?}"]


def test_role_from_a_pipe_or_the_sts_command_and_unknown_variables():
    inventory = read("""
        pipelines:
          custom:
            upload:
              - parallel:
                  steps:
                    - step:
                        oidc: true
                        script:
                          - pipe: atlassian/aws-s3-deploy:1.6.0
                            variables:
                              AWS_OIDC_ROLE_ARN: arn:aws:iam::${ACCOUNT}:role/upload
                    - step:
                        oidc: true
                        script:
                          - aws sts assume-role-with-web-identity --role-arn 'arn:aws:iam::123456789012:role/sts' --web-identity-token "$BITBUCKET_STEP_OIDC_TOKEN"
        """)
    pipe, command = inventory.workloads
    assert isinstance(pipe.role, Partial) and pipe.role.known_suffix == ":role/upload"
    assert isinstance(pipe.role.parts[1], Unknown) and "ACCOUNT" in pipe.role.parts[1].origin
    assert command.role == "arn:aws:iam::123456789012:role/sts"
    assert [w.name for w in inventory.workloads] == [
        "bitbucket-pipelines.yml step #1", "bitbucket-pipelines.yml step #2"]
    assert pipe.contexts[0].label == "custom pipeline upload"


def test_steps_without_oidc_or_a_role_are_no_workload():
    inventory = read(f"""
        pipelines:
          default:
            - step:
                script: [export AWS_ROLE_ARN={ROLE}]
            - step:
                oidc: false
                script: [export AWS_ROLE_ARN={ROLE}]
            - step:
                oidc: true
                script: [aws s3 ls]
        """)
    assert inventory.workloads == []
