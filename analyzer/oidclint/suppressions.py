"""Suppressions: findings a person has looked at and accepted, with the reason.

Written in the source as ``oidclint: ignore[OIDC204] reason`` in a comment (``#`` in HCL and
YAML, ``//`` or ``/* */`` in HCL), on the flagged line, on the line above it, or on the line
above the resource block that holds it; several ids are separated by commas, and rule names
work as well as ids. CloudFormation templates (JSON has no comments) use the resource's
``Metadata: {oidclint: {ignore: [{id: OIDC204, reason: ...}]}}``, read by the template parser
into ``Inventory.suppressions``.

A suppressed finding stays in the report, marked (SARIF ``suppressions`` of kind
``inSource``, so code scanning shows it as dismissed); a suppression that matches no finding
is reported as a note, so stale ones do not pile up.
"""

from __future__ import annotations

import re

from oidclint.model import Diagnostic, Directive, Finding, Inventory, Level, Suppression
from oidclint.source import SourceFile, Span

_COMMENT = re.compile(
    r"(?:#|//|/\*)\s*oidclint:\s*ignore\[(?P<ids>[^\]]*)\](?P<reason>[^\n]*?)\s*(?:\*/\s*)?$",
    re.M,
)
# A top-level HCL block (`resource "a" "b" {`, `data "x" "y" {`, `module "m" {`, `locals {`):
# `terraform fmt` writes it from the first column.
_HCL_BLOCK = re.compile(r'^[A-Za-z_][\w-]*(?:\s+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*\s*\{')


def comment_directives(files: list[SourceFile]) -> list[Directive]:
    """Every ``oidclint: ignore[...]`` comment in the scanned files."""
    found = []
    for file in files:
        if "oidclint:" not in file.text:
            continue
        lines = file.text.split("\n")
        blocks = [n for n, text in enumerate(lines, 1) if _HCL_BLOCK.match(text)] \
            if file.path.endswith(".tf") else []
        for match in _COMMENT.finditer(file.text):
            line = file.text.count("\n", 0, match.start()) + 1
            column = match.start() - (file.text.rfind("\n", 0, match.start()) + 1) + 1
            rules = frozenset(r.strip() for r in match["ids"].split(",") if r.strip())
            reason = match["reason"].strip().lstrip("-:").strip()
            last = None
            if line + 1 in blocks:
                later = [n for n in blocks if n > line + 1]
                last = later[0] - 1 if later else len(lines)
            found.append(Directive(rules, reason, Span(file.path, line, column, line,
                                                       column + len(match[0])), last_line=last))
    return found


def apply(findings: list[Finding], directives: list[Directive], names: dict[str, str],
          inventory: Inventory) -> list[Diagnostic]:
    """Mark the findings the directives cover; notes for directives that cover nothing."""
    blocks = _block_lines(inventory)
    for finding in findings:
        lines = blocks.get((finding.span.path, finding.address), set())
        for directive in directives:
            if directive.covers(finding, names.get(finding.rule_id, ""), lines):
                directive.used = True
                finding.suppression = Suppression(
                    directive.reason or "suppressed without a reason", directive.span)
                break
    unknown = set(names) | set(names.values())
    notes = []
    for directive in directives:
        if directive.used:
            continue
        strange = sorted(directive.rules - unknown)
        why = (f"names no rule oidclint has ({', '.join(strange)})" if strange
               else "matches no finding; remove it")
        notes.append(Diagnostic(directive.span.path,
                                f"suppression ignore[{', '.join(sorted(directive.rules))}] {why}",
                                Level.NOTE, span=directive.span))
    return notes


def _block_lines(inventory: Inventory) -> dict[tuple[str, str | None], set[int]]:
    """(file, address) -> the first line of each block that declares it."""
    lines: dict[tuple[str, str | None], set[int]] = {}
    items = (*inventory.roles, *inventory.providers, *inventory.policies, *inventory.workloads)
    for item in items:
        span = getattr(item, "span", None)
        address = getattr(item, "address", None) or getattr(item, "name", None)
        if span is not None:
            lines.setdefault((span.path, address), set()).add(span.line)
    return lines
