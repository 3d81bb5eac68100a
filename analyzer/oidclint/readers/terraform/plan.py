"""Terraform plan JSON (``terraform show -json plan.out``) to the model ``.tf`` files give.

A plan holds the values Terraform will apply: ``for_each`` instances expanded, variables from
``-var-file`` applied, references between resources already resolved to names and ARNs.
Format: https://developer.hashicorp.com/terraform/internals/json-format

- ``planned_values.root_module`` lists resources (``address``, ``mode``, ``type``,
  ``values``) and ``child_modules`` recursively. "Any unknown values are omitted or set to
  null"; ``resource_changes[].change.after_unknown`` has the structure of ``after`` with
  ``true`` at each leaf known only after apply. Such a leaf becomes
  ``Unknown("<address>.<attribute> (known after apply)")``.
- ``configuration`` keeps each argument's ``references`` (``aws_iam_policy.admin.arn``), so an
  unknown ARN can still name the resource it comes from.
- Policies (``assume_role_policy``, ``policy``) are JSON strings; they are parsed with the
  spans of their characters in the plan file, so findings point inside the string.

Everything one plan defines shares one scope, the plan file: it deploys to one account.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterator

from oidclint.hcl.json_syntax import JsonText, decoded_characters
from oidclint.iam.eks import eks_issuer
from oidclint.iam.policy import document_from_value
from oidclint.model import (
    Cluster, Diagnostic, Inventory, Level, OidcProvider, PermissionPolicy, PolicyDocument,
    Related, Role,
)
from oidclint.located.json_text import located_value
from oidclint.readers.workloads.kubernetes import irsa_annotations, service_account_workload
from oidclint.located.documents import LoadError
from oidclint.source import (
    LDict, LList, SourceFile, Span, Str, Unknown, integer_literal, span_of,
)

MAX_MODULE_DEPTH = 50
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')
_MODULE_PATH = re.compile(r'^(?:module\.[\w-]+(?:' + _INSTANCE_KEY.pattern + r')?\.)*')
_RESOURCE_REFERENCE = re.compile(r'^(?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*')
_NOT_RESOURCES = ("var.", "local.", "each.", "count.", "path.", "terraform.", "self.", "module.")


def is_plan(document: object) -> bool:
    """A JSON object with ``format_version`` and ``planned_values`` or ``resource_changes``."""
    return isinstance(document, dict) and "format_version" in document and (
        "planned_values" in document or "resource_changes" in document)


@dataclass
class PlanResource:
    """One resource instance of the plan, its unknown leaves put in as ``Unknown``."""

    address: str
    type: str
    values: LDict
    span: Span
    text: JsonText
    """The plan file, where policy strings are parsed; its path is the scope."""
    expressions: dict
    """The resource's ``configuration`` expressions (unevaluated, with their references)."""

    @property
    def scope(self) -> str:
        return self.text.path

    def get(self, *path: Any) -> Any:
        return _step(self.values, path)

    def referring(self, value: Any, *path: Any) -> Any:
        """An unknown value, naming the one resource its configuration refers to (within
        the same module instance) as its ``ref``."""
        if not isinstance(value, Unknown) or value.ref is not None:
            return value
        node = _step(self.expressions, path, partial=True)
        targets = {match.group() for ref in _all_references(node)
                   if not ref.startswith(_NOT_RESOURCES)
                   for match in [_RESOURCE_REFERENCE.match(ref)] if match}
        if len(targets) != 1:
            return value
        module = _MODULE_PATH.match(self.address).group()
        return Unknown(value.origin, value.span, module + targets.pop())


def _step(value: Any, path: tuple, partial: bool = False) -> Any:
    """``value[path[0]][path[1]]...``; ``None`` where a step is missing, or with ``partial``
    the value reached so far (an expression given for a whole map, not per key)."""
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return value if partial else None
    return value


def parse_plan(file: SourceFile, document: Any) -> Inventory:
    """Providers, roles, policies, clusters and ServiceAccounts a plan will create or keep."""
    inventory = Inventory(files=[file.path])
    shapes = _Shapes(file.path, inventory.diagnostics)
    resources = list(_resources(document, JsonText(file.text, file.path), shapes))
    for resource in resources:
        read = _READERS.get(resource.type)
        if read is None:
            continue
        try:
            read(resource, inventory)
        except Exception as exc:  # noqa: BLE001 - one odd resource must not end the scan
            inventory.diagnostics.append(Diagnostic(
                file.path, f"could not read {resource.address}: {type(exc).__name__}: {exc}",
                span=resource.span))
    _link_within_plan(inventory, resources)
    return inventory


