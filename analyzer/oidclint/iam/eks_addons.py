"""The ServiceAccount each Amazon EKS add-on runs as, for the IAM role it is given.

An add-on created with a role for IAM roles for service accounts (``aws_eks_addon``'s
``service_account_role_arn``, ``AWS::EKS::Addon``'s ``ServiceAccountRoleArn``, eksctl's
``serviceAccountRoleARN``) has EKS annotate the add-on's own ServiceAccount with that role: the
pods present ``system:serviceaccount:<namespace>:<name>`` of that ServiceAccount, which the
user does not choose. The names below are the ones the EKS user guide creates the role for,
one source per entry; an add-on not listed has a ServiceAccount the scan does not know.

Add-ons the guide says need no IAM permissions are listed apart: no ServiceAccount of theirs
is known to take a role, so a role given to one is left alone.

A custom namespace (``namespace_config``, ``NamespaceConfig``) moves the add-on, its
ServiceAccount with it.
"""

from __future__ import annotations

from dataclasses import dataclass

_AWS_ADDONS = "https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html"
_COMMUNITY = "https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html"


@dataclass(frozen=True, slots=True)
class AddonServiceAccount:
    """Where an add-on's pods run and the ServiceAccount they use."""

    namespace: str
    name: str
    source: str
    """The vendor page that names it."""


ADDON_SERVICE_ACCOUNTS: dict[str, AddonServiceAccount] = {
    "vpc-cni": AddonServiceAccount(
        "kube-system", "aws-node", f"{_AWS_ADDONS}#add-ons-vpc-cni"),
    "aws-ebs-csi-driver": AddonServiceAccount(
        "kube-system", "ebs-csi-controller-sa", f"{_AWS_ADDONS}#add-ons-aws-ebs-csi-driver"),
    # The guide widens the trust to `efs-csi-*` without saying which other ServiceAccount
    # uses the role; the controller's is the one it names.
    "aws-efs-csi-driver": AddonServiceAccount(
        "kube-system", "efs-csi-controller-sa", f"{_AWS_ADDONS}#add-ons-aws-efs-csi-driver"),
    "aws-fsx-csi-driver": AddonServiceAccount(
        "kube-system", "fsx-csi-controller-sa", f"{_AWS_ADDONS}#add-ons-aws-fsx-csi-driver"),
    "aws-mountpoint-s3-csi-driver": AddonServiceAccount(
        "kube-system", "s3-csi-driver-sa", f"{_AWS_ADDONS}#mountpoint-for-s3-add-on"),
    "amazon-cloudwatch-observability": AddonServiceAccount(
        "amazon-cloudwatch", "cloudwatch-agent", f"{_AWS_ADDONS}#amazon-cloudwatch-observability"),
    "external-dns": AddonServiceAccount(
        "external-dns", "external-dns", f"{_COMMUNITY}#external-dns"),
    "fluent-bit": AddonServiceAccount(
        "fluent-bit", "fluent-bit", f"{_COMMUNITY}#fluent-bit"),
}
"""Add-on name (as ``addon_name`` writes it) to the ServiceAccount given its role."""

WITHOUT_IAM: dict[str, str] = {
    "coredns": f"{_AWS_ADDONS}#add-ons-coredns",
    "kube-proxy": f"{_AWS_ADDONS}#add-ons-kube-proxy",
    "snapshot-controller": f"{_AWS_ADDONS}#addons-csi-snapshot-controller",
    "aws-guardduty-agent": f"{_AWS_ADDONS}#add-ons-guard-duty",
    "eks-node-monitoring-agent": f"{_AWS_ADDONS}#add-ons-eks-node-monitoring-agent",
    "eks-pod-identity-agent": f"{_AWS_ADDONS}#add-ons-pod-id",
    "metrics-server": f"{_COMMUNITY}#kubernetes-metrics-server",
    "kube-state-metrics": f"{_COMMUNITY}#kube-state-metrics",
    "prometheus-node-exporter": f"{_COMMUNITY}#prometheus-node-exporter",
    "cert-manager": f"{_COMMUNITY}#addon-cert-manager",
}
"""Add-ons the guide lists as needing no IAM permissions (the Pod Identity agent uses the
node's role), with the page that says so."""


def addon_service_account(addon: str) -> AddonServiceAccount | None:
    """The ServiceAccount the add-on named ``addon`` gives its role to; ``None`` when the
    table does not know it (``needs_no_role`` tells the add-ons that take none)."""
    return ADDON_SERVICE_ACCOUNTS.get(addon)


def needs_no_role(addon: str) -> bool:
    """The add-on is documented as needing no IAM permissions."""
    return addon in WITHOUT_IAM
