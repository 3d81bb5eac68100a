"""GitHub-flavoured Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

A heading, a one-line verdict, the counts by severity, then the findings by file, one table
row each, then what the scan could not read (and why) and its notes, among them what the
configuration turned off. Text that comes from scanned files (paths, messages quoting values,
fixes) passes through ``escape_markdown`` so that it can neither format the comment, nor inject
HTML or a link, nor break out of its table cell; the code spans of messages and fixes are kept
as code spans (``markdown_text``), whose content Markdown shows literally.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import TypeVar

from oidclint.model import Diagnostic, Finding, Level, Report
from oidclint.findings import printable
from oidclint.reporters import rule_help_uri, sorted_diagnostics
from oidclint.reporters.text import (Tally, counts_phrase, duration_phrase, failed_phrase,
                                     hidden_phrase, tally)

MAX_ROWS = 100
MAX_CHARS = 60_000
"""GitHub rejects comments over 65,536 characters; the rows stop well before that."""
MAX_MESSAGE_ROWS = 50
MAX_MESSAGE_CHARS = 8_000
"""Per table of messages (not read, notes); what they take is left out of the findings'."""

Row = TypeVar("Row")

_VERDICT = {
    None: ":white_check_mark:",
    Level.ERROR: ":x:",
    Level.WARNING: ":warning:",
    Level.NOTE: ":information_source:",
}

