"""Job and step ``if:`` conditions: in which of the ways a job runs (its contexts) a step
that assumes a role runs at all.

A condition is evaluated in each context with what the context says of the run (its event,
its ref) and what the workflow writes down (choice options, what a caller passes); the rest
(``env``, ``vars``, ``steps``, ``needs``, ``matrix`` ...) is not known before the run. A
context in which the condition is certainly false is dropped: the job or step does not run
then. One in which it is true is kept; one in which it may be either is kept with the
condition as its ``guard``. A context standing for many refs (a push to any branch) is
narrowed by the refs the condition names: under ``github.ref == 'refs/heads/main'`` it is
the push to ``main``.

``if:`` may be written with or without ``${{ }}``:
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idif
What the ``github`` context holds (``ref``, ``ref_name``, ``ref_type``, ``event_name``;
``head_ref`` and ``base_ref`` only for pull requests):
https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#github-context
``inputs`` holds a dispatch run's inputs, or what a caller passes, and is empty otherwise:
https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#inputs-context
An event's payload (``github.event``) has a ``pull_request`` only for pull request events
and ``inputs`` only for ``workflow_dispatch``:
https://docs.github.com/en/webhooks/webhook-events-and-payloads
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from oidclint.iam.patterns import glob_matches
from oidclint.model import TokenContext
from oidclint.readers.workloads.github_environments import dispatch_choices, encode
from oidclint.readers.workloads.github_expression_values import (
    OneOf, Partly, Undecided, depends_on, evaluate, text_of, truthy,
)
from oidclint.readers.workloads.github_expressions import (
    EXPRESSION, Binary, Call, ExpressionError, Not, Scope, origin, parse, reference,
)
from oidclint.source import Choice

MAX_REFS = 32
"""Refs named by one condition that narrow a context; beyond, the context stays whole."""
MAX_SHOWN = 160
"""Characters of a condition quoted in a message."""

PULL_REQUEST_EVENTS = frozenset({
    "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
})
DISPATCH = "workflow_dispatch"
_REF_KINDS = {"heads": "refs/heads/", "tags": "refs/tags/", "pull": "refs/pull/"}
_TYPES = {"branch": "refs/heads/", "tag": "refs/tags/"}
_FORMS = {"ref": "ref", "ref_name": "name", "ref_type": "type"}


@dataclass(frozen=True, slots=True)
class Guard:
    """One ``if:`` on the way to a step: the job's, the step's, the calling job's."""

    condition: Any
    """As written: a string, or a YAML boolean or number."""
    owner: str
    """Whose it is, in a message: ``job deploy``, ``step 3``."""
    scope: Scope
    """What ``inputs`` are where it is written."""


def guards_of(holder: dict, owner: str, scope: Scope) -> tuple[Guard, ...]:
    """The ``if:`` of a job or step, when it has one."""
    condition = holder.get("if")
    return () if condition is None else (Guard(condition, owner, scope),)


def restrict(contexts: list[TokenContext], guards: tuple[Guard, ...], triggers: Any,
             default_branch: str | None) -> list[TokenContext]:
    """The contexts in which every guard may hold, narrowed by the refs they name."""
    for guard in guards:
        condition = _Condition(guard, triggers, default_branch)
        contexts = [kept for context in contexts for kept in condition.apply(context)]
    return contexts


