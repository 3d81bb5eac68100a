from __future__ import annotations

from oidclint.iam.conditions import restricts
from oidclint.model import Level
from oidclint.rule import Rule


class MissingAudienceCondition(Rule):
    """
    ## What it does
    Flags an allowing web identity trust statement without a positive condition on `aud`.
    For Cognito identity pools and Google, where the audience is what separates your
    application from everyone else's, this is an error; for other issuers a note.

    ## Why it matters
    `cognito-identity.amazonaws.com` issues tokens for every identity pool of every AWS
    account; `aud` (the identity pool id) is the only thing that ties the role to yours.
    Without it, anyone who creates an identity pool can assume the role. For issuers with an
    IAM provider object, the client id list checks the audience too, but a trust that also
    pins `aud` states its intent and survives a provider shared by several teams.

    ## Example
    ```json
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity"
    ```

    ## Fix
    Add `StringEquals` on `<issuer>:aud`: the identity pool id for Cognito, the client id for
    Google, `sts.amazonaws.com` for GitHub Actions and EKS.

    ## References
    - https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    """

    id = "OIDC202"
    name = "missing-audience-condition"
    level = Level.NOTE
    summary = "No aud restriction (error where aud is the boundary: Cognito, Google)"
    tags = ("security", "oidc")
    security_severity = 7.5

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or trust.has_unknown_keys:
                continue
            if any(restricts(c) for c in trust.conditions_on("aud")):
                continue
            # The host is unknown when the issuer comes from a cluster the code creates.
            host = trust.hosts[0] if trust.hosts else "<issuer host>"
            if issuer.audience_is_boundary:
                yield self.finding(
                    trust.statement,
                    f"The statement trusts {issuer.title} without an `aud` condition: the audience "
                    f"is the only boundary between your application and every other one using "
                    f"{host}, so anyone's identities can assume {trust.role.address}.",
                    trust=trust,
                    level=Level.ERROR,
                    fix=f"Add `StringEquals` on `{host}:aud` with your identity pool or client id.",
                )
            else:
                yield self.finding(
                    trust.statement,
                    f"The statement does not restrict `aud`; the provider's client id list is the "
                    f"only audience check for {trust.role.address}.",
                    trust=trust,
                    fix=f"Add `StringEquals` on `{host}:aud`"
                    + (f" = `{issuer.default_audiences[0]}`." if issuer.default_audiences else "."),
                )
