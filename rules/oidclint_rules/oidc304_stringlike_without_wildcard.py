from __future__ import annotations

from oidclint.model import Condition, Fix, Level
from oidclint.policy_edits import (
    Places, has_wildcard, is_map_key, literal_values, operators_of, renamed,
)
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

    `oidclint scan --fix` renames the operator where it is written in the statement (the
    `test` of a policy document's `condition` block, the key of a JSON, YAML or `jsonencode`
    map), when no value under it has a wildcard, so the same tokens pass. It leaves the
    operator alone when another value under it is a pattern, when the statement's
    `Condition` map already has the `StringEquals` key (a second one would be a duplicate
    key), and when the operator comes from a variable or a map other statements share.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    id = "OIDC304"
    name = "stringlike-without-wildcard"
    level = Level.NOTE
    summary = "StringLike used for an exact value"
    tags = ("style", "iam")

    def check(self, graph):
        places = Places(graph.web_identity_trusts(allowing=False), graph.line)
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
                    autofix=exact_operator(graph, places, trust, condition),
                )


def exact_operator(graph, places: Places, trust, condition: Condition) -> Fix | None:
    """``StringLike`` becomes ``StringEquals`` (``StringNotLike`` ``StringNotEquals``,
    ``IfExists`` kept) where no value under the operator, in any statement written there, has
    a wildcard: a pattern without one matches only itself, so nothing passes that did not.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """
    operator, span = condition.operator, places.operator(trust, condition)
    if not isinstance(operator, str) or span is None:
        return None
    if span not in places.fixes:
        places.fixes[span] = _exact_operator(graph, places, span, str(operator))
    return places.fixes[span]


def _exact_operator(graph, places: Places, span, operator: str) -> Fix | None:
    exact = operator.replace("Like", "Equals", 1)
    # Every condition written under this operator: the other claims of its map, and the
    # same text read again for another instance (a module called twice, `for_each`).
    sharing = places.under_operator(span)
    for _, other in sharing:
        values = literal_values(other)
        if other.qualifier or values is None or any(has_wildcard(v) for v in values):
            return None
    edit = renamed(span, graph.written(span), operator, exact)
    if edit is None:
        return None
    if is_map_key(graph.line(span.path, span.line), span) and any(
            exact.lower() in operators_of(other.statement) for other, _ in sharing):
        return None  # the map has that key already: two keys of one name
    return Fix(f"Use `{exact}` for exact values.", (edit,))
