"""The text that makes a file, or a block of one, matter to oidclint on its own: the
prefilter skips files without it, and the Terraform outline blanks blocks without it."""

from __future__ import annotations

WEB_IDENTITY = ("assumerolewithwebidentity", "federated", "openid", "oidc", "aws_eks_cluster",
                "eks::cluster", "kubernetes_service_account", "serviceaccount",
                "service_account_role_arn",
                "terraform-aws-modules/iam", "tfc_aws_provider_auth",
                # Google Cloud workload identity: pools and providers, the members that name
                # their identities or a GKE ServiceAccount, and the role that lets them in.
                "workload_identity_pool", "workloadidentitypools", "principal://",
                "principalset://", ".svc.id.goog", "iam.gke.io/", "workloadidentityuser")
"""Lower-cased text that makes a file matter on its own (substring tests: one pass of
``in`` per marker is many times faster than one alternation)."""


def mentions(lowered: str, markers: tuple[str, ...]) -> bool:
    return any(map(lowered.__contains__, markers))