def plan_in_a_list(document: Any) -> bool:
    """A JSON list holding a plan: not what ``terraform show -json`` writes, but not some
    other file either."""
    return isinstance(document, list) and any(is_plan(item) for item in document)


# --- walking the plan ---------------------------------------------------------------------


class _Shapes:
    """Notes on fields of the wrong type (a list where the format has an object ...): the
    plan is read around them, and the file and field are named, with the line."""

    def __init__(self, path: str, diagnostics: list[Diagnostic]) -> None:
        self.path = path
        self.diagnostics = diagnostics

    def expect(self, value: Any, kind: type, field: str, within: Any = None) -> bool:
        """Whether ``value`` is a ``kind`` (``dict``, ``list``, ``str``); noted when it is
        neither that nor absent (``None``)."""
        if isinstance(value, kind):
            return True
        if value is not None:
            noun = {dict: "an object", list: "a list", str: "a string"}[kind]
            self.diagnostics.append(Diagnostic(
                self.path, f"`{field}` is not {noun}; not read", Level.NOTE,
                span=span_of(value) or span_of(within)))
        return False


def _resources(document: Any, text: JsonText, shapes: _Shapes) -> Iterator[PlanResource]:
    entries = []
    changes_list = document.get("resource_changes")
    shapes.expect(changes_list, list, "resource_changes")
    for index, change in enumerate(_list(changes_list)):
        where = f"resource_changes[{index}]"
        if shapes.expect(change, dict, where, changes_list) and shapes.expect(
                change.get("change"), dict, f"{where}.change", change) \
                and not change.get("deposed"):
            entries.append(change)
    changes = {str(c.get("address")): c["change"] for c in entries}
    configuration = document.get("configuration")
    shapes.expect(configuration, dict, "configuration")
    expressions = _configured_expressions(configuration)
    planned = document.get("planned_values")
    if shapes.expect(planned, dict, "planned_values"):
        root = planned.get("root_module")
        shapes.expect(root, dict, "planned_values.root_module", planned)
        found = _planned(root, 0, "planned_values.root_module", shapes)
    else:  # a plan without planned values: the "after" of each change
        found = [(LDict({**c, "values": c["change"].get("after")}, span=span_of(c)),
                  "resource_changes[]") for c in entries]
    for resource, where in found:
        if resource.get("mode", "managed") != "managed":
            continue
        values = resource.get("values")
        fields = [shapes.expect(resource.get("address"), str, f"{where}.address", resource),
                  shapes.expect(resource.get("type"), str, f"{where}.type", resource),
                  shapes.expect(values, dict, f"{where}.values", resource)]
        if not all(fields):
            continue
        address = str(resource["address"])
        span = span_of(resource) or Span(text.path, 1)
        after_unknown = changes.get(address, {}).get("after_unknown")
        yield PlanResource(
            address=address, type=str(resource.get("type", "")),
            values=_with_unknowns(values, after_unknown, address, "", span), span=span,
            text=text, expressions=expressions.get(_INSTANCE_KEY.sub("", address), {}))


def _planned(module: Any, depth: int, where: str, shapes: _Shapes) -> list[tuple[dict, str]]:
    """The resources of a module and its children, each with where it is in the plan."""
    if not isinstance(module, dict) or depth > MAX_MODULE_DEPTH:
        return []
    resources, children = module.get("resources"), module.get("child_modules")
    shapes.expect(resources, list, f"{where}.resources", module)
    shapes.expect(children, list, f"{where}.child_modules", module)
    found = [(r, f"{where}.resources[{index}]") for index, r in enumerate(_list(resources))
             if shapes.expect(r, dict, f"{where}.resources[{index}]", resources)]
    for index, child in enumerate(_list(children)):
        place = f"{where}.child_modules[{index}]"
        if shapes.expect(child, dict, place, children):
            found.extend(_planned(child, depth + 1, place, shapes))
    return found


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _local_address(address: str) -> str:
    """``aws_iam_role.this["web"]`` of ``module.gh.aws_iam_role.this["web"]``."""
    return address[_MODULE_PATH.match(address).end():]


