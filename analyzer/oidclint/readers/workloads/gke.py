"""GKE workload identity: a Kubernetes ServiceAccount annotated
``iam.gke.io/gcp-service-account: <email>`` acts as that IAM service account, when the
service account grants ``roles/iam.workloadIdentityUser`` to
``serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`` (docs/facts.md, "Google Cloud
workload identity federation", GC9).
https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
"""

from __future__ import annotations

from typing import Any, Mapping

from oidclint.model import Workload
from oidclint.source import Text, span_of

ANNOTATION = "iam.gke.io/gcp-service-account"
CLOUD = "google"


def gke_service_account(annotations: Any, as_text: Any) -> Text | None:
    """The IAM service account a ServiceAccount's annotations name (``None`` when none);
    ``as_text`` reads the annotation's value as the manifest's reader reads text."""
    if not isinstance(annotations, Mapping):
        return None
    account = as_text(annotations.get(ANNOTATION), span_of(annotations))
    if isinstance(account, str) and not account.strip():
        return None
    return account


def as_google(workload: Workload) -> Workload:
    """The ServiceAccount's workload, authenticating to Google Cloud as its service account
    (through the GKE metadata server: no provider named, no audience asked for)."""
    workload.cloud = CLOUD
    return workload
