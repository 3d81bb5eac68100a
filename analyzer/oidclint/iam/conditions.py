"""How IAM evaluates a condition against the claims of a request.

Facts (docs/facts.md, section 2):
- statements are OR-ed; inside a Condition operators, keys and the values of a negated
  operator are AND-ed, the values of a positive operator OR-ed;
- a key absent from the request makes every operator false except the negated ones,
  ``...IfExists`` and ``ForAllValues:`` (true) and ``Null``;
- key names are case-insensitive, values follow the operator.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from typing import Mapping, Sequence

from oidclint.iam.patterns import Pattern, may_intersect
from oidclint.model import Condition, Statement

STRING_OPERATORS = {
    "StringEquals": (False, False),
    "StringNotEquals": (False, False),
    "StringEqualsIgnoreCase": (False, True),
    "StringNotEqualsIgnoreCase": (False, True),
    "StringLike": (True, False),
    "StringNotLike": (True, False),
}
"""Operator to (glob, ignore case)."""

EXACT_OPERATORS = frozenset(op for op, (glob, _) in STRING_OPERATORS.items() if not glob)
POSITIVE_STRING_OPERATORS = frozenset(op for op in STRING_OPERATORS if "Not" not in op)

Claims = Mapping[str, Sequence[str]]
"""Request context: lower-cased condition key to its values (one for single-valued keys)."""


ALWAYS_PRESENT = frozenset({"sub", "aud"})
"""Claims every token carries: an OpenID Connect ID token must hold `iss`, `sub` and `aud`
(https://openid.net/specs/openid-connect-core-1_0.html#IDToken), and the IAM key of each is
in the request of every web identity call. `sub` has one value; so, as IAM reads it, has
`aud` (docs/facts.md, section 2)."""


def holds_when_absent(condition: Condition) -> bool:
    """The test is true when its key is missing from the request: negated operators,
    ``...IfExists`` and ``ForAllValues:``."""
    return condition.negated or condition.if_exists or condition.qualifier == "ForAllValues"


def restricts(condition: Condition) -> bool:
    """A positive string test that holds only for matching values. ``...IfExists`` and
    ``ForAllValues:`` are true when the claim is absent, so they restrict only claims every
    token carries (`sub`, `aud`), on which they work as the plain operator.

    A test with no values (`values = []`, which the AWS provider renders as `[]`) matches no
    value: it restricts the claim to nothing, and the statement admits no token (IAM Access
    Analyzer: an empty condition array makes the statement provide no permissions;
    docs/facts.md, section 2)."""
    if condition.base_operator not in POSITIVE_STRING_OPERATORS:
        return False
    return not holds_when_absent(condition) or condition.claim in ALWAYS_PRESENT


def vacuous(condition: Condition) -> bool:
    """True for a positive test that also holds when the claim is missing, on a claim that
    may be missing."""
    return (condition.base_operator in POSITIVE_STRING_OPERATORS and holds_when_absent(condition)
            and condition.claim not in ALWAYS_PRESENT)


def needless_qualifier(condition: Condition) -> bool:
    """A set operator or ``...IfExists`` on a claim every token carries with one value: it
    works as the plain operator, which says what is meant."""
    return (condition.base_operator in POSITIVE_STRING_OPERATORS
            and (condition.qualifier is not None or condition.if_exists)
            and condition.claim in ALWAYS_PRESENT)


def negated(condition: Condition) -> bool:
    return condition.base_operator in STRING_OPERATORS and condition.negated


def patterns(condition: Condition) -> list[Pattern | None]:
    """The condition's values as patterns (``None`` for a value not known at all)."""
    glob, _ = STRING_OPERATORS.get(condition.base_operator, (False, False))
    return [Pattern.of(v, glob) for v in condition.values]


def _value_matches(condition: Condition, value: str) -> bool | None:
    """Does one request value match any of the condition's values (positive sense)?"""
    base = condition.base_operator.replace("Not", "")
    if condition.base_operator not in STRING_OPERATORS:
        if condition.base_operator == "Bool":
            known = [str(v).lower() for v in condition.values if not hasattr(v, "parts")]
            return value.lower() in known if known else None
        return None
    _, ignore_case = STRING_OPERATORS[base]
    verdict: bool | None = False
    for pattern in patterns(condition):
        result = pattern.matches(value, ignore_case) if pattern else None
        if result is None and pattern is not None and may_intersect(
                pattern, Pattern(value, glob=False), ignore_case) is False:
            result = False  # whatever its unknown pieces hold, its known text rules it out
        if result:
            return True
        if result is None:
            verdict = None
    return verdict


def condition_holds(condition: Condition, claims: Claims) -> bool | None:
    """True, False, or None when the answer depends on something unknown."""
    if not isinstance(condition.key, str):
        return None
    values = claims.get(str(condition.key).lower())
    if condition.base_operator == "Null":
        wants_absent = {str(v).lower() for v in condition.values} == {"true"}
        return (values is None) == wants_absent
    if values is None:
        if condition.qualifier == "ForAllValues":
            return True
        if condition.qualifier == "ForAnyValue":
            return False
        return condition.negated or condition.if_exists
    outcomes = [_value_matches(condition, v) for v in values]
    if condition.negated:
        outcomes = [None if o is None else not o for o in outcomes]
    if condition.qualifier == "ForAllValues" or (condition.negated and not condition.qualifier):
        # Every value must pass (negated single-valued keys: differ from all of them).
        if any(o is False for o in outcomes):
            return False
        return None if any(o is None for o in outcomes) else True
    if any(o is True for o in outcomes):
        return True
    return None if any(o is None for o in outcomes) else False


def statement_admits(statement: Statement, claims: Claims) -> bool | None:
    """Whether every condition of a statement holds for the claims."""
    verdict: bool | None = True
    for condition in statement.conditions:
        result = condition_holds(condition, claims)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def action_covers(pattern: str, action: str) -> bool:
    """IAM action names are case-insensitive globs: ``sts:*`` covers ``sts:AssumeRole``."""
    return bool(Pattern(pattern.lower()).matches(action.lower()))