def _with_unknowns(value: Any, unknown: Any, address: str, path: str, span: Span) -> Any:
    """``value`` with every leaf that ``after_unknown`` marks ``true`` made ``Unknown``."""
    if unknown is True:
        return Unknown(f"{address}{path} (known after apply)", span)
    if isinstance(unknown, dict):
        merged = LDict(value if isinstance(value, dict) else {}, span=span_of(value) or span)
        for key, marker in unknown.items():
            step = (f".{key}" if re.fullmatch(r"[A-Za-z_][\w-]*", str(key))
                    else f"[{json.dumps(str(key))}]")
            merged[key] = _with_unknowns(merged.get(key), marker, address, path + step, span)
        return merged
    if isinstance(unknown, list) and (value is None or isinstance(value, list)):
        items = list(value or []) + [None] * (len(unknown) - len(value or []))
        markers = unknown + [False] * (len(items) - len(unknown))
        return LList([_with_unknowns(item, marker, address, f"{path}[{index}]", span)
                      for index, (item, marker) in enumerate(zip(items, markers))],
                     span=span_of(value) or span)
    return value


def _configured_expressions(configuration: Any) -> dict[str, dict]:
    """Configuration address (``module.gh.aws_iam_role.this``) to its ``expressions``."""
    found: dict[str, dict] = {}

    def visit(module: Any, prefix: str, depth: int) -> None:
        if not isinstance(module, dict) or depth > MAX_MODULE_DEPTH:
            return
        for resource in _list(module.get("resources")):
            if isinstance(resource, dict) and isinstance(resource.get("expressions"), dict):
                found[prefix + str(resource.get("address"))] = resource["expressions"]
        calls = module.get("module_calls")
        for name, call in (calls.items() if isinstance(calls, dict) else ()):
            if isinstance(call, dict):
                visit(call.get("module"), f"{prefix}module.{name}.", depth + 1)

    if isinstance(configuration, dict):
        visit(configuration.get("root_module"), "", 0)
    return found


def _all_references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "references" and isinstance(value, list):
                yield from (str(v) for v in value)
            else:
                yield from _all_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_references(item)


# --- policies written as JSON strings -----------------------------------------------------


def embedded_json(text: JsonText, value: Str) -> Any:
    """The located JSON value of a JSON string of the plan, its spans inside the string.

    Raises ``ValueError`` (``LoadError``, ``json.JSONDecodeError``) for text that is not JSON.
    """
    span = value.span
    start = text.offset(span.line, span.column)
    token = text.text[start:text.offset(span.end_line, span.end_column)]
    if not token.startswith('"'):
        raise ValueError("the policy is not a JSON string")
    characters = decoded_characters(token)
    inner = JsonText("".join(c for c, _, _ in characters), span.path)

    def relocate(at: Span | None) -> Span | None:
        if at is None:
            return None
        first = inner.offset(at.line, at.column)
        last = inner.offset(at.end_line, at.end_column)
        begin = characters[first][1] if first < len(characters) else len(token) - 1
        end = characters[last - 1][2] if last > 0 else 1
        return text.span(start + begin, start + end)

    return located_value([inner.text], span.path, relocate_span=relocate,
                         check=lambda t: json.loads(t, parse_int=integer_literal))


def _policy(resource: PlanResource, *path: Any) -> PolicyDocument | None:
    value = resource.get(*path)
    if value is None:
        return None
    if not isinstance(value, Str):
        return document_from_value(value, resource.span)
    if not value.strip():
        return None
    try:
        located = embedded_json(resource.text, value)
    except (ValueError, LoadError, RecursionError) as exc:
        reason = f"the policy is not valid JSON: {str(exc) or 'nested too deeply'}"
        return PolicyDocument(span=value.span, problems=[(value.span, reason)])
    return document_from_value(located, value.span)


# --- what each resource type becomes (as readers/terraform/reader.py's _COLLECTORS) ---------------


def _provider(resource: PlanResource, inventory: Inventory) -> None:
    inventory.providers.append(OidcProvider(
        address=resource.address, url=_issuer_url(resource),
        client_ids=_strings(resource, "client_id_list"),
        thumbprints=_strings(resource, "thumbprint_list"),
        span=resource.span, scope=resource.scope))


