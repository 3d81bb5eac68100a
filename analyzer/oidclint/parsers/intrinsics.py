"""CloudFormation intrinsic functions, evaluated over located values.

A template's values are resolved as far as the template itself tells: parameter defaults,
mappings, and the return values of the IAM resources oidclint reasons about. What depends on
the account, the region or a deploy-time choice stays ``Unknown`` (nothing is guessed), and
``Fn::If`` gives a ``Choice`` of both branches. A resolved value carries the span of the
expression that produced it (the ``!Ref`` in the policy, not the parameter default), so a
finding points at the line that uses the value.

Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable, Iterable

from oidclint.iam.eks import eks_issuer
from oidclint.parsers.json_text import Hole, Piece, located_value
from oidclint.source import (
    Choice, LDict, LList, Partial, SourceFile, Span, Str, Unknown, concat, render, span_of,
)

Problem = tuple[Span | None, str]

# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
})

OIDC_PROVIDER = "AWS::IAM::OIDCProvider"
CDK_OIDC_PROVIDER = "Custom::AWSCDKOpenIdConnectProvider"
ROLE = "AWS::IAM::Role"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
EKS_CLUSTER = "AWS::EKS::Cluster"
CDK_CFN_JSON = "Custom::AWSCDKCfnJson"
"""CDK's ``CfnJson``: its ``Value`` attribute is its ``Value`` property parsed as JSON. CDK
builds condition blocks with computed keys this way (aws-cdk-lib ``CfnJson``)."""

# Valid in a template, but their value is never known before deployment.
_OPAQUE = frozenset({"Fn::GetAZs", "Fn::Cidr", "Fn::Transform"})
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html
_CONDITION_FUNCTIONS = frozenset({
    "Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Fn::Contains", "Fn::EachMemberEquals",
    "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll",
})

MAX_DEPTH = 50
"""Nested intrinsics and references followed before giving up (far beyond real templates)."""
MAX_OPTIONS = 16
"""Combinations of ``Fn::If`` branches spelled out in one string before it becomes unknown."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_JSON_SYNTAX = re.compile(r'["\\\x00-\x1f]')
# A YAML literal block (``|``, ``|-``, ``|2+`` ...) keeps lines as written, so spans inside JSON
# text can be mapped back to the file; folded and quoted strings cannot.
_LITERAL_BLOCK = re.compile(r"\|[0-9+-]*\s*(#.*)?$")


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


def _options(value: Any) -> list[Any]:
    """The values a piece can take: every option of a ``Choice`` (``None`` for no value)."""
    if isinstance(value, Choice):
        return [o for option in value.options for o in _options(option)]
    return [None if value is NO_VALUE else value]


def _combinations(pieces: list[Any]) -> list[list[Any]] | None:
    """Every combination of the pieces' options, ``None`` when there are too many."""
    combos: list[list[Any]] = [[]]
    for piece in pieces:
        combos = [c + ([o] if o is not None else []) for c in combos for o in _options(piece)]
        if len(combos) > MAX_OPTIONS:
            return None
    return combos


def _choice_origin(pieces: Iterable[Any]) -> str:
    origins = dict.fromkeys(p.origin for p in pieces if isinstance(p, Choice))
    return ", ".join(origins) or "Fn::If"


