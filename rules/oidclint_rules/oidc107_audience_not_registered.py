from __future__ import annotations

from oidclint.model import Level, Related
from oidclint.rule import Rule


class AudienceNotRegistered(Rule):
    """
    ## What it does
    Flags a trust whose `aud` condition requires audiences that none of the linked IAM OIDC
    provider's client ids (`client_id_list`, `ClientIdList`) match.

    ## Why it matters
    STS first checks the token's audience against the provider's client id list
    (`InvalidIdentityToken: Incorrect token audience`), then evaluates the trust. If the trust
    requires an audience the provider does not list, no token can pass both checks.

    ## Example
    ```hcl
    client_id_list = ["sts.amazonaws.com"]
    # ... trust:
    values = ["https://github.com/acme"]   # aud
    ```

    ## Fix
    Require an audience the provider lists, or add the audience to the provider's client id
    list.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
    - https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
    """

    id = "OIDC107"
    name = "audience-not-registered"
    level = Level.ERROR
    summary = "The audiences the trust requires are not in the provider's client id list"
    tags = ("correctness", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            for provider, condition, wanted in trust.unregistered_audiences():
                required = ", ".join(f"`{p}`" for p in wanted)
                listed = ", ".join(f"`{c}`" for c in provider.client_ids)
                yield self.finding(
                    condition.values[0],
                    f"The trust requires audience {required}, but provider {provider.address} "
                    f"accepts only {listed}: STS rejects such tokens with `Incorrect token "
                    "audience` and denies the others in the trust.",
                    trust=trust,
                    fallback=[condition.key],
                    related=[Related(provider.span, f"client ids of {provider.address}")]
                    if provider.span else [],
                    fix="Align the trust's `aud` with the provider's client id list.",
                )
