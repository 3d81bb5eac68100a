"""The sample stacks: each README's findings table is exactly what a scan reports, and the
rendered text and SARIF of all of them are snapshots, so a change in output shows in review.

Refresh the snapshots with OIDCLINT_UPDATE_SNAPSHOTS=1 after an intended change.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO, SAMPLES, check_snapshot
from oidclint.engine import scan
from oidclint.reporters import FORMATS

STACKS = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
SNAPSHOTS = Path(__file__).parent / "snapshots"
ROW = re.compile(
    r"^\| (OIDC\d{3}) [a-z0-9-]+ \((?:error|warning|note)\)[^|]* \| `([^`]+)` \| (?:`([^`]+)`|—) \|$",
    re.M,
)
"""A findings row; `—` in the resource column is a finding without a resource address (a
workflow job, a GitLab CI job, a Kubernetes manifest)."""
REPOSITORY = re.compile(r"--repository[ =]([\w.-]+/[\w./-]*[\w-])")
"""The repository a stack's README says to scan it with, for GitHub and GitLab subjects."""
TREE_REPOSITORY = "acme/payments-api"
"""The repository of the whole-tree scan: every workload stack that needs one uses it."""


def readme_findings(stack: Path) -> Counter:
    text = (stack / "README.md").read_text()
    section = text.split("**Findings oidclint reports.**", 1)[1]
    return Counter((rule, path, address or None) for rule, path, address in ROW.findall(section))


def readme_repository(stack: Path) -> str | None:
    match = REPOSITORY.search((stack / "README.md").read_text())
    return match[1] if match else None


@pytest.mark.parametrize("stack", STACKS, ids=[s.name for s in STACKS])
def test_readme_states_exactly_what_the_scan_reports(stack):
    report = scan([stack], root=stack, repository=readme_repository(stack))
    assert report.diagnostics == []
    found = Counter((f.rule_id, f.span.path, f.address) for f in report.findings)
    assert found == readme_findings(stack)


def test_there_are_good_and_broken_stacks_of_both_formats():
    assert len(STACKS) >= 8
    clean = [s for s in STACKS if not readme_findings(s)]
    assert clean, "at least one stack is done right"
    assert any(list(s.glob("*.tf")) for s in STACKS) and any(list(s.glob("*.yaml")) for s in STACKS)


def rendered(fmt: str) -> str:
    report = scan([SAMPLES], root=REPO, repository=TREE_REPOSITORY)
    report.duration = 0  # the time taken differs between runs; 0 leaves it out
    text = FORMATS[fmt](report, color=False)
    if fmt == "sarif":
        log = json.loads(text)
        log["runs"][0].pop("originalUriBaseIds", None)  # the machine's own path
        text = json.dumps(log, indent=2, sort_keys=True) + "\n"
    return text


@pytest.mark.parametrize("fmt, name", [("text", "sample_stacks.txt"), ("sarif", "sample_stacks.sarif")])
def test_output_snapshots(fmt, name):
    check_snapshot(SNAPSHOTS / name, rendered(fmt))


def test_sample_stacks_sarif_is_valid_against_the_sarif_schema():
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.schema.json").read_text())
    log = json.loads(FORMATS["sarif"](scan([SAMPLES], root=REPO, repository=TREE_REPOSITORY)))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert log["runs"][0]["results"], "the sample stacks have findings"