def _distinct(values: list[Any]) -> tuple[Any, ...]:
    seen: dict[tuple[str, str], Any] = {}
    for value in values:
        seen.setdefault((type(value).__name__, str(value)), value)
    return tuple(seen.values())


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
        self._active: list[str] = []
        self._depth = 0

    def problem(self, span: Span | None, message: str) -> None:
        if (span, message) not in self.problems:
            self.problems.append((span, message))

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
            return function(self, arg, span)
        if name in _OPAQUE:
            return Unknown(name, span)
        if name in _CONDITION_FUNCTIONS:
            self.problem(span, f"{name} is a condition function; it belongs in Conditions")
        else:
            self.problem(span, f"unknown intrinsic function {name}")
        return Unknown(name, span)

    def _bad(self, name: str, span: Span | None, usage: str) -> Unknown:
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
        combos = _combinations(pieces)
        if combos is None:
            return Unknown(f"{what} over too many Fn::If branches", span)
        results = [concat([self._text_piece(p, span, what) for p in combo], span, ref)
                   for combo in combos]
        if len(results) == 1:
            return results[0]
        return Choice(_distinct(results), _choice_origin(pieces), span)

    # -- Ref ----------------------------------------------------------------------------

    def _fn_ref(self, arg: Any, span: Span | None) -> Any:
        if not isinstance(arg, str) or not arg:
            return self._bad("Ref", span, "the name of a parameter or resource")
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
            return self._guarded(name, span, lambda: self._resource_ref(name, span))
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
        if isinstance(default, list) and is_list:
            items = [scalar_text(item) for item in default]
            if all(item is not None for item in items):
                return LList([Str(item, span) for item in items], span=span)
        text = scalar_text(default)
        if text is None:
            self.problem(span_of(default), f"the Default of parameter {name} is not a string")
            return Unknown(f"parameter {name}", span)
        if is_list:
            return LList([Str(item.strip(), span) for item in text.split(",")], span=span)
        return Str(text, span)

    def _guarded(self, name: str, span: Span | None, follow: Callable[[], Any]) -> Any:
        """Follows a reference to a resource's properties, stopping at cycles."""
        if name in self._active:
            self.problem(span, f"circular reference through {name}")
            return Unknown(f"{name} (circular reference)", span, ref=name)
        if len(self._active) >= MAX_DEPTH:
            self.problem(span, "references nested too deeply to evaluate")
            return Unknown(f"{name} (nested too deeply)", span, ref=name)
        self._active.append(name)
        try:
            return follow()
        finally:
            self._active.pop()

    def _type(self, name: str) -> str:
        resource = self.resources.get(name)
        kind = resource.get("Type") if isinstance(resource, dict) else None
        return str(kind) if isinstance(kind, str) else ""

    def _property(self, name: str, key: str) -> Any:
        resource = self.resources.get(name)
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        return properties.get(key) if isinstance(properties, dict) else None

    def _resource_ref(self, name: str, span: Span | None) -> Any:
        kind = self._type(name)
        if kind in (OIDC_PROVIDER, CDK_OIDC_PROVIDER):
            # Ref returns the provider's ARN, for the custom resource too (its physical id).
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-oidcprovider.html
            return self._provider_arn(name, span)
        if kind == ROLE:
            # Ref returns the role name.
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
            return self._role_name(name, span)
        if kind == MANAGED_POLICY:
            # Ref returns the policy ARN.
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-managedpolicy.html
            return self._managed_policy_arn(name, span)
        return Unknown(f"Ref {name}", span, ref=name)

    def _provider_arn(self, name: str, span: Span | None) -> Any:
        url = self.resolve(self._property(name, "Url"))
        host = _without_scheme(url) if url is not None else Unknown(f"{name} Url", span, ref=name)
        return self.concat(["arn:aws:iam::", Unknown("account id", span), ":oidc-provider/", host],
                           span, ref=name, what=f"ARN of {name}")

    def _generated_name(self, name: str, key: str, span: Span | None) -> Any:
        value = self.resolve(self._property(name, key))
        if value is None:
            return Unknown(f"{name} name (generated by CloudFormation)", span, ref=name)
        if isinstance(value, (str, Partial, Unknown, Choice)):
            return relocate(value, span, ref=name)
        text = scalar_text(value)
        if text is None:
            self.problem(span_of(value) or span, f"the {key} of {name} is not a string")
            return Unknown(f"{name} {key}", span, ref=name)
        return Str(text, span, ref=name)

    def _role_name(self, name: str, span: Span | None) -> Any:
        return self._generated_name(name, "RoleName", span)

    def _iam_arn(self, name: str, span: Span | None, kind: str, name_key: str) -> Any:
        # arn:aws:iam::<account>:<kind><path><name>; the path defaults to "/".
        path = self.resolve(self._property(name, "Path"))
        return self.concat(
            ["arn:aws:iam::", Unknown("account id", span), f":{kind}", "/" if path is None else path,
             self._generated_name(name, name_key, span)],
            span, ref=name, what=f"ARN of {name}")

    def _managed_policy_arn(self, name: str, span: Span | None) -> Any:
        return self._iam_arn(name, span, "policy", "ManagedPolicyName")

    # -- Fn::GetAtt ---------------------------------------------------------------------

    def _fn_get_att(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-getatt.html
        parts = str(arg).split(".", 1) if isinstance(arg, str) else arg
        if not isinstance(parts, list) or len(parts) != 2 or not isinstance(parts[0], str):
            return self._bad("Fn::GetAtt", span, "[LogicalId, Attribute] or \"LogicalId.Attribute\"")
        logical, attribute = str(parts[0]), self.resolve(parts[1])
        if not isinstance(attribute, str):
            if isinstance(attribute, (Unknown, Partial, Choice)):
                return Unknown(f"{logical}.{attribute}", span, ref=logical)
            return self._bad("Fn::GetAtt", span, "an attribute name")
        return self.get_att(logical, str(attribute), span)

    def get_att(self, logical: str, attribute: str, span: Span | None) -> Any:
        if logical not in self.resources:
            return Unknown(f"undeclared {logical}", span, ref=logical)
        return self._guarded(logical, span, lambda: self._attribute(logical, attribute, span))

    def _attribute(self, name: str, attribute: str, span: Span | None) -> Any:
        kind = self._type(name)
        if kind == OIDC_PROVIDER and attribute == "Arn":
            return self._provider_arn(name, span)
        if kind == ROLE and attribute == "Arn":
            return self._iam_arn(name, span, "role", "RoleName")
        if kind == MANAGED_POLICY and attribute == "PolicyArn":
            return self._managed_policy_arn(name, span)
        if kind == CDK_CFN_JSON and attribute == "Value":
            return self.json_value(self._property(name, "Value"))
        if kind == EKS_CLUSTER and attribute == "OpenIdConnectIssuerUrl":
            return eks_issuer(name, span)
        return Unknown(f"{name}.{attribute}", span, ref=name)

    # -- strings ------------------------------------------------------------------------

    def _sub_arguments(self, arg: Any) -> tuple[str, dict[str, Any]] | None:
        if isinstance(arg, str):
            return arg, {}
        if (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)
                and isinstance(arg[1], dict)):
            return arg[0], {str(key): value for key, value in arg[1].items()}
        return None

    def _sub_pieces(self, template: str, variables: dict[str, Any],
                    span: Span | None) -> list[Piece]:
        """The literal text of a ``Fn::Sub`` template and the values of its variables."""
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
        pieces: list[Piece] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(template):
            if match.start() > position:
                pieces.append(template[position:match.start()])
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} writes ${Literal}
                pieces.append("${" + name[1:] + "}")
            else:
                pieces.append(Hole(self._sub_variable(name.strip(), variables, span)))
            position = match.end()
        if position < len(template):
            pieces.append(template[position:])
        return pieces

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
        arguments = self._sub_arguments(arg)
        if arguments is None:
            return self._bad("Fn::Sub", span, "a string, or [string, {variables}]")
        pieces = self._sub_pieces(*arguments, span)
        if len(pieces) == 1 and isinstance(pieces[0], Hole) and isinstance(
                pieces[0].value, (str, Partial, Unknown, Choice)):
            # "${Provider}" alone: the value itself, keeping the resource it names.
            return relocate(pieces[0].value, span)
        values = [p.value if isinstance(p, Hole) else p for p in pieces]
        return self.concat(values, span, what="Fn::Sub")

    def _fn_join(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-join.html
        if not isinstance(arg, list) or len(arg) != 2:
            return self._bad("Fn::Join", span, "[delimiter, [values]]")
        delimiter = self.resolve(arg[0])
        if isinstance(delimiter, (Unknown, Partial, Choice)):
            return Unknown(f"Fn::Join with delimiter {delimiter}", span)
        if scalar_text(delimiter) is None:
            return self._bad("Fn::Join", span, "a string delimiter")
        return self._join(scalar_text(delimiter), self.resolve(arg[1]), span)

    def _join(self, delimiter: str, items: Any, span: Span | None) -> Any:
        if isinstance(items, Choice):
            options = tuple(self._join(delimiter, o, span) for o in items.options if o is not None)
            return Choice(_distinct(list(options)), items.origin, span)
        if isinstance(items, Unknown):
            return Unknown(f"Fn::Join over {items.origin}", span, ref=items.ref)
        if not isinstance(items, list):
            return self._bad("Fn::Join", span, "a list of values to join")
        combos = _combinations(items)
        if combos is None:
            return Unknown("Fn::Join over too many Fn::If branches", span)
        results = []
        for combo in combos:
            pieces: list[Any] = []
            for index, item in enumerate(combo):
                pieces.extend([delimiter, item] if index else [item])
            results.append(self.concat(pieces, span))
        return results[0] if len(results) == 1 else Choice(_distinct(results), _choice_origin(items), span)

    def _fn_split(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-split.html
        if not isinstance(arg, list) or len(arg) != 2:
            return self._bad("Fn::Split", span, "[delimiter, string]")
        delimiter = self.resolve(arg[0])
        if not isinstance(delimiter, str) or not delimiter:
            if isinstance(delimiter, (Unknown, Partial, Choice)):
                return Unknown(f"Fn::Split with delimiter {delimiter}", span)
            return self._bad("Fn::Split", span, "a non-empty string delimiter")
        return self._split(str(delimiter), self.resolve(arg[1]), span)

    def _split(self, delimiter: str, source: Any, span: Span | None) -> Any:
        if isinstance(source, Choice):
            options = tuple(self._split(delimiter, o, span) for o in source.options if o is not None)
            return Choice(options, source.origin, span)
        if isinstance(source, Unknown):
            return Unknown(f"Fn::Split of {source.origin}", span, ref=source.ref)
        if isinstance(source, Partial):
            # Unknown pieces are taken not to contain the delimiter: CDK's
            # Select(1, Split(":oidc-provider/", <provider ARN>)) depends on exactly that.
            chunks: list[list[Any]] = [[]]
            for part in source.parts:
                if isinstance(part, Unknown):
                    chunks[-1].append(part)
                    continue
                first, *rest = part.split(delimiter)
                chunks[-1].append(first)
                chunks.extend([chunk] for chunk in rest)
            return LList([concat(chunk, span, source.ref) for chunk in chunks], span=span)
        text = scalar_text(source)
        if text is None:
            return self._bad("Fn::Split", span, "a string to split")
        return LList([Str(chunk, span) for chunk in text.split(delimiter)], span=span)

    def _fn_select(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-select.html
        if not isinstance(arg, list) or len(arg) != 2:
            return self._bad("Fn::Select", span, "[index, [values]]")
        index = self.resolve(arg[0])
        if isinstance(index, (Unknown, Partial, Choice)):
            return Unknown(f"Fn::Select index {index}", span)
        text = scalar_text(index)
        if isinstance(index, bool) or text is None or not text.isdigit():
            return self._bad("Fn::Select", span, "a non-negative index")
        return self._select(int(text), self.resolve(arg[1]), span)

    def _select(self, index: int, items: Any, span: Span | None) -> Any:
        if isinstance(items, Choice):
            options = tuple(self._select(index, o, span) for o in items.options if o is not None)
            return Choice(_distinct(list(options)), items.origin, span)
        if isinstance(items, Unknown):
            return Unknown(f"Fn::Select {index} of {items.origin}", span, ref=items.ref)
        if not isinstance(items, list):
            return self._bad("Fn::Select", span, "a list to select from")
        if any(isinstance(item, Choice) for item in items[:index + 1]):
            # A conditional item before the index may be absent and shift the positions.
            return Unknown(f"Fn::Select {index} of a list with Fn::If items", span)
        if index >= len(items):
            self.problem(span, f"Fn::Select index {index} is out of range (list of {len(items)})")
            return Unknown(f"Fn::Select {index} out of range", span)
        return relocate(items[index], span)

    # -- other functions ----------------------------------------------------------------

    def _fn_if(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html#intrinsic-function-reference-conditions-if
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return self._bad("Fn::If", span, "[condition name, value if true, value if false]")
        if str(arg[0]) not in self.conditions:
            self.problem(span_of(arg[0]) or span, f"Fn::If names undeclared condition {arg[0]}")
        options = (self.resolve(arg[1]), self.resolve(arg[2]))
        return Choice(options, f"Fn::If {arg[0]}", span)

    def _fn_find_in_map(self, arg: Any, span: Span | None) -> Any:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-findinmap.html
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            return self._bad("Fn::FindInMap", span, "[MapName, TopLevelKey, SecondLevelKey]")
        keys = [self.resolve(key) for key in arg[:3]]
        fallback = arg[3].get("DefaultValue") if len(arg) == 4 and isinstance(arg[3], dict) else None
        texts = [scalar_text(key) if not isinstance(key, (Unknown, Partial)) else None for key in keys]
        if any(text is None for text in texts):
            return Unknown(f"Fn::FindInMap [{', '.join(render(k) for k in keys)}]", span)
        value: Any = self.mappings
        for text in texts:
            value = _lookup(value, text)
        if value is not None:
            return relocate(value if isinstance(value, (dict, list)) else scalar_text(value), span)
        if fallback is not None:
            return self._resolve(fallback)
        self.problem(span, f"Fn::FindInMap: no entry {texts[0]}.{texts[1]}.{texts[2]} in Mappings")
        return Unknown(f"Fn::FindInMap [{', '.join(texts)}]", span)

    def _fn_import_value(self, arg: Any, span: Span | None) -> Any:
        # An export of another stack: its value is not in this template.
        return Unknown(f"Fn::ImportValue {render(self.resolve(arg))}", span)

    def _fn_base64(self, arg: Any, span: Span | None) -> Any:
        value = self.resolve(arg)
        if isinstance(value, str):
            return Str(base64.b64encode(str(value).encode()).decode(), span)
        return Unknown(f"Fn::Base64 of {render(value)}", span)

    def _fn_length(self, arg: Any, span: Span | None) -> Any:
        value = self.resolve(arg)
        if isinstance(value, list) and not any(isinstance(v, Choice) for v in value):
            return len(value)
        return Unknown("Fn::Length", span)

    def _fn_to_json_string(self, arg: Any, span: Span | None) -> Any:
        try:
            plain = _plain(self.resolve(arg))
        except _NotKnown:
            return Unknown("Fn::ToJsonString", span)
        return Str(json.dumps(plain, separators=(",", ":")), span)

    # -- JSON text ----------------------------------------------------------------------

    def json_value(self, expr: Any) -> Any:
        """A value that may be written as JSON text (a policy given as a string), as a structure.

        Computed pieces of the text (``${Provider}``, a ``Fn::Select``) are parsed as
        placeholders and put back afterwards, so a key or value that is one computed piece keeps
        its ``ref`` and the rest become ``Partial``. Invalid JSON is a problem and ``Unknown``.
        """
        span = span_of(expr)
        if intrinsic_name(expr) == "Fn::If":
            arg = expr[next(iter(expr))]
            if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
                branches = (self._json_branch(arg[1]), self._json_branch(arg[2]))
                return Choice(branches, f"Fn::If {arg[0]}", span)
        built = self._json_text(expr)
        if built is not None:
            return self._parse_json(built[0], built[1], span)
        return self.decode_json(self._resolve(expr), span)

    def _json_branch(self, expr: Any) -> Any:
        if intrinsic_name(expr) == "Ref" and expr[next(iter(expr))] == "AWS::NoValue":
            return None
        return self.json_value(expr)

    def decode_json(self, value: Any, span: Span | None) -> Any:
        """A resolved value: strings are parsed as JSON text, structures returned as they are."""
        if value is NO_VALUE or value is None:
            return None
        if isinstance(value, Choice):
            options = tuple(self.decode_json(o, span) for o in value.options)
            return Choice(options, value.origin, span)
        if isinstance(value, str):
            return self._parse_json([str(value)], None, span_of(value) or span)
        if isinstance(value, Partial):
            pieces = [p if isinstance(p, str) else Hole(p) for p in value.parts]
            return self._parse_json(pieces, None, value.span or span)
        return value

    def _json_text(self, expr: Any) -> tuple[list[Piece], Span | None] | None:
        """The pieces of JSON text written as a string, ``Fn::Sub`` or ``Fn::Join``."""
        if isinstance(expr, str):
            return [str(expr)], span_of(expr)
        name = intrinsic_name(expr)
        arg = expr[next(iter(expr))] if name else None
        if name == "Fn::Sub":
            arguments = self._sub_arguments(arg)
            if arguments is None:
                return None
            return self._sub_pieces(*arguments, span_of(expr)), span_of(arguments[0])
        if (name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2
                and isinstance(arg[0], str) and isinstance(arg[1], list)):
            items: list[list[Piece]] = []
            for item in arg[1]:
                if isinstance(item, str) or intrinsic_name(item) in ("Fn::Sub", "Fn::Join"):
                    built = self._json_text(item)
                    if built is not None:
                        items.append(built[0])
                        continue
                value = self._resolve(item)
                if value is not NO_VALUE:
                    items.append([Hole(value)])
            pieces: list[Piece] = []
            for index, item_pieces in enumerate(items):
                pieces.extend(([str(arg[0])] if index else []) + item_pieces)
            return pieces, None
        return None

    def _parse_json(self, pieces: list[Piece], template: Span | None,
                    span: Span | None) -> Any:
        # Numbers, and strings carrying JSON syntax, are spliced in as CloudFormation does.
        spliced = [scalar_text(p.value) if isinstance(p, Hole) and _spliced(p.value) else p
                   for p in pieces]
        try:
            return located_value(spliced, self.path,
                                 relocate_span=self._span_mapper(template, span),
                                 string=self._json_string)
        except Exception as exc:  # noqa: BLE001 - cfn-flip's constructors raise more than LoadError
            self.problem(span, f"the JSON text is not valid JSON: {exc}")
            return Unknown("invalid JSON text", span)

    def _span_mapper(self, template: Span | None, fallback: Span | None) -> Callable[[Any], Span | None]:
        """Maps spans inside parsed JSON text to the file: exact for a YAML literal block,
        otherwise the span of the whole expression."""
        if template is None or self.file is None or not _LITERAL_BLOCK.search(
                self.file.line_text(template.line)):
            return lambda span: fallback
        indent = None
        for number in range(template.line + 1, template.end_line + 1):
            line = self.file.line_text(number)
            if line.strip():
                indent = len(line) - len(line.lstrip(" "))
                break
        if indent is None:
            return lambda span: fallback
        offset = template.line

        def move(span: Span | None) -> Span | None:
            if span is None:
                return fallback
            return Span(span.path, span.line + offset, span.column + indent,
                        span.end_line + offset, span.end_column + indent)
        return move

    def _json_string(self, pieces: list[Piece], span: Span | None, _key: bool) -> Any:
        """A string of parsed JSON text: one computed piece alone keeps its ``ref`` and moves
        to the string's span; a mix is joined, ``Fn::If`` pieces giving a ``Choice``."""
        if len(pieces) == 1 and isinstance(pieces[0], Hole):
            return relocate(pieces[0].value, span)
        return self.concat([p.value if isinstance(p, Hole) else p for p in pieces], span,
                           what="JSON text")


def _spliced(value: Any) -> bool:
    """Whether a computed piece goes into JSON text as text rather than a placeholder."""
    return isinstance(value, (int, float)) or (
        isinstance(value, str) and _JSON_SYNTAX.search(value) is not None)


def _without_scheme(url: Any) -> Any:
    """An issuer URL as it appears in the provider ARN: without ``https://``."""
    if isinstance(url, Choice):
        return Choice(tuple(_without_scheme(o) for o in url.options), url.origin, url.span)
    if isinstance(url, str):
        return Str(url[len("https://"):] if url.startswith("https://") else url, span_of(url))
    if isinstance(url, Partial) and isinstance(url.parts[0], str) and url.parts[0].startswith("https://"):
        first = url.parts[0][len("https://"):]
        return Partial(((first,) if first else ()) + url.parts[1:], url.span, url.ref)
    return url


def _lookup(mapping: Any, key: str) -> Any:
    """A Mappings entry; YAML may have read a key such as ``123456789012`` as a number."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    return next((v for k, v in mapping.items() if scalar_text(k) == key), None)


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
    "Fn::Join": Resolver._fn_join,
    "Fn::Split": Resolver._fn_split,
    "Fn::Select": Resolver._fn_select,
    "Fn::If": Resolver._fn_if,
    "Fn::FindInMap": Resolver._fn_find_in_map,
    "Fn::ImportValue": Resolver._fn_import_value,
    "Fn::Base64": Resolver._fn_base64,
    "Fn::Length": Resolver._fn_length,
    "Fn::ToJsonString": Resolver._fn_to_json_string,
}