# The ASCII punctuation that GitHub-flavoured Markdown reads as syntax inside a heading or a
# table cell: emphasis, code, links and images, a heading's closing #s, cell separators,
# strikethrough, emoji codes. CommonMark lets any ASCII punctuation be escaped with a
# backslash (spec 2.4); block syntax (lists, quotes) cannot start inside a cell or heading.
_SYNTAX = re.compile(r"([\\`*_\[\]()#!|~:])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape_markdown(text: str) -> str:
    """Text shown literally in Markdown, on one line, safe inside a table cell.

    HTML is written as entities (no ``<script>``, no ``<img onerror>``), Markdown syntax is
    backslash-escaped (no ``[x](javascript:...)`` link, no stray ``|`` ending a cell), line
    breaks become spaces, and ``@`` is followed by a word joiner so that a path or value
    naming ``@org/team`` does not notify anyone from a pull-request comment.
    """
    text = printable(str(text), newlines=False)
    text = "".join(_HTML.get(ch, ch) for ch in text)
    text = _SYNTAX.sub(r"\\\1", text)
    return text.replace("@", "@\u2060")


def markdown_text(text: str) -> str:
    """A message or fix as Markdown that shows its code spans as code: the text between
    backticks is a code span (which shows its content literally: no link, emphasis, HTML or
    mention), each ``|`` in it escaped for the table cell; the text around it passes through
    ``escape_markdown``. A text whose backticks do not pair up is escaped whole."""
    pieces = str(text).split("`")
    if len(pieces) % 2 == 0:
        return escape_markdown(text)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            out.append(escape_markdown(piece))
        elif piece.strip():
            code = printable(piece, newlines=False).replace("|", "\\|")
            out.append(f"`{code}`")
        else:  # an empty or blank span is not a code span: shown as written
            out.append(escape_markdown(f"`{piece}`"))
    return "".join(out)


def render(report: Report, *, color: bool = False) -> str:
    """The report as Markdown (``color`` is ignored)."""
    counts = tally(report)
    lines = ["## oidclint", "", _verdict(report, counts), ""]
    messages = _messages(report)
    if counts.problems:
        lines += _count_table(counts) + [""]
        lines += _findings(report, MAX_CHARS - sum(len(line) + 1 for line in messages))
    lines += messages
    lines += _footer(report, counts)
    return "\n".join(lines).rstrip("\n") + "\n"


def _verdict(report: Report, counts: Tally) -> str:
    files = f"{report.files_scanned} file{'' if report.files_scanned == 1 else 's'}"
    files += duration_phrase(report.duration)
    icon = _VERDICT[counts.worst]
    if counts.internal_errors:
        return f"{_VERDICT[Level.ERROR]} **{failed_phrase(counts)}**" + (
            f" {counts_phrase(counts)} in {files}." if counts.worst else "")
    if counts.worst is None:
        return f"{icon} No problems found in {files}."
    return f"{icon} **{counts_phrase(counts)}** in {files}."


def _count_table(counts: Tally) -> list[str]:
    rows = ["| Severity | Count |", "|---|---:|"]
    rows += [f"| {level.value} | {n} |" for level, n in counts.by_level.items() if n]
    return rows


def _findings(report: Report, budget: int) -> list[str]:
    findings = sorted(report.active, key=lambda f: f.sort_key)
    names = {rule.id: rule.name for rule in report.rules}
    rows = _first_rows([(f, _row(f, names.get(f.rule_id, ""))) for f in findings[:MAX_ROWS]],
                       budget)
    lines: list[str] = []
    for path, group in groupby(rows, key=lambda pair: pair[0].span.path):
        lines += [f"### {escape_markdown(path)}", "",
                  "| Line | Severity | Rule | Problem | Fix |", "|---:|---|---|---|---|"]
        lines += [row for _, row in group] + [""]
    left = len(findings) - len(rows)
    if left:
        lines += [f"… and {left} more not shown here: run `oidclint scan` for all of them.", ""]
    return lines


def _first_rows(rows: list[tuple[Row, str]], budget: int) -> list[tuple[Row, str]]:
    """The first rows that fit in ``budget`` characters: hundreds of findings would make a
    comment nobody reads (or one GitHub refuses)."""
    kept: list[tuple[Row, str]] = []
    size = 0
    for item, row in rows:
        size += len(row) + 1
        if size > budget:
            break
        kept.append((item, row))
    return kept


def _messages(report: Report) -> list[str]:
    """The files not read (and why), then the notes: a job summary or pull-request comment
    shows them without the log. Messages about the scan as a whole (what the configuration
    disables, excludes or lowers) come first in each table."""
    diagnostics = sorted_diagnostics(report)
    lines: list[str] = []
    for title, group in (
            ("Not read or not understood", [d for d in diagnostics if d.level != Level.NOTE]),
            ("Notes", [d for d in diagnostics if d.level == Level.NOTE])):
        if not group:
            continue
        rows = _first_rows([(d, _message_row(d)) for d in group[:MAX_MESSAGE_ROWS]],
                           MAX_MESSAGE_CHARS)
        lines += [f"### {title}", "", "| File | Message |", "|---|---|"]
        lines += [row for _, row in rows] + [""]
        left = len(group) - len(rows)
        if left:
            lines += [f"… and {left} more not shown here: the scan log has all of them.", ""]
    return lines


def _message_row(diagnostic: Diagnostic) -> str:
    where = diagnostic.path
    if where and diagnostic.span is not None:
        where += f":{diagnostic.span.line}"
    where = escape_markdown(where) if where else "(the scan)"
    return f"| {where} | {markdown_text(diagnostic.message)} |"


def _row(finding: Finding, rule_name: str) -> str:
    rule = _rule_link(finding.rule_id)
    if rule_name:
        rule += f" {escape_markdown(rule_name)}"
    problem = markdown_text(finding.message)
    for related in finding.related:
        where = f"{related.span.path}:{related.span.line}"
        problem += f"<br>↳ {escape_markdown(related.label)} at {escape_markdown(where)}"
    fix = markdown_text(finding.fix) if finding.fix else ""
    return f"| {finding.span.line} | {finding.level.value} | {rule} | {problem} | {fix} |"


def _rule_link(rule_id: str) -> str:
    return f"[{escape_markdown(rule_id)}]({rule_help_uri(rule_id)})"


def _footer(report: Report, counts: Tally) -> list[str]:
    parts = []
    hidden = hidden_phrase(counts)
    if hidden:
        parts.append(hidden)
    if report.unresolved:
        n = len(report.unresolved)
        parts.append(f"{n} workload{' names' if n == 1 else 's name'} a role that cannot be "
                     "resolved statically")
    if counts.unread_files:
        n = counts.unread_files
        parts.append(f"{n} file{' could' if n == 1 else 's could'} not be read")
    if counts.scan_problems:
        n = counts.scan_problems
        parts.append(f"{n} message{'' if n == 1 else 's'} about the scan itself")
    if counts.notes:
        parts.append(f"{counts.notes} note{'' if counts.notes == 1 else 's'}")
    if not parts:
        return []
    return [f"{'; '.join(parts)} (details in the scan log)."]
