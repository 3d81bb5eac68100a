"""SARIF 2.1.0 for GitHub code scanning and every other SARIF consumer.

The log is built from ``sarif-om`` classes and serialised with the SARIF property names their
attrs fields carry. What GitHub reads and how: https://docs.github.com/en/code-security/
code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from oidclint.findings import FINGERPRINT_KEY, fingerprint, name_bytes, printable
from oidclint.model import Diagnostic, Finding, Level, Report, RuleInfo
from oidclint.reporters import (
    INFORMATION_URI, rule_help_uri, sorted_diagnostics, sorted_findings,
)
from oidclint.source import Span

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def render(report: Report, *, color: bool = False) -> str:
    """The report as a SARIF log (``color`` is ignored)."""
    log = build(report)
    return json.dumps(to_json(log), indent=2, sort_keys=True) + "\n"


def build(report: Report) -> om.SarifLog:
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
    notifications = [_notification(d) for d in sorted_diagnostics(report)]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="oidclint",
                semantic_version=report.version,
                information_uri=INFORMATION_URI,
                rules=[_descriptor(rule) for rule in report.rules],
            )
        ),
        results=[_result(f, rule_index) for f in sorted_findings(report)],
        invocations=[
            om.Invocation(
                # The scan went on past files it could not read, so the execution succeeded,
                # unless oidclint itself failed (a rule that raised).
                execution_successful=not report.internal_errors,
                tool_execution_notifications=notifications or None,
            )
        ],
        column_kind="unicodeCodePoints",
        original_uri_base_ids=_base_ids(report.root),
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def _text(text: str) -> str:
    """Text from the scanned tree in a message: controls and the bytes of a file name that
    are not UTF-8 shown as escapes (a lone surrogate is not Unicode; strict JSON readers and
    code scanning's upload refuse it)."""
    return printable(text)


def _descriptor(rule: RuleInfo) -> om.ReportingDescriptor:
    tags = list(dict.fromkeys(rule.tags))  # the schema wants unique tags
    properties: dict[str, Any] = {"precision": "high"}
    if rule.security_severity is not None:
        properties["security-severity"] = f"{rule.security_severity:.1f}"
        # GitHub only treats a rule as a security query (and shows the score) when tagged so.
        if "security" not in tags:
            tags.append("security")
    if tags:
        properties["tags"] = tags
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=_sentence(rule.summary)),
        full_description=om.MultiformatMessageString(
            text=_sentence(rule.section("What it does") or rule.summary)
        ),
        help=om.MultiformatMessageString(text=rule.docs, markdown=rule.docs),
        help_uri=rule_help_uri(rule.id),
        default_configuration=om.ReportingConfiguration(level=rule.level.value),
        properties=properties,
    )


def _result(finding: Finding, rule_index: dict[str, int]) -> om.Result:
    related = [
        _location(r.span, message=r.label, id=i)
        for i, r in enumerate(finding.related, start=1)
    ]
    text = _sentence(_text(finding.message))
    if finding.fix:
        text += "\n\nFix: " + _sentence(_text(finding.fix))
    return om.Result(
        rule_id=finding.rule_id,
        rule_index=rule_index.get(finding.rule_id, -1),
        level=finding.level.value,
        message=om.Message(text=text),
        locations=[
            _location(finding.span, logical=_logical_locations(finding))
        ],
        related_locations=related or None,
        code_flows=_code_flows(finding),
        partial_fingerprints={FINGERPRINT_KEY: fingerprint(finding)},
        suppressions=_suppressions(finding),
        fixes=_fixes(finding),
    )


def _fixes(finding: Finding) -> list[om.Fix] | None:
    """The edits ``scan --fix`` would make, grouped by file (SARIF 2.1.0 §3.55)."""
    if finding.autofix is None:
        return None
    by_path: dict[str, list[om.Replacement]] = {}
    for edit in finding.autofix.edits:
        by_path.setdefault(edit.span.path, []).append(om.Replacement(
            deleted_region=_deleted_region(edit.span),
            inserted_content=om.ArtifactContent(text=edit.replacement)
            if edit.replacement else None))
    return [om.Fix(description=om.Message(text=_sentence(_text(finding.autofix.description))),
                   artifact_changes=[om.ArtifactChange(artifact_location=artifact_location(path),
                                                       replacements=replacements)
                                     for path, replacements in by_path.items()])]


def _deleted_region(span: Span) -> om.Region:
    """The region an edit replaces, its end always written: an absent end column means the
    end of the line (§3.30.8), and an insertion deletes nothing."""
    return om.Region(start_line=span.line, start_column=span.column, end_line=span.end_line,
                     end_column=span.end_column)


