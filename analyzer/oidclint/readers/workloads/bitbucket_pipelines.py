"""Bitbucket Pipelines (``bitbucket-pipelines.yml``) to workloads: the steps with
``oidc: true`` that hand an AWS role to the AWS SDK, the CLI or an Atlassian pipe.

A step gets ``$BITBUCKET_STEP_OIDC_TOKEN`` only with ``oidc: true``; Atlassian's AWS guide
has its script export ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE`` (the token written
to that file), and Atlassian's AWS pipes take the role as the variable ``AWS_OIDC_ROLE_ARN``
(https://support.atlassian.com/bitbucket-cloud/docs/deploy-on-aws-using-bitbucket-pipelines-openid-connect/).
A script line ``aws sts assume-role-with-web-identity --role-arn ...`` names the role too.
Repository and deployment variables are set in Bitbucket's settings, not in the file: a
``$NAME`` is unknown.

The token's ``sub`` is ``{<repository uuid>}:{<step uuid>}``, or
``{<repository uuid>}:{<environment uuid>}:{<step uuid>}`` in a step with ``deployment:``;
the step uuid is new on every run, and ``aud`` is ``ari:cloud:bitbucket::workspace/<uuid>``
(docs/facts.md §4). The uuids are not in the file, so they are unknown pieces. Each step of
each pipeline (``default``, ``branches``, ``tags``, ``bookmarks``, ``pull-requests``,
``custom``; ``parallel`` and ``stage`` groups; steps shared through YAML anchors) is one
workload, its context the pipeline it runs in
(https://support.atlassian.com/bitbucket-cloud/docs/pipeline-start-conditions/).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from oidclint.model import Inventory, TokenContext, Workload
from oidclint.readers.workloads.ci_files import (
    Notes, assume_role_options, expand, load_mapping, subject, unquoted,
)
from oidclint.source import SourceFile, Span, Str, Text, UnknownField, fill_ins, span_of

KIND = "bitbucket-pipelines"
ROLE_VARIABLES = ("AWS_ROLE_ARN", "AWS_OIDC_ROLE_ARN")
MAX_DEPTH = 10

_EXPORT = re.compile(r"^\s*(?:export\s+)?(AWS_ROLE_ARN|AWS_OIDC_ROLE_ARN)=(\"[^\"]*\"|'[^']*'|\S+)")
_PIPELINES = {"default": "default pipeline", "branches": "branch", "tags": "tag",
              "bookmarks": "bookmark", "pull-requests": "pull requests from",
              "custom": "custom pipeline"}


def parse_bitbucket_pipelines(file: SourceFile) -> Inventory:
    """The workloads of one ``bitbucket-pipelines.yml``."""
    inventory = Inventory(files=[file.path])
    config = load_mapping(file, inventory, "Bitbucket Pipelines configuration")
    if config is None:
        return inventory
    notes = Notes(file.path, inventory)
    pipelines = config.get("pipelines")
    if notes.wrong(pipelines, (dict,), "`pipelines`", config) or not pipelines:
        return inventory
    for kind, label in _PIPELINES.items():
        entry = pipelines.get(kind)
        if kind == "default":
            groups = [(label, entry, span_of(kind))] if entry is not None else []
        elif notes.wrong(entry, (dict,), f"`pipelines.{kind}`", pipelines) or not entry:
            continue
        else:
            groups = [(f"{label} {name}", items, span_of(name)) for name, items in entry.items()]
        for context, items, where in groups:
            if notes.wrong(items, (list,), f"the {context}", pipelines):
                continue
            for number, step in _steps(items, notes, context, 0):
                workload = _workload(file.path, context, number, step, where, notes, kind)
                if workload is not None:
                    inventory.workloads.append(workload)
    return inventory


def _steps(items: Any, notes: Notes, context: str, depth: int,
           counter: list[int] | None = None) -> Iterator[tuple[int, dict]]:
    """The steps of a pipeline in order, numbered from 1, through ``parallel`` and
    ``stage`` groups (a parallel group may be a list, or a mapping with ``steps``)."""
    counter = counter if counter is not None else [0]
    if depth > MAX_DEPTH or not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        if "step" in item:
            counter[0] += 1
            step = item["step"]
            if not notes.wrong(step, (dict,), f"step {counter[0]} of the {context}", item):
                yield counter[0], step or {}
        for group in ("parallel", "stage"):
            inner = item.get(group)
            if isinstance(inner, dict):
                inner = inner.get("steps")
            yield from _steps(inner, notes, context, depth + 1, counter)


def _workload(path: str, context: str, number: int, step: dict, where: Span | None,
              notes: Notes, kind: str) -> Workload | None:
    name = step.get("name") if isinstance(step.get("name"), str) else f"#{number}"
    oidc = step.get("oidc")
    if notes.wrong(oidc, (bool,), f"`oidc` of step {name}", step) or oidc is not True:
        return None
    script = step.get("script")
    if notes.wrong(script, (list,), f"`script` of step {name}", step):
        return None
    role = _role(script or [], notes, name)
    if role is None:
        return None
    deployment = step.get("deployment")
    if notes.wrong(deployment, (str,), f"`deployment` of step {name}", step):
        deployment = None
    span = span_of(step.get("name")) or span_of(step) or where or Span(path, 1)
    repository = UnknownField("repository uuid", span)
    step_uuid = UnknownField("step uuid, new on every run", span)
    if deployment is not None:
        sub = subject("{", repository, "}:{", UnknownField(f"uuid of environment {deployment}",
                                                          span), "}:{", step_uuid, "}", span=span)
        label = f"{context}, deployment {deployment}"
    else:
        sub = subject("{", repository, "}:{", step_uuid, "}", span=span)
        label = context
    return Workload(
        kind=KIND,
        name=f"{path} step {name}",
        span=span,
        role=fill_ins(role),
        role_span=span_of(role),
        contexts=[TokenContext(label, sub, span=where or span)],
    )


def _role(script: list, notes: Notes, name: str) -> Text | None:
    """The role the step hands to AWS: an ``AWS_ROLE_ARN`` it exports, an assume-role
    command's ``--role-arn``, or a pipe's ``AWS_OIDC_ROLE_ARN``, the first the script has."""
    for line in script:
        if isinstance(line, str):
            export = _EXPORT.match(line)
            role = unquoted(export[2]) if export else next(
                (value for option, value, _ in assume_role_options(line) if option == "role-arn"),
                None)
            if role is not None:
                return _expand(Str(role, span_of(line)))
        elif isinstance(line, dict) and "pipe" in line:
            variables = line.get("variables")
            if notes.wrong(variables, (dict,), f"`variables` of the pipe in step {name}", line):
                continue
            value = (variables or {}).get("AWS_OIDC_ROLE_ARN")
            if isinstance(value, str):
                return _expand(value if isinstance(value, Str) else Str(value))
    return None


def _expand(text: Str) -> Text:
    return expand(text, {}, lambda n: f"repository or deployment variable {n}")
