from __future__ import annotations

from oidclint.model import Level, Related
from oidclint.rule import Rule
from oidclint.source import Partial


class DuplicateOidcProvider(Rule):
    """
    ## What it does
    Flags a second IAM OIDC provider with the same URL in the same account: one
    CloudFormation template, or one Terraform root module where both are created through
    provider configurations that reach the same account (the same configuration, or ones
    whose credentials, assumed role and allowed accounts are the same). Configurations
    passed to modules (`providers = { aws = aws.prod }`) and `provider = aws.x` are followed;
    when the account of either is not known, nothing is reported. A URL not known statically
    is compared when it is the issuer of one resource (`module.eks.cluster_oidc_issuer_url`
    beside the eks module's own provider): two ways to the same value.

    ## Why it matters
    An account holds one provider per issuer URL: creating the second fails with
    `EntityAlreadyExists`, and the deployment stops.

    ## Example
    ```hcl
    resource "aws_iam_openid_connect_provider" "github" { url = "https://token.actions.githubusercontent.com" }
    resource "aws_iam_openid_connect_provider" "gha"    { url = "https://token.actions.githubusercontent.com" }
    ```

    ## Fix
    Keep one provider and refer to it from every role (or look it up with a data source where
    another stack owns it).

    ## References
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
    """

    id = "OIDC301"
    name = "duplicate-oidc-provider"
    level = Level.ERROR
    summary = "Two providers with the same URL in one account scope"
    tags = ("correctness", "oidc")

    def check(self, graph):
        first: dict[tuple[str, str, str], object] = {}
        # An account that is not known is not the same account.
        ordered = sorted((p for p in graph.providers
                          if _same_url(p.url) is not None and p.span and p.account is not None),
                         key=lambda p: (p.span.path, p.span.line))
        for provider in ordered:
            key = (provider.scope, provider.account, _same_url(provider.url))
            if key not in first:
                first[key] = provider
                continue
            original = first[key]
            yield self.finding(
                provider.url,
                f"{provider.address} repeats the URL `{provider.url}` of {original.address}: an "
                "account holds one provider per URL, so creating this one fails with "
                "`EntityAlreadyExists`.",
                address=provider.address,
                fallback=[provider],
                related=[Related(original.span, f"first provider {original.address}")],
                made_by=[provider],
                fix=f"Remove {provider.address} and refer to {original.address}.",
            )


def _same_url(url) -> str | None:
    """What two providers' URLs must share to be the same URL: the text when it is known;
    when it is the issuer of one resource (``ref``), that resource and the text around it."""
    if isinstance(url, str):
        return str(url)
    if isinstance(url, Partial) and url.ref:
        return f"{url.ref} {url}"
    return None
