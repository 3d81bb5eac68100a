"""Findings for a person at a terminal, grouped by file.

Everything taken from scanned files or findings goes through ``_safe``: control characters
are stripped (a path can carry escape sequences) and rich markup is escaped (a message can
contain ``[bold]`` or ``[link=...]``), so input never styles or rewrites the output.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding

from oidclint.model import Finding, Level, Report
from oidclint.reporters import printable, sorted_findings

_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.NOTE: "cyan"}
_INDENT = 4


def render(report: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=100,
        highlight=False,
        emoji=False,  # ":ref:" in a subject must not become an emoji
        markup=True,
        legacy_windows=False,
    )
    findings = sorted_findings(report)
    names = {rule.id: rule.name for rule in report.rules}
    for path, group in groupby(findings, key=lambda f: f.span.path):
        console.print(f"[bold underline]{_safe(path, newlines=False)}[/]")
        for finding in group:
            _print_finding(console, finding, names.get(finding.rule_id, ""))
        console.print()
    _print_summary(console, report, findings)
    # Padding fills wrapped lines to the block's width; trailing blanks are noise in a diff.
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def _print_finding(console: Console, finding: Finding, rule_name: str) -> None:
    span = finding.span
    level = finding.level
    position = f"{span.line}:{span.column}"
    console.print(
        f"  {position:<8}[{_STYLE[level]}]{level.value}[/]{' ' * (9 - len(level.value))}"
        f"[bold]{_safe(finding.rule_id, newlines=False)}[/] "
        f"[dim]{_safe(rule_name, newlines=False)}[/]"
    )
    console.print(_indented(_safe(finding.message)))
    if finding.fix:
        console.print(_indented(f"[green]fix:[/] {_safe(finding.fix)}"))
    for related in finding.related:
        where = f"{related.span.path}:{related.span.line}"
        console.print(
            _indented(
                f"[dim]↳ {_safe(related.label, newlines=False)} at "
                f"{_safe(where, newlines=False)}[/]"
            )
        )


def _print_summary(console: Console, report: Report, findings: list[Finding]) -> None:
    files = _plural(report.files_scanned, "file")
    if not findings:
        console.print(f"[bold green]No problems found in {files}.[/]")
    else:
        counts = [
            _plural(n, level.value)
            for level in Level
            if (n := sum(f.level == level for f in findings))
        ]
        worst = max(findings, key=lambda f: f.level.rank).level
        console.print(
            f"[{_STYLE[worst]}]{_plural(len(findings), 'problem')}[/] "
            f"({', '.join(counts)}) in {files}."
        )
    if report.unresolved:
        console.print(
            f"[yellow]{_plural(len(report.unresolved), 'workload')} "
            f"{'names' if len(report.unresolved) == 1 else 'name'} a role that cannot be "
            "resolved statically (a secret or CI variable):[/]"
        )
        for link in sorted(report.unresolved):
            console.print(_indented(_safe(link)))
    if report.diagnostics:
        # The messages themselves go to stderr (the CLI prints them); the report counts them.
        unread = len({d.path for d in report.diagnostics if d.path})
        if unread:
            verb = "file could" if unread == 1 else "files could"
            console.print(f"[yellow]{unread} {verb} not be read (reasons on stderr).[/]")
        general = len(report.diagnostics) - sum(1 for d in report.diagnostics if d.path)
        if general:
            console.print(f"[yellow]{_plural(general, 'message')} about the scan itself on stderr.[/]")


def _indented(markup: str) -> Padding:
    return Padding(markup, (0, 0, 0, _INDENT), expand=False)


def _safe(text: str, *, newlines: bool = True) -> str:
    return escape(printable(str(text), newlines=newlines))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
