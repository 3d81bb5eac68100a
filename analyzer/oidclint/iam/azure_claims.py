"""Azure flexible federated identity credentials: the claims matching expression.

A flexible federated identity credential (preview) replaces the exact ``subject`` with
``claimsMatchingExpression`` (language version 1): tests of the form
``claims['<name>'] <operator> '<comparand>'``, the operator separated by single spaces, the
comparand in single quotes, joined with ``and``. ``eq`` matches exactly; ``matches`` takes
``?`` for one character and ``*`` for any run. Entra reads it for GitHub (``sub``,
``job_workflow_ref``), GitLab and Terraform Cloud (``sub``) issuers, on applications only
(docs/facts.md, "Azure federated identity credentials"):
https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials

Anything else in an expression is ``NotUnderstood``. Evaluation over partly known claims is
three-valued, as in ``iam.google_cel``: ``True``/``False`` when the known text decides,
``None`` otherwise. Wildcards are those of ``iam.patterns`` (``*`` any run, ``?`` one
character, case-sensitive), so the rules can read a ``sub`` pattern with the subject
grammars of the issuers (``Pattern.shape``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from oidclint.iam.google_cel import NotUnderstood
from oidclint.iam.holes import between, with_holes
from oidclint.iam.patterns import Pattern, glob_matches, may_intersect
from oidclint.source import Partial, Text, Unknown

LANGUAGE_VERSION = 1
OPERATORS = ("eq", "matches")
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
SUPPORTED_CLAIMS = (
    (GITHUB_ISSUER, frozenset({"sub", "job_workflow_ref"})),
    ("https://gitlab.com", frozenset({"sub"})),
    ("https://gitlab.*.com", frozenset({"sub"})),
    ("https://gitlab.*.ca", frozenset({"sub"})),
    ("https://app.terraform.io", frozenset({"sub"})),
    ("https://app.eu.terraform.io", frozenset({"sub"})),
)
"""Issuers (globs over the issuer URL) Entra reads flexible credentials for, and the claims
each may test; every claim takes ``eq`` and ``matches``."""

_TEST = re.compile(r"claims\['(?P<claim>[A-Za-z0-9_]+)'\] (?P<operator>[a-z]+) '")


@dataclass(frozen=True, slots=True)
class ClaimTest:
    """One test: a claim, ``eq`` or ``matches``, and the comparand (text, or partly known
    when the expression was built with an input); ``position`` is its offset."""

    claim: str
    operator: str
    comparand: Text
    position: int

    @property
    def pattern(self) -> Pattern | None:
        """The comparand as an ``iam.patterns`` pattern: a glob for ``matches``, exact text
        for ``eq``; ``None`` when not known at all."""
        return Pattern.of(self.comparand, glob=self.operator == "matches")


@dataclass(frozen=True, slots=True)
class ClaimsExpression:
    text: str
    tests: tuple[ClaimTest, ...]

    def tests_of(self, claim: str) -> list[ClaimTest]:
        return [test for test in self.tests if test.claim == claim]


def parse(text: str | Partial) -> ClaimsExpression | NotUnderstood:
    """The expression's tests, or why it is not read. Unknown pieces of a ``Partial`` text
    are read inside comparands only."""
    read = with_holes(text)
    if read is None:
        return NotUnderstood("the expression is not known", 0)
    source, unknowns = read
    tests: list[ClaimTest] = []
    pos = 0
    while True:
        found = _TEST.match(source, pos)
        if found is None:
            return NotUnderstood("expected claims['<name>'] eq|matches '<value>', with single "
                                 "spaces around the operator", pos)
        if found["operator"] not in OPERATORS:
            return NotUnderstood(f"operator {found['operator']!r} is not eq or matches",
                                 found.start("operator"))
        end = source.find("'", found.end())
        if end < 0:
            return NotUnderstood("unterminated comparand", found.end() - 1)
        tests.append(ClaimTest(found["claim"], found["operator"],
                               between(source, found.end(), end, unknowns), found.start()))
        pos = end + 1
        if pos == len(source):
            return ClaimsExpression(source, tuple(tests))
        if not source.startswith(" and ", pos):
            return NotUnderstood("expected ' and ' between tests, or the end", pos)
        pos += len(" and ")


def unsupported(expression: ClaimsExpression, issuer: str) -> list[str]:
    """What Entra does not read in the expression for this issuer: each test of a claim the
    issuer's flexible credentials cannot test, or every test when the issuer is not one of
    ``SUPPORTED_CLAIMS``."""
    claims = next((allowed for pattern, allowed in SUPPORTED_CLAIMS
                   if glob_matches(pattern, issuer)), None)
    if claims is None:
        return [f"flexible credentials are not read for the issuer {issuer}"]
    return [f"claim {test.claim!r} cannot be tested for {issuer} (only "
            f"{', '.join(sorted(claims))})" for test in expression.tests
            if test.claim not in claims]


def _test_holds(test: ClaimTest, value: Any) -> bool | None:
    pattern = test.pattern
    if pattern is None or isinstance(value, Unknown):
        return None
    if isinstance(value, str) and pattern.known:
        return pattern.matches(str(value))
    if not isinstance(value, (str, Partial)):
        return False  # a list or a number is not the text compared
    if may_intersect(Pattern.of(value, glob=False), pattern) is False:
        return False  # its known text rules the comparand out, whatever the rest is
    if isinstance(value, Partial) and pattern.known and pattern.glob \
            and pattern.text.endswith("*") and not Pattern(pattern.text[:-1]).has_wildcard \
            and value.known_prefix.startswith(pattern.text[:-1]):
        return True  # `prefix*` and a value whose known start is that prefix
    return None


def admits(expression: ClaimsExpression, claims: Mapping[str, Any],
           closed: bool = True) -> bool | None:
    """Whether every test holds for a token's claims (text, ``Partial`` or ``Unknown``). A
    claim the token does not carry fails its test; with ``closed`` false, a claim not listed
    is not known instead."""
    verdict: bool | None = True
    for test in expression.tests:
        if test.claim not in claims:
            if closed:
                return False
            verdict = None
            continue
        holds = _test_holds(test, claims[test.claim])
        if holds is False:
            return False
        if holds is None:
            verdict = None
    return verdict
