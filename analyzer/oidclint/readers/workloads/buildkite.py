"""Buildkite pipelines (``.buildkite/pipeline.yml`` and the like) to workloads: the command
steps that assume an AWS role with the ``aws-assume-role-with-web-identity`` plugin.

The plugin requests a token with ``buildkite-agent oidc request-token --audience
sts.amazonaws.com`` and passes ``role-arn``, ``role-session-name`` (default
``buildkite-job-$BUILDKITE_JOB_ID``) and ``role-session-duration`` to STS
(https://buildkite.com/resources/plugins/buildkite-plugins/aws-assume-role-with-web-identity-buildkite-plugin,
https://buildkite.com/docs/pipelines/security/oidc/aws). ``$NAME`` is put in at upload from
the pipeline's and the step's ``env``; any other name is an environment variable of the
agent or the pipeline settings, not known here
(https://buildkite.com/docs/pipelines/configure/environment-variables#runtime-variable-interpolation).

The token's ``sub`` is
``organization:<org slug>:pipeline:<pipeline slug>:ref:<ref>:commit:<sha>:step:<step key>``
(https://buildkite.com/docs/agent/v3/cli-oidc, docs/facts.md §4). The slugs are not in the
file, so they are unknown pieces; the commit is any commit; the ref comes from the step's
``branches`` filter (space-separated names, ``*`` wildcards, ``!`` exclusions:
https://buildkite.com/docs/pipelines/configure/workflows/branch-configuration), any ref
without one. Steps in ``group`` steps are read too.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from oidclint.model import Inventory, TokenContext, Workload
from oidclint.readers.workloads.ci_files import Notes, expand, load_mapping, seconds, subject
from oidclint.source import SourceFile, Span, Str, Text, Unknown, UnknownField, fill_ins, span_of

KIND = "buildkite"
PLUGIN = re.compile(
    r"(?:^|/)aws-assume-role-with-web-identity(?:-buildkite-plugin)?(?:\.git)?(?:#\S*)?$")
AUDIENCE = "sts.amazonaws.com"
MAX_DEPTH = 10
"""``group`` steps nest one level on Buildkite; deeper is read this far."""


def parse_buildkite(file: SourceFile) -> Inventory:
    """The workloads of one Buildkite pipeline file."""
    inventory = Inventory(files=[file.path])
    content = load_mapping(file, inventory, "Buildkite pipeline", lists=True)
    if content is None:
        return inventory
    notes = Notes(file.path, inventory)
    pipeline_env: dict = {}
    steps: Any = content
    if isinstance(content, dict):
        env = content.get("env")
        pipeline_env = {} if notes.wrong(env, (dict,), "the pipeline `env`", content) \
            else env or {}
        steps = content.get("steps")
        if notes.wrong(steps, (list,), "`steps`", content):
            return inventory
    for index, step in _command_steps(steps or [], notes, 0):
        workload = _workload(file.path, index, step, pipeline_env, notes)
        if workload is not None:
            inventory.workloads.append(workload)
    return inventory


def _command_steps(steps: list, notes: Notes, depth: int) -> Iterator[tuple[int, dict]]:
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or depth > MAX_DEPTH:
            continue  # `wait`, `block` and the like
        if "group" in step:
            inner = step.get("steps")
            if not notes.wrong(inner, (list,), f"`steps` of group {step.get('group')}", step):
                yield from _command_steps(inner or [], notes, depth + 1)
        else:
            yield index + 1, step


def _plugin(step: dict, notes: Notes, name: str) -> tuple[dict, Span | None] | None:
    """The configuration of the step's aws-assume-role-with-web-identity plugin."""
    plugins = step.get("plugins")
    if notes.wrong(plugins, (list, dict), f"`plugins` of step {name}", step):
        return None
    entries = [plugins] if isinstance(plugins, dict) else plugins or []
    for entry in entries:
        pairs = entry.items() if isinstance(entry, dict) else [(entry, None)]
        for plugin, config in pairs:
            if isinstance(plugin, str) and PLUGIN.search(plugin.strip()):
                if notes.wrong(config, (dict,), f"the configuration of {plugin} in step {name}",
                               entry):
                    config = None
                return config or {}, span_of(plugin)
    return None


def _workload(path: str, index: int, step: dict, pipeline_env: dict,
              notes: Notes) -> Workload | None:
    key = next((step[k] for k in ("key", "identifier", "id") if isinstance(step.get(k), str)),
               None)
    label = next((step[k] for k in ("label", "name") if isinstance(step.get(k), str)), None)
    name = str(key or label or f"#{index}")
    found = _plugin(step, notes, name)
    if found is None:
        return None
    config, plugin_span = found
    env = step.get("env")
    variables = {**pipeline_env, **(env if isinstance(env, dict) else {})}
    notes.wrong(env, (dict,), f"`env` of step {name}", step)
    role_text = config.get("role-arn")
    if notes.wrong(role_text, (str,), f"`role-arn` of step {name}", config):
        role_text = None
    where = span_of(key) or span_of(label) or span_of(step) or plugin_span or Span(path, 1)
    role: Text = (_expand(role_text, variables) if role_text is not None else
                  Unknown(f"step {name}: no role-arn read from the plugin", plugin_span))
    session = config.get("role-session-name")
    return Workload(
        kind=KIND,
        name=f"{path} step {name}",
        span=where,
        role=fill_ins(role),
        role_span=span_of(role_text) or plugin_span,
        audience=Str(AUDIENCE, plugin_span),
        session_name=_expand(session, variables) if isinstance(session, str) else None,
        duration=seconds(config.get("role-session-duration"), "role-session-duration"),
        contexts=list(_contexts(step, str(key or ""), where, notes, name)),
    )


def _expand(text: str, variables: dict) -> Text:
    located = text if isinstance(text, Str) else Str(text)
    return expand(located, variables, lambda n: f"environment variable {n}")


def _contexts(step: dict, key: str, span: Span, notes: Notes,
              name: str) -> Iterator[TokenContext]:
    branches = step.get("branches")
    if notes.wrong(branches, (str, list), f"`branches` of step {name}", step):
        branches = None
    names = (branches.split() if isinstance(branches, str) else
             [b for b in branches if isinstance(b, str)] if isinstance(branches, list) else [])
    wanted = [b for b in names if not b.startswith("!")]
    where = span_of(branches) or span
    ids = ("organization:", UnknownField("organization slug", span), ":pipeline:",
           UnknownField("pipeline slug", span), ":ref:")
    if not wanted:
        # No filter, or exclusions only: any branch (and tag) of the pipeline.
        yield TokenContext("any ref", subject(*ids, "*:commit:*:step:", key, span=where),
                           pattern=True, span=where, every_ref=True)
        return
    for branch in wanted:
        yield TokenContext(f"branch {branch}",
                           subject(*ids, f"refs/heads/{branch}:commit:*:step:", key, span=where),
                           pattern=True, span=where)
