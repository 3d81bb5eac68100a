"""The environment a GitHub Actions job names, and so the subject of its token.

A job with an environment presents ``repo:<owner>/<repo>:environment:<name>`` whatever
the event (https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims).
The name is often an expression. Its values are taken where the workflow writes them down:
the ``options`` of a ``workflow_dispatch`` input of ``type: choice``, the values of a
``strategy.matrix`` key (and its ``include`` entries), what a caller passes to a reusable
workflow, a quoted literal after ``||``. What is not written down stays ``Unknown``, inside a
subject whose known parts still decide what they can: ``environment:<x>`` is never a
``ref:`` subject, whatever ``<x>`` is.

``environment.name`` may use the contexts github, inputs, vars, needs, strategy and matrix:
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idenvironment
The ``inputs`` context holds a ``workflow_dispatch`` run's inputs and is empty for runs of
other events, as is ``github.event.inputs``:
https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#inputs-context
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from oidclint.model import TokenContext
from oidclint.readers.workloads.github_expressions import (
    EXPRESSION, QUOTED, REFERENCE, ExpressionError, Scope, alternatives, lookup, origin, parse,
    text_of,
)
from oidclint.source import Choice, Partial, Span, Str, Text, Unknown, concat, render, span_of

MAX_ENVIRONMENTS = 64
"""Combinations of expression values enumerated; beyond, the name stays partly unknown."""

_DISPATCH = "workflow_dispatch"
_DISPATCH_INPUT = ("inputs", "github.event.inputs")

Note = Callable[[str, Span | None], None]


def environment_contexts(job: dict, triggers: Any, events: list[str], scope: Scope,
                         note: Note) -> list[TokenContext] | None:
    """The contexts of a job that names an environment; ``None`` when it names none.

    ``events`` are the workflow's own events; ``scope`` holds what a caller passes (``None``
    inputs for a workflow that runs on its own). A name built from ``workflow_dispatch``
    inputs has the input's values in dispatch runs and is empty in runs of other events.
    What GitHub does with an empty environment name is not documented, so such runs get a
    context whose subject is unknown.
    """
    value = job.get("environment")
    if isinstance(value, dict):
        value = value.get("name")
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = Str(text_of(value))  # `environment: 2024` names the environment "2024"
    if not isinstance(value, str):
        note("`environment` is neither a name nor a mapping with a name", span_of(value))
        return None
    span = span_of(value)
    reader = _Names(job, triggers, scope, span)
    own = [e for e in events if e != "workflow_call"]
    if scope.inputs is not None or not reader.uses_dispatch_inputs(value):
        return [_context(name, value, span) for name in reader.names(value, dispatch=None)]
    contexts = []
    if _DISPATCH in own:
        contexts += [_context(name, value, span, "workflow_dispatch, ")
                     for name in reader.names(value, dispatch=True)]
    if any(e != _DISPATCH for e in own):
        contexts += [_context(name, value, span, "other events, ")
                     for name in reader.names(value, dispatch=False)]
    return contexts


def _context(name: Text, template: str, span: Span | None, when: str = "") -> TokenContext:
    if isinstance(name, str) and name == "":
        return TokenContext(label=f"{when}environment `{template}` empty",
                            subject=Unknown(f"environment {template} (empty)", span), span=span)
    return TokenContext(label=f"{when}environment {render(name)}",
                        subject=concat(("environment:", encode(name)), span), span=span,
                        claims={"environment": name})


def dispatch_choice(value: Any, triggers: Any, events: list[str]) -> Choice | None:
    """What a workflow passes to a reusable workflow as ``${{ inputs.X }}`` (or
    ``github.event.inputs.X``) when ``X`` is a ``workflow_dispatch`` choice: one of its
    options in dispatch runs, empty in runs of the workflow's other events."""
    match = EXPRESSION.fullmatch(value.strip()) if isinstance(value, str) else None
    name = _dispatch_input(origin(match[1])) if match else None
    options = dispatch_choices(triggers, name) if name is not None else None
    if options is None or _DISPATCH not in events:
        return None
    if any(e not in (_DISPATCH, "workflow_call") for e in events):
        options = [*options, Str("", span_of(value))]
    return Choice(tuple(options), origin(match[1]), span_of(value))


