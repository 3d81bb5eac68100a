from __future__ import annotations

from oidclint.iam.catalog import GLOBAL_KEY_PREFIXES
from oidclint.iam.conditions import needless_qualifier, restricts, vacuous
from oidclint.model import Level
from oidclint.rule import Rule


class VacuousSetOrIfExistsRestriction(Rule):
    """
    ## What it does
    Flags a claim whose only restriction in an allowing statement uses `ForAllValues:` or an
    `...IfExists` operator (a warning), and, as a note, a set operator (`ForAllValues:`,
    `ForAnyValue:`) or `...IfExists` on `sub` or `aud`, which every token carries with one
    value: there it works as the plain operator, and the plain operator says what is meant.
    A key for another issuer (OIDC104) or a claim the issuer does not expose (OIDC105) is
    left to those rules.

    ## Why it matters
    Both are true when the key is missing from the request. If the claim is absent (an
    issuer that does not send it, a job without an environment), the condition restricts
    nothing while looking like a safeguard. On `sub` and `aud` the key is always there, so
    the condition does restrict; the set operator only makes the reader wonder whether it
    does.

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
    summary = "The only restriction on a claim uses ForAllValues: or ...IfExists (a note on sub and aud)"
    tags = ("security", "iam")
    security_severity = 6.1

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            by_key: dict[str, list] = {}
            for condition in trust.statement.conditions:
                if isinstance(condition.key, str) and _owned_here(trust, condition):
                    by_key.setdefault(str(condition.key).lower(), []).append(condition)
            for conditions in by_key.values():
                needless = [c for c in conditions if needless_qualifier(c)]
                if needless:
                    condition = needless[0]
                    plain = condition.base_operator
                    yield self.finding(
                        condition.key,
                        f"`{condition.operator}` on `{condition.key}` works as `{plain}`: every "
                        f"token carries `{condition.claim}`, with one value. Write `{plain}`, "
                        "which says so.",
                        trust=trust,
                        level=Level.NOTE,
                        fix=f"Use `{plain}`.",
                        evidence={"fingerprint": str(condition.key)},
                    )
                    continue
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


def _owned_here(trust, condition) -> bool:
    """Keys for another issuer are OIDC104's, claims the issuer does not expose OIDC105's."""
    prefix = condition.issuer_prefix
    if not isinstance(prefix, str) or str(prefix).lower() in GLOBAL_KEY_PREFIXES:
        return True
    if (trust.hosts or trust.partial_hosts) and not trust.may_be_issuer(str(prefix)):
        return False
    issuer = trust.issuer
    return issuer is None or condition.claim is None or condition.claim in issuer.keys