def _suppressions(finding: Finding) -> list[om.Suppression] | None:
    """A suppressed finding stays in the log as suppressed in source, with its reason, so
    code scanning shows the alert as dismissed instead of losing it."""
    if finding.suppression is None:
        return None
    where = finding.suppression.span
    return [om.Suppression(kind="inSource",
                           justification=_text(finding.suppression.justification),
                           location=_location(where) if where else None)]


def _code_flows(finding: Finding) -> list[om.CodeFlow] | None:
    """One thread flow, related locations then the primary, when the finding crosses files.

    Within one file the related locations say all there is; a code flow earns its place in
    the UI when the reader has to follow the problem from, say, a provider in one module to
    the role in another.
    """
    if not any(r.span.path != finding.span.path for r in finding.related):
        return None
    steps = [_flow_step(r.span, r.label) for r in finding.related]
    steps.append(_flow_step(finding.span, finding.message))
    return [om.CodeFlow(thread_flows=[om.ThreadFlow(locations=steps)])]


def _flow_step(span: Span, label: str) -> om.ThreadFlowLocation:
    return om.ThreadFlowLocation(location=_location(span, message=label))


def _notification(diagnostic: Diagnostic) -> om.Notification:
    return om.Notification(
        message=om.Message(text=_sentence(_text(diagnostic.message))),
        level=diagnostic.level.value,
        locations=[_location(diagnostic.span, path=diagnostic.path)]
        if diagnostic.span is not None or diagnostic.path
        else None,
    )


def _logical_locations(finding: Finding) -> list[om.LogicalLocation] | None:
    """The resource the finding is about, and the workload whose file it is anchored in."""
    named = ([(finding.address, "resource")] if finding.address else []) + (
        [finding.workload] if finding.workload else [])
    return [om.LogicalLocation(fully_qualified_name=printable(name, newlines=False), kind=kind)
            for name, kind in named] or None


def _location(
    span: Span | None,
    *,
    path: str | None = None,
    message: str | None = None,
    id: int = -1,
    logical: list[om.LogicalLocation] | None = None,
) -> om.Location:
    path = span.path if span is not None else path or ""
    return om.Location(
        id=id,
        message=om.Message(text=_text(message)) if message else None,
        physical_location=om.PhysicalLocation(
            artifact_location=artifact_location(path),
            region=_region(span) if span is not None else None,
        ),
        logical_locations=logical,
    )


def artifact_location(path: str) -> om.ArtifactLocation:
    """A root-relative path as a URI reference against ``%SRCROOT%``.

    Paths are percent-encoded (spaces, ``#``, ``%``, controls, non-ASCII ...) because SARIF
    URIs are URI references, not file names (SARIF 2.1.0 §3.10.2); the encoding is of the
    name's bytes (RFC 3986 §2.1), so a name that is not UTF-8 keeps its own: ``%FF%FEbad.tf``.
    """
    posix = PurePosixPath(path)
    if posix.is_absolute() or ".." in posix.parts:
        # Outside the root (a path given on the command line): never `../` against %SRCROOT%.
        return om.ArtifactLocation(uri=Path(os.path.abspath(path)).as_uri())
    text = posix.as_posix()
    return om.ArtifactLocation(uri=quote(name_bytes(text), safe="/"), uri_base_id=SRCROOT)


def _region(span: Span) -> om.Region:
    region = om.Region(start_line=span.line, start_column=span.column)
    if span.end_line != span.line:
        region.end_line = span.end_line
    if (span.end_line, span.end_column) != (span.line, span.column):
        region.end_column = span.end_column
    return region


def _base_ids(root: str) -> dict[str, Any] | None:
    """``%SRCROOT%`` as an absolute ``file:`` URI ending in ``/``, when the root is absolute.

    SARIF requires the base URI to be absolute and end with a slash; a relative root cannot
    become one, and GitHub resolves ``%SRCROOT%``-relative URIs against the checkout anyway.
    """
    path = Path(root) if root else None
    if path is None or not path.is_absolute():
        return None
    uri = path.as_uri()
    return {SRCROOT: om.ArtifactLocation(uri=uri if uri.endswith("/") else uri + "/")}


def _sentence(text: str) -> str:
    """Text that ends like a sentence, as SARIF's authoring guidance asks (SARIF2001)."""
    text = text.strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text


# Fields kept even when they hold the sarif-om default: a result's level falls back to the
# rule's default level when absent (SARIF §3.27.10), so an overridden "warning" must be
# written out; for rules and notifications it is simply clearer.
_ALWAYS = {"level"}


def to_json(value: Any) -> Any:
    """sarif-om objects as plain JSON data, under their SARIF property names.

    ``None`` and values equal to the field's default (``-1`` indexes, ``kind: fail`` ...) are
    left out; empty lists that were set on purpose (``results: []``) stay.
    """
    if attr.has(type(value)):
        out: dict[str, Any] = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if field.name not in _ALWAYS and default is not attr.NOTHING and item == default:
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_json(item)
        return out
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Level):
        return value.value
    return value
