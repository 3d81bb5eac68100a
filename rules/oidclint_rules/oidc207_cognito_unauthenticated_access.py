from __future__ import annotations

from oidclint.iam.conditions import negated, patterns
from oidclint.model import Level, Related
from oidclint.rule import Rule


class CognitoUnauthenticatedAccess(Rule):
    """
    ## What it does
    Flags a trust for Cognito identity pools (`cognito-identity.amazonaws.com`) that admits
    unauthenticated (guest) identities: its `amr` condition matches `unauthenticated`, or it has
    no `amr` condition at all.

    The identity pools the trust's `aud` names (by reference, or by the roles attachment
    that makes the role a pool's default role) are read too: when every one of them disables
    unauthenticated identities (`allow_unauthenticated_identities = false`,
    `AllowUnauthenticatedIdentities: false`), no guest token can reach the role, and the
    finding is a note saying so.

    ## Why it matters
    Anyone on the internet can get an unauthenticated identity from a pool that allows guest
    access, with no sign-in. A role meant for signed-in users that does not require
    `amr = authenticated` hands its permissions to anonymous callers. A pool that allows no
    guests today can be switched to allow them without touching the role.

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
    - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-identitypool.html
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
            guests = next((c for c in amr if any(
                p is not None and p.matches("unauthenticated") for p in patterns(c))), None)
            if amr and guests is None:
                continue
            pools = graph.identity_pools(trust) or []
            closed = bool(pools) and all(p.allows_unauthenticated is False for p in pools)
            related = [Related(p.setting_span or p.span, f"identity pool {p.address}")
                       for p in pools if p.setting_span or p.span]
            role = trust.role.address
            names = ", ".join(p.address for p in pools)
            if not amr:
                where = trust.statement
                message = (f"The Cognito trust of {role} has no `amr` condition, so "
                           "unauthenticated (guest) identities of the pool can assume it too.")
                if closed:
                    message = (f"The Cognito trust of {role} has no `amr` condition, so it "
                               f"admits guest identities; identity pool {names} allows none, "
                               "so none can assume it while that setting stays off.")
                fix = 'Add `ForAnyValue:StringLike` on `cognito-identity.amazonaws.com:amr` = "authenticated".'
            else:
                where = guests.key
                message = ("The `amr` condition admits `unauthenticated`: anonymous identities "
                           f"of the pool can assume {role}.")
                if closed:
                    message = ("The `amr` condition admits `unauthenticated`, but identity pool "
                               f"{names} allows no unauthenticated identities: no anonymous "
                               f"identity can assume {role} while that setting stays off.")
                fix = "Require `authenticated`, and give guests a separate minimal role."
            yield self.finding(where, message, trust=trust, related=related, fix=fix,
                               level=Level.NOTE if closed else None)
