from __future__ import annotations

from oidclint.graph import WEB_IDENTITY_ACTION
from oidclint.iam.conditions import action_covers
from oidclint.model import Level
from oidclint.rule import Rule


class WebIdentityActionMissing(Rule):
    """
    ## What it does
    Flags a trust statement that names an OIDC provider (or a built-in web identity provider
    such as Cognito) as its `Federated` principal but does not allow
    `sts:AssumeRoleWithWebIdentity`.

    ## Why it matters
    A web identity token can only be exchanged through `AssumeRoleWithWebIdentity`. A statement
    that allows `sts:AssumeRole` (or `sts:TagSession` alone) to a federated principal never
    matches, and every workload gets `Not authorized to perform sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```hcl
    statement {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "Federated"
        identifiers = [aws_iam_openid_connect_provider.github.arn]
      }
    }
    ```

    ## Fix
    Allow `sts:AssumeRoleWithWebIdentity` in the statement.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
    - https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
    """

    id = "OIDC101"
    name = "web-identity-action-missing"
    level = Level.ERROR
    summary = "A Federated OIDC principal is trusted but sts:AssumeRoleWithWebIdentity is not allowed"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            statement = trust.statement
            if not any(p.web_identity for p in trust.principals):
                continue
            actions = statement.actions
            if any(not isinstance(a, str) for a in actions + statement.not_actions):
                continue
            if statement.not_actions:
                if not any(action_covers(str(a), WEB_IDENTITY_ACTION) for a in statement.not_actions):
                    continue
            elif trust.covers(WEB_IDENTITY_ACTION):
                continue
            named = ", ".join(f"`{a}`" for a in actions) or "no action"
            yield self.finding(
                actions[0] if actions else statement,
                f"The statement trusts a web identity provider but allows {named}, not "
                "`sts:AssumeRoleWithWebIdentity`: every token exchange fails with "
                "`Not authorized to perform sts:AssumeRoleWithWebIdentity`.",
                trust=trust,
                fix="Allow `sts:AssumeRoleWithWebIdentity` in this statement.",
            )