def _issuer_url(resource: PlanResource) -> Any:
    """The provider's issuer URL. State keeps it without ``https://`` (IAM returns it so; see
    docs/facts.md section 1), so a provider the plan keeps shows the bare host: the scheme is
    put back, as the AWS provider accepts only ``https`` URLs (https://registry.terraform.io/
    providers/hashicorp/aws/latest/docs/resources/iam_openid_connect_provider)."""
    value = resource.get("url")
    if value is None:
        return Unknown(f"{resource.address}.url (not set)", resource.span, resource.address)
    if isinstance(value, Str) and "://" not in value:
        return Str("https://" + value, value.span, resource.address)
    return value


def _role(resource: PlanResource, inventory: Inventory) -> None:
    duration = resource.get("max_session_duration")
    inventory.roles.append(Role(
        address=resource.address, name=_naming(resource.get("name"), resource.address),
        trust=_policy(resource, "assume_role_policy"), span=resource.span, scope=resource.scope,
        max_session_duration=duration if isinstance(duration, (int, Unknown))
        and not isinstance(duration, bool) else None,
        iam_path=resource.get("path") if isinstance(resource.get("path"), str) else None))
    role = Str(resource.address, resource.span, resource.address)
    arns = resource.get("managed_policy_arns")
    if isinstance(arns, list):  # unknown as a whole: not configured, read from AWS later
        for index, arn in enumerate(arns):
            inventory.policies.append(PermissionPolicy(
                address=f"{resource.address}.managed_policy_arns[{index}]", roles=[role],
                managed_arn=resource.referring(arn, "managed_policy_arns"),
                span=span_of(arn) or resource.span, scope=resource.scope))
    inline = resource.get("inline_policy")
    for index, entry in enumerate(inline if isinstance(inline, list) else []):
        document = _policy(resource, "inline_policy", index, "policy")
        if document is not None:
            inventory.policies.append(PermissionPolicy(
                address=f"{resource.address}.inline_policy[{index}]", roles=[role],
                document=document, span=span_of(entry) or resource.span, scope=resource.scope))


def _permissions(resource: PlanResource, inventory: Inventory, *, roles: str = "",
                 arn: str = "", policy: str = "") -> None:
    """An attachment (``roles`` and ``arn`` arguments) or a policy document (``policy``)."""
    inventory.policies.append(PermissionPolicy(
        address=resource.address, roles=_roles(resource, roles) if roles else [],
        managed_arn=resource.referring(resource.get(arn), arn) if arn else None,
        document=_policy(resource, policy) if policy else None,
        span=resource.span, scope=resource.scope))


def _attachments(resource: PlanResource, inventory: Inventory) -> None:
    """``aws_iam_role_policy_attachments_exclusive``: each of ``policy_arns`` on ``role_name``."""
    arns = resource.referring(resource.get("policy_arns"), "policy_arns")
    for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
        inventory.policies.append(PermissionPolicy(
            address=f"{resource.address}.policy_arns[{index}]",
            roles=_roles(resource, "role_name"), managed_arn=arn,
            span=span_of(arn) or resource.span, scope=resource.scope))


def _eks_cluster(resource: PlanResource, inventory: Inventory) -> None:
    issuer = resource.get("identity", 0, "oidc", 0, "issuer")
    if not isinstance(issuer, str):
        # Known once the cluster exists; its shape is known already (oidclint.iam.eks).
        issuer = eks_issuer(resource.address, resource.span)
    inventory.clusters.append(Cluster(
        address=resource.address, name=_naming(resource.get("name"), resource.address),
        issuer=issuer, span=resource.span, scope=resource.scope))


def _service_account(resource: PlanResource, inventory: Inventory) -> None:
    """IRSA, as for ``.tf`` (``readers.terraform.reader._service_account``)."""
    metadata = resource.get("metadata", 0)
    if not isinstance(metadata, dict):
        return
    role, audience = irsa_annotations(metadata.get("annotations"))
    if role is None:
        return
    name = metadata.get("name")
    span = span_of(name) or resource.span
    inventory.workloads.append(service_account_workload(
        name if name is not None else Unknown(f"{resource.address}.metadata[0].name", span),
        metadata.get("namespace") or Str("default", span), span,
        resource.referring(role, "metadata", 0, "annotations"), audience=audience,
        scope=resource.scope))