class _Condition:
    """One guard, read once, applied to each context."""

    def __init__(self, guard: Guard, triggers: Any, default_branch: str | None) -> None:
        self.guard = guard
        self.triggers = triggers
        self.default_branch = default_branch
        self.shown = _shown(guard.condition)
        self.node: Any = None
        self.understood = True
        written = guard.condition
        if isinstance(written, (bool, int, float)) or written is None:
            self.node = written
            return
        text = str(written).strip()
        whole = EXPRESSION.fullmatch(text)
        if whole:
            text = whole[1]
        elif "${{" in text:
            # Text around an expression: GitHub joins it into one string; how such an
            # `if:` is decided is not documented.
            self.understood = False
            return
        if text == "":
            self.node = True
            return
        try:
            self.node = parse(text)
        except ExpressionError:
            self.understood = False

    def apply(self, context: TokenContext) -> list[TokenContext]:
        if not self.understood:
            return [self._guarded(context, ())]
        ref = context.claims.get("ref")
        ref = str(ref) if isinstance(ref, str) else None
        if ref is None or not _is_glob(ref):
            return self._kept(context, self._decide(context, ref, ()))
        named = self._candidates(ref)
        candidates = list(named)
        rest = (False, ()) if _covered(context, ref, candidates) else \
            self._decide(context, ref, tuple(candidates))
        if rest[0] is not False or not candidates:
            return self._kept(context, rest)
        narrowed: dict[str, tuple[bool | None, tuple[str, ...]]] = {}
        for candidate in candidates:
            inside = tuple(c for c in candidates if c != candidate and _within(c, candidate))
            verdict = self._decide(context, candidate, inside)
            if verdict[0] is not False:
                narrowed[candidate] = verdict
        certain = [c for c, (v, _) in narrowed.items() if v is True]
        kept = [c for c in narrowed if not any(o != c and _within(c, o) for o in certain)]
        shorts = [named[c] for c in kept if named[c] is not None]
        out = []
        for candidate in kept:
            verdict, origins = narrowed[candidate]
            base = context if verdict else self._guarded(context, origins)
            short = named[candidate]
            if short is not None and shorts.count(short) > 1:
                # `ref_name == 'main'` holds for a tag `main` too: the run is possible,
                # hardly meant.
                base = self._guarded(base, (), twin=short)
            out.append(_narrowed(base, candidate))
        return out

    def _kept(self, context: TokenContext,
              verdict: tuple[bool | None, tuple[str, ...]]) -> list[TokenContext]:
        if verdict[0] is False:
            return []
        return [context if verdict[0] else self._guarded(context, verdict[1])]

    def _guarded(self, context: TokenContext, origins: tuple[str, ...],
                 twin: str | None = None) -> TokenContext:
        """The context with this condition as its guard (the first one that guards it)."""
        if context.guard is not None:
            return context
        where = f"`if: {self.shown}` of {self.guard.owner}"
        if twin is not None:
            why = f"which branches and tags named `{twin}` both pass"
        elif not self.understood:
            why = "which oidclint does not understand"
        else:
            named = ", ".join(f"`{o}`" for o in dict.fromkeys(origins)) or "values"
            why = f"which depends on {named}, not known before the run"
        return replace(context, guard=f"{where}, {why}")

    def _decide(self, context: TokenContext, ref: str | None,
                excluded: tuple[str, ...]) -> tuple[bool | None, tuple[str, ...]]:
        if not _is_node(self.node):
            return truthy(self.node), ()
        run = _Run(context.event, ref, excluded, self.guard.scope, self.triggers,
                   self.default_branch)
        value = evaluate(self.node, run)
        return truthy(value), depends_on(value)

    def _candidates(self, glob: str) -> dict[str, str | None]:
        """The refs (or ``prefix*`` globs) the condition names that lie strictly inside
        ``glob``, each with the short name it was named by (``ref_name``), if so: each may be
        decided where the whole glob is not."""
        found: dict[str, str | None] = {}
        facts = _Run(None, None, (), Scope((), None), self.triggers, self.default_branch)
        for ref, short in _named_refs(self.node, facts):
            if ref != glob and _within(ref, glob):
                found.setdefault(ref, short)
            if len(found) > MAX_REFS:
                return {}
        return found


def _is_node(node: Any) -> bool:
    return not (isinstance(node, (bool, int, float, str)) or node is None)


def _is_glob(ref: str) -> bool:
    # No ref name holds `*` or `?` (git check-ref-format), so either one marks a glob.
    return "*" in ref or "?" in ref


def _fixed(glob: str) -> str:
    """The text of a glob before its first wildcard."""
    cut = min((i for i in (glob.find("*"), glob.find("?")) if i >= 0), default=len(glob))
    return glob[:cut]


def _within(inner: str, outer: str) -> bool:
    """Whether every ref of ``inner`` (a ref or ``prefix*``) is one of ``outer``."""
    if not _is_glob(inner):
        return glob_matches(outer, inner)
    prefix = inner[:-1]
    simple = outer.endswith("*") and not _is_glob(outer[:-1])
    return simple and prefix.startswith(outer[:-1])


def _covered(context: TokenContext, glob: str, candidates: list[str]) -> bool:
    """Whether the candidates leave no ref of the glob: a push is of a branch or a tag."""
    return context.event == "push" and glob == "refs/*" and \
        {"refs/heads/*", "refs/tags/*"} <= set(candidates)


