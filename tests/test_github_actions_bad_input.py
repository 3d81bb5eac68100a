"""GitHub Actions workflows that are broken, of the wrong types, or random: a diagnostic or
nothing, never an exception."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory, Level
from oidclint.source import Partial, Unknown
from github_actions_helpers import ACTION, ROLE, WORKFLOWS, job, parse


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
