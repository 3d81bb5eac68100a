"""What the tests of the built-in registry module models share: the sources of the modules
modelled, the issuers their trusts name, and the folder of a model."""

from __future__ import annotations

from pathlib import Path

from oidclint.hcl.registry import MODELS


IAM = "terraform-aws-modules/iam/aws"
GITHUB_ROLE = f"{IAM}//modules/iam-github-oidc-role"
WITH_OIDC = f"{IAM}//modules/iam-assumable-role-with-oidc"
IRSA_EKS = f"{IAM}//modules/iam-role-for-service-accounts-eks"
UNFUNCO = "unfunco/oidc-github/aws"
PHILIPS_LABS = "philips-labs/github-oidc/aws"
EKS_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
EKS_PROVIDER_ARN = f"arn:aws:iam::111122223333:oidc-provider/{EKS_ISSUER}"
GITHUB = "token.actions.githubusercontent.com"
IAM_GIT = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git"
IAM_SSH = "git::ssh://git@github.com/terraform-aws-modules/terraform-aws-iam.git"
IAM_GITHUB = "github.com/terraform-aws-modules/terraform-aws-iam"


def folder(name: str) -> Path:
    return MODELS / name