def _named_refs(node: Any, facts: "_Run") -> list[tuple[str, str | None]]:
    """The refs a condition compares ``github.ref``, ``ref_name`` or ``ref_type`` with: a
    ref, or ``prefix*`` for a ``startsWith``, with the short name when ``ref_name`` named it.
    What they are compared with may only read what holds in every run (``facts``: the
    default branch)."""
    found: list[tuple[str, str | None]] = []
    stack = [node]
    while stack:  # in the order written
        node = stack.pop()
        if isinstance(node, Binary):
            stack += [node.right, node.left]
            if node.operator in ("==", "!="):
                for mine, other in ((node.left, node.right), (node.right, node.left)):
                    found += _refs_for(_ref_form(mine), _constant(other, facts), prefix=False)
        elif isinstance(node, Call):
            stack += reversed(node.args)
            if node.function == "startswith":
                found += _refs_for(_ref_form(node.args[0]), _constant(node.args[1], facts),
                                   prefix=True)
            elif node.function == "contains":
                listed = _constant(node.args[0], facts)
                for item in listed if isinstance(listed, list) else []:
                    found += _refs_for(_ref_form(node.args[1]), item, prefix=False)
        elif isinstance(node, Not):
            stack.append(node.operand)
    return found


def _ref_form(node: Any) -> str | None:
    path = reference(node)
    if path is not None and len(path) == 2 and path[0].lower() == "github":
        return _FORMS.get(path[1].lower())
    return None


def _constant(node: Any, facts: "_Run") -> Any:
    """The value of an expression that is the same in every run, else None."""
    value = evaluate(node, facts)
    return None if isinstance(value, (Undecided, Partly)) else value


def _refs_for(form: str | None, value: Any, prefix: bool) -> list[tuple[str, str | None]]:
    text = text_of(value) if not isinstance(value, (list, dict)) else None
    if form is None or text is None:
        return []
    name = text + ("*" if prefix else "")
    if form == "ref":
        return [(name, None)]
    if form == "name":
        return [(_REF_KINDS["heads"] + name, name), (_REF_KINDS["tags"] + name, name)]
    # `ref_type == 'tag'` splits the refs into branches and tags, each then decided.
    return [(p + "*", None) for p in _TYPES.values()] if text.lower() in _TYPES else []


def _narrowed(context: TokenContext, ref: str) -> TokenContext:
    """The context, for the refs of ``ref`` only."""
    return replace(context, label=_label(context.event, ref), subject=f"ref:{encode(ref)}",
                   pattern=_is_glob(ref), claims={**context.claims, "ref": ref},
                   every_ref=context.every_ref and _is_glob(ref))


def _label(event: str | None, ref: str) -> str:
    event = event or "run"
    for kind, prefix in (("branch", "refs/heads/"), ("tag", "refs/tags/")):
        if ref.startswith(prefix):
            name = ref[len(prefix):]
            name = f"any {kind}" if name == "*" else name if kind == "branch" else f"tag {name}"
            if event == "push":
                return f"push to {name}" if kind == "branch" else f"push of {name}"
            return f"{event} on {name}"
    return f"{event} on {ref}"


def _shown(condition: Any) -> str:
    text = origin(text_of(condition) or str(condition))
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


