"""GitLab CI refs jobs run for: `rules` and `only` as token contexts, and the globs and
regular expressions of their conditions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.readers.workloads.gitlab_ci import glob_match, parse_condition, refs_of, regex_globs
from gitlab_ci_helpers import ROLE, job, pipeline, where


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


@pytest.mark.parametrize("regex, expected", [
    (r"^main\z", ["main"]),                     # RE2's end of text
    (r"^\Qv1.*\E", ["v1.*"]),                   # quoted: `*` is the character, a wildcard here
    (r"^(?P<a>main)$|^(?<b>dev)$", ["main", "dev"]),  # named groups, anchors in each alternative
    (r"^\x{41}-\x42$", ["A-B"]),                # characters by their code
    (r"^(?i:main)$", None),                     # case-insensitive in a group only
    (r"^main\b", None),                         # a word boundary is not an end
    (r"^\pL+$", None),                          # an RE2 class Python cannot read
])
def test_regex_globs_read_the_re2_syntax_gitlab_uses(regex, expected):
    assert regex_globs(regex) == expected


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
