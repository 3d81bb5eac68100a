from __future__ import annotations

from oidclint.iam.conditions import restricts, vacuous
from oidclint.model import Level
from oidclint.rule import Rule


class VacuousSetOrIfExistsRestriction(Rule):
    """
    ## What it does
    Flags a claim whose only restriction in an allowing statement uses `ForAllValues:` or an
    `...IfExists` operator.

    ## Why it matters
    Both are true when the key is missing from the request. If the claim is absent (a key
    misspelt, an issuer that does not send it, a single-valued claim tested with a set
    operator), the condition restricts nothing while looking like a safeguard.

    ## Example
    ```json
    "ForAllValues:StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/api:*"}
    ```

    ## Fix
    Use the plain operator (`StringEquals`, `StringLike`) for single-valued claims such as
    `sub` and `aud`; for multi-valued ones (Cognito `amr`) use `ForAnyValue:`, or add a
    `Null` test with `false` for the key.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
    """

    id = "OIDC210"
    name = "vacuous-set-or-ifexists-restriction"
    level = Level.WARNING
    summary = "The only restriction on a claim uses ForAllValues: or ...IfExists"
    tags = ("security", "iam")
    security_severity = 6.1

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            by_key: dict[str, list] = {}
            for condition in trust.statement.conditions:
                if isinstance(condition.key, str):
                    by_key.setdefault(str(condition.key).lower(), []).append(condition)
            for conditions in by_key.values():
                if any(restricts(c) for c in conditions):
                    continue
                if any(c.base_operator == "Null" and {str(v).lower() for v in c.values} == {"false"}
                       for c in conditions):
                    continue
                loose = [c for c in conditions if vacuous(c)]
                if not loose:
                    continue
                condition = loose[0]
                yield self.finding(
                    condition.key,
                    f"`{condition.operator}` on `{condition.key}` is true when the claim is absent, "
                    "and nothing else restricts it: the condition may restrict nothing.",
                    trust=trust,
                    fix="Use the plain operator (or `ForAnyValue:` for multi-valued claims), or add "
                    "a `Null` test with `false` for the key.",
                    evidence={"fingerprint": str(condition.key)},
                )
