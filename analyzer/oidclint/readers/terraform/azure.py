"""Terraform's Azure federated identity credentials and the principals they belong to.

- ``azurerm_federated_identity_credential``: a user-assigned managed identity's credential,
  ``parent_id`` (provider 3.x) or ``user_assigned_identity_id`` (4.x), ``issuer``,
  ``subject``, ``audience`` (a list of one);
  https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/federated_identity_credential
- ``azuread_application_federated_identity_credential``: an application's,
  ``application_id`` (3.x) or ``application_object_id`` (2.x), ``issuer``, ``subject``,
  ``audiences``;
  https://registry.terraform.io/providers/hashicorp/azuread/latest/docs/resources/application_federated_identity_credential
- ``azuread_application_flexible_federated_identity_credential``: an application's flexible
  credential, ``claims_matching_expression`` instead of a subject, ``audience`` one string;
  https://registry.terraform.io/providers/hashicorp/azuread/latest/docs/resources/application_flexible_federated_identity_credential
- the principals: ``azurerm_user_assigned_identity``, ``azuread_application`` (and
  ``azuread_application_registration``), ``azuread_service_principal``, created or looked up
  (``data``); a data source looked up by ``client_id`` gives the client id as written.
- ``azurerm_kubernetes_cluster`` with ``oidc_issuer_enabled``: its issuer, which
  ``oidc_issuer_url`` gives (``hcl.resources``), for the ServiceAccounts of the module.

docs/facts.md, "Azure federated identity credentials".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidclint.hcl.values import MISSING, EvalError, to_bool, to_text
from oidclint.iam.azure_trusts import aks_issuer
from oidclint.model import AzurePrincipal, Cluster, FederatedCredential, Inventory
from oidclint.source import Partial, Span, Str, Unknown

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance, Module


def _text(instance: "Instance", name: str) -> Any:
    """A string argument as written; ``Unknown`` when it is not set or not a string."""
    block = instance.block
    attribute = block.attributes.get(name)
    value = instance.argument(name)
    span = attribute.value_span if attribute is not None else block.span
    if value is MISSING or value is None:
        return Unknown(f"{instance.address}.{name} (not set)", span)
    try:
        value = to_text(value, span)
    except EvalError as exc:
        return Unknown(f"{instance.address}.{name}: {exc}", span)
    if isinstance(value, str) and not isinstance(value, Str):
        value = Str(value, span)
    return value


def _span(instance: "Instance", name: str) -> Span:
    attribute = instance.block.attributes.get(name)
    return attribute.value_span if attribute is not None else instance.block.span


def _audiences(instance: "Instance", name: str) -> list | Unknown:
    """A list argument of audiences (or, for the flexible credential, one string)."""
    value = instance.argument(name)
    if value is MISSING or value is None:
        return []
    if isinstance(value, (str, Partial)):
        return [value]
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        return [item for item in value if isinstance(item, (str, Partial, Unknown))]
    return Unknown(f"{instance.address}.{name} is not a list", _span(instance, name))


def _parent(instance: "Instance", *names: str) -> Any:
    for name in names:
        value = instance.argument(name)
        if value is not MISSING and value is not None:
            return value
    return Unknown(f"{instance.address}.{names[0]} (not set)", instance.block.span)


def _credential(module: "Module", instance: "Instance", inventory: Inventory, *,
                parent: Any, parent_kind: str, audiences: str,
                flexible: bool = False) -> None:
    subject_name = "claims_matching_expression" if flexible else "subject"
    written = _text(instance, subject_name)
    inventory.federated_credentials.append(FederatedCredential(
        address=instance.address, parent=parent, parent_kind=parent_kind,
        issuer=_text(instance, "issuer"),
        subject=None if flexible else written,
        audiences=_audiences(instance, audiences),
        claims_matching_expression=written if flexible else None,
        span=instance.block.span, issuer_span=_span(instance, "issuer"),
        subject_span=_span(instance, subject_name), audience_span=_span(instance, audiences),
        scope=module.scope))


def _identity_credential(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    _credential(module, instance, inventory, audiences="audience",
                parent=_parent(instance, "parent_id", "user_assigned_identity_id"),
                parent_kind="managed-identity")


def _application_credential(module: "Module", instance: "Instance",
                            inventory: Inventory) -> None:
    _credential(module, instance, inventory, audiences="audiences",
                parent=_parent(instance, "application_id", "application_object_id"),
                parent_kind="application")


def _flexible_credential(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    _credential(module, instance, inventory, audiences="audience", flexible=True,
                parent=_parent(instance, "application_id"), parent_kind="application")


def _client_id(instance: "Instance", *names: str) -> Any:
    """The client id of a principal: as written where a data source is looked up by it,
    else known once deployed (an ``Unknown`` naming the principal)."""
    for name in names:
        value = instance.argument(name)
        if isinstance(value, (str, Partial, Unknown)):
            return value
    return Unknown(f"{instance.address}.client_id", instance.block.span, instance.address)


def _principal(kind: str, *client_id_names: str):
    def collect(module: "Module", instance: "Instance", inventory: Inventory) -> None:
        names = client_id_names if instance.is_data or kind == "service-principal" else ()
        inventory.azure_principals.append(AzurePrincipal(
            address=instance.address, kind=kind, client_id=_client_id(instance, *names),
            span=instance.block.span, scope=module.scope))
    return collect


def _kubernetes_cluster(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    """An AKS cluster that serves an OIDC issuer (``oidc_issuer_enabled``)."""
    enabled = instance.argument("oidc_issuer_enabled")
    if instance.is_data:
        enabled = True  # a cluster looked up: whether it serves one is not known here
    try:
        enabled = to_bool(enabled) if enabled not in (MISSING, None) else False
    except EvalError:
        enabled = False
    if enabled is False:
        return
    name = instance.argument("name")
    inventory.clusters.append(Cluster(
        address=instance.address,
        name=name if isinstance(name, (str, Partial, Unknown)) else None,
        issuer=aks_issuer(instance.address, instance.block.span),
        span=instance.block.span, scope=module.scope))


COLLECTORS = {
    "azurerm_federated_identity_credential": _identity_credential,
    "azuread_application_federated_identity_credential": _application_credential,
    "azuread_application_flexible_federated_identity_credential": _flexible_credential,
    "azurerm_user_assigned_identity": _principal("managed-identity"),
    "azuread_application": _principal("application", "client_id", "application_id"),
    "azuread_application_registration": _principal("application"),
    "azuread_service_principal": _principal("service-principal", "client_id",
                                            "application_id"),
    "azurerm_kubernetes_cluster": _kubernetes_cluster,
}
"""Resource types read, and what each becomes (merged into the Terraform reader's table)."""

DATA_COLLECTORS = {
    "azurerm_user_assigned_identity": _principal("managed-identity", "client_id"),
    "azuread_application": _principal("application", "client_id", "application_id"),
    "azuread_service_principal": _principal("service-principal", "client_id",
                                            "application_id"),
    "azurerm_kubernetes_cluster": _kubernetes_cluster,
}
"""Data sources read: the same principals, looked up."""


def sole_aks_cluster(module: "Module") -> str | None:
    """The address of the one AKS cluster a module defines or looks up, whose issuer the
    ServiceAccounts it creates use; ``None`` when it has none or several."""
    clusters = [address for address, block in module.resources.items()
                if block.labels and block.labels[0] == "azurerm_kubernetes_cluster"]
    return module.address + clusters[0] if len(clusters) == 1 else None
