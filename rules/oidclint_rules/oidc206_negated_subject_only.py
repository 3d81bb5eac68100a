from __future__ import annotations

from oidclint.iam.conditions import negated, restricts
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import render


class NegatedSubjectOnly(Rule):
    """
    ## What it does
    Flags a trust for a shared issuer whose only subject restrictions are `StringNotEquals`
    or `StringNotLike`.

    ## Why it matters
    A negated test excludes a few subjects and admits everything else: every other
    repository, project or organisation on the issuer can assume the role.

    ## Example
    ```json
    "StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:acme/sandbox:*"}
    ```

    ## Fix
    Allow what should get in with `StringEquals`/`StringLike`; use negated tests only to carve
    exceptions out of an already narrow allow.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    id = "OIDC206"
    name = "negated-subject-only"
    level = Level.ERROR
    summary = "The only subject restriction is StringNotEquals/StringNotLike"
    tags = ("security", "oidc")
    security_severity = 8.1

    def check(self, graph):
        for trust in graph.shared_issuer_trusts():
            issuer = trust.issuer
            conditions = trust.subject_conditions()
            if any(restricts(c) for c in conditions):
                continue
            negations = [c for c in conditions if negated(c)]
            if not negations:
                continue
            condition = negations[0]
            yield self.finding(
                condition.key,
                f"`{condition.operator}` on `{condition.key}` only excludes "
                + ", ".join(f"`{render(v)}`" for v in condition.values)
                + f"; every other subject on {issuer.title} can assume {trust.role.address}.",
                trust=trust,
                fix="Add a positive `StringEquals`/`StringLike` condition naming who may assume the role.",
            )
