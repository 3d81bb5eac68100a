"""Small pieces every part of the CloudFormation reader shares: resource types, the
``AWS::NoValue`` marker, recognising an intrinsic function call, and moving a value to the
expression that produced it."""

from __future__ import annotations

from typing import Any, Iterable

from oidclint.readers.cloudformation.cdk import CDK_CFN_JSON, CDK_OIDC_PROVIDER
from oidclint.source import Choice, LList, Partial, Span, Str, Unknown

__all__ = [
    "CDK_CFN_JSON", "CDK_OIDC_PROVIDER", "EKS_CLUSTER", "MANAGED_POLICY", "MAX_OPTIONS",
    "NO_VALUE", "OIDC_PROVIDER", "ROLE", "choice_origin", "combinations", "distinct",
    "intrinsic_name", "is_no_value", "relocate", "scalar_text",
]

MAX_OPTIONS = 16
"""Combinations of ``Fn::If`` branches spelled out in one string before it becomes unknown."""

OIDC_PROVIDER = "AWS::IAM::OIDCProvider"
ROLE = "AWS::IAM::Role"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
EKS_CLUSTER = "AWS::EKS::Cluster"


class _NoValue:
    """``AWS::NoValue``: the property or list item is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


def intrinsic_name(value: Any) -> str | None:
    """``Ref`` or ``Fn::X`` when the value is a call of an intrinsic function."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
            return str(key)
    return None


def is_no_value(value: Any) -> bool:
    """``{"Ref": "AWS::NoValue"}`` as written, before resolution."""
    return intrinsic_name(value) == "Ref" and value[next(iter(value))] == "AWS::NoValue"


def relocate(value: Any, span: Span | None, ref: str | None = None) -> Any:
    """The same value located at ``span`` (the expression that produced it)."""
    if isinstance(value, Partial):
        return Partial(value.parts, span, ref or value.ref)
    if isinstance(value, Unknown):
        return Unknown(value.origin, span, ref or value.ref)
    if isinstance(value, str):
        return Str(value, span, ref or getattr(value, "ref", None))
    if isinstance(value, Choice):
        return Choice(tuple(relocate(o, span, ref) for o in value.options), value.origin, span)
    if isinstance(value, list):
        return LList([relocate(v, span, ref) for v in value], span=span)
    return value


def scalar_text(value: Any) -> str | None:
    """A YAML/JSON scalar as CloudFormation reads it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def distinct(values: list[Any]) -> tuple[Any, ...]:
    """The values without repeats (same type and text), in order."""
    seen: dict[tuple[str, str], Any] = {}
    for value in values:
        seen.setdefault((type(value).__name__, str(value)), value)
    return tuple(seen.values())


def options_of(value: Any) -> list[Any]:
    """The values a piece can take: every option of a ``Choice`` (``None`` for no value)."""
    if isinstance(value, Choice):
        return [o for option in value.options for o in options_of(option)]
    return [None if value is NO_VALUE else value]


def combinations(pieces: list[Any]) -> list[list[Any]] | None:
    """Every combination of the pieces' options, ``None`` when there are too many."""
    combos: list[list[Any]] = [[]]
    for piece in pieces:
        combos = [c + ([o] if o is not None else []) for c in combos for o in options_of(piece)]
        if len(combos) > MAX_OPTIONS:
            return None
    return combos


def choice_origin(pieces: Iterable[Any]) -> str:
    origins = dict.fromkeys(p.origin for p in pieces if isinstance(p, Choice))
    return ", ".join(origins) or "Fn::If"
