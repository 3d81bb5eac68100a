"""Every rule run over a graph, each finding checked as it comes: it is a finding of that rule,
points somewhere and says something in words, never Python's rendering of a model object nor
the internal unknown marker. What the property tests of the rules share."""

from __future__ import annotations

import re

from oidclint.engine import all_rules
from oidclint.graph import TrustGraph
from oidclint.model import Diagnostic, Finding, Level
from oidclint.source import Span


RULES = all_rules()


LEAKS = re.compile(
    r"Str\(|Partial\(|Unknown\(|Choice\(|Span\(|Condition\(|Statement\(|<oidclint\.|<function"
    r"|\{'|\['|\bNone\b|Level\.|\x00"
)
"""Python's own rendering of model objects and containers, ``None`` where a name belongs, and
``iam.patterns.UNKNOWN``: none of it is for a person to read. (No generated string contains
these, so any occurrence comes from the code.)"""


def run_every_rule(graph: TrustGraph) -> list[Finding]:
    findings = []
    for rule in RULES:
        try:
            found = list(rule.check(graph))
        except Exception as exc:
            raise AssertionError(f"{rule.id} raised {exc!r}") from exc
        for finding in found:
            if isinstance(finding, Diagnostic):  # a value the rule could not decide
                assert isinstance(finding.span, Span) and not LEAKS.search(finding.message)
                continue
            assert finding.rule_id == rule.id
            assert isinstance(finding.level, Level)
            assert isinstance(finding.span, Span), (rule.id, finding.message)
            assert finding.message.strip(), rule.id
            texts = [finding.message, finding.fix or "", *(r.label for r in finding.related)]
            for text in texts:
                assert not LEAKS.search(text), (rule.id, text)
            # JSON and SARIF carry the evidence too (repr writes the marker as \x00).
            assert "\\x00" not in repr(finding.evidence), (rule.id, finding.evidence)
        findings.extend(f for f in found if isinstance(f, Finding))
    return sorted(findings, key=lambda f: f.sort_key)
