"""Every rule over every fixture: the exact set of (rule, file, resource) each scan reports,
as `expected.yaml` states it, and everything it says about them (level, line and column,
message) as the fixture's `findings.snap` holds it.

`expected.yaml` is written by hand and says what the fixture is about; `findings.snap` is
written by the test: refresh every snapshot with OIDCLINT_UPDATE_SNAPSHOTS=1 after an
intended change of wording or position, and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, check_snapshot
from oidclint.engine import all_rules, scan
from oidclint.model import Report

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.yaml"))


def scanned(folder: Path) -> Report:
    options = yaml.safe_load((folder / "expected.yaml").read_text()) or {}
    report = scan([folder], root=folder, repository=options.get("repository"),
                  immutable_repositories=options.get("immutable_subjects", ()),
                  var_files=[folder / name for name in options.get("var_files", ())])
    # Diagnostics a fixture expects are listed under `notes` (a part of each message).
    expected = list(options.get("notes", ()))
    unexpected = [d for d in report.diagnostics
                  if not any(text in d.message for text in expected)]
    assert not unexpected, unexpected
    assert all(any(text in d.message for d in report.diagnostics) for text in expected), \
        report.diagnostics
    return report


def snapshot_of(report: Report) -> str:
    """Each finding as a reviewer reads it: rule, level, position, resource, then the
    message and its related locations, indented."""
    lines = []
    for finding in sorted(report.findings, key=lambda f: f.sort_key):
        span = finding.span
        lines.append(f"{finding.rule_id} {finding.level.value} {span.path}:{span.line}:"
                     f"{span.column} {finding.address or '-'}")
        lines += [f"    {line}".rstrip() for line in finding.message.split("\n")]
        for related in finding.related:
            lines.append(f"    -> {related.span.path}:{related.span.line}:{related.span.column}"
                         f" {related.label}".rstrip())
    return "\n".join(lines) + "\n" if lines else ""


def expected_of(folder: Path) -> set[tuple[str, str, str | None]]:
    data = yaml.safe_load((folder / "expected.yaml").read_text()) or {}
    return {(e["rule"], e["path"], e.get("address")) for e in data.get("findings") or []}


@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_fixture(folder):
    report = scanned(folder)
    assert {(f.rule_id, f.span.path, f.address) for f in report.findings} == expected_of(folder)
    check_snapshot(folder / "findings.snap", snapshot_of(report))


def test_every_rule_has_positive_and_negative_fixtures():
    for rule in all_rules():
        cases = [p.name for p in CASES if p.parent.name == rule.id]
        assert any(c.startswith("positive") for c in cases), f"{rule.id} has no positive fixture"
        assert any(c.startswith("negative") for c in cases), f"{rule.id} has no negative fixture"
        positives = [p for p in CASES if p.parent.name == rule.id and p.name.startswith("positive")]
        assert all(rule.id in {e[0] for e in expected_of(p)} for p in positives), rule.id


def test_a_trust_written_four_ways_gives_the_same_findings():
    ways = sorted((FIXTURES / "four-ways").iterdir())
    assert len(ways) == 4
    results = {way.name: sorted({(f.rule_id, f.level.value) for f in scan([way], root=way).findings})
               for way in ways}
    first = next(iter(results.values()))
    assert first, "the four-ways trust is meant to be flawed"
    assert all(r == first for r in results.values()), results


def test_one_mistake_reached_four_ways_is_found_each_way():
    """`repo:acme/*` set through a local module, a registry module (built-in model), a
    for_each map and a tfvars value: each way reports it, on the instance that has it."""
    paths = sorted((FIXTURES / "one-mistake-four-paths").iterdir())
    assert [p.name for p in paths] == ["for-each-map", "local-module", "registry-module",
                                       "tfvars"]
    found = {}
    for path in paths:
        report = scan([path], root=path)
        assert not report.diagnostics, report.diagnostics
        found[path.name] = {(f.address, f.span.path, f.evidence.get("fingerprint"))
                            for f in report.findings if f.rule_id == "OIDC204"}
    assert found == {
        "for-each-map": {('aws_iam_role.deploy["deploy"]', "main.tf", "repo:acme/*")},
        # The whole list is passed by the caller, so the value is written there.
        "local-module": {("module.deploy_role.aws_iam_role.this", "main.tf", "repo:acme/*")},
        "registry-module": {("module.deploy_role.aws_iam_role.this[0]", "main.tf",
                             "repo:acme/*")},
        "tfvars": {("aws_iam_role.deploy", "terraform.tfvars", "repo:acme/*")},
    }
