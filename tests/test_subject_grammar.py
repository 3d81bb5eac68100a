"""The subject grammar (oidclint.iam.subjects): claim synthesis and OIDC115 read the same forms.

Properties:
- every subject the workload synthesis produces (parsed from generated GitHub workflows,
  GitLab pipelines and Kubernetes ServiceAccounts) is accepted by its issuer's grammar;
- for every pattern the grammar accepts, the witness the product search returns is a real
  subject of the grammar and matches the pattern.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oidclint.iam.claims import tokens_for
from oidclint.iam.patterns import Pattern
from oidclint.iam.subjects import LANGUAGES, TooComplex, accepts, check, matches_some_subject
from oidclint.readers.workloads.github_actions import parse_workflows
from oidclint.readers.workloads.gitlab_ci import parse_gitlab_ci
from oidclint.readers.workloads.kubernetes import parse_kubernetes
from oidclint.source import SourceFile

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

NAME = st.from_regex(r"[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,5})?", fullmatch=True)
REPOSITORY = st.builds(lambda o, r: f"{o}/{r}", NAME, NAME)
BRANCH = st.from_regex(r"[a-z][a-z0-9]{0,6}(/[a-z0-9][a-z0-9._-]{0,6}){0,2}", fullmatch=True)
TAG = st.from_regex(r"v[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True)
ENVIRONMENT = st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,10}[A-Za-z0-9]", fullmatch=True)


def source(path: str, text: str) -> SourceFile:
    return SourceFile(path, Path(path), text, kind="structured")


def synthesized(inventory, repository: str) -> list[str]:
    subjects = []
    for workload in inventory.workloads:
        for token in tokens_for(workload, repository):
            assert token.subject is not None and token.subject.known, token
            subjects.append(token.example_subject)
    return subjects


@SETTINGS
@given(REPOSITORY, st.lists(BRANCH, min_size=1, max_size=3), st.lists(TAG, max_size=2),
       st.one_of(st.none(), ENVIRONMENT), st.booleans(), st.booleans())
def test_github_synthesis_is_in_the_grammar(repository, branches, tags, environment,
                                            pull_request, dispatch):
    on = {"push": {"branches": branches, **({"tags": tags} if tags else {})}}
    if pull_request:
        on["pull_request"] = {}
    if dispatch:
        on["workflow_dispatch"] = {}
    lines = ["on:"]
    for event, body in on.items():
        lines.append(f"  {event}:")
        for key, values in body.items():
            lines.append(f"    {key}: [{', '.join(repr(v) for v in values)}]")
    lines += ["permissions:", "  id-token: write", "jobs:", "  deploy:",
              "    runs-on: ubuntu-latest"]
    if environment:
        lines.append(f"    environment: {environment!r}")
    lines += ["    steps:", "      - uses: aws-actions/configure-aws-credentials@v4",
              "        with:", "          role-to-assume: arn:aws:iam::123456789012:role/deploy",
              "          aws-region: us-east-1"]
    inventory = parse_workflows([source(".github/workflows/deploy.yml", "\n".join(lines))])
    subjects = synthesized(inventory, repository)
    assert subjects
    for subject in subjects:
        assert accepts("github", subject), subject


@SETTINGS
@given(st.lists(NAME, min_size=2, max_size=3), st.sampled_from(["branches", "tags"]),
       st.one_of(BRANCH, TAG))
def test_gitlab_synthesis_is_in_the_grammar(path, kind, ref):
    repository = "/".join(path)
    rule = ('$CI_COMMIT_BRANCH == "{}"' if kind == "branches" else '$CI_COMMIT_TAG == "{}"')
    text = "\n".join([
        "deploy:",
        "  id_tokens:",
        "    AWS_TOKEN:",
        "      aud: https://gitlab.com",
        "  rules:",
        f"    - if: '{rule.format(ref)}'",
        "  script:",
        ("    - aws sts assume-role-with-web-identity --role-arn arn:aws:iam::123456789012:role/d"
         " --role-session-name x --web-identity-token $AWS_TOKEN"),
    ])
    file = source(".gitlab-ci.yml", text)
    inventory = parse_gitlab_ci(file, {file.path: file})
    for subject in synthesized(inventory, repository):
        assert accepts("gitlab.com", subject), subject


@SETTINGS
@given(NAME, st.from_regex(r"[a-z][a-z0-9.-]{0,10}[a-z0-9]", fullmatch=True))
def test_kubernetes_synthesis_is_in_the_grammar(namespace, name):
    text = "\n".join([
        # Quoted as real manifests must: unquoted `on` or `yes` would be YAML 1.1 booleans,
        # which Kubernetes rejects as a name.
        "apiVersion: v1", "kind: ServiceAccount", "metadata:", f'  name: "{name}"',
        f'  namespace: "{namespace}"', "  annotations:",
        "    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/app",
    ])
    inventory = parse_kubernetes(source("k8s/sa.yaml", text))
    subjects = synthesized(inventory, None)
    assert subjects == [f"system:serviceaccount:{namespace}:{name}"]
    assert accepts("eks", subjects[0])


# Patterns: built from pieces of real subjects, wildcards and common mistakes, so that some
# are accepted and some are not.
PIECES = {
    "github": ["repo:", "acme", "/", "api", ":", "ref:", "refs/heads/", "refs/tags/", "main",
               "environment:", "prod", "pull_request", "@123", "branch:", "job_workflow_ref:",
               "context:"],
    "gitlab.com": ["project_path:", "acme", "/", "api", ":", "ref_type:", "branch", "tag",
                   "ref:", "main", "refs/heads/"],
    "eks": ["system:", "serviceaccount", "serviceaccounts", ":", "payments", "api", "-"],
    "hcp-terraform": ["organization:", "acme", ":", "project:", "workspace:", "run_phase:",
                      "apply", "plan", "module:", "operation:", "test_run", "stack:",
                      "deployment:"],
}
WILDCARDS = ["*", "?"]


def patterns_for(kind: str):
    piece = st.sampled_from(PIECES[kind] + WILDCARDS)
    return st.lists(piece, min_size=1, max_size=9).map("".join)


@pytest.mark.parametrize("kind", sorted(PIECES))
def test_witness_of_an_accepted_pattern_matches_it(kind):
    @SETTINGS
    @given(patterns_for(kind), st.booleans())
    def run(text, glob):
        pattern = Pattern(text, glob=glob)
        meeting = matches_some_subject(kind, pattern)
        verdict = check(kind, pattern)
        if meeting.witness is None:
            assert verdict is not None
            return
        assert verdict is None
        assert pattern.matches(meeting.witness), (text, meeting.witness)
        assert accepts(kind, meeting.witness), meeting.witness

    run()


@pytest.mark.parametrize("kind", sorted(LANGUAGES))
def test_every_documented_example_is_accepted(kind):
    for form in LANGUAGES[kind].forms:
        assert accepts(kind, form.example), (kind, form.name)
        assert form.reference.startswith("https://"), (kind, form.name)


@pytest.mark.parametrize("kind, text, glob, segment, suggestion", [
    ("github", "repo:acme/api:ref:main", False, "main", "repo:acme/api:ref:refs/heads/main"),
    ("github", "repo:acme/api:branch:main", False, "branch", "repo:acme/api:ref:refs/heads/main"),
    ("github", "repo:acme/api:environment:prod:pull_request", False, "pull_request",
     "repo:acme/api:environment:prod"),
    ("eks", "system:serviceaccounts:payments:api", False, "serviceaccounts",
     "system:serviceaccount:payments:api"),
    ("eks", "system:serviceaccount:api", False, "", "system:serviceaccount:<namespace>:api"),
    ("hcp-terraform", "organization:acme:workspace:net:run_phase:apply", False, "workspace",
     "organization:acme:project:<project>:workspace:net:run_phase:apply"),
])
def test_impossible_patterns_name_the_segment_and_the_nearest_form(kind, text, glob, segment,
                                                                   suggestion):
    verdict = check(kind, Pattern(text, glob))
    assert verdict is not None
    assert verdict.segment == segment
    assert verdict.suggestions[0][0] == suggestion


@pytest.mark.parametrize("kind, text, glob", [
    ("github", "repo:acme/*", True),
    ("github", "repo:acme/api:*main", True),
    ("github", "repo:acme@1234567/api@89012345:pull_request", False),
    ("github", "repository_owner_id:1234567:context:environment:prod", False),
    ("github", "repo:\x00/api:ref:refs/heads/main", False),  # an unknown owner
    ("gitlab.com", "project_path:acme/api:ref_type:branch", False),
    ("eks", "system:serviceaccount:payments:*", True),
    ("hcp-terraform", "organization:acme:module:vpc:operation:test_run", False),
])
def test_valid_forms_are_accepted(kind, text, glob):
    assert check(kind, Pattern(text, glob)) is None


def test_empty_segments_are_told_apart():
    assert check("github", Pattern("repo:", False)).empty_segment
    assert check("gitlab.com", Pattern("project_path::ref_type:branch:ref:main", False)).empty_segment
    assert not check("github", Pattern("repo:acme/api:ref:main", False)).empty_segment


def test_issuers_without_a_grammar_are_never_checked():
    assert check("generic", Pattern("anything at all", False)) is None
    assert check(None, Pattern("repo:acme/api:ref:main", False)) is None


def test_a_search_past_its_state_limit_is_too_complex_not_a_verdict():
    # Every star opens most of GitHub's automaton at every position: some 8,000 positions
    # times 1,100 states, gigabytes without the limit.
    wide = Pattern("repo:" + "*" * 8000)
    with pytest.raises(TooComplex, match="more than 200,000 states"):
        check("github", wide)
    assert check("github", Pattern("repo:" + "*" * 40)) is None  # the same form, short: fits

