"""A stable JSON document of the findings, for scripts and snapshots.

Strings are written as they are, JSON-escaped; the document is ASCII. A file name that is not
UTF-8 keeps each byte that is not as the lone surrogate U+DC80-U+DCFF that stands for it
(Python's ``surrogateescape``): the byte 0xFF of ``\xff\xfebad.tf`` is written
``\udcff``, and ``os.fsencode(path)`` of the decoded string gives back the name's bytes.

The module is not called ``json`` because importing a submodule binds it as an attribute of
its package: ``oidclint.reporters.json`` would then shadow any ``import json`` in the package
``__init__``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from typing import Any

from oidclint.model import Diagnostic, Finding, Level, Report
from oidclint.findings import fingerprint, printable
from oidclint.reporters import sorted_diagnostics, sorted_findings
from oidclint.source import Choice, Partial, Span, Unknown


def render(report: Report, *, color: bool = False) -> str:
    """The report as JSON (``color`` is ignored)."""
    return json.dumps(document(report), indent=2, sort_keys=True) + "\n"


def document(report: Report) -> dict[str, Any]:
    findings = sorted_findings(report)
    doc: dict[str, Any] = {
        "version": report.version,
        "files_scanned": report.files_scanned,
        "files_parsed": report.files_scanned - report.files_skipped,
        "files_cached": report.files_cached,
        "findings": [_finding(f, report) for f in findings],
        "diagnostics": [_diagnostic(d) for d in sorted_diagnostics(report)],
        "summary": {level.value: sum(f.level == level for f in findings
                                     if f.suppression is None) for level in Level},
        "suppressed": sum(f.suppression is not None for f in findings),
        "baselined": report.baselined,
        "unresolved_links": sorted(printable(u) for u in report.unresolved),
    }
    if report.root:
        doc["root"] = report.root
    return doc


def _finding(finding: Finding, report: Report) -> dict[str, Any]:
    span = finding.span
    rule = next((r for r in report.rules if r.id == finding.rule_id), None)
    return {
        "rule_id": finding.rule_id,
        "rule_name": rule.name if rule else None,
        "level": finding.level.value,
        "message": finding.message,
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "address": finding.address,
        "fix": finding.fix,
        "related": [
            {"path": r.span.path, "line": r.span.line, "column": r.span.column, "label": r.label}
            for r in finding.related
        ],
        "evidence": plain(finding.evidence),
        "fingerprint": fingerprint(finding),
        "suppression": None if finding.suppression is None else {
            "justification": finding.suppression.justification,
            "path": finding.suppression.span.path if finding.suppression.span else None,
            "line": finding.suppression.span.line if finding.suppression.span else None,
        },
    }


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": diagnostic.path,
        "message": diagnostic.message,
        "level": diagnostic.level.value,
    }
    if diagnostic.span is not None:
        out["line"] = diagnostic.span.line
        out["column"] = diagnostic.span.column
    if diagnostic.internal:
        out["internal"] = True  # oidclint itself failed: the command exits 2
    return out


def plain(value: Any) -> Any:
    """Evidence as JSON data: located strings become strings, unknowns their ``${origin}``.

    Rules may put any model value in their evidence; whatever has no JSON form is written as
    its ``str`` rather than failing the whole report.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (Unknown, Partial, Choice)):
        return str(value)
    if isinstance(value, Span):
        return {
            "path": value.path,
            "line": value.line,
            "column": value.column,
            "end_line": value.end_line,
            "end_column": value.end_column,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return str(value)
