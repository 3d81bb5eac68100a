"""Every rule, ``explain``, the graph exports and the reporters over generated graphs.

The fixtures show what each rule says about code someone wrote; these tests check the contract
every rule keeps whatever the graph holds (generated_graphs.py says what it may hold). Nothing
raises, every finding points somewhere and says something in words (never a Python repr, never
the internal unknown marker), and the same graph gives the same report. What the generated
graphs assume of the readers, that every resource and workload has a location, is checked on
the fixtures and sample stacks.
"""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SAMPLES
from every_rule import LEAKS, RULES, run_every_rule
from generated_graphs import ODD, SETTINGS, SUBJECTS, graph_of, pick, scans
from oidclint.engine import build_graph, run_rules
from oidclint.explain import Request, explain_role, explain_workload
from oidclint.graph import TrustGraph
from oidclint.model import Finding, Report
from oidclint.reporters import FORMATS
from oidclint.reporters.graph import linked_view, to_dot, to_json, to_mermaid
from oidclint.source import Span


INFOS = [rule.info() for rule in RULES]
NO_ROOT = str(Path(__file__).resolve().parent / "no-such-scan-root")
"""Reports name a root the text reporter reads source lines from; there are none here."""


def report_of(findings: list[Finding]) -> Report:
    return Report(root=NO_ROOT, findings=findings, diagnostics=[], files_scanned=1, rules=INFOS,
                  version="0")


def rendered(graph: TrustGraph) -> dict[str, str]:
    report = report_of(run_every_rule(graph))
    return {name: write(report) for name, write in FORMATS.items()}


CLAIMS_GIVEN = st.dictionaries(pick(["sub", "aud", "amr", "repository",
                                     "token.actions.githubusercontent.com:sub"]),
                               pick(sum(SUBJECTS.values(), []) + ODD), max_size=3)


@SETTINGS
@given(scans(), CLAIMS_GIVEN, pick([None, "token.actions.githubusercontent.com", "gitlab.com"]))
def test_rules_explain_and_graph_exports_never_raise_or_leak(scan, claims, issuer):
    graph = graph_of(scan)
    direct = run_every_rule(graph)
    # As a scan runs them: each through the view that watches what it is on.
    findings, problems = run_rules(graph, RULES)
    assert problems == []
    assert {key(f) for f in findings} == {key(f) for f in direct}
    for role in graph.roles:
        text = explain_role(graph, role, Request(claims, issuer)).text
        assert not LEAKS.search(text), text
    for workload in graph.workloads:
        text = explain_workload(graph, workload).text
        assert not LEAKS.search(text), text
    view = linked_view(graph)
    for text in (to_dot(view), to_mermaid(view), to_json(view)):
        assert not LEAKS.search(text), text


def key(finding: Finding) -> tuple:
    return finding.rule_id, finding.span, finding.message, finding.address


@settings(SETTINGS, max_examples=60)
@given(scans())
def test_reports_are_the_same_for_the_same_graph(scan):
    """Every reporter's output, for a graph built twice (the second time from a copy, so that
    nothing may depend on where objects happen to be in memory)."""
    first = rendered(graph_of(scan))
    assert first == rendered(graph_of(copy.deepcopy(scan)))


def test_readers_give_every_resource_and_workload_a_location():
    """What the generated graphs assume: a finding falls back on the resource or workload it
    is about, so a rule always has a place to point at (``Rule.finding``) as long as the
    readers locate every one of them. Statements, conditions and values may lack a location."""
    graph, _, _ = build_graph([FIXTURES, SAMPLES], jobs=1)
    inventory = graph.inventory
    assert inventory.roles and inventory.providers and inventory.workloads
    resources = [*inventory.roles, *inventory.providers, *inventory.clusters,
                 *inventory.policies, *inventory.identity_pools, *inventory.workloads]
    assert [r for r in resources if not isinstance(r.span, Span)] == []
