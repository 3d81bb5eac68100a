"""CloudFormation intrinsic functions, evaluated over located values.

A template's values are resolved as far as the template itself tells: parameter defaults,
mappings, conditions, and the return values of the IAM resources oidclint reasons about. What
depends on the account, the region or a deploy-time choice stays ``Unknown`` (nothing is
guessed); an ``Fn::If`` whose condition the template decides takes that branch, otherwise it
gives a ``Choice`` of both. A resolved value carries the span of the expression that produced
it (the ``!Ref`` in the policy, not the parameter default), so a finding points at the line
that uses the value.

The parts live beside this module: conditions (``cfn_conditions``), mappings
(``cfn_mappings``), ``Fn::Join`` / ``Fn::Split`` / ``Fn::Select`` (``cfn_lists``), resource
return values (``cfn_resources``), JSON text (``cfn_json_text``), shared helpers
(``cfn_values``).

Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable

from oidclint.limits import TooLarge, json_length, reserve_text
from oidclint.readers.cloudformation.cdk import resource_addresses
from oidclint.readers.cloudformation.conditions import ConditionEvaluator, Decision
from oidclint.readers.cloudformation.json_text import TemplateJsonText
from oidclint.readers.cloudformation.lists import fn_join, fn_split, fn_select
from oidclint.readers.cloudformation.mappings import find_in_map
from oidclint.readers.cloudformation.resources import resource_attribute, resource_ref
from oidclint.readers.cloudformation.values import (
    NO_VALUE, choice_origin, combinations, distinct, intrinsic_name, relocate, scalar_text,
)
from oidclint.located.json_text import Hole, Piece
from oidclint.source import (
    Choice, LDict, LList, Partial, Pieces, SourceFile, Span, Str, Unknown, concat, fill_ins,
    render,
    span_of,
)

Problem = tuple[Span | None, str]

# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
})

# Valid in a template, but their value is never known before deployment.
_OPAQUE = frozenset({"Fn::GetAZs", "Fn::Cidr", "Fn::Transform"})
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html
_CONDITION_FUNCTIONS = frozenset({
    "Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Fn::Contains", "Fn::EachMemberEquals",
    "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll",
})

MAX_DEPTH = 50
"""Nested intrinsics and references followed before giving up (far beyond real templates)."""

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates the intrinsic functions of one template.

    ``problems`` collects what the template gets wrong (a function with the wrong arguments,
    an unknown function, a cycle); resolution itself never raises for bad input.
    """

    def __init__(self, template: Any, file: SourceFile | None = None, path: str = "") -> None:
        self.file = file
        self.path = file.path if file is not None else path
        self.problems: list[Problem] = []
        self.parameters = self._section(template, "Parameters")
        self.resources = self._section(template, "Resources")
        self.mappings = self._section(template, "Mappings")
        self.conditions = self._section(template, "Conditions")
        self.addresses = resource_addresses(self.resources)
        self.decisions = ConditionEvaluator(self)
        self.json_text = TemplateJsonText(self)
        self._active: list[str] = []
        self._depth = 0

    def problem(self, span: Span | None, message: str) -> None:
        if (span, message) not in self.problems:
            self.problems.append((span, message))

    def address_of(self, logical: str) -> str:
        """The address of a resource in findings: its CDK construct path or its logical id."""
        return self.addresses.get(logical, logical)

    def condition(self, name: str, span: Span | None = None) -> Decision:
        """Whether the named condition holds: ``None`` when the template does not decide it."""
        return self.decisions.decide(name, span)

    def taken_branches(self, arg: Any) -> list[Any] | None:
        """The branches of ``Fn::If arg`` the stack can take: the one its condition selects,
        or both when the condition is undecided; ``None`` when ``arg`` is malformed."""
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return None
        decision = self.condition(str(arg[0]), span_of(arg[0]))
        if decision is None:
            return [arg[1], arg[2]]
        return [arg[1] if decision else arg[2]]

    def _section(self, template: Any, name: str) -> dict[str, Any]:
        section = template.get(name) if isinstance(template, dict) else None
        if section is None:
            return {}
        if not isinstance(section, dict):
            self.problem(span_of(section), f"{name} is not a mapping")
            return {}
        return {str(key): value for key, value in section.items()}

    # -- values --------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """A located value with every intrinsic evaluated; ``None`` for ``AWS::NoValue``."""
        result = self._resolve(value)
        return None if result is NO_VALUE else result

    def evaluate(self, value: Any) -> Any:
        """Like ``resolve``, but ``AWS::NoValue`` stays ``NO_VALUE`` (removed by the caller)."""
        return self._resolve(value)

    def json_value(self, expr: Any) -> Any:
        """A value that may be written as JSON text (a policy given as a string), as a
        structure; see ``cfn_json_text``."""
        return self.json_text.value(expr)

    def decode_json(self, value: Any, span: Span | None) -> Any:
        """A resolved value: strings are parsed as JSON text, structures returned as they are."""
        return self.json_text.decode(value, span)

    def _resolve(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float, Unknown, Partial, Choice)):
            return value
        if not isinstance(value, (dict, list)):
            self.problem(None, f"cannot read a value of type {type(value).__name__}")
            return Unknown(f"unreadable {type(value).__name__}")
        if self._depth >= MAX_DEPTH:
            self.problem(span_of(value), "intrinsic functions nested too deeply to evaluate")
            return Unknown("nested too deeply", span_of(value))
        self._depth += 1
        try:
            if isinstance(value, list):
                items = (self._resolve(item) for item in value)
                return LList([i for i in items if i is not NO_VALUE], span=span_of(value))
            name = intrinsic_name(value)
            if name is not None:
                return self._call(name, value[next(iter(value))], span_of(value))
            resolved = LDict(span=span_of(value))
            for key, item in value.items():
                item = self._resolve(item)
                if item is not NO_VALUE:
                    resolved[key] = item
            return resolved
        finally:
            self._depth -= 1

    def _call(self, name: str, arg: Any, span: Span | None) -> Any:
        function = _FUNCTIONS.get(name)
        if function is not None:
            try:
                return function(self, arg, span)
            except TooLarge as exc:
                if not exc.repeated:
                    self.problem(span, f"{exc}; not evaluated")
                return Unknown(f"{name} (not evaluated: too large)", span)
        if name in _OPAQUE:
            return Unknown(name, span)
        if name in _CONDITION_FUNCTIONS:
            self.problem(span, f"{name} is a condition function; it belongs in Conditions")
        else:
            self.problem(span, f"unknown intrinsic function {name}")
        return Unknown(name, span)

    def bad(self, name: str, span: Span | None, usage: str) -> Unknown:
        """A function called with the wrong arguments: a problem, and an unknown value."""
        self.problem(span, f"{name} takes {usage}")
        return Unknown(name, span)

    def _text_piece(self, piece: Any, span: Span | None, what: str) -> Any:
        if isinstance(piece, (Partial, Unknown)):
            return piece
        text = scalar_text(piece)
        if text is None:
            self.problem(span, f"{what}: a {type(piece).__name__} where a string belongs")
            return Unknown(f"{what} of a non-string", span)
        return text

    def concat(self, pieces: list[Any], span: Span | None, ref: str | None = None,
               what: str = "Fn::Join") -> Any:
        """Pieces joined into one string; ``Fn::If`` pieces give a ``Choice`` of strings."""
        combos = combinations(pieces)
        if combos is None:
            return Unknown(f"{what} over too many Fn::If branches", span)
        results = []
        for combo in combos:
            pieces = Pieces(what)  # refused as soon as it is too long, before it is all built
            for piece in combo:
                pieces.add(piece if isinstance(piece, str) else
                           self._text_piece(piece, span, what))
            results.append(concat(pieces, span, ref, what=what))
        if len(results) == 1:
            return results[0]
        return Choice(distinct(results), choice_origin(pieces), span)

    # -- Ref ----------------------------------------------------------------------------

    def _fn_ref(self, arg: Any, span: Span | None) -> Any:
        if not isinstance(arg, str) or not arg:
            return self.bad("Ref", span, "the name of a parameter or resource")
        return self.ref(str(arg), span)

    def ref(self, name: str, span: Span | None) -> Any:
        """What ``Ref name`` returns; ``NO_VALUE`` for ``AWS::NoValue``."""
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return Unknown(name, span)
        if name in self.parameters:
            return self._parameter(name, span)
        if name in self.resources:
            return self._guarded(name, span, lambda: resource_ref(self, name, span))
        return Unknown(f"undeclared {name}", span, ref=name)

    def _parameter(self, name: str, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
        definition = self.parameters[name]
        if not isinstance(definition, dict):
            self.problem(span_of(definition), f"parameter {name} is not a mapping")
            return Unknown(f"parameter {name}", span)
        kind = scalar_text(definition.get("Type")) or ""
        default = definition.get("Default")
        if default is None:
            return Unknown(f"parameter {name}", span)
        if kind.startswith("AWS::SSM::Parameter::Value"):
            # The default names an SSM parameter; Ref gives that parameter's value.
            return Unknown(f"parameter {name} (SSM parameter {render(default)})", span)
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        # A fill-in placeholder left as the default (`<your-org>`) decides nothing.
        if isinstance(default, list) and is_list:
            items = [scalar_text(item) for item in default]
            if all(item is not None for item in items):
                return LList([fill_ins(Str(item, span)) for item in items], span=span)
        text = scalar_text(default)
        if text is None:
            self.problem(span_of(default), f"the Default of parameter {name} is not a string")
            return Unknown(f"parameter {name}", span)
        if is_list:
            return LList([fill_ins(Str(item.strip(), span)) for item in text.split(",")],
                         span=span)
        return fill_ins(Str(text, span))

    def _guarded(self, name: str, span: Span | None, follow: Callable[[], Any]) -> Any:
        """Follows a reference to a resource's properties, stopping at cycles."""
        if name in self._active:
            self.problem(span, f"circular reference through {name}")
            return Unknown(f"{name} (circular reference)", span, ref=self.address_of(name))
        if len(self._active) >= MAX_DEPTH:
            self.problem(span, "references nested too deeply to evaluate")
            return Unknown(f"{name} (nested too deeply)", span, ref=self.address_of(name))
        self._active.append(name)
        try:
            return follow()
        finally:
            self._active.pop()

    def type_of(self, name: str) -> str:
        """The ``Type`` of the resource ``name``, ``""`` when it has none."""
        resource = self.resources.get(name)
        kind = resource.get("Type") if isinstance(resource, dict) else None
        return str(kind) if isinstance(kind, str) else ""

    def property_of(self, name: str, key: str) -> Any:
        """A property of the resource ``name`` as written, ``None`` when absent."""
        resource = self.resources.get(name)
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        return properties.get(key) if isinstance(properties, dict) else None

    # -- Fn::GetAtt ---------------------------------------------------------------------

    def _fn_get_att(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-getatt.html
        parts = str(arg).split(".", 1) if isinstance(arg, str) else arg
        if not isinstance(parts, list) or len(parts) != 2 or not isinstance(parts[0], str):
            return self.bad("Fn::GetAtt", span, "[LogicalId, Attribute] or \"LogicalId.Attribute\"")
        logical, attribute = str(parts[0]), self.resolve(parts[1])
        if not isinstance(attribute, str):
            if isinstance(attribute, (Unknown, Partial, Choice)):
                return Unknown(f"{logical}.{attribute}", span, ref=logical)
            return self.bad("Fn::GetAtt", span, "an attribute name")
        return self.get_att(logical, str(attribute), span)

    def get_att(self, logical: str, attribute: str, span: Span | None) -> Any:
        if logical not in self.resources:
            return Unknown(f"undeclared {logical}", span, ref=logical)
        return self._guarded(logical, span, lambda: resource_attribute(self, logical, attribute, span))

    # -- strings ------------------------------------------------------------------------

    def sub_arguments(self, arg: Any) -> tuple[str, dict[str, Any]] | None:
        """The template string and variables of ``Fn::Sub``, ``None`` when malformed."""
        if isinstance(arg, str):
            return arg, {}
        if (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)
                and isinstance(arg[1], dict)):
            return arg[0], {str(key): value for key, value in arg[1].items()}
        return None

    def sub_parts(self, template: str, variables: dict[str, Any],
                  span: Span | None) -> list[tuple[Piece, int, int]]:
        """The literal text of a ``Fn::Sub`` template and the values of its variables, each
        with where it is written in the template string (start and end)."""
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
        parts: list[tuple[Piece, int, int]] = []
        position = 0
        for match in SUB_VARIABLE.finditer(template):
            if match.start() > position:
                parts.append((template[position:match.start()], position, match.start()))
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} writes ${Literal}
                piece: Piece = "${" + name[1:] + "}"
            else:
                piece = Hole(self._sub_variable(name.strip(), variables, span))
            parts.append((piece, match.start(), match.end()))
            position = match.end()
        if position < len(template):
            parts.append((template[position:], position, len(template)))
        return parts

    def _sub_variable(self, name: str, variables: dict[str, Any], span: Span | None) -> Any:
        if name in variables:
            value = self._resolve(variables[name])
        elif "." in name:
            logical, attribute = name.split(".", 1)
            value = self.get_att(logical, attribute, span)
        else:
            value = self.ref(name, span)
        if value is NO_VALUE:
            self.problem(span, f"Fn::Sub variable {name} has no value (AWS::NoValue)")
            return Unknown(f"{name} (AWS::NoValue)", span)
        return value

    def _fn_sub(self, arg: Any, span: Span | None) -> Any:
        arguments = self.sub_arguments(arg)
        if arguments is None:
            return self.bad("Fn::Sub", span, "a string, or [string, {variables}]")
        pieces = [piece for piece, _, _ in self.sub_parts(*arguments, span)]
        if len(pieces) == 1 and isinstance(pieces[0], Hole) and isinstance(
                pieces[0].value, (str, Partial, Unknown, Choice)):
            # "${Provider}" alone: the value itself, keeping the resource it names.
            return relocate(pieces[0].value, span)
        values = [p.value if isinstance(p, Hole) else p for p in pieces]
        return self.concat(values, span, what="Fn::Sub")

    # -- other functions ----------------------------------------------------------------

    def _fn_if(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html#intrinsic-function-reference-conditions-if
        branches = self.taken_branches(arg)
        if branches is None:
            return self.bad("Fn::If", span, "[condition name, value if true, value if false]")
        if str(arg[0]) not in self.conditions:
            self.problem(span_of(arg[0]) or span, f"Fn::If names undeclared condition {arg[0]}")
        if len(branches) == 1:
            return self._resolve(branches[0])
        options = (self.resolve(arg[1]), self.resolve(arg[2]))
        return Choice(options, f"Fn::If {arg[0]}", span)

    def _fn_find_in_map(self, arg: Any, span: Span | None) -> Any:
        return find_in_map(self, arg, span)

    def _fn_import_value(self, arg: Any, span: Span | None) -> Any:
        # An export of another stack: its value is not in this template.
        return Unknown(f"Fn::ImportValue {render(self.resolve(arg))}", span)

    def _fn_base64(self, arg: Any, span: Span | None) -> Any:
        value = self.resolve(arg)
        if isinstance(value, str):
            data = str(value).encode()
            reserve_text(4 * ((len(data) + 2) // 3), "Fn::Base64")
            return Str(base64.b64encode(data).decode(), span)
        return Unknown(f"Fn::Base64 of {render(value)}", span)

    def _fn_length(self, arg: Any, span: Span | None) -> Any:
        value = self.resolve(arg)
        if isinstance(value, list) and not any(isinstance(v, Choice) for v in value):
            return len(value)
        return Unknown("Fn::Length", span)

    def _fn_to_json_string(self, arg: Any, span: Span | None) -> Any:
        value = self.resolve(arg)
        try:
            # Measured on the value itself: a list repeating one long string through YAML
            # aliases is short to hold and long to write out.
            reserve_text(json_length(value, "Fn::ToJsonString"), "Fn::ToJsonString")
            plain = _plain(value)
        except _NotKnown:
            return Unknown("Fn::ToJsonString", span)
        return Str(json.dumps(plain, separators=(",", ":")), span)


class _NotKnown(Exception):
    pass


def _plain(value: Any) -> Any:
    """Plain JSON data; raises ``_NotKnown`` when part of the value is not known."""
    if isinstance(value, (Unknown, Partial, Choice)):
        raise _NotKnown
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


_FUNCTIONS: dict[str, Callable[[Resolver, Any, Span | None], Any]] = {
    "Ref": Resolver._fn_ref,
    "Fn::GetAtt": Resolver._fn_get_att,
    "Fn::Sub": Resolver._fn_sub,
    "Fn::Join": fn_join,
    "Fn::Split": fn_split,
    "Fn::Select": fn_select,
    "Fn::If": Resolver._fn_if,
    "Fn::FindInMap": Resolver._fn_find_in_map,
    "Fn::ImportValue": Resolver._fn_import_value,
    "Fn::Base64": Resolver._fn_base64,
    "Fn::Length": Resolver._fn_length,
    "Fn::ToJsonString": Resolver._fn_to_json_string,
}
