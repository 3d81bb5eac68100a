from __future__ import annotations

from oidclint.iam.claims import issuer_fits
from oidclint.iam.conditions import EXACT_OPERATORS
from oidclint.iam.patterns import glob_covers
from oidclint.model import Condition, Fix, Level
from oidclint.policy_edits import (
    Places, has_wildcard, is_map_key, literal_values, operators_of, renamed,
)
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

    `oidclint scan --fix` renames `StringEquals` to `StringLike` where it is written in the
    statement, only when every value with a wildcard is on `sub` and each value there is a
    subject the workloads that assume the role present (`push` to any branch:
    `repo:acme/api:ref:refs/heads/*`), in every context of every one: the trust then admits
    those workloads and no one else. With no linked workload, a workload whose role or
    subject is not known, a link that is not certain, or a pattern wider than the workloads
    run, the pattern is a person's choice, and nothing is changed. Nor is it when the map
    already has a `StringLike` key.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    id = "OIDC106"
    name = "wildcard-in-exact-match"
    level = Level.ERROR
    summary = "A * or ? appears in a value of a StringEquals-family operator"
    tags = ("correctness", "iam")

    def check(self, graph):
        places = Places(graph.web_identity_trusts(allowing=False), graph.line)
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
                    autofix=glob_operator(graph, places, trust, condition),
                )


def glob_operator(graph, places: Places, trust, condition: Condition) -> Fix | None:
    """``StringEquals`` becomes ``StringLike`` where, in every statement written there, each
    value of a wildcard's claim is a subject some linked workload presents: the trust then
    admits those workloads and no one else. Values without a wildcard test the same under
    either operator.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """
    operator, span = condition.operator, places.operator(trust, condition)
    if not isinstance(operator, str) or str(operator) != "StringEquals" or span is None:
        return None
    if span not in places.fixes:
        places.fixes[span] = _glob_operator(graph, places, span)
    return places.fixes[span]


def _glob_operator(graph, places: Places, span) -> Fix | None:
    sharing = places.under_operator(span)
    for other, shared in sharing:
        values = literal_values(shared)
        if values is None or shared.qualifier:
            return None
        if not any(has_wildcard(v) for v in values):
            continue
        subjects = _linked_subjects(graph, other) if shared.claim == "sub" else None
        if subjects is None or not all(any(glob_covers(s, v) for s in subjects)
                                       for v in values):
            return None
    edit = renamed(span, graph.written(span), "StringEquals", "StringLike")
    if edit is None:
        return None
    if is_map_key(graph.line(span.path, span.line), span) and any(
            "stringlike" in operators_of(other.statement) for other, _ in sharing):
        return None  # the map has that key already: two keys of one name
    return Fix("Use `StringLike`: the patterns admit the linked workloads only.", (edit,))


def _linked_subjects(graph, trust) -> list[str] | None:
    """Every subject (a glob where a context stands for many refs) the workloads that assume
    the trust's role present, in every context; ``None`` when that is not all known: no
    workload, a link not certain, a role not known, a subject not known."""
    role, workloads = trust.role, []
    for workload in graph.inventory.workloads:
        link = graph.link(workload)
        if any(r is role for r in link.roles):
            if not link.certain or not issuer_fits(workload, trust.issuer):
                return None
            workloads.append(workload)
    if not workloads or graph.unresolved_links():
        return None
    subjects = []
    for workload in workloads:
        for token in graph.tokens(workload):
            subject = token.subject
            if subject is None or not subject.known \
                    or not subject.glob and has_wildcard(subject.text):
                return None  # an exact subject with `*` in it would read as a glob
            subjects.append(subject.text)
    return subjects
