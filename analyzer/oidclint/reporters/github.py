"""GitHub Actions workflow commands: one annotation per finding.

Syntax and escaping: https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
(the runner's own escaping is in actions/toolkit, packages/core/src/command.ts). Without the
escaping a message holding a newline could start a new workflow command of its own.
"""

from __future__ import annotations

from oidclint.model import Diagnostic, Finding, Level, Report
from oidclint.findings import printable
from oidclint.reporters import sorted_diagnostics, sorted_findings

_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def render(report: Report, *, color: bool = False) -> str:
    """The report as workflow commands (``color`` is ignored)."""
    names = {rule.id: rule.name for rule in report.rules}
    lines = [_finding(f, names.get(f.rule_id)) for f in sorted_findings(report)]
    lines.extend(_diagnostic(d) for d in sorted_diagnostics(report))
    return "".join(line + "\n" for line in lines)


def _finding(finding: Finding, rule_name: str | None) -> str:
    span = finding.span
    props: dict[str, object] = {"file": span.path, "line": span.line}
    if span.end_line != span.line:
        # Columns are only accepted on single-line annotations (the runner drops them
        # otherwise, actions/runner#2082).
        props["endLine"] = span.end_line
    else:
        props["col"] = span.column
        # endColumn defaults to col, so it is inclusive; a Span's end column is exclusive.
        if span.end_column - 1 > span.column:
            props["endColumn"] = span.end_column - 1
    props["title"] = f"{finding.rule_id} {rule_name}" if rule_name else finding.rule_id
    message = finding.message
    if finding.fix:
        message += "\nFix: " + finding.fix
    return command(_COMMAND[finding.level], props, message)


def _diagnostic(diagnostic: Diagnostic) -> str:
    props: dict[str, object] = {"file": diagnostic.path} if diagnostic.path else {}
    if diagnostic.span is not None:
        props["line"] = diagnostic.span.line
        props["col"] = diagnostic.span.column
    props["title"] = "oidclint could not read this file" if diagnostic.path else "oidclint"
    return command("warning", props, diagnostic.message)


def command(name: str, properties: dict[str, object], message: str) -> str:
    """``::name key=value,...::message`` with GitHub's escaping of both parts."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    head = f"{name} {props}" if props else name
    return f"::{head}::{escape_data(message)}"


def escape_data(text: str) -> str:
    text = printable(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
