from __future__ import annotations

from oidclint.model import Level
from oidclint.rule import Rule


class ProviderAudienceMissing(Rule):
    """
    ## What it does
    Flags an IAM OIDC provider whose client id list (`client_id_list`, `ClientIdList`) is empty
    or absent.

    ## Why it matters
    STS accepts a token only when its audience is in the provider's client id list. With an
    empty list every token is rejected with `InvalidIdentityToken: Incorrect token audience`.

    ## Example
    ```hcl
    resource "aws_iam_openid_connect_provider" "gitlab" {
      url            = "https://gitlab.com"
      client_id_list = []
    }
    ```

    ## Fix
    List the audiences your workloads request: `sts.amazonaws.com` for GitHub Actions with
    configure-aws-credentials and for EKS, `aws.workload.identity` for HCP Terraform, the
    `aud` of your GitLab `id_tokens`.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
    """

    id = "OIDC303"
    name = "provider-audience-missing"
    level = Level.ERROR
    summary = "The provider's client id list is empty"
    tags = ("correctness", "oidc")

    def check(self, graph):
        for provider in graph.providers:
            if isinstance(provider.client_ids, list) and not provider.client_ids:
                yield self.finding(
                    provider,
                    f"Provider {provider.address} lists no client ids: STS rejects every token "
                    "with `Incorrect token audience`.",
                    address=provider.address,
                    made_by=[provider],
                    fix="List the audiences your workloads request in the client id list.",
                )