class _Run:
    """The values of references in one context: a resolver for ``evaluate``."""

    def __init__(self, event: str | None, ref: str | None, excluded: tuple[str, ...],
                 scope: Scope, triggers: Any, default_branch: str | None) -> None:
        self.event = event
        self.ref = ref
        self.excluded = excluded
        self.scope = scope
        self.triggers = triggers
        self.default_branch = default_branch

    def __call__(self, path: tuple[str, ...], text: str) -> Any:
        if path[0] == "github" and len(path) > 1:
            return self._github(path[1:], text)
        if path[0] == "inputs" and len(path) == 2:
            return self._input(path[1], text)
        return Undecided((text,))

    def _github(self, path: tuple[str, ...], text: str) -> Any:
        if path == ("event_name",):
            return self.event if self.event else Undecided((text,))
        form = _FORMS.get(path[0]) if len(path) == 1 else None
        if form is not None and self.ref:
            if _is_glob(self.ref):
                return _Refs(self.ref, self.excluded, form, text)
            return _ref_value(self.ref, form, text)
        if path == ("event", "repository", "default_branch") and self.default_branch:
            return self.default_branch
        if path in (("head_ref",), ("base_ref",)) and self.event:
            return Undecided((text,)) if self.event in PULL_REQUEST_EVENTS else ""
        if path[0] == "event" and len(path) > 1 and self.event:
            return self._payload(path[1:], text)
        return Undecided((text,))

    def _payload(self, path: tuple[str, ...], text: str) -> Any:
        if path[0] == "pull_request" and self.event not in PULL_REQUEST_EVENTS:
            return None
        if path[0] == "inputs":
            if self.event != DISPATCH:
                return None
            return self._dispatch(path[1], text) if len(path) == 2 else Undecided((text,))
        return Undecided((text,))

    def _input(self, name: str, text: str) -> Any:
        if self.scope.inputs is not None:  # what a caller passes, or an action's inputs
            return _passed(self.scope.inputs.get(name), text)
        if self.event is None:
            return Undecided((text,))
        return self._dispatch(name, text) if self.event == DISPATCH else None

    def _dispatch(self, name: str, text: str) -> Any:
        options = dispatch_choices(self.triggers, name)
        return OneOf([str(o) for o in options], text) if options else Undecided((text,))


def _passed(value: Any, text: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Choice) and all(isinstance(o, str) for o in value.options):
        return OneOf([str(o) for o in value.options], text)
    return Undecided((text,))


def _ref_value(ref: str, form: str, text: str) -> Any:
    """``github.ref``, ``ref_name`` or ``ref_type`` of one known ref."""
    if form == "ref":
        return ref
    for kind, prefix in (("branch", "refs/heads/"), ("tag", "refs/tags/"), ("", "refs/pull/")):
        if ref.startswith(prefix):
            if form == "name":
                return ref[len(prefix):]
            return kind or Undecided((text,))
    return Undecided((text,))


class _Refs(Partly):
    """``github.ref`` (or its ``ref_name`` or ``ref_type``) of a context standing for many
    refs: any ref of ``glob`` but the ``excluded`` ones (refs, or ``prefix*`` globs)."""

    truthy = True

    def __init__(self, glob: str, excluded: tuple[str, ...], form: str, origin: str) -> None:
        self.glob = glob
        self.excluded = excluded
        self.form = form
        self.origin = origin

    def equals(self, other: Any) -> bool | None:
        if not isinstance(other, str):
            return None
        if self.form == "type":
            prefix = _TYPES.get(other.casefold())
            return self._starts(prefix) if prefix else False
        refs = [other] if self.form == "ref" else [p + other for p in self._kinds()]
        return _any([self._is(ref) for ref in refs])

    def starts_with(self, prefix: str) -> bool | None:
        if self.form == "ref":
            return self._starts(prefix)
        if self.form == "name":
            return _any([self._starts(p + prefix) for p in self._kinds()])
        return None

    def _kinds(self) -> list[str]:
        """Where a ``ref_name`` sits in the ref: a pull request's only in ``refs/pull/``."""
        pull = _fixed(self.glob).startswith(_REF_KINDS["pull"])
        return [_REF_KINDS["pull"]] if pull else [_REF_KINDS["heads"], _REF_KINDS["tags"]]

    def contains(self, text: str) -> bool | None:
        return True if self.form == "ref" and text.casefold() in _fixed(self.glob).casefold() \
            else None

    def _is(self, ref: str) -> bool | None:
        folded = ref.casefold()
        for excluded in self.excluded:
            if folded == excluded.casefold() or (
                    _is_glob(excluded) and folded.startswith(excluded[:-1].casefold())):
                return False
        return None if glob_matches(self.glob, ref, ignore_case=True) else False

    def _starts(self, prefix: str) -> bool | None:
        fixed, wanted = _fixed(self.glob).casefold(), prefix.casefold()
        if fixed.startswith(wanted):
            return True
        if not wanted.startswith(fixed):
            return False  # no ref of the glob starts so
        if any(_is_glob(e) and wanted.startswith(e[:-1].casefold()) for e in self.excluded):
            return False
        return None


def _any(answers: list[bool | None]) -> bool | None:
    if any(a is True for a in answers):
        return True
    return False if all(a is False for a in answers) else None
