"""An Amazon EKS add-on given an IAM role for its ServiceAccount, as the workload that assumes
it: Terraform's ``aws_eks_addon``, CloudFormation's ``AWS::EKS::Addon`` and eksctl's
``addons`` all come here.

The ServiceAccount is the add-on's own (``oidclint.iam.eks_addons``); for an add-on the table
does not know, its name and namespace stay unknown, never guessed. EKS Pod Identity
associations of an add-on (``pod_identity_association``) are not web identity and are not read.
"""

from __future__ import annotations

from oidclint.iam.eks_addons import addon_service_account, needs_no_role
from oidclint.model import Workload
from oidclint.readers.workloads.kubernetes import service_account_workload
from oidclint.source import Span, Str, Text, Unknown

ADDON_KIND = "eks-addon"


def addon_workload(addon: Text, role: Text, span: Span, *, role_span: Span | None = None,
                   namespace: Text | None = None, cluster: str | None = None,
                   scope: str = "") -> Workload | None:
    """The workload of the add-on ``addon`` given ``role``; ``None`` for an add-on that takes
    no role. ``namespace`` is a custom namespace the add-on is created in, if any."""
    if isinstance(addon, str) and needs_no_role(str(addon)):
        return None
    known = addon_service_account(str(addon)) if isinstance(addon, str) else None
    if known is not None:
        name: Text = Str(known.name, span)
        namespace = namespace if namespace is not None else Str(known.namespace, span)
    else:
        what = f"EKS add-on {addon}"
        name = Unknown(f"the ServiceAccount of {what} (an add-on oidclint has no entry for)",
                       span)
        if namespace is None:
            namespace = Unknown(f"the namespace of {what}", span)
    workload = service_account_workload(name, namespace, span, role, role_span, kind=ADDON_KIND,
                                        cluster=cluster, scope=scope)
    # Named as the user wrote it; its one context names the ServiceAccount.
    workload.name = f"EKS add-on {addon}"
    return workload
