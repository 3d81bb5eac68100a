"""Valid workflows get no note: every form the workflow syntax reference documents (triggers as
one event, a list or a mapping; filters as a string or a list; `schedule` as a list of crons;
`permissions` as read-all, write-all or a mapping; `environment` as a name or a mapping;
`runs-on`, `needs`, `concurrency`, `container`, `strategy` in each of their forms; reusable
workflows and composite actions) is read without a diagnostic.
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
"""

from __future__ import annotations

from pathlib import Path

from oidclint.engine import scan
from oidclint.readers.workloads.github_actions import parse_workflows
from oidclint.source import SourceFile

VALID = Path(__file__).parent / "data" / "workflow-syntax"


def test_valid_workflows_give_no_diagnostic():
    report = scan([VALID], root=VALID, repository="acme/api", prefilter=False)
    assert report.diagnostics == []


def test_every_valid_workflow_is_read():
    files = sorted(p for p in VALID.rglob("*.yml") if p.parent != VALID or p.name == "action.yml")
    sources = [SourceFile(str(p.relative_to(VALID)), p, p.read_text()) for p in files]
    inventory = parse_workflows(sources)
    assert inventory.diagnostics == []
    names = sorted(w.name for w in inventory.workloads)
    assert names == [
        "jobs.yml job apply step 1",
        "jobs.yml job apply step 2 → ./.github/actions/aws-login",
        "jobs.yml job call-local → reusable.yml job deploy",
        "on-list.yml job deploy",
        "on-mapping.yml job deploy",
        "on-string.yml job deploy",
        "scheduled.yml job drift",
    ]
    # Each was read whole: its triggers and conditions give it the runs the workflow means.
    contexts = {w.name: sorted(c.label for c in w.contexts) for w in inventory.workloads}
    assert contexts["on-string.yml job deploy"] == ["push to main"]
    assert contexts["on-list.yml job deploy"] == [
        "push to any branch or tag", "workflow_dispatch on any branch"]
    assert contexts["jobs.yml job call-local → reusable.yml job deploy"] == [
        "environment production"]
    assert contexts["scheduled.yml job drift"] == [
        "push of tag 1", "push to 2024", "schedule (default branch unknown)"]
    # Pushes to main name `inputs.stage || 'staging'`, which is staging outside a dispatch.
    assert contexts["on-mapping.yml job deploy"] == [
        "other events, environment staging", "workflow_dispatch, environment production",
        "workflow_dispatch, environment staging"]
