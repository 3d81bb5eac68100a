"""AKS workload identity: ServiceAccounts annotated with the client id of an Entra application
or managed identity, as workloads of Azure.

The webhook gives the pods of a ServiceAccount annotated ``azure.workload.identity/client-id``
(the pods labelled ``azure.workload.identity/use: "true"``) a projected token of the cluster's
issuer, ``sub`` ``system:serviceaccount:<namespace>:<name>``, audience
``api://AzureADTokenExchange``, to exchange for a token of that client id in the tenant of
``azure.workload.identity/tenant-id`` (or the webhook's own). Pods are not read: a
ServiceAccount so annotated is taken to be used.
https://learn.microsoft.com/azure/aks/workload-identity-overview (docs/facts.md, "Azure
federated identity credentials")
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from oidclint.iam.azure_trusts import DEFAULT_AUDIENCE
from oidclint.model import Workload
from oidclint.source import Str, Text, span_of

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
USE_LABEL = "azure.workload.identity/use"


def azure_annotations(annotations: Any, as_text: Callable[[Any, Any], Text | None]
                      ) -> tuple[Text | None, Text | None]:
    """The client id and tenant id a ServiceAccount's annotations name (``None`` when
    absent or empty), read as manifest text (``kubernetes.as_text``)."""
    if not isinstance(annotations, Mapping):
        return None, None
    where = span_of(annotations)
    client_id = as_text(annotations.get(CLIENT_ID_ANNOTATION), where)
    tenant = as_text(annotations.get(TENANT_ID_ANNOTATION), where)
    if isinstance(client_id, str) and not client_id.strip():
        client_id = None
    return client_id, tenant


def for_azure(workload: Workload, tenant: Text | None) -> Workload:
    """A ServiceAccount's workload (``service_account_workload``) as one of Azure."""
    workload.cloud = "azure"
    workload.target = tenant
    if workload.audience is None:
        workload.audience = Str(DEFAULT_AUDIENCE)
    return workload
