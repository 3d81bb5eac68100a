"""CloudFormation ``Conditions``, decided where the template alone decides them.

A condition is true or false once the stack's parameters are known. Statically the template
tells their defaults (read by the resolver, as everywhere else), the mappings and literal
values; pseudo parameters (``AWS::Region``, ``AWS::AccountId`` ...), parameters without a
default and SSM parameters are unknown. A condition that depends on an unknown value is
undecided (``None``): ``Fn::If`` then keeps both branches and a resource with that
``Condition`` is read, as before conditions were evaluated.

- Condition functions: ``Fn::And`` / ``Fn::Or`` (2 to 10 conditions), ``Fn::Not`` (one),
  ``Fn::Equals`` (two values), and ``{"Condition": "Name"}`` naming another condition; they may
  reference parameters, mappings and other conditions only.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html
- A resource with a ``Condition`` attribute is created only when the condition is true; an
  ``Fn::If`` takes the value of the branch its condition selects.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from oidclint.readers.cloudformation.values import scalar_text
from oidclint.source import Choice, Partial, Span, Unknown, span_of

if TYPE_CHECKING:
    from oidclint.readers.cloudformation.intrinsics import Resolver

Decision = bool | None
"""True or false when the template decides it, ``None`` when the deployment does."""

_UNKNOWN = object()
"""A value that could be anything."""


class ConditionEvaluator:
    """Decides the named conditions of one template, each at most once."""

    def __init__(self, resolver: "Resolver") -> None:
        self.resolver = resolver
        self._decided: dict[str, Decision] = {}
        self._deciding: list[str] = []

    def decide(self, name: str, span: Span | None = None) -> Decision:
        """The value of the condition ``name``; ``None`` when undecided or undeclared."""
        if name in self._decided:
            return self._decided[name]
        if name in self._deciding:
            self.resolver.problem(span, f"condition {name} refers to itself")
            return None
        definition = self.resolver.conditions.get(name)
        if definition is None:
            return None
        self._deciding.append(name)
        try:
            decision = self.evaluate(definition)
        finally:
            self._deciding.pop()
        self._decided[name] = decision
        return decision

    def evaluate(self, expression: Any) -> Decision:
        """The value of a condition function (``Fn::Equals``, ``Fn::And`` ...)."""
        if not isinstance(expression, dict) or len(expression) != 1:
            self._malformed(expression, "a condition is one condition function")
            return None
        (name, arg), = expression.items()
        span = span_of(expression)
        if name == "Condition":
            if not isinstance(arg, str):
                self._malformed(expression, "Condition names a condition")
                return None
            if str(arg) not in self.resolver.conditions:
                self.resolver.problem(span_of(arg) or span, f"undeclared condition {arg}")
            return self.decide(str(arg), span)
        if name == "Fn::Equals":
            return self._equals(arg, span)
        if name in ("Fn::And", "Fn::Or", "Fn::Not"):
            if not isinstance(arg, list) or not arg or (name == "Fn::Not" and len(arg) != 1):
                self._malformed(expression, f"{name} takes a list of conditions")
                return None
            decisions = [self.evaluate(item) for item in arg]
            if name == "Fn::Not":
                return None if decisions[0] is None else not decisions[0]
            return _all(decisions) if name == "Fn::And" else _any(decisions)
        self._malformed(expression, f"{name} is not a condition function")
        return None

    def _equals(self, arg: Any, span: Span | None) -> Decision:
        if not isinstance(arg, list) or len(arg) != 2:
            self.resolver.problem(span, "Fn::Equals takes [value, value]")
            return None
        left, right = (self.resolver.resolve(value) for value in arg)
        return equality(left, right)

    def _malformed(self, expression: Any, usage: str) -> None:
        self.resolver.problem(span_of(expression), f"cannot evaluate the condition: {usage}")


def equality(left: Any, right: Any) -> Decision:
    """Whether two resolved values are equal, as far as they are known.

    ``Fn::Equals`` compares strings; a YAML ``true`` or ``5`` is its text. A ``Choice`` (a
    mapping looked up with an unknown key) is equal when every option is, unequal when none
    is; a partly known string is unequal to a text whose start or end it contradicts.
    """
    pairs = [_pair(a, b) for a in _candidates(left) for b in _candidates(right)]
    if pairs and all(p is True for p in pairs):
        return True
    if pairs and all(p is False for p in pairs):
        return False
    return None


def _candidates(value: Any) -> list[Any]:
    if isinstance(value, Choice):
        return [c for option in value.options for c in _candidates(option)]
    if isinstance(value, Partial):
        return [value]
    comparable = _comparable(value)
    return [comparable]


def _comparable(value: Any) -> Any:
    """A string or a tuple of strings; ``_UNKNOWN`` for what is not known."""
    if isinstance(value, list):
        items = [_comparable(item) for item in value]
        return _UNKNOWN if any(item is _UNKNOWN for item in items) else tuple(items)
    if value is None or isinstance(value, (Unknown, Choice, dict)):
        return _UNKNOWN
    text = scalar_text(value)
    return _UNKNOWN if text is None else text


def _pair(left: Any, right: Any) -> Decision:
    if isinstance(left, Partial) or isinstance(right, Partial):
        pattern, other = (left, right) if isinstance(left, Partial) else (right, left)
        if isinstance(other, str) and not _may_match(pattern, other):
            return False
        return None
    if left is _UNKNOWN or right is _UNKNOWN:
        return None
    return left == right


def _may_match(pattern: Partial, text: str) -> bool:
    prefix, suffix = pattern.known_prefix, pattern.known_suffix
    return (text.startswith(prefix) and text.endswith(suffix)
            and len(text) >= len(prefix) + len(suffix))


def _all(decisions: Iterable[Decision]) -> Decision:
    decisions = list(decisions)
    if any(d is False for d in decisions):
        return False
    return True if all(d is True for d in decisions) else None


def _any(decisions: Iterable[Decision]) -> Decision:
    decisions = list(decisions)
    if any(d is True for d in decisions):
        return True
    return False if all(d is False for d in decisions) else None
