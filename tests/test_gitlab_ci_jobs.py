"""GitLab CI jobs to workloads: ID tokens, roles and audiences, and pipelines that are
broken or odd: a diagnostic, never an exception."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory
from oidclint.source import Partial, Unknown
from gitlab_ci_helpers import ROLE, job, pipeline, where


BASIC = f"""\
    variables:
      AWS_DEFAULT_REGION: eu-west-1
    deploy:
      stage: deploy
      id_tokens:
        GITLAB_OIDC_TOKEN:
          aud: https://gitlab.com
      variables:
        AWS_ROLE_ARN: {ROLE}
        AWS_WEB_IDENTITY_TOKEN_FILE: /tmp/token
      environment: production
      script:
        - echo "$GITLAB_OIDC_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"
        - aws sts get-caller-identity
    test:
      script: [pytest]
"""


def test_job_with_id_token_and_role_variable():
    inventory = pipeline(BASIC)
    assert inventory.files == [".gitlab-ci.yml"] and inventory.diagnostics == []
    (workload,) = inventory.workloads
    assert workload.kind == "gitlab-ci" and workload.name == ".gitlab-ci.yml job deploy"
    assert workload.span == where(BASIC, "deploy", within="deploy:")
    assert workload.role == ROLE and workload.role_span == where(BASIC, ROLE)
    assert workload.audience == "https://gitlab.com"
    assert workload.audience.span == where(BASIC, "https://gitlab.com")
    assert workload.issuer is None and workload.duration is None


def test_environment_does_not_change_the_subject():
    (context,) = pipeline(BASIC).workloads[0].contexts
    assert context.label == "any branch or tag"
    assert context.subject == "ref_type:*:ref:*" and context.pattern
    assert context.span == where(BASIC, "deploy", within="deploy:")


def test_id_tokens_without_a_role_or_a_role_without_id_tokens_is_no_workload():
    assert pipeline("vault:\n  id_tokens: {VAULT_ID_TOKEN: {aud: https://vault}}\n"
                    "  script: [vault read secret/x]\n").workloads == []
    assert pipeline(f"old:\n  variables: {{AWS_ROLE_ARN: {ROLE}}}\n  script: [aws s3 ls]\n"
                    ).workloads == []


ASSUME = """\
    variables:
      ROLE_ARN: arn:aws:iam::123456789012:role/from-global
    assume:
      id_tokens:
        VAULT_TOKEN:
          aud: https://vault.example.com
        AWS_TOKEN:
          aud: sts.amazonaws.com
      script:
        - >
          export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s"
          $(aws sts assume-role-with-web-identity
          --role-arn ${ROLE_ARN}
          --role-session-name "GitLabRunner-${CI_PROJECT_ID}-${CI_PIPELINE_ID}"
          --web-identity-token ${AWS_TOKEN}
          --duration-seconds 3600
          --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]'
          --output text))
