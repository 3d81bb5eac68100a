"""JSON-shaped IAM policies (located values) to ``PolicyDocument``.

Every input format ends here: CloudFormation gives the policy as a mapping, Terraform gives it
as ``jsonencode(...)`` output, heredoc JSON or the JSON of an ``aws_iam_policy_document``.
Values that could not be resolved stay ``Unknown`` or ``Partial`` inside the statements.
"""

from __future__ import annotations

from typing import Any

from oidclint.iam.conditions import action_covers
from oidclint.model import Condition, PolicyDocument, Statement
from oidclint.source import (
    Choice, OneOf, Partial, Span, Str, Text, Unknown, UnknownElements, render, span_of,
)


def as_list(value: Any, each: bool = False) -> list[Any]:
    """IAM accepts a single value wherever it accepts a list; a ``Choice`` gives all options.

    With ``each``, for a list whose values are OR-ed (the values of a positive condition,
    principals, actions, resources), any number of elements known to be alike
    (``UnknownElements`` with a text ``element``: ``[for r in var.repos :
    "repo:acme/${r}:*"]``) are read as that element: whatever each of them admits, the list
    admits once it holds any (docs/facts.md, section 11). Negated lists (values AND-ed, or
    ``Not...`` elements) keep them unknown: how many there are decides what they exclude."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    flat: list[Any] = []
    for item in items:
        if isinstance(item, Choice):
            # An option may itself be a list: !If [Cond, [a, b], [c]].
            for option in item.options:
                flat.extend(as_list(option, each))
        elif each and isinstance(item, UnknownElements) \
                and isinstance(item.element, (str, Partial)):
            flat.append(item.element)
        elif item is not None:
            flat.append(item)
    return flat


def one(value: Any) -> Any:
    """A single-valued field: a ``Choice`` between different values is not known."""
    if isinstance(value, Choice):
        options = {str(o) for o in value.options if o is not None}
        if len(options) == 1:
            return next(o for o in value.options if o is not None)
        return Unknown(value.origin, value.span)
    return value


def _texts(value: Any, each: bool = False) -> list[Text]:
    return [v for v in as_list(value, each) if isinstance(v, (str, Partial, Unknown))]


def _field(mapping: dict, name: str) -> Any:
    """A statement field; IAM element names are case-sensitive but we forgive case."""
    if name in mapping:
        return mapping[name]
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _principals(value: Any, problems: list, span: Span | None,
                each: bool = False) -> dict[str, list[Text]]:
    if value is None:
        return {}
    value = one(value)
    if isinstance(value, (str, Partial, Unknown)):
        # "Principal": "*" is the only valid string form.
        return {"*": [value]}
    if isinstance(value, dict):
        return {str(kind): _texts(names, each) for kind, names in value.items()}
    problems.append((span_of(value) or span, "Principal is neither \"*\" nor a mapping"))
    return {}


def _conditions(value: Any, problems: list, span: Span | None) -> list[Condition]:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [Condition(operator=value, key=value, values=[value], span=value.span or span)]
    if not isinstance(value, dict):
        problems.append((span_of(value) or span, "Condition is not a mapping"))
        return []
    conditions = []
    for operator, block in value.items():
        block = one(block)
        if isinstance(block, Unknown):
            conditions.append(Condition(operator, block, [block], block.span or span_of(operator)))
            continue
        if not isinstance(block, dict):
            problems.append((span_of(block) or span_of(operator) or span,
                             f"condition operator {operator} does not map keys to values"))
            continue
        for key, values in block.items():
            if values is None:
                continue
            condition = Condition(
                operator=operator if isinstance(operator, (str, Partial, Unknown)) else str(operator),
                key=key if isinstance(key, (str, Partial, Unknown)) else str(key),
                values=[],
                span=span_of(key) or span_of(values) or span_of(block) or span,
            )
            # The values of a positive operator are OR-ed (docs/facts.md, section 2).
            condition.values = as_list(values, each=isinstance(operator, str)
                                       and not condition.negated)
            conditions.append(condition)
    return conditions


def statement_from_value(value: Any, index: int, span: Span | None, problems: list) -> Statement | None:
    if isinstance(value, Unknown):
        return Statement(effect=value, span=value.span or span, index=index, unknown=value)
    if not isinstance(value, dict):
        problems.append((span_of(value) or span, "a Statement entry is not a mapping"))
        return None
    own = span_of(value) or span
    effect = one(_field(value, "Effect"))
    if effect is None:
        problems.append((own, "Statement has no Effect"))
        effect = Str("", own)
    elif not isinstance(effect, (str, Partial, Unknown)):
        # Valid values are the text `Allow` and `Deny`: the statement allows nothing.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html
        problems.append((span_of(effect) or own, "Effect is not a string"))
        effect = Str(render(effect), span_of(effect) or own)
    return Statement(
        effect=effect,
        actions=_texts(_field(value, "Action"), each=True),
        not_actions=_texts(_field(value, "NotAction")),
        resources=_texts(_field(value, "Resource"), each=True),
        not_resources=_texts(_field(value, "NotResource")),
        principals=_principals(_field(value, "Principal"), problems, own, each=True),
        not_principals=_principals(_field(value, "NotPrincipal"), problems, own),
        conditions=_conditions(_field(value, "Condition"), problems, own),
        sid=_field(value, "Sid"),
        span=own,
        index=index,
    )


def _allows(statement: Any) -> bool:
    return isinstance(statement, dict) and isinstance(_field(statement, "Effect"), str) \
        and str(_field(statement, "Effect")) == "Allow"


def document_from_value(value: Any, span: Span | None = None) -> PolicyDocument:
    """A policy given as a (located) mapping, or Unknown, as a ``PolicyDocument``."""
    own = span_of(value) or span
    value = one(value)
    if isinstance(value, OneOf):
        return document_from_options(value.options, value, own)
    if isinstance(value, (Unknown, Partial)):
        unknown = value if isinstance(value, Unknown) else Unknown(str(value), own)
        return PolicyDocument(span=own, unknown=unknown)
    problems: list[tuple[Span | None, str]] = []
    if not isinstance(value, dict):
        return PolicyDocument(span=own, problems=[(own, "the policy is not a JSON object")])
    raw = _field(value, "Statement")
    raw = raw if isinstance(raw, (list, Choice)) else one(raw)
    if isinstance(raw, OneOf):  # `Statement = local.dev ? [...] : [...]`
        return document_from_options([{"Statement": o} for o in raw.options], raw, own)
    if isinstance(raw, Unknown):
        return PolicyDocument(span=own, unknown=raw)
    statements = []
    for index, item in enumerate(as_list(raw)):
        if isinstance(item, UnknownElements) and _allows(item.element):
            # Statements are OR-ed: an Allow like every one of them is what they allow (as
            # for the values of a positive condition). Denies keep unknown: how many decides.
            item = item.element
        statement = statement_from_value(item, index, own, problems)
        if statement is not None:
            statements.append(statement)
    if raw is None:
        problems.append((own, "the policy has no Statement"))
    return PolicyDocument(statements=statements, span=own, problems=problems)


def document_from_options(options: Any, choice: Unknown,
                          span: Span | None = None) -> PolicyDocument:
    """A policy that is one of several documents, which one not known statically (a
    Terraform conditional on an input): the statements every one of them holds are certain
    and read as such; those only some hold are one statement not known (``choice``), so no
    rule says of the policy what holds for one of them only. ``None`` among the options is a
    document not known at all: then nothing is certain."""
    problems: list[tuple[Span | None, str]] = []
    lists = []
    for option in options:
        if option is not None and not isinstance(option, (Unknown, Partial)):
            for problem in document_from_value(option, span).problems:
                if all(problem[1] != seen[1] for seen in problems):
                    problems.append(problem)
        raw = _field(option, "Statement") if isinstance(option, dict) else None
        raw = raw if isinstance(raw, list) else one(raw)
        if raw is None or isinstance(raw, (Unknown, Partial)):
            return PolicyDocument(span=span, unknown=choice, problems=problems)
        lists.append(as_list(raw))
    first, others = lists[0], lists[1:]
    common = [(index, item) for index, item in enumerate(first)
              if not isinstance(item, Unknown)
              and all(any(_same_json(item, other) for other in items) for items in others)]
    statements = [statement for index, item in common
                  if (statement := statement_from_value(item, index, span, [])) is not None]
    if any(not any(_same_json(item, kept) for _, kept in common)
           for items in lists for item in items):
        where = span or choice.span
        held = Unknown(f"statements only some alternatives of the policy hold "
                       f"({choice.origin})", where)
        statements.append(Statement(effect=held, span=where, index=len(first), unknown=held))
    return PolicyDocument(statements=statements, span=span, problems=problems)


def _same_json(a: Any, b: Any) -> bool:
    """The same JSON value, wherever each is written; unknown pieces the same only when they
    say the same (the same reference, the same options)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, OneOf) or isinstance(b, OneOf):
        return isinstance(a, OneOf) and isinstance(b, OneOf) and len(a.options) == len(
            b.options) and all(any(_same_json(x, y) for y in b.options) for x in a.options)
    if isinstance(a, Partial) or isinstance(b, Partial):
        return isinstance(a, Partial) and isinstance(b, Partial) and len(a.parts) == len(
            b.parts) and all(_same_json(x, y) for x, y in zip(a.parts, b.parts))
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return type(a) is type(b) and a.origin == b.origin
    if isinstance(a, dict) and isinstance(b, dict):
        return {str(k) for k in a} == {str(k) for k in b} and len(a) == len(b) and all(
            _same_json(value, next(v for k, v in b.items() if str(k) == str(key)))
            for key, value in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def grants_web_identity(document: PolicyDocument) -> bool:
    """Some statement of the document is a web identity trust: it names a Federated
    principal, or allows ``sts:AssumeRoleWithWebIdentity`` without naming a resource (a trust
    policy has no ``Resource``; a permission policy that lets its holder call the action
    names the roles it may assume, and is no trust).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    """
    return any(statement.federated or (
        not statement.resources and not statement.not_resources
        and any(isinstance(a, str) and action_covers(str(a), "sts:AssumeRoleWithWebIdentity")
                for a in statement.actions)) for statement in document.statements)
