"""GitLab CI configurations made of several pieces: includes and their rules, `extends`,
`default`, anchors and `!reference` tags."""

from __future__ import annotations

import textwrap

from oidclint.model import Level
from gitlab_ci_helpers import ROLE, job, pipeline, scan, subjects, where


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