"""


def test_role_from_assume_role_command_and_a_variable():
    workload = job(pipeline(ASSUME), "assume")
    assert workload.role == "arn:aws:iam::123456789012:role/from-global"
    assert workload.role_span == where(ASSUME, "arn:aws:iam::123456789012:role/from-global")
    assert workload.duration == 3600
    assert isinstance(workload.session_name, Partial)
    assert str(workload.session_name) == ("GitLabRunner-${predefined variable CI_PROJECT_ID}"
                                          "-${predefined variable CI_PIPELINE_ID}")


def test_audience_of_the_token_passed_to_aws_among_several():
    workload = job(pipeline(ASSUME), "assume")
    assert workload.audience == "sts.amazonaws.com"
    assert workload.audience.span == where(ASSUME, "sts.amazonaws.com")


def test_literal_role_in_the_command_points_at_its_text():
    text = """\
        deploy:
          id_tokens: {TOKEN: {aud: sts.amazonaws.com}}
          script:
            - aws sts assume-role-with-web-identity --role-arn "arn:aws:iam::1:role/x" --web-identity-token $TOKEN --role-session-name ci
    """
    workload = job(pipeline(text), "deploy")
    assert workload.role == "arn:aws:iam::1:role/x"
    assert workload.role_span == where(text, "arn:aws:iam::1:role/x")
    assert workload.session_name == "ci"


def test_role_from_an_undefined_variable_is_unknown():
    text = """\
        deploy:
          id_tokens: {TOKEN: {aud: sts.amazonaws.com}}
          script:
            - aws sts assume-role-with-web-identity --role-arn $DEPLOY_ROLE --web-identity-token $TOKEN
    """
    workload = job(pipeline(text), "deploy")
    assert workload.role == Unknown("CI/CD variable DEPLOY_ROLE", where(text, "$DEPLOY_ROLE"))


def test_role_composed_of_known_and_unknown_parts():
    text = """\
        variables:
          AWS_ROLE_ARN: arn:aws:iam::${AWS_ACCOUNT_ID}:role/deploy
        deploy:
          id_tokens: {TOKEN: {aud: sts.amazonaws.com}}
          script: [echo $TOKEN > $AWS_WEB_IDENTITY_TOKEN_FILE]
    """
    role = job(pipeline(text), "deploy").role
    assert isinstance(role, Partial)
    assert str(role) == "arn:aws:iam::${CI/CD variable AWS_ACCOUNT_ID}:role/deploy"


@pytest.mark.parametrize("variables, expected", [
    ({"AWS_ROLE_TO_ASSUME": "arn:aws:iam::1:role/a"}, "arn:aws:iam::1:role/a"),
    ({"DEPLOY_ROLE_ARN": "arn:aws:iam::1:role/b", "AWS_ROLE_ARN": "arn:aws:iam::1:role/c"},
     "arn:aws:iam::1:role/c"),
    ({"AWS_ROLE_ARN": "$SETTINGS_ROLE"}, "${CI/CD variable SETTINGS_ROLE}"),
    ({"AWS_ROLE_ARN": {"value": "arn:aws:iam::1:role/d", "description": "the role"}},
     "arn:aws:iam::1:role/d"),
    ({"AWS_ROLE_ARN": ""}, "${CI/CD variable AWS_ROLE_ARN (empty in the file)}"),
])
def test_role_variables(variables, expected):
    text = yaml.safe_dump({"deploy": {"id_tokens": {"T": {"aud": "sts.amazonaws.com"}},
                                      "variables": variables, "script": ["make"]}})
    assert str(job(pipeline(text), "deploy").role) == expected


@pytest.mark.parametrize("tokens, script, expected", [
    ({"A": {"aud": "a"}, "B": {"aud": "b"}}, ["echo $B > $AWS_WEB_IDENTITY_TOKEN_FILE"], "b"),
    ({"A": {"aud": "a"}, "B": {"aud": "b"}}, ["use ${B}"], "b"),
    ({"A": {"aud": "a"}, "B": {"aud": "b"}}, ["make"], "a"),
    ({"A": {"aud": ["only"]}}, ["make"], "only"),
    ({"A": {"aud": ["x", "y"]}}, ["make"], "${id_tokens.A.aud lists several audiences (x, y)}"),
    ({"A": {}}, ["make"], "${id_tokens.A sets no aud}"),
    ({"A": {"aud": "$CI_SERVER_URL"}}, ["make"], "${predefined variable CI_SERVER_URL}"),
])
def test_audience_of_the_token_used(tokens, script, expected):
    text = yaml.safe_dump({"deploy": {"id_tokens": tokens, "script": script,
                                      "variables": {"AWS_ROLE_ARN": ROLE}}})
    assert str(job(pipeline(text), "deploy").audience) == expected


# -- broken and odd input -----------------------------------------------------------------

def test_broken_yaml_is_a_diagnostic_with_its_position():
    inventory = pipeline("deploy:\n  script: [make\n")
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.path == ".gitlab-ci.yml" and diagnostic.message.startswith("YAML syntax error: line ")
    assert diagnostic.span.line >= 2 and inventory.workloads == []


@pytest.mark.parametrize("text", [
    "", "# nothing\n", "[1, 2]\n", "just text\n", "include: 5\n", "include: [1, null, {local: [x]}]\n",
    "variables: [a]\ndeploy: {id_tokens: [x], script: 5}\n",
    "deploy: {id_tokens: {T: 5}, variables: {AWS_ROLE_ARN: [x]}, script: [[[[make]]]]}\n",
    "deploy: {id_tokens: {T: {aud: {a: b}}}, variables: {AWS_ROLE_ARN: 42}, rules: 5}\n",
    "deploy: {id_tokens: {T: {aud: x}}, variables: {AWS_ROLE_ARN: true}, rules: [1, {if: 5}, null]}\n",
    "deploy: {id_tokens: {T: null}, variables: null, only: {refs: 5, variables: [1]}, except: {refs: 7}}\n",
    "deploy: {extends: [1, {a: b}], id_tokens: {T: {aud: x}}, inherit: 5, variables: {ROLE_ARN: x}}\n",
    "default: [x]\nworkflow: {rules: {a: b}}\ndeploy: {id_tokens: {1: {aud: x}}, variables: {AWS_ROLE_ARN: x}}\n",
    "deploy: {id_tokens: {T: {aud: x}}, variables: {AWS_ROLE_ARN: x}, script: [!reference [a, b, c]]}\n",
    "deploy: {id_tokens: !reference [.x, y], variables: {AWS_ROLE_ARN: x}}\n",
    "a: &a {b: *a}\n",
    "deploy:\n  <<: [1, 2]\n",
    "1: {id_tokens: {T: {aud: x}}, variables: {AWS_ROLE_ARN: x}}\nnull: 2\ntrue: [3]\n",
])
def test_wrong_types_do_not_crash(text):
    inventory = pipeline(text)
    assert isinstance(inventory, Inventory)
    for diagnostic in inventory.diagnostics:
        assert diagnostic.message and diagnostic.path


def test_merge_key_chains_do_not_grow_exponentially():
    lines = ["a0: &a0 {k: v}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, 40)]
    inventory = pipeline("\n".join(lines) + "\n")
    assert isinstance(inventory, Inventory)


_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 3),
              st.sampled_from(["", "x", "$V", "${AWS_TOKEN}", ROLE, "/^r/", '$CI_COMMIT_TAG == "v"',
                               "never", "aws sts assume-role-with-web-identity --role-arn $R"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([
            "id_tokens", "AWS_TOKEN", "aud", "variables", "AWS_ROLE_ARN", "ROLE_ARN", "script",
            "before_script", "rules", "if", "when", "only", "except", "refs", "extends", "inherit",
            "default", "value", "local", "changes"]), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["deploy", ".tpl", "default", "variables", "workflow",
                                        "include", "build"]), _VALUES, max_size=4))
def test_any_configuration_reads_without_raising(config):
    inventory = pipeline(yaml.safe_dump(config))
    assert isinstance(inventory, Inventory)
    for workload in inventory.workloads:
        assert workload.role is not None
        assert all(str(c.subject).startswith("ref_type:") for c in workload.contexts)
