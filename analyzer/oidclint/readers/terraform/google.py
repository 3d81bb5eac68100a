"""Terraform's Google Cloud workload identity federation: pools, pool providers, service
accounts and the IAM grants that let a pool's identities in (docs/facts.md, "Google Cloud
workload identity federation").

- ``google_iam_workload_identity_pool``: ``workload_identity_pool_id``, ``project``;
- ``google_iam_workload_identity_pool_provider``: ``workload_identity_pool_id``,
  ``workload_identity_pool_provider_id``, ``attribute_mapping``, ``attribute_condition``,
  ``oidc { issuer_uri, allowed_audiences }``, ``disabled``
  (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/iam_workload_identity_pool_provider);
- ``google_service_account``: ``account_id``, ``project``, whose email is
  ``<account_id>@<project>.iam.gserviceaccount.com``
  (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account);
- grants: every ``google_*_iam_member`` (``member``), ``google_*_iam_binding``
  (``members``) and ``google_*_iam_policy`` (``policy_data``, from a
  ``data "google_iam_policy"`` or JSON text), with the role they grant; on a service account
  (``google_service_account_iam_*``) they say who may impersonate it
  (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account_iam).
  Grants on other resources are kept when a member may be a workload identity
  (``principal://``, ``principalSet://``, ``serviceAccount:<project>.svc.id.goog[...]``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable

from oidclint.hcl.values import MISSING, EvalError, to_bool, to_text
from oidclint.iam.google_cel import NotUnderstood, parse
from oidclint.model import (
    Diagnostic, GoogleGrant, GooglePool, GooglePoolProvider, GoogleServiceAccount, Inventory,
    Level,
)
from oidclint.source import Partial, Span, Str, Text, Unknown, concat, span_of

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance, Module

GRANT_TYPE = re.compile(r"google_[a-z0-9_]+_iam_(?:member|binding|policy)")
"""Every resource that grants a role on a Google Cloud resource."""
SERVICE_ACCOUNT_GRANTS = frozenset({"google_service_account_iam_member",
                                    "google_service_account_iam_binding",
                                    "google_service_account_iam_policy"})
WORKLOAD_MEMBER = re.compile(r"principal(?:Set)?://|\.svc\.id\.goog\[")
"""Members that may be workload identities (a pool's, a GKE ServiceAccount)."""
POLICY_DATA_SOURCE = "data.google_iam_policy."


def _text(value: Any, span: Span | None, origin: str) -> Text:
    if value is MISSING or value is None:
        return Unknown(f"{origin} (not set)", span)
    try:
        return to_text(value, span)
    except EvalError as exc:
        return Unknown(f"{origin}: not a string: {exc}", span)


def _optional_text(instance: "Instance", name: str) -> Text | None:
    value = instance.argument(name)
    if value is MISSING or value is None:
        return None
    return _text(value, instance.block.span, f"{instance.address}.{name}")


def _value_span(block: Any, name: str) -> Span | None:
    attribute = block.attributes.get(name)
    return attribute.value_span if attribute is not None else None


def _pool(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    inventory.google_pools.append(GooglePool(
        address=instance.address,
        pool_id=_text(instance.argument("workload_identity_pool_id"), block.span,
                      f"{instance.address}.workload_identity_pool_id"),
        project=_optional_text(instance, "project"), span=block.span, scope=module.scope))


def _pool_provider(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    oidc = next(iter(block.blocks_of("oidc")), None)
    issuer: Text | None = None
    audiences: list[Text] | Unknown = []
    issuer_span = None
    if oidc is not None:
        issuer_span = _value_span(oidc, "issuer_uri") or oidc.span
        issuer = _text(module.argument(oidc, "issuer_uri"), issuer_span,
                       f"{instance.address}.oidc.issuer_uri")
        audiences = _texts(module.argument(oidc, "allowed_audiences"), oidc.span,
                           f"{instance.address}.oidc.allowed_audiences")
    mapping_span = _value_span(block, "attribute_mapping")
    mapping = _mapping(instance.argument("attribute_mapping"), mapping_span or block.span,
                       f"{instance.address}.attribute_mapping")
    condition_span = _value_span(block, "attribute_condition")
    condition = _optional_text(instance, "attribute_condition")
    if isinstance(condition, str) and not condition.strip():
        condition = None  # an empty condition is none
    _note_not_understood(instance, mapping, condition, mapping_span, condition_span,
                         inventory)
    inventory.google_providers.append(GooglePoolProvider(
        address=instance.address,
        pool_id=_text(instance.argument("workload_identity_pool_id"), block.span,
                      f"{instance.address}.workload_identity_pool_id"),
        provider_id=_text(instance.argument("workload_identity_pool_provider_id"), block.span,
                          f"{instance.address}.workload_identity_pool_provider_id"),
        project=_optional_text(instance, "project"),
        issuer_uri=issuer, allowed_audiences=audiences, attribute_mapping=mapping,
        attribute_condition=condition, span=block.span, issuer_span=issuer_span,
        mapping_span=mapping_span, condition_span=condition_span or block.span,
        scope=module.scope, disabled=_flag(instance.argument("disabled"))))


def _note_not_understood(instance: "Instance", mapping: Any, condition: Any,
                         mapping_span: Span | None, condition_span: Span | None,
                         inventory: Inventory) -> None:
    """A note for each mapping expression and condition outside the CEL read: what depends
    on it is not decided (``iam.google_cel``)."""
    written = [("attribute condition", condition, condition_span)] if isinstance(
        condition, (str, Partial)) else []
    if isinstance(mapping, dict):
        written += [(f"attribute mapping {key}", text, mapping_span)
                    for key, text in mapping.items() if isinstance(text, (str, Partial))]
    for what, text, span in written:
        read = parse(text)
        if isinstance(read, NotUnderstood):
            where = span or instance.block.span
            inventory.diagnostics.append(Diagnostic(
                where.path, f"{instance.address}: the {what} is not understood: {read}; "
                "what depends on it is not decided", Level.NOTE, span=where))


def _flag(value: Any) -> bool:
    try:
        return value not in (MISSING, None) and to_bool(value) is True
    except EvalError:
        return False


def _texts(value: Any, span: Span | None, origin: str) -> list[Text] | Unknown:
    if value is MISSING or value is None:
        return []
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, list):
        return Unknown(f"{origin}: not a list", span)
    return [_text(item, span_of(item) or span, origin) for item in value]


def _mapping(value: Any, span: Span, origin: str) -> dict[str, Text] | Unknown | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, Unknown) or not isinstance(value, dict):
        return value if isinstance(value, Unknown) else Unknown(f"{origin}: not a map", span)
    return {str(key): _text(text, span_of(text) or span, f"{origin}[{key}]")
            for key, text in value.items()}


def _service_account(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    account = _text(instance.argument("account_id"), block.span,
                    f"{instance.address}.account_id")
    project = _optional_text(instance, "project") or Unknown(
        f"the default project of {instance.address}'s provider", block.span)
    inventory.google_service_accounts.append(GoogleServiceAccount(
        address=instance.address,
        email=concat((account, "@", project, ".iam.gserviceaccount.com"), block.span),
        span=block.span, scope=module.scope))


def _grant(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    """A ``google_*_iam_member``, ``_binding`` or ``_policy``: one grant per role."""
    block, kind = instance.block, instance.type
    on_account = kind in SERVICE_ACCOUNT_GRANTS
    account = _text(instance.argument("service_account_id"), block.span,
                    f"{instance.address}.service_account_id") if on_account else None
    grants: list[tuple[str, Text, list[Text] | Unknown, list[Span | None], Span | None]] = []
    if kind.endswith("_policy"):
        grants = _policy_bindings(module, instance, inventory)
    else:
        role = _text(instance.argument("role"), block.span, f"{instance.address}.role")
        members: list[Text] | Unknown
        if kind.endswith("_member"):
            raw = instance.argument("member")
            members = [_text(raw, _value_span(block, "member") or block.span,
                             f"{instance.address}.member")]
            spans = [_value_span(block, "member")]
        else:
            members = _texts(instance.argument("members"),
                             _value_span(block, "members") or block.span,
                             f"{instance.address}.members")
            spans = ([span_of(m) or _value_span(block, "members") for m in members]
                     if isinstance(members, list) else [])
        grants = [(instance.address, role, members, spans, block.span)]
    for address, role, members, spans, span in grants:
        if not on_account and not _may_name_workload(members):
            continue
        inventory.google_grants.append(GoogleGrant(
            address=address, role=role, members=members, resource=kind,
            service_account=account, span=span or block.span, member_spans=spans,
            scope=module.scope))


def _may_name_workload(members: list[Text] | Unknown) -> bool:
    if isinstance(members, Unknown):
        return False
    for member in members:
        if isinstance(member, Unknown):
            continue
        known = "".join(p for p in (member.parts if isinstance(member, Partial) else (member,))
                        if isinstance(p, str))
        if WORKLOAD_MEMBER.search(known):
            return True
    return False


def _policy_bindings(module: "Module", instance: "Instance", inventory: Inventory) -> list:
    """The bindings of a ``_policy`` resource's ``policy_data``: the ``binding`` blocks of the
    ``data "google_iam_policy"`` it names, or the ``bindings`` of JSON text."""
    block = instance.block
    span = _value_span(block, "policy_data") or block.span
    value = instance.argument("policy_data")
    ref = getattr(value, "ref", None) or ""
    if ref.startswith(POLICY_DATA_SOURCE) or ref.startswith(f"{module.address}{POLICY_DATA_SOURCE}"):
        local = ref[len(module.address):] if ref.startswith(module.address) else ref
        found = []
        for source in module.each_instance(local) if local in module.resources else []:
            for index, binding in enumerate(source.block.blocks_of("binding")):
                role = _text(module.argument(binding, "role"), binding.span,
                             f"{source.address}.binding[{index}].role")
                members = _texts(module.argument(binding, "members"),
                                 _value_span(binding, "members") or binding.span,
                                 f"{source.address}.binding[{index}].members")
                spans = ([span_of(m) or binding.span for m in members]
                         if isinstance(members, list) else [])
                found.append((f"{instance.address} ({source.address}.binding[{index}])", role,
                              members, spans, binding.span))
        return found
    decoded = getattr(value, "decoded", None)
    if decoded is None and isinstance(value, str) and not isinstance(value, Partial):
        try:
            decoded = json.loads(str(value))
        except ValueError as exc:
            inventory.diagnostics.append(Diagnostic(
                span.path, f"{instance.address}: policy_data is not JSON ({exc}); its "
                "bindings are not read", Level.WARNING, span=span))
            decoded = None
    bindings = decoded.get("bindings") if isinstance(decoded, dict) else None
    if not isinstance(bindings, list):
        return []
    found = []
    for index, binding in enumerate(bindings):
        if not isinstance(binding, dict):
            continue
        role = binding.get("role")
        members = binding.get("members")
        if not isinstance(role, str) or not isinstance(members, list):
            continue
        found.append((f"{instance.address}.policy_data.bindings[{index}]", Str(role, span),
                      [Str(m, span) if isinstance(m, str) and not isinstance(m, Str) else m
                       for m in members if isinstance(m, (str, Partial, Unknown))],
                      [span] * len(members), span))
    return found


COLLECTORS: dict[str, Callable[["Module", "Instance", Inventory], None]] = {
    "google_iam_workload_identity_pool": _pool,
    "google_iam_workload_identity_pool_provider": _pool_provider,
    "google_service_account": _service_account,
}
"""Resource types read by name (merged into the Terraform reader's table); grants are read
for every type ``GRANT_TYPE`` matches (``collector``)."""
READ_WITH = frozenset({"google_iam_policy"})
"""Data sources a grant is read with: the Terraform reader keeps them."""


def collector(resource_type: str) -> Callable[["Module", "Instance", Inventory], None] | None:
    """What reads a resource of this type that the table does not name: a grant."""
    return _grant if GRANT_TYPE.fullmatch(resource_type) else None


class ResourceTypes(frozenset):
    """The resource types the Terraform reader reads: a set, with every grant type in it."""

    def __contains__(self, resource_type: object) -> bool:
        return frozenset.__contains__(self, resource_type) or (
            isinstance(resource_type, str) and GRANT_TYPE.fullmatch(resource_type) is not None)
