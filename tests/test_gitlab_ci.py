"""GitLab CI pipelines to workloads: ID tokens, roles, audiences and the refs jobs run for."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory, Level
from oidclint.readers.workloads.gitlab_ci import (
    glob_match, parse_condition, parse_gitlab_ci, refs_of, regex_globs,
)
from oidclint.source import Partial, SourceFile, Span, Unknown

ROLE = "arn:aws:iam::123456789012:role/deploy"


def scan(files: dict[str, str], root: str = ".gitlab-ci.yml") -> Inventory:
    sources = {path: SourceFile(path, Path(path), textwrap.dedent(text))
               for path, text in files.items()}
    return parse_gitlab_ci(sources[root], sources)


def pipeline(text: str) -> Inventory:
    return scan({".gitlab-ci.yml": text})


def job(inventory: Inventory, name: str):
    return next(w for w in inventory.workloads if w.name.endswith(f" job {name}"))


def where(text: str, needle: str, path: str = ".gitlab-ci.yml", within: str = "") -> Span:
    text = textwrap.dedent(text)
    offset = text.index(within or needle) + (within or needle).index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(path, line, column, line, column + len(needle))


def subjects(workload) -> list[str]:
    return [str(c.subject) for c in workload.contexts]


# -- what makes a job a workload ----------------------------------------------------------

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


# -- includes -----------------------------------------------------------------------------


def test_local_includes_in_every_form():
    inventory = scan({
        ".gitlab-ci.yml": """\
            include:
              - local: /ci/tokens.yml
              - ci/jobs/*.yml
              - project: other/group
                file: /templates/x.yml
              - remote: https://example.com/ci.yml
              - template: Auto-DevOps.gitlab-ci.yml
            variables:
              AWS_ROLE_ARN: arn:aws:iam::1:role/main
        """,
        "ci/tokens.yml": "include: {local: ci/more/**.yml}\n.tokens:\n  id_tokens: {T: {aud: sts}}\n",
        "ci/more/deep/extra.yml": "variables: {EXTRA: 'yes'}\n",
        "ci/jobs/deploy.yml": "deploy:\n  extends: .tokens\n  script: [make]\n",
        "ci/jobs/notes.md": "not yaml: [\n",
    })
    # What is not in this repository is named, never guessed.
    assert [(d.level, d.span.line, d.message) for d in inventory.diagnostics] == [
        (Level.NOTE, 4, "include project other/group /templates/x.yml is not in this "
         "repository and is not read: its jobs, variables and defaults are not analyzed"),
        (Level.NOTE, 6, "include remote https://example.com/ci.yml is not in this repository "
         "and is not read: its jobs, variables and defaults are not analyzed"),
        (Level.NOTE, 7, "include template Auto-DevOps.gitlab-ci.yml is not in this repository "
         "and is not read: its jobs, variables and defaults are not analyzed"),
    ]
    assert inventory.files == [".gitlab-ci.yml", "ci/tokens.yml", "ci/more/deep/extra.yml",
                               "ci/jobs/deploy.yml"]
    workload = job(inventory, "deploy")
    assert workload.name == ".gitlab-ci.yml job deploy"
    assert workload.span.path == "ci/jobs/deploy.yml" and workload.span.line == 1
    assert workload.role == "arn:aws:iam::1:role/main" and workload.audience == "sts"
    assert workload.audience.span.path == "ci/tokens.yml"


def test_single_string_include_and_the_including_file_wins():
    inventory = scan({
        ".gitlab-ci.yml": f"include: 'ci/base.yml'\ndeploy:\n  variables:\n    AWS_ROLE_ARN: {ROLE}\n",
        "ci/base.yml": "deploy:\n  id_tokens: {T: {aud: sts}}\n  variables:\n"
                       "    AWS_ROLE_ARN: arn:aws:iam::1:role/base\n    OTHER: x\n  script: [make]\n",
    })
    workload = job(inventory, "deploy")
    assert workload.role == ROLE and workload.role_span.path == ".gitlab-ci.yml"
    assert workload.span.path == ".gitlab-ci.yml" and workload.audience == "sts"


def test_include_loops_are_reported_and_stop():
    inventory = scan({
        ".gitlab-ci.yml": "include: [a.yml]\n",
        "a.yml": "include: [b.yml]\n",
        "b.yml": f"include: [a.yml, .gitlab-ci.yml]\nj:\n  id_tokens: {{T: {{aud: x}}}}\n"
                 f"  variables: {{AWS_ROLE_ARN: {ROLE}}}\n  script: [make]\n",
    })
    messages = sorted(d.message for d in inventory.diagnostics)
    assert messages == ["include .gitlab-ci.yml includes itself; not read again",
                        "include a.yml includes itself; not read again"]
    assert [w.name for w in inventory.workloads] == [".gitlab-ci.yml job j"]


def test_missing_include_is_a_note():
    text = "include:\n  - local: ci/absent.yml\n  - local: ci/$ENV.yml\n"
    inventory = pipeline(text)
    first, second = inventory.diagnostics
    assert first.level == second.level == Level.NOTE
    assert "ci/absent.yml is not among the scanned files" in first.message
    assert first.span == where(text, "ci/absent.yml")
    assert "variables" in second.message


def test_broken_included_file_is_a_diagnostic_of_that_file():
    inventory = scan({".gitlab-ci.yml": "include: [ci/x.yml]\n", "ci/x.yml": "a: [b\n"})
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.path == "ci/x.yml" and diagnostic.message.startswith("YAML syntax error: ")


# -- extends, default, anchors, !reference ------------------------------------------------

TEMPLATES = f"""\
    default:
      id_tokens:
        DEFAULT_TOKEN: {{aud: default-aud}}
      before_script: [echo default]
    .aws:
      variables:
        AWS_ROLE_ARN: {ROLE}
        AWS_WEB_IDENTITY_TOKEN_FILE: /tmp/t
      id_tokens:
        AWS_TOKEN: {{aud: sts.amazonaws.com}}
    .deploy:
      extends: .aws
      variables:
        STAGE: prod
      script: [echo $AWS_TOKEN > $AWS_WEB_IDENTITY_TOKEN_FILE]
    deploy:
      extends: [.deploy]
      variables:
        STAGE: staging
    plain:
      variables: {{AWS_ROLE_ARN: {ROLE}}}
      script: [make]
    isolated:
      inherit:
        default: false
      variables: {{AWS_ROLE_ARN: {ROLE}}}
      script: [make]
"""


def test_extends_merges_templates_deeply():
    workload = job(pipeline(TEMPLATES), "deploy")
    assert workload.role == ROLE and workload.audience == "sts.amazonaws.com"


def test_default_supplies_id_tokens_unless_not_inherited():
    inventory = pipeline(TEMPLATES)
    assert job(inventory, "plain").audience == "default-aud"
    assert {w.name for w in inventory.workloads} == {".gitlab-ci.yml job deploy",
                                                     ".gitlab-ci.yml job plain"}


def test_extends_loops_and_unknown_parents_are_reported():
    inventory = pipeline("a:\n  extends: b\nb:\n  extends: [a, .missing]\n")
    messages = sorted(d.message for d in inventory.diagnostics)
    assert any("loops" in m for m in messages) and any(".missing, which is not defined" in m
                                                       for m in messages)


def test_merge_keys_and_reference_tags():
    text = f"""\
        .tokens: &tokens
          id_tokens: {{T: {{aud: sts.amazonaws.com}}}}
        .setup:
          script:
            - aws sts assume-role-with-web-identity --role-arn {ROLE} --web-identity-token $T
        deploy:
          <<: *tokens
          script:
            - !reference [.setup, script]
            - make deploy
    """
    workload = job(pipeline(text), "deploy")
    assert workload.role == ROLE and workload.audience == "sts.amazonaws.com"
    assert workload.role_span == where(text, ROLE)


# -- contexts -----------------------------------------------------------------------------


def contexts_of(rules_text: str, workflow: str = "") -> list[tuple[str, str, bool]]:
    text = (workflow + f"deploy:\n  id_tokens: {{T: {{aud: a}}}}\n"
            f"  variables: {{AWS_ROLE_ARN: {ROLE}}}\n  script: [make]\n" + rules_text)
    return [(c.label, str(c.subject), c.pattern) for c in job(pipeline(text), "deploy").contexts]


@pytest.mark.parametrize("rules, expected", [
    ('  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n',
     [("branch main", "ref_type:branch:ref:main", False)]),
    ("  rules:\n    - if: '$CI_COMMIT_BRANCH == \"main\" || $CI_COMMIT_TAG'\n",
     [("branch main", "ref_type:branch:ref:main", False), ("any tag", "ref_type:tag:ref:*", True)]),
    ("  rules:\n    - if: $CI_COMMIT_REF_NAME =~ /^release/\n",
     [("branch or tag matching release*", "ref_type:*:ref:release*", True)]),
    ("  rules:\n    - if: $CI_COMMIT_TAG =~ /^v\\d+\\.\\d+$/\n",
     [("tag matching v*.*", "ref_type:tag:ref:v*.*", True)]),
    ("  rules:\n    - if: $CI_COMMIT_BRANCH =~ /^(main|release\\/.+)$/\n",
     [("branch main", "ref_type:branch:ref:main", False),
      ("branch matching release/*", "ref_type:branch:ref:release/*", True)]),
    ('  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n',
     [("merge request (any source branch)", "ref_type:branch:ref:*", True)]),
    ("  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n",
     [("branch $CI_DEFAULT_BRANCH (the project's default branch)",
       "ref_type:branch:ref:${$CI_DEFAULT_BRANCH (the project's default branch)}", False)]),
    ('  rules:\n    - if: $CI_COMMIT_BRANCH != "main"\n      when: never\n    - when: on_success\n',
     [("branch main", "ref_type:branch:ref:main", False)]),
    ("  rules:\n    - if: $CI_COMMIT_TAG\n      when: never\n    - when: manual\n",
     [("any branch", "ref_type:branch:ref:*", True)]),
    ('  rules:\n    - if: $CI_COMMIT_TAG\n      changes: [x]\n      when: never\n'
     '    - if: $CI_COMMIT_REF_PROTECTED == "true"\n',
     [("any branch or tag", "ref_type:*:ref:*", True)]),
    ('  rules:\n    - if: $CUSTOM == "1"\n', [("any branch or tag", "ref_type:*:ref:*", True)]),
    ("  rules:\n    - if: '$CI_COMMIT_BRANCH == \"a\" && $CI_COMMIT_TAG'\n", []),
    ("  rules:\n    - if: '(($CI_COMMIT_BRANCH'\n", [("any branch or tag", "ref_type:*:ref:*", True)]),
    ("  rules:\n    - when: never\n    - if: $CI_COMMIT_TAG\n", []),
    ("  only: [main, tags]\n",
     [("branch main", "ref_type:branch:ref:main", False), ("any tag", "ref_type:tag:ref:*", True)]),
    ("  only: [/^hotfix-.*$/]\n  except: [tags]\n",
     [("branch matching hotfix-*", "ref_type:branch:ref:hotfix-*", True)]),
    ("  only:\n    refs: [branches]\n    variables: ['$CI_COMMIT_BRANCH == \"dev\"']\n",
     [("branch dev", "ref_type:branch:ref:dev", False)]),
    ("  except: [branches]\n", [("any tag", "ref_type:tag:ref:*", True)]),
])
def test_rules_and_only_become_contexts(rules, expected):
    assert contexts_of(rules) == expected


def test_workflow_rules_restrict_every_job():
    workflow = ("workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n"
                "    - if: $CI_COMMIT_BRANCH == \"main\"\n")
    assert contexts_of("", workflow) == [("branch main", "ref_type:branch:ref:main", False)]
    assert contexts_of("  rules:\n    - if: $CI_MERGE_REQUEST_IID\n", workflow) == [
        ("merge request (any source branch)", "ref_type:branch:ref:*", True)]
    assert contexts_of("  rules:\n    - if: $CI_COMMIT_TAG\n", workflow) == []


def test_context_claims_and_spans():
    text = (f"deploy:\n  id_tokens: {{T: {{aud: a}}}}\n  variables: {{AWS_ROLE_ARN: {ROLE}}}\n"
            "  script: [make]\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n"
            "    - if: $CI_MERGE_REQUEST_IID\n")
    main, merge_request = job(pipeline(text), "deploy").contexts
    assert main.claims == {"ref_type": "branch", "ref": "main"}
    assert main.span == where(text, '$CI_COMMIT_BRANCH == "main"')
    assert merge_request.claims == {"ref_type": "branch", "pipeline_source": "merge_request_event"}


@pytest.mark.parametrize("regex, flags, expected", [
    ("^main$", "", ["main"]),
    ("^release", "", ["release*"]),
    ("main", "", ["*main*"]),
    (r"^v\d+\.\d+\.\d+$", "", ["v*.*.*"]),
    ("^(main|master)$", "", ["main", "master"]),
    ("^feature/[a-z]+-[0-9]{3}$", "", ["feature/*-*"]),
    ("^(?:a|b)c?$", "", ["?*"]),
    ("^(?:main|release/.+)$", "", ["main", "release/*"]),
    ("[^/]+-(dev|prod)$", "", ["*-dev", "*-prod"]),
    ("^a|b$", "", ["a*", "*b"]),
    ("^main$", "i", None),
    (r"^(?=x)", "", None),
    (r"^\bx", "", None),
    ("^(a", "", None),
])
def test_regex_globs(regex, flags, expected):
    assert regex_globs(regex, flags) == expected


_PATTERNS = [r"^release/.*", r"^v\d+\.\d+$", r"^(main|master)$", r"hotfix-[0-9]+", r"^feat/\w+",
             r"^[a-z]+-(dev|prod)$", r"^x.y?z+$", r"^(?:release|hotfix)/v\d{1,3}$"]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_translated_globs_cover_what_the_regex_matches(data):
    pattern = data.draw(st.sampled_from(_PATTERNS))
    ref = data.draw(st.from_regex(pattern).filter(lambda r: "\n" not in r))  # no newline in refs
    globs = regex_globs(pattern)
    assert globs is not None and any(glob_match(g, ref) for g in globs)


_ATOMS = st.sampled_from([
    '$CI_COMMIT_BRANCH == "main"', '$CI_COMMIT_BRANCH != "main"', "$CI_COMMIT_TAG",
    "$CI_COMMIT_TAG == null", '$CI_COMMIT_REF_NAME =~ /^rel/', '$CI_PIPELINE_SOURCE == "push"',
    '$CI_PIPELINE_SOURCE == "merge_request_event"', "$CI_MERGE_REQUEST_IID", '$X == "1"',
])
_EXPRESSIONS = st.recursive(_ATOMS, lambda inner: st.one_of(
    st.builds(lambda a, b: f"{a} && {b}", inner, inner),
    st.builds(lambda a, b: f"({a} || {b})", inner, inner)), max_leaves=5)


def _holds(expression: str, env: dict[str, str]) -> bool:
    """A reference evaluation of the expression for one pipeline, with Python's regex."""
    def value(token: str) -> str | None:
        return env.get(token.lstrip("$"))
    text = expression
    text = re.sub(r'(\$\w+) == "([^"]*)"', lambda m: repr(value(m[1]) == m[2]), text)
    text = re.sub(r'(\$\w+) != "([^"]*)"', lambda m: repr(value(m[1]) != m[2]), text)
    text = re.sub(r"(\$\w+) == null", lambda m: repr(value(m[1]) is None), text)
    text = re.sub(r"(\$\w+) =~ /([^/]*)/",
                  lambda m: repr(value(m[1]) is not None and re.search(m[2], value(m[1])) is not None), text)
    text = re.sub(r"\$\w+", lambda m: repr(bool(value(m[0]))), text)
    return eval(text.replace("&&", " and ").replace("||", " or "))  # noqa: S307 - test oracle


_PIPELINES = st.one_of(
    st.builds(lambda b: ("branch", b, False, {"CI_COMMIT_BRANCH": b, "CI_COMMIT_REF_NAME": b,
                                              "CI_PIPELINE_SOURCE": "push"}),
              st.sampled_from(["main", "release/1", "dev"])),
    st.builds(lambda t: ("tag", t, False, {"CI_COMMIT_TAG": t, "CI_COMMIT_REF_NAME": t,
                                           "CI_PIPELINE_SOURCE": "push"}),
              st.sampled_from(["v1", "main", "rel-2"])),
    st.builds(lambda b: ("branch", b, True, {"CI_COMMIT_REF_NAME": b, "CI_MERGE_REQUEST_IID": "7",
                                             "CI_PIPELINE_SOURCE": "merge_request_event"}),
              st.sampled_from(["main", "feature"])),
)


@settings(max_examples=400, deadline=None)
@given(_EXPRESSIONS, _PIPELINES, st.booleans())
def test_refs_of_an_expression_include_every_pipeline_it_holds_for(expression, pipeline_, positive):
    ref_type, ref, merge_request, env = pipeline_
    if _holds(expression, env) != positive:
        return
    tree = parse_condition(expression)
    assert tree is not None
    admitted = refs_of(tree, positive)
    assert any(r.ref_type in ("*", ref_type) and r.merge_request in (None, merge_request)
               and (r.ref == ref if not r.glob else not isinstance(r.ref, str)
                    or glob_match(r.ref, ref)) for r in admitted), admitted


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


# -- include:rules ---------------------------------------------------------------------------

DEPLOY_JOB = f"deploy:\n  id_tokens: {{T: {{aud: sts}}}}\n  variables:\n    AWS_ROLE_ARN: {ROLE}\n" \
             "  script: [make]\n"


def test_jobs_of_an_include_with_rules_run_only_where_its_rules_hold():
    inventory = scan({
        ".gitlab-ci.yml": """\
            include:
              - local: ci/deploy.yml
                rules:
                  - if: $CI_COMMIT_BRANCH == "main"
        """,
        "ci/deploy.yml": DEPLOY_JOB,
    })
    assert inventory.diagnostics == []
    assert subjects(job(inventory, "deploy")) == ["ref_type:branch:ref:main"]


def test_an_include_rule_that_never_holds_and_a_job_defined_beside_it():
    files = {
        ".gitlab-ci.yml": """\
            include:
              - local: ci/deploy.yml
                rules:
                  - if: $CI_COMMIT_TAG
                    when: never
                  - when: always
        """,
        "ci/deploy.yml": DEPLOY_JOB,
    }
    # Every branch pipeline, no tag pipeline.
    assert subjects(job(scan(files), "deploy")) == ["ref_type:branch:ref:*"]
    # A job the including file defines too runs whatever the include's rules say.
    files[".gitlab-ci.yml"] = textwrap.dedent(files[".gitlab-ci.yml"]) + \
        "deploy:\n  variables: {OTHER: x}\n"
    assert subjects(job(scan(files), "deploy")) == ["ref_type:*:ref:*"]
