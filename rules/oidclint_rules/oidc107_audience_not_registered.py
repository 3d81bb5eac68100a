from __future__ import annotations

from oidclint.iam.conditions import patterns, restricts
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
            for provider in trust.providers:
                client_ids = provider.client_ids
                if not isinstance(client_ids, list) or not client_ids:
                    continue
                if not all(isinstance(c, str) for c in client_ids):
                    continue
                for condition in trust.conditions_on("aud"):
                    if not restricts(condition):
                        continue
                    wanted = patterns(condition)
                    if not wanted or any(p is None or not p.known for p in wanted):
                        continue
                    if any(p.matches(str(c)) for p in wanted for c in client_ids):
                        continue
                    required = ", ".join(f"`{p}`" for p in wanted)
                    listed = ", ".join(f"`{c}`" for c in client_ids)
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