class _Names:
    """The values an environment name takes."""

    def __init__(self, job: dict, triggers: Any, scope: Scope, span: Span | None) -> None:
        self.job = job
        self.triggers = triggers
        self.scope = scope
        self.span = span

    def uses_dispatch_inputs(self, template: str) -> bool:
        return any(_dispatch_input(alternative) is not None
                   for match in EXPRESSION.finditer(template)
                   for alternative in _alternatives(origin(match[1])))

    def names(self, template: str, dispatch: bool | None) -> list[Text]:
        """Every value of ``template`` (``dispatch``: in a dispatch run, in another event's
        run, or ``None`` when that makes no difference)."""
        pieces: list[list[Text]] = []
        end = 0
        for match in EXPRESSION.finditer(template):
            pieces.append([Str(template[end:match.start()], self.span)])
            pieces.append(self._values(origin(match[1]), dispatch))
            end = match.end()
        pieces.append([Str(template[end:], self.span)])
        if len(list(itertools.islice(itertools.product(*pieces), MAX_ENVIRONMENTS + 1))) \
                > MAX_ENVIRONMENTS:
            pieces = [options if len(options) == 1 else [Unknown(f"one of {len(options)} values",
                                                                   self.span)]
                      for options in pieces]
        names = [concat(combination, self.span) for combination in itertools.product(*pieces)]
        return list({str(n): n for n in names}.values())

    def _values(self, expression: str, dispatch: bool | None) -> list[Text]:
        """The values of one expression; ``a || 'b'`` is ``'b'`` where ``a`` is empty."""
        found: list[Text] = []
        for alternative in _alternatives(expression):
            values = self._operand(alternative, dispatch)
            found += [v for v in values if isinstance(v, (str, Partial)) and str(v) != ""]
            if any(isinstance(v, Unknown) for v in values):
                # Empty or not is not known: what follows may or may not be reached.
                empty = [v for v in values if isinstance(v, str) and v == ""]
                return found + [Unknown(expression, self.span)] + empty[:1]
            if not any(isinstance(v, str) and v == "" for v in values):
                return found
        return found + [Str("", self.span)]

    def _operand(self, operand: str, dispatch: bool | None) -> list[Text]:
        quoted = QUOTED.match(operand)
        if quoted:
            return [Str(quoted[1].replace("''", "'"), self.span)]
        reference = REFERENCE.match(operand)
        if reference is not None and reference[1].lower() == "matrix":
            listed = matrix_values(self.job, reference[2])
            if listed is not None:
                return listed
        name = _dispatch_input(operand)
        if name is not None and self.scope.inputs is not None:
            if not operand.lower().startswith("inputs."):
                return [Unknown(operand, self.span)]  # the caller's event payload
            return _passed(self.scope.inputs.get(name.lower()), operand, self.span)
        if name is not None and dispatch is not None:
            if not dispatch:
                return [Str("", self.span)]
            options = dispatch_choices(self.triggers, name)
            if options is not None:
                return options
        if "''" in operand:
            # An expression that can give the empty string (`c && 'prod' || ''`): some runs
            # may name no environment at all.
            return [Unknown(operand, self.span), Str("", self.span)]
        return [Unknown(operand, self.span)]


def _passed(value: Any, operand: str, span: Span | None) -> list[Text]:
    """The values of an input a caller passes (or its default): empty when neither gives one."""
    if value is None:
        return [Str("", span)]
    if isinstance(value, Choice):
        return [o for option in value.options for o in _passed(option, operand, span)]
    if isinstance(value, bool):
        return [Str("true" if value else "false", span)]
    if isinstance(value, (int, float)):
        return [Str(str(value), span)]
    if isinstance(value, (str, Partial, Unknown)):
        return [value]
    return [Unknown(operand, span)]


def _alternatives(expression: str) -> list[str]:
    """``a || 'b'`` as ``[a, 'b']``, when each side is a reference or a quoted literal."""
    try:
        parts = [part.text for part in alternatives(parse(expression))]
    except ExpressionError:
        return [expression]
    if len(parts) > 1 and all(REFERENCE.match(p) or QUOTED.match(p) or _dispatch_input(p)
                              for p in parts):
        return parts
    return [expression]


def _dispatch_input(operand: str) -> str | None:
    """The input name of ``inputs.X`` or ``github.event.inputs.X``."""
    for prefix in _DISPATCH_INPUT:
        head, _, name = operand.rpartition(".")
        if head.lower() == prefix and name and REFERENCE.match(f"x.{name}"):
            return name
    return None


def dispatch_choices(triggers: Any, name: str) -> list[Text] | None:
    """The ``options`` of a ``workflow_dispatch`` input of ``type: choice`` (a run can only
    pass one of them); ``None`` when the input takes free text or is not declared.
    https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#onworkflow_dispatchinputsinput_idtype
    """
    dispatch = triggers.get(_DISPATCH) if isinstance(triggers, dict) else None
    declared = dispatch.get("inputs") if isinstance(dispatch, dict) else None
    key = lookup(declared, name) if isinstance(declared, dict) else None
    spec = declared.get(key) if key is not None else None
    if not isinstance(spec, dict) or spec.get("type") != "choice":
        return None
    options = spec.get("options")
    if not isinstance(options, list) or not options:
        return None
    values: list[Text] = []
    for option in options:
        if isinstance(option, bool) or not isinstance(option, (str, int, float)):
            return None
        values.append(option if isinstance(option, str) else Str(str(option), span_of(options)))
    return list({str(v): v for v in values}.values())


def matrix_values(job: dict, key_name: str) -> list[Text] | None:
    """The values of ``matrix.<key_name>`` when the matrix lists them (its ``include``
    entries too); ``None`` when it does not."""
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return None
    key = lookup(matrix, key_name)
    listed = matrix.get(key) if key is not None else None
    found = [v for v in listed if isinstance(v, str)] if isinstance(listed, list) else []
    extra = matrix.get("include")
    for entry in extra if isinstance(extra, list) else []:
        if isinstance(entry, dict):
            key = lookup(entry, key_name)
            if key is not None and isinstance(entry[key], str):
                found.append(entry[key])
    if not found or any("${{" in v for v in found):
        return None
    return list(dict.fromkeys(found))


def encode(value: Text) -> Text:
    """A subject value with each ``:`` written ``%3A``:
    https://docs.github.com/en/actions/reference/security/oidc"""
    if isinstance(value, Partial):
        return Partial(tuple(p if isinstance(p, Unknown) else p.replace(":", "%3A")
                             for p in value.parts), value.span)
    if isinstance(value, Unknown):
        return value
    return value.replace(":", "%3A")
