from __future__ import annotations

from oidclint.model import Level
from oidclint.rule import Rule


class StringLikeWithoutWildcard(Rule):
    """
    ## What it does
    Notes a `StringLike` condition value without `*` or `?` (set operators such as
    `ForAnyValue:StringLike` on Cognito's `amr` are left alone: that is the documented form).

    ## Why it matters
    The test is an exact match written as a pattern. It works, but readers (and reviewers
    hunting for wildcards) cannot tell at a glance that it is exact, and a later edit that
    adds a `*` widens it silently.

    ## Example
    ```json
    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/api:ref:refs/heads/main"}
    ```

    ## Fix
    Use `StringEquals` for exact values.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    id = "OIDC304"
    name = "stringlike-without-wildcard"
    level = Level.NOTE
    summary = "StringLike used for an exact value"
    tags = ("style", "iam")

    def check(self, graph):
        for trust in graph.web_identity_trusts(allowing=False):
            for condition in trust.statement.conditions:
                if condition.base_operator not in ("StringLike", "StringNotLike"):
                    continue
                if condition.qualifier:
                    # `ForAnyValue:StringLike` on a multi-valued claim (Cognito `amr`) is the
                    # documented form; there is no set operator with exact semantics to prefer.
                    continue
                exact = [v for v in condition.values
                         if isinstance(v, str) and "*" not in v and "?" not in v]
                if not exact:
                    continue
                yield self.finding(
                    exact[0],
                    f"`{exact[0]}` has no wildcard; `{condition.operator}` here is an exact match.",
                    trust=trust,
                    fallback=[condition.key],
                    fix="Use `StringEquals` for exact values.",
                    evidence={"fingerprint": f"{condition.key}={exact[0]}"},
                )
