"""CircleCI configurations (``.circleci/config.yml``) to workloads: the workflow jobs that
assume an AWS role with CircleCI's OIDC token through the ``circleci/aws-cli`` orb.

The orb assumes a role with web identity when its ``setup`` command (or, in 3.1 and 4.x, its
``assume-role-with-web-identity`` / ``assume_role_with_web_identity`` command) is given a
role ARN: ``role-arn`` up to 3.x, ``role_arn`` from 4.0
(https://circleci.com/developer/orbs/orb/circleci/aws-cli). Versions 3.1.0 to 3.1.4 pass the
V1 token (``$CIRCLE_OIDC_TOKEN``), later ones the V2 token (``$CIRCLE_OIDC_TOKEN_V2``), as
the orb's ``assume_role_with_web_identity.sh`` shows; the step may sit in the job's
``steps``, in a reusable ``commands:`` entry, or in the steps an orb job takes as a
parameter (``auth:`` of ``circleci/aws-ecr``). ``<< parameters.x >>`` and
``<< pipeline.parameters.x >>`` are replaced by what the invocation passes or the
declared default, and ``$NAME`` by the job's ``environment`` (the orb passes its parameters
through ``circleci env subst``); a name the file does not set is a project or context
variable, not known here.

The token's ``sub`` is ``org/<org-id>/project/<project-id>/user/<user-id>`` (V1), and the V2
token appends ``/vcs-origin/<repository URL>/vcs-ref/<ref>``; ``aud`` is the organization id
(https://circleci.com/docs/openid-connect-tokens/, docs/facts.md §4). The configuration does
not hold these ids, so they are unknown pieces of the subject; the ref comes from the
invocation's ``filters`` (every branch, and no tag, when there are none:
https://circleci.com/docs/configuration-reference/#filters). One workload per workflow job
invocation; its contexts are the refs it runs for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from oidclint.model import Inventory, TokenContext, Workload
from oidclint.readers.workloads.ci_files import Notes, expand, load_mapping, seconds, subject
from oidclint.readers.workloads.gitlab_refs import regex_globs
from oidclint.source import (
    LDict, SourceFile, Span, Str, Text, Unknown, UnknownField, concat, fill_ins, span_of,
)

KIND = "circleci"
ORB = re.compile(r"^circleci/aws-cli@(?P<version>\S+)$")
COMMANDS = frozenset({"setup", "assume-role-with-web-identity", "assume_role_with_web_identity"})
ROLE = ("role_arn", "role-arn")
SESSION_NAME = ("role_session_name", "role-session-name")
DURATION = ("session_duration", "session-duration")
MAX_DEPTH = 20
"""Reusable commands and nested step parameters followed this deep (a loop ends there)."""

_PARAMETER = re.compile(r"<<\s*(pipeline\.parameters|parameters|pipeline\.[\w.]+)\.?([\w-]*)\s*>>")
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")

ORGANIZATION = "organization id"
PROJECT = "project id"
USER = "user id"
ORIGIN = "repository URL"


def parse_circleci(file: SourceFile) -> Inventory:
    """The workloads of one CircleCI configuration."""
    inventory = Inventory(files=[file.path])
    config = load_mapping(file, inventory, "CircleCI configuration")
    if config is not None:
        _Config(file.path, config, inventory).read()
    return inventory


def v2_token(version: str) -> bool:
    """Whether an aws-cli orb version passes the V2 token: every version from 3.1.5 on
    (``3.1`` and ``3`` take the newest of their line; ``volatile`` the newest)."""
    match = _VERSION.match(version)
    if match is None:
        return True
    major, minor, patch = (int(g) if g is not None else None for g in match.groups())
    if major != 3 or minor is None or minor != 1:
        return major > 3 or major == 3 and (minor is None or minor > 1)
    return patch is None or patch >= 5


@dataclass
class _Scope:
    """The parameters a step is read with: those passed, the declared defaults, and the
    scope they were passed from."""

    given: dict
    defaults: dict
    parent: "_Scope | None" = None
    pipeline: dict = field(default_factory=dict)

    def resolve(self, text: Any, depth: int = 0) -> Any:
        if not isinstance(text, str) or "<<" not in text or depth > MAX_DEPTH:
            return text
        pieces: list[Any] = []
        position = 0
        for match in _PARAMETER.finditer(text):
            pieces.append(text[position:match.start()])
            position = match.end()
            pieces.append(self._value(match[1], match[2], depth, span_of(text)))
        pieces.append(text[position:])
        if len(pieces) == 3 and pieces[0] == "" and pieces[2] == "":
            return pieces[1]  # the whole value: keep where it is written
        return concat([p if isinstance(p, (str, Unknown)) or hasattr(p, "parts")
                       else str(p) for p in pieces if p != ""], span_of(text))

    def _value(self, kind: str, name: str, depth: int, span: Span | None) -> Any:
        if kind == "parameters":
            if name in self.given:
                value = self.given[name]
                return self.parent.resolve(value, depth + 1) if self.parent else value
            default = self.defaults.get(name)
            if isinstance(default, dict) and "default" in default:
                return self.resolve(default["default"], depth + 1)
            return Unknown(f"parameter {name}", span)
        if kind == "pipeline.parameters":
            declared = self.pipeline.get(name)
            if isinstance(declared, dict) and "default" in declared:
                return declared["default"]
            return Unknown(f"pipeline parameter {name}", span)
        return Unknown(f"{kind}{'.' + name if name else ''}", span)


@dataclass
class _Credentials:
    """An aws-cli orb step that assumes a role, and the scope its parameters are read in."""

    alias: str
    step: dict
    scope: _Scope
    span: Span | None


class _Config:
    def __init__(self, path: str, config: LDict, inventory: Inventory) -> None:
        self.path = path
        self.config = config
        self.inventory = inventory
        self.notes = Notes(path, inventory)
        orbs = self._mapping(config.get("orbs"), "`orbs`", config)
        self.orbs = {str(alias): ORB.match(ref)["version"] for alias, ref in orbs.items()
                     if isinstance(ref, str) and ORB.match(ref)}
        self.jobs = self._mapping(config.get("jobs"), "`jobs`", config)
        self.commands = self._mapping(config.get("commands"), "`commands`", config)
        self.pipeline = self._mapping(config.get("parameters"), "`parameters`", config)

    def _mapping(self, value: Any, field: str, within: Any) -> dict:
        return {} if self.notes.wrong(value, (dict,), field, within) or value is None else value

    def read(self) -> None:
        if not self.orbs:
            return  # no aws-cli orb: nothing assumes a role through it
        workflows = self._mapping(self.config.get("workflows"), "`workflows`", self.config)
        if not workflows and "build" in self.jobs:
            # Without workflows CircleCI runs the job named build, on every branch.
            self._invocation("", Str("build", span_of(next(k for k in self.jobs if k == "build"))),
                             {})
        for name, workflow in workflows.items():
            if name == "version" or not isinstance(workflow, dict):
                continue
            jobs = workflow.get("jobs")
            if self.notes.wrong(jobs, (list,), f"`jobs` of workflow {name}", workflow):
                continue
            for entry in jobs or []:
                if isinstance(entry, str):
                    self._invocation(str(name), entry, {})
                elif isinstance(entry, dict) and len(entry) == 1:
                    job, params = next(iter(entry.items()))
                    if not self.notes.wrong(params, (dict,), f"job {job} of workflow {name}",
                                            entry):
                        self._invocation(str(name), job, params or {})

    def _invocation(self, workflow: str, job: Any, params: dict) -> None:
        if not isinstance(job, str):
            return
        pipeline = self.pipeline
        definition = self.jobs.get(job)
        if isinstance(definition, dict):
            defaults = self._mapping(definition.get("parameters"), f"`parameters` of job {job}",
                                     definition)
            scope = _Scope(params, defaults, _Scope({}, {}, pipeline=pipeline), pipeline)
            environment = self._mapping(definition.get("environment"),
                                        f"`environment` of job {job}", definition)
            steps = definition.get("steps")
            if self.notes.wrong(steps, (list,), f"`steps` of job {job}", definition):
                return
        elif "/" in job:
            # An orb's job: what it is given may hold aws-cli steps (`auth:` of aws-ecr).
            scope = _Scope({}, {}, pipeline=pipeline)
            environment, steps = {}, [v for k, v in params.items() if k != "filters"]
        else:
            return
        found = next(self._credentials(steps, scope, 0, ()), None)
        if found is None:
            return
        name = params.get("name") if isinstance(params.get("name"), str) else job
        self.inventory.workloads.append(self._workload(workflow, job, str(name), params,
                                                       environment, found))

    def _credentials(self, value: Any, scope: _Scope, depth: int,
                     trail: tuple[str, ...]) -> Iterator[_Credentials]:
        """The aws-cli steps that assume a role, in the order the job runs them."""
        if depth > MAX_DEPTH:
            return
        if isinstance(value, list):
            for item in value:
                yield from self._credentials(item, scope, depth + 1, trail)
            return
        if not isinstance(value, dict):
            return
        for key, body in value.items():
            alias, _, command = str(key).partition("/")
            if alias in self.orbs and command in COMMANDS and isinstance(body, dict) and \
                    any(k in body for k in ROLE):
                yield _Credentials(alias, body, scope, span_of(key))
            elif isinstance(key, str) and key in self.commands and key not in trail:
                command_definition = self.commands[key]
                if isinstance(command_definition, dict):
                    defaults = command_definition.get("parameters")
                    inner = _Scope(body if isinstance(body, dict) else {},
                                   defaults if isinstance(defaults, dict) else {}, scope,
                                   scope.pipeline)
                    yield from self._credentials(command_definition.get("steps"), inner,
                                                 depth + 1, trail + (key,))
            else:
                yield from self._credentials(body, scope, depth + 1, trail)

    def _workload(self, workflow: str, job: str, name: str, params: dict, environment: dict,
                  found: _Credentials) -> Workload:
        step, scope = found.step, found.scope
        key = next(k for k in ROLE if k in step)
        role_text = step[key]
        self.notes.wrong(role_text, (str,), f"`{key}` of job {name}", step)
        role = self._value(scope.resolve(role_text), environment)
        session = next((step[k] for k in SESSION_NAME if k in step), None)
        duration = next((step[k] for k in DURATION if k in step), None)
        version = self.orbs[found.alias]
        where = span_of(job) or found.span or Span(self.path, 1)
        label = f"workflow {workflow} job {name}" if workflow else f"job {name}"
        return Workload(
            kind=KIND,
            name=f"{self.path} {label}",
            span=where,
            role=fill_ins(role),
            role_span=span_of(role_text) or found.span,
            session_name=self._value(scope.resolve(session), environment)
            if session is not None else None,
            duration=seconds(scope.resolve(duration), "session_duration"),
            contexts=list(self._contexts(params, job, where, v2_token(version))),
        )

    def _value(self, value: Any, environment: dict) -> Text:
        if isinstance(value, bool) or not isinstance(value, (str, Unknown)) and \
                not hasattr(value, "parts"):
            return Unknown(f"not a string: {value!r}", span_of(value))
        if isinstance(value, str):
            located = value if isinstance(value, Str) else Str(value)
            return expand(located, environment, lambda n: f"project or context variable {n}")
        return value

    def _contexts(self, params: dict, job: str, span: Span,
                  v2: bool) -> Iterator[TokenContext]:
        filters = params.get("filters")
        if self.notes.wrong(filters, (dict,), f"`filters` of job {job}", params):
            filters = None
        filters = filters or {}
        branches, tags = filters.get("branches"), filters.get("tags")
        refs: list[tuple[str, str, bool, Span | None]] = []
        for what, prefix, value in (("branch", "refs/heads/", branches),
                                    ("tag", "refs/tags/", tags)):
            if self.notes.wrong(value, (dict,), f"`filters.{what}es` of job {job}"
                                if what == "branch" else f"`filters.tags` of job {job}", filters):
                value = None
            only = value.get("only") if isinstance(value, dict) else None
            ignore = value.get("ignore") if isinstance(value, dict) else None
            if only is None:
                # Every branch unless all are ignored; tags only when a tag filter says so.
                if what == "branch" and not _ignores_all(ignore):
                    refs.append(("any branch", prefix + "*", True, span_of(value) or span))
                continue
            for item in only if isinstance(only, list) else [only]:
                if not isinstance(item, str):
                    continue
                if len(item) > 1 and item.startswith("/") and item.endswith("/"):
                    # A filter's expression must match the whole name.
                    for glob in regex_globs(f"^(?:{item[1:-1]})$") or ["*"]:
                        refs.append((f"{what}es matching {item}", prefix + glob, True,
                                     span_of(item)))
                else:
                    refs.append((f"{what} {item}", prefix + item, False, span_of(item)))
        ids = ("org/", UnknownField(ORGANIZATION, span), "/project/", UnknownField(PROJECT, span),
               "/user/", UnknownField(USER, span))
        for label, ref, glob, where in refs:
            if v2:
                sub = subject(*ids, "/vcs-origin/", Unknown(ORIGIN, span), "/vcs-ref/", ref,
                              span=where)
            else:
                sub = subject(*ids, span=where)
            yield TokenContext(label, sub, pattern=glob and v2, span=where,
                               every_ref=label == "any branch")


def _ignores_all(ignore: Any) -> bool:
    items = ignore if isinstance(ignore, list) else [ignore]
    return any(isinstance(i, str) and i in ("/.*/", "/.+/") for i in items)
