from __future__ import annotations

from oidclint.iam.conditions import EXACT_OPERATORS
from oidclint.model import Level
from oidclint.rule import Rule


class WildcardInExactMatch(Rule):
    """
    ## What it does
    Flags `*` or `?` in a value compared with `StringEquals`, `StringEqualsIgnoreCase` or
    their negated forms.

    ## Why it matters
    Only `StringLike` treats `*` and `?` as wildcards; under `StringEquals` they are literal
    characters. `"repo:acme/api:*"` under `StringEquals` matches only a subject that really
    ends in `*`, which no token has: every workload gets `Not authorized to perform
    sts:AssumeRoleWithWebIdentity`, an error). A negated test with a wildcard excludes
    nothing (a warning).

    ## Example
    ```yaml
    StringEquals:
      token.actions.githubusercontent.com:sub: repo:acme/infra:*
    ```

    ## Fix
    Use `StringLike` for patterns, and keep the pattern as narrow as the workload needs.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    id = "OIDC106"
    name = "wildcard-in-exact-match"
    level = Level.ERROR
    summary = "A * or ? appears in a value of a StringEquals-family operator"
    tags = ("correctness", "iam")

    def check(self, graph):
        for trust in graph.web_identity_trusts(allowing=False):
            for condition in trust.statement.conditions:
                if condition.base_operator not in EXACT_OPERATORS:
                    continue
                wild = [v for v in condition.values if isinstance(v, str) and ("*" in v or "?" in v)]
                if not wild:
                    continue
                consequence = ("excludes nothing" if condition.negated
                               else "matches no token, so this condition never holds")
                yield self.finding(
                    wild[0],
                    f"`{wild[0]}` is compared with `{condition.operator}`, where `*` and `?` are "
                    f"literal characters: the value {consequence}.",
                    trust=trust,
                    fallback=[condition.key],
                    fix="Use `StringLike` (or `StringNotLike`) for values with wildcards.",
                    # Excluding nothing breaks nothing: a warning, not an error.
                    level=Level.WARNING if condition.negated else None,
                    evidence={"fingerprint": f"{condition.key}={wild[0]}"},
                )
