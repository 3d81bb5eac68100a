"""One scan: discover files, parse them, build the graph, run the rules, collect a report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

from oidclint import __version__
from oidclint.discovery import discover
from oidclint.graph import TrustGraph
from oidclint.model import Diagnostic, Finding, Inventory, Level, Report
from oidclint.parsers.cloudformation import parse_cloudformation
from oidclint.parsers.terraform import parse_terraform
from oidclint.rule import Rule


def all_rules() -> list[Rule]:
    from oidclint_rules import ALL_RULES

    return [rule() for rule in ALL_RULES]


def parse(files) -> Inventory:
    inventory = Inventory()
    terraform = [f for f in files if f.kind == "terraform"]
    found = parse_terraform(terraform)
    _default_scope(found, lambda path: path.rsplit("/", 1)[0] if "/" in path else ".")
    inventory.extend(found)
    for file in files:
        if file.kind != "structured" or "Resources" not in file.text:
            continue
        template = parse_cloudformation(file)
        if template is not None:
            _default_scope(template, lambda path: path)
            inventory.extend(template)
    inventory.files.extend(f.path for f in files)
    return inventory


def _default_scope(inventory: Inventory, scope_of) -> None:
    for item in (*inventory.providers, *inventory.roles, *inventory.policies):
        if not item.scope and item.span is not None:
            item.scope = scope_of(item.span.path)


def run_rules(graph: TrustGraph, rules: Iterable[Rule]) -> tuple[list[Finding], list[Diagnostic]]:
    findings: list[Finding] = []
    problems: list[Diagnostic] = []
    for rule in rules:
        try:
            findings.extend(rule.check(graph))
        except Exception as exc:  # a rule bug must not hide every other finding
            problems.append(Diagnostic("", f"rule {rule.id} failed: {exc!r}", Level.ERROR))
    unique = {(f.rule_id, f.span, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: f.sort_key), problems


def scan(paths: Sequence[str | Path], *, root: str | Path | None = None,
         rules: Sequence[Rule] | None = None) -> Report:
    """Scan files and folders; the public entry point behind ``oidclint scan``."""
    started = time.perf_counter()
    found = discover([Path(p) for p in paths], Path(root) if root else None)
    inventory = parse(found.files)
    inventory.diagnostics[:0] = found.diagnostics
    graph = TrustGraph(inventory)
    rules = list(rules) if rules is not None else all_rules()
    findings, problems = run_rules(graph, rules)
    inventory.diagnostics.extend(problems)
    return Report(
        root=str(found.root),
        findings=findings,
        diagnostics=sorted(inventory.diagnostics, key=lambda d: (d.path, d.message)),
        files_scanned=len(found.files),
        rules=[rule.info() for rule in rules],
        version=__version__,
        duration=time.perf_counter() - started,
    )
