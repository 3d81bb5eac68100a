from __future__ import annotations

from oidclint.graph import WEB_IDENTITY_ACTION
from oidclint.iam.conditions import action_covers
from oidclint.model import Level
from oidclint.rule import Rule


def names_web_identity(action: str) -> bool:
    """The action is written for web identity, not merely reached through `*` or `sts:*`."""
    return action.lower().startswith("sts:assumerolewith") and action_covers(
        action, WEB_IDENTITY_ACTION)


class FederatedPrincipalMissing(Rule):
    """
    ## What it does
    Flags a statement that allows `sts:AssumeRoleWithWebIdentity` but names no `Federated`
    principal (only `AWS` or `Service` principals).

    ## Why it matters
    STS matches a web identity token against `Federated` principals only. With an `AWS` or
    `Service` principal the statement never admits the token, and the workload gets
    `Not authorized to perform sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```yaml
    Principal:
      Service: ec2.amazonaws.com
    Action: sts:AssumeRoleWithWebIdentity
    ```

    ## Fix
    Name the IAM OIDC provider's ARN (or a built-in provider such as
    `cognito-identity.amazonaws.com`) under `Principal.Federated`.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity
    """

    id = "OIDC102"
    name = "federated-principal-missing"
    level = Level.ERROR
    summary = "sts:AssumeRoleWithWebIdentity is allowed but no Federated principal is named"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        for trust in graph.trusts():
            statement = trust.statement
            if not statement.allows or statement.federated or "*" in statement.principals:
                continue
            if any(str(v) == "*" for values in statement.principals.values() for v in values):
                continue  # a wildcard principal is OIDC208's finding
            named = [a for a in statement.actions if isinstance(a, str) and names_web_identity(str(a))]
            if not named or not statement.principals:
                continue
            kinds = ", ".join(sorted(statement.principals))
            yield self.finding(
                named[0],
                f"The statement allows `{named[0]}` to {kinds} principals only; STS matches web "
                "identity tokens against `Federated` principals, so this statement admits none.",
                trust=trust,
                fix="Put the OIDC provider ARN under `Principal.Federated`.",
            )