_READERS = {
    "aws_iam_openid_connect_provider": _provider,
    "aws_iam_role": _role,
    "aws_iam_role_policy_attachment": partial(_permissions, roles="role", arn="policy_arn"),
    "aws_iam_role_policy": partial(_permissions, roles="role", policy="policy"),
    "aws_iam_policy": partial(_permissions, policy="policy"),
    "aws_iam_policy_attachment": partial(_permissions, roles="roles", arn="policy_arn"),
    "aws_iam_role_policy_attachments_exclusive": _attachments,
    "aws_eks_cluster": _eks_cluster,
    "kubernetes_service_account": _service_account,
    "kubernetes_service_account_v1": _service_account,
}


def _naming(value: Any, address: str) -> Any:
    """A name that names its resource (``ref``), as ``.tf`` names are."""
    if isinstance(value, Str):
        return Str(value, value.span, address)
    if isinstance(value, Unknown):
        return Unknown(value.origin, value.span, address)
    return value


def _strings(resource: PlanResource, name: str) -> Any:
    value = resource.get(name)
    if value is None:
        return LList([], span=resource.span)
    return value if isinstance(value, (list, Unknown)) else LList([value], span=span_of(value))


def _roles(resource: PlanResource, name: str) -> list:
    value = resource.referring(resource.get(name), name)
    return list(value) if isinstance(value, list) else [] if value is None else [value]


def _link_within_plan(inventory: Inventory, resources: list[PlanResource]) -> None:
    """References are values in a plan: a policy names its role by name and its managed
    policy by ARN. Those naming a role or policy of this plan get that resource as ``ref``;
    ServiceAccounts run in the plan's cluster when it has exactly one."""
    roles = {str(r.name): r.address for r in inventory.roles if isinstance(r.name, Str)}
    arns = {str(r.get("arn")): r.address for r in resources
            if r.type == "aws_iam_policy" and isinstance(r.get("arn"), Str)}
    for policy in inventory.policies:
        policy.roles = [_named(value, roles) for value in policy.roles]
        policy.managed_arn = _named(policy.managed_arn, arns)
    if len(inventory.clusters) == 1:
        for workload in inventory.workloads:
            workload.cluster = workload.cluster or inventory.clusters[0].address


def _named(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, Str) and value.ref is None and str(value) in table:
        return Str(value, value.span, table[str(value)])
    return value


# --- the .tf source of a plan's resources -------------------------------------------------


def link_sources(plan: Inventory, sources: Inventory) -> None:
    """Relate each role and provider of a plan to the ``.tf`` resource it was planned from.

    ``sources`` may be the whole inventory: only resources of ``.tf`` and ``.tf.json`` files
    are candidates. Instance keys do not matter (``aws_iam_role.deploy["api"]`` comes from
    ``aws_iam_role.deploy``). A root module resource must be defined in the plan file's
    folder; a module's resource matches the same module path, or else the one ``.tf``
    resource of that type and name under the plan's folder. Ambiguity links nothing.
    """
    pairs = ((plan.roles, sources.roles), (plan.providers, sources.providers))
    for planned, defined in pairs:
        for item in planned:
            source = _source_of(item.address, item.span.path if item.span else "", defined)
            label = f"source of {item.address}"
            if source is not None and source.span is not None and not any(
                    o.label == label for o in item.origins):
                item.origins.append(Related(source.span, label))


def _source_of(address: str, plan_path: str, defined: list) -> Any:
    folder = posixpath.dirname(plan_path) or "."
    defined = [d for d in defined if d.span is not None  # not plans themselves
               and d.span.path.endswith((".tf", ".tf.json"))]
    configured = _INSTANCE_KEY.sub("", address)
    local = _INSTANCE_KEY.sub("", _local_address(address))

    def in_folder(item: Any) -> bool:
        return (posixpath.dirname(item.span.path) or ".") == folder

    def below(item: Any) -> bool:
        return folder == "." or item.span.path.startswith(folder + "/")

    same = [d for d in defined if _INSTANCE_KEY.sub("", d.address) == configured and below(d)]
    if configured == local:
        same = [d for d in same if in_folder(d)]
    elif not same:
        same = [d for d in defined if _INSTANCE_KEY.sub("", d.address) == local and below(d)
                and not in_folder(d)]
    return same[0] if len(same) == 1 else None
