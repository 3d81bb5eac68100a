"""The OIDC issuer of an EKS cluster, as infrastructure code can know it before deployment."""

from __future__ import annotations

from oidclint.source import Partial, Span, Unknown


def eks_issuer(cluster: str, span: Span | None) -> Partial:
    """``https://oidc.eks.<region>.amazonaws.com/id/<id>``, region and id known only once the
    cluster exists, naming the cluster as its ``ref`` so a provider built from it is tied to it.

    It carries the scheme, unlike an IAM provider's ``url`` attribute: Terraform's
    ``identity[0].oidc[0].issuer`` and ``aws eks describe-cluster`` print it with ``https://``
    (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster,
    https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html);
    that CloudFormation's ``Fn::GetAtt <cluster>.OpenIdConnectIssuerUrl`` does too is
    unconfirmed (docs/facts.md, section 1).
    """
    return Partial(("https://oidc.eks.", Unknown(f"region of {cluster}"),
                    ".amazonaws.com/id/", Unknown(f"OIDC id of {cluster}")), span, cluster)
