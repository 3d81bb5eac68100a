from __future__ import annotations

from oidclint.graph import WEB_IDENTITY_ACTION
from oidclint.model import Level
from oidclint.rule import Rule


class WildcardPrincipalWebIdentity(Rule):
    """
    ## What it does
    Flags an allowing statement with `Principal: "*"`, `{"AWS": "*"}` or
    `{"Federated": "*"}` whose actions cover `sts:AssumeRoleWithWebIdentity`.

    ## Why it matters
    A wildcard principal accepts a token from any identity provider registered in the
    account, and from any principal at all for the other actions. Only the conditions stand
    between the role and everyone; one mistake there opens it completely.

    ## Example
    ```json
    {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}
    ```

    ## Fix
    Name the provider: `"Principal": {"Federated": "arn:aws:iam::<account>:oidc-provider/<host>"}`.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    """

    id = "OIDC208"
    name = "wildcard-principal-web-identity"
    level = Level.ERROR
    summary = 'Principal "*" (or Federated "*") is allowed web identity'
    tags = ("security", "iam")
    security_severity = 9.8

    def check(self, graph):
        for trust in graph.trusts():
            statement = trust.statement
            if not statement.allows or not trust.covers(WEB_IDENTITY_ACTION):
                continue
            wild = [v for kind, values in statement.principals.items()
                    if kind in ("*", "AWS", "Federated") for v in values if str(v) == "*"]
            if not wild:
                continue
            yield self.finding(
                wild[0],
                f"{trust.role.address} allows `sts:AssumeRoleWithWebIdentity` to any principal: "
                "a token from any provider in the account, judged only by the conditions.",
                trust=trust,
                fix="Name the OIDC provider ARN under `Principal.Federated`.",
            )
