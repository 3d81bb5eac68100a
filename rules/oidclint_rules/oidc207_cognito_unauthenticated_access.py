from __future__ import annotations

from oidclint.iam.conditions import negated, patterns
from oidclint.model import Level
from oidclint.rule import Rule


class CognitoUnauthenticatedAccess(Rule):
    """
    ## What it does
    Flags a trust for Cognito identity pools (`cognito-identity.amazonaws.com`) that admits
    unauthenticated (guest) identities: its `amr` condition matches `unauthenticated`, or it has
    no `amr` condition at all.

    ## Why it matters
    Anyone on the internet can get an unauthenticated identity from a pool that allows guest
    access, with no sign-in. A role meant for signed-in users that does not require
    `amr = authenticated` hands its permissions to anonymous callers.

    ## Example
    ```json
    "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:1234..."}}
    ```

    ## Fix
    Add `"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}`.
    Keep a separate, minimal role for guests if the pool needs them.

    ## References
    - https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
    - https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html
    """

    id = "OIDC207"
    name = "cognito-unauthenticated-access"
    level = Level.WARNING
    summary = "A Cognito trust admits unauthenticated identities"
    tags = ("security", "cognito")
    security_severity = 6.5

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or issuer.kind != "cognito" or trust.has_unknown_keys:
                continue
            amr = [c for c in trust.conditions_on("amr") if not negated(c)]
            if not amr:
                yield self.finding(
                    trust.statement,
                    f"The Cognito trust of {trust.role.address} has no `amr` condition, so "
                    "unauthenticated (guest) identities of the pool can assume it too.",
                    trust=trust,
                    fix='Add `ForAnyValue:StringLike` on `cognito-identity.amazonaws.com:amr` = "authenticated".',
                )
                continue
            for condition in amr:
                if any(p is not None and p.matches("unauthenticated") for p in patterns(condition)):
                    yield self.finding(
                        condition.key,
                        f"The `amr` condition admits `unauthenticated`: anonymous identities of "
                        f"the pool can assume {trust.role.address}.",
                        trust=trust,
                        fix="Require `authenticated`, and give guests a separate minimal role.",
                    )
                    break
