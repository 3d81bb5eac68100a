"""Findings for a person at a terminal, grouped by file.

Under each finding: its message, the source lines it points at (the span marked), the
provider, role or workload it involves, the fix, then where the rule is documented (on a
terminal, the rule id links there too). A summary closes the report.

Everything taken from scanned files or findings is made safe before it is shown: control
characters are shown as escapes (a path or a source line can carry escape sequences, see
``printable``) and rich markup is escaped (a message can contain ``[bold]`` or ``[link=...]``),
or the text is handed to rich as a ``Text`` object, which is never parsed for markup. Input
never styles or rewrites the output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from oidclint.findings import printable
from oidclint.model import Finding, Level, Report
from oidclint.reporters import rule_help_uri
from oidclint.reading import MAX_FILE_BYTES, decode, read_bytes
from oidclint.source import Span

_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.NOTE: "cyan"}
_INDENT = 4
WIDTH = 100
"""Fixed, so the output is the same on every machine (and in snapshots)."""
SNIPPET_LINES = 4
"""At most this many lines of a span are shown; a whole resource block is longer."""
TAB_SIZE = 4
SCROLL_MARGIN = 16
"""Cells of context kept left of a span that lies past the right edge of the terminal."""


def render(report: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=WIDTH,
        highlight=False,
        emoji=False,  # ":ref:" in a subject must not become an emoji
        markup=True,
        legacy_windows=False,
    )
    findings = sorted(report.active, key=lambda f: f.sort_key)
    names = {rule.id: rule.name for rule in report.rules}
    sources = SourceLines(report.root)
    for path, group in groupby(findings, key=lambda f: f.span.path):
        console.print(f"[bold underline]{_safe(path, newlines=False)}[/]")
        for finding in group:
            _print_finding(console, finding, names.get(finding.rule_id, ""), sources)
        console.print()
    _print_summary(console, report, tally(report))
    # Padding fills wrapped lines to the block's width; trailing blanks are noise in a diff.
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def _print_finding(
    console: Console, finding: Finding, rule_name: str, sources: SourceLines
) -> None:
    span = finding.span
    level = finding.level
    position = f"{span.line}:{span.column}"
    console.print(
        f"  {position:<8}[{_STYLE[level]}]{level.value}[/]{' ' * (9 - len(level.value))}"
        f"[bold link={rule_help_uri(finding.rule_id)}]{_safe(finding.rule_id, newlines=False)}[/] "
        f"[dim]{_safe(rule_name, newlines=False)}[/]"
    )
    console.print(_indented(_safe(finding.message)))
    for row in snippet(span, sources.lines(span.path), _STYLE[level], WIDTH - _INDENT):
        console.print(Padding(row, (0, 0, 0, _INDENT), expand=False))
    for related in finding.related:
        where = f"{related.span.path}:{related.span.line}"
        console.print(
            _indented(
                f"[dim]↳ {_safe(related.label, newlines=False)} at "
                f"{_safe(where, newlines=False)}[/]"
            )
        )
    help_text = finding.fix or (finding.autofix.description if finding.autofix else None)
    if help_text:
        # A fix `scan --fix` makes is marked, as the summary counts them.
        label = "fix (--fix applies it):" if finding.autofix is not None else "fix:"
        console.print(_indented(f"[green]{label}[/] {_safe(help_text)}"))
    console.print(_indented(f"[dim]docs: {rule_help_uri(finding.rule_id)}[/]"))


# --- source snippets ----------------------------------------------------------------------


class SourceLines:
    """The lines of scanned files, read for display and cached per file.

    The report carries no file texts, so files are read again from the scan root. Only files
    inside the root are read (a path in a finding must not make the reporter open
    ``../../etc/passwd``), only regular files (a FIFO would block), only up to the size the
    scan itself reads. A file that cannot be read simply shows no snippet.
    """

    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve() if root else None
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> list[str] | None:
        if self.root is None or not path:
            return None
        try:
            data = read_bytes(self.root / path, root=self.root, limit=MAX_FILE_BYTES)
        except (OSError, ValueError):
            return None
        try:
            text = decode(data)
        except ValueError:
            text = data.decode("utf-8", errors="replace")
        # Lines as the parsers count them: split on "\n" only (str.splitlines would also
        # split on form feeds and U+2028 and shift every line number after them).
        return [line.removesuffix("\r") for line in text.split("\n")]


def snippet(span: Span, lines: list[str] | None, style: str, width: int) -> list[Text]:
    """The span's source lines with a line-number gutter, cut to ``width`` cells.

    A one-line span gets a row of carets under it; a longer one a bracket in the gutter, and
    only its first ``SNIPPET_LINES`` lines when it is longer than that.
    """
    if not lines:
        return []
    first, last = span.line, _last_line(span)
    if first < 1 or first > len(lines):
        return []
    last = min(last, len(lines))
    # "1 more line" would take the room of the line itself.
    count = last - first + 1
    shown = range(first, first + (count if count <= SNIPPET_LINES + 1 else SNIPPET_LINES))
    digits = len(str(shown[-1]))
    if first == last:
        return _single_line(span, lines[first - 1], digits, style, width)
    rows = [
        # What lies past the width is never shown: a minified file's one long line is not
        # measured whole for every finding on it.
        _row(number, _visible(lines[number - 1][: 2 * width]), digits,
             _bracket(number, first, last), style, width)
        for number in shown
    ]
    hidden = last - shown[-1]
    if hidden:
        more = f"┆ {hidden} more line{'s' if hidden > 1 else ''}"
        rows.append(_row(None, more, digits, "", "dim", width, text_style="dim"))
    return rows


def _last_line(span: Span) -> int:
    """The last line holding part of the span (an end at column 1 holds none of its line)."""
    if span.end_line > span.line and span.end_column <= 1:
        return span.end_line - 1
    return span.end_line


def _single_line(span: Span, raw: str, digits: int, style: str, width: int) -> list[Text]:
    column = max(span.column, 1)
    end_column = max(span.end_column, column)
    room = width - len(_gutter(None, digits))
    # Only the characters around the span can be shown (each takes a cell or more): a
    # minified plan.json's one line is not measured whole for every finding on it.
    cut = max(0, column - 1 - room)
    raw = raw[cut: column - 1 + 2 * room]
    column, end_column = column - cut, min(end_column - cut, len(raw) + 1)
    line = ("…" if cut else "") + _visible(raw)
    start = (1 if cut else 0) + cell_len(_visible(raw[: column - 1]))
    end = max(start + 1, (1 if cut else 0) + cell_len(_visible(raw[: end_column - 1])))
    if end > room and start > SCROLL_MARGIN:
        # The span lies past the right edge (a minified plan.json): show the line from a
        # little before it, as the carets do.
        shift = start - SCROLL_MARGIN
        line = "…" + _drop_cells(line, shift + 1)
        start, end = start - shift, end - shift
    carets = " " * start + "^" * (end - start)
    return [
        _row(span.line, line, digits, "", style, width),
        _row(None, carets, digits, "", style, width, text_style=style),
    ]


def _drop_cells(text: str, cells: int) -> str:
    """``text`` without its first ``cells`` terminal cells (a wide character cut in two
    leaves a space)."""
    dropped = 0
    for index, character in enumerate(text):
        if dropped >= cells:
            return " " * (dropped - cells) + text[index:]
        dropped += cell_len(character)
    return " " * max(0, dropped - cells)


def _bracket(number: int, first: int, last: int) -> str:
    return "╭ " if number == first else "╰ " if number == last else "│ "


def _gutter(number: int | None, digits: int) -> str:
    return f"{number if number is not None else '':>{digits}} │ "


def _row(
    number: int | None,
    text: str,
    digits: int,
    marker: str,
    marker_style: str,
    width: int,
    *,
    text_style: str = "",
) -> Text:
    row = Text(_gutter(number, digits), style="dim", no_wrap=True)
    row.append(marker, style=marker_style)
    row.append(text, style=text_style)
    row.truncate(width, overflow="ellipsis")
    return row


def _visible(raw: str) -> str:
    """A source line as it shows on a terminal: escapes stripped, tabs expanded.

    Tabs are expanded here (``printable`` would make each one a single space) against the
    cleaned text, so a caret row computed the same way lines up with it.
    """
    out = ""
    for index, piece in enumerate(raw.split("\t")):
        if index:
            out += " " * (TAB_SIZE - cell_len(out) % TAB_SIZE)
        out += printable(piece, newlines=False)
    return out


# --- summary ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """What a summary says about a scan, whatever the format."""

    by_level: dict[Level, int]
    suppressed: int
    baselined: int
    unread_files: int
    """Files with an error or warning diagnostic: not read, or not understood."""
    scan_problems: int
    """Errors and warnings about the scan itself (no file): a rule that failed ..."""
    notes: int
    """Note diagnostics: what the scan could not be sure of (two condition blocks merge ...)."""
    internal_errors: int = 0
    """Failures of oidclint itself (a rule that raised): never "No problems found"."""

    @property
    def problems(self) -> int:
        return sum(self.by_level.values())

    @property
    def worst(self) -> Level | None:
        return max((level for level, n in self.by_level.items() if n), key=lambda l: l.rank,
                   default=None)


def tally(report: Report) -> Tally:
    active = report.active
    notes = [d for d in report.diagnostics if d.level == Level.NOTE]
    problems = [d for d in report.diagnostics if d.level != Level.NOTE]
    return Tally(
        by_level={level: sum(f.level == level for f in active) for level in Level},
        suppressed=len(report.findings) - len(active),
        baselined=report.baselined,
        unread_files=len({d.path for d in problems if d.path}),
        scan_problems=sum(1 for d in problems if not d.path),
        notes=len(notes),
        internal_errors=len(report.internal_errors),
    )


def counts_phrase(counts: Tally) -> str:
    """``3 problems (1 error, 2 warnings)``."""
    levels = [_plural(n, level.value) for level, n in counts.by_level.items() if n]
    return f"{_plural(counts.problems, 'problem')} ({', '.join(levels)})"


def failed_phrase(counts: Tally) -> str:
    """What a report says when oidclint itself failed (the reasons are on stderr)."""
    return (f"oidclint failed: {_plural(counts.internal_errors, 'internal error')} (on "
            "stderr); the findings below may be incomplete.")


def hidden_phrase(counts: Tally) -> str | None:
    """``2 suppressed, 5 in the baseline, not shown``; ``None`` when nothing was left out."""
    parts = []
    if counts.suppressed:
        parts.append(f"{counts.suppressed} suppressed")
    if counts.baselined:
        parts.append(f"{counts.baselined} in the baseline")
    return f"{', '.join(parts)}, not shown" if parts else None


def duration_phrase(seconds: float) -> str:
    """`` in 0.42 s``, or nothing when the report was not timed (a duration of 0)."""
    if seconds <= 0:
        return ""
    return f" in {seconds:.2f} s" if seconds < 10 else f" in {seconds:.0f} s"


def _print_summary(console: Console, report: Report, counts: Tally) -> None:
    files = _plural(report.files_scanned, "file") + duration_phrase(report.duration)
    if counts.internal_errors:
        console.print(f"[bold red]{failed_phrase(counts)}[/]")
    if counts.worst is None and not counts.internal_errors:
        console.print(f"[bold green]No problems found in {files}.[/]")
    elif counts.worst is None:
        console.print(f"No findings in {files}.")
    else:
        console.print(f"[{_STYLE[counts.worst]}]{counts_phrase(counts)}[/] in {files}.")
    hidden = hidden_phrase(counts)
    if hidden:
        console.print(f"[dim]{hidden}.[/]")
    fixable = sum(1 for finding in report.active if finding.autofix is not None)
    if fixable:
        console.print(f"{_plural(fixable, 'finding')} can be fixed with `oidclint scan --fix` "
                      "(`--diff` shows the changes first).")
    if report.files_skipped:
        one = report.files_skipped == 1
        console.print(f"[dim]{_plural(report.files_skipped, 'file')} not parsed: nothing in "
                      f"{'it' if one else 'them'} concerns web identity (--no-prefilter "
                      "parses every file).[/]")
    if report.unresolved:
        console.print(
            f"[yellow]{_plural(len(report.unresolved), 'workload')} "
            f"{'names' if len(report.unresolved) == 1 else 'name'} a role that cannot be "
            "resolved statically (a secret, a CI variable, a placeholder):[/]"
        )
        for link in sorted(report.unresolved):
            console.print(_indented(_safe(link)))
    # The messages themselves go to stderr (the CLI prints them); the report counts them.
    if counts.unread_files:
        verb = "file could" if counts.unread_files == 1 else "files could"
        console.print(f"[yellow]{counts.unread_files} {verb} not be read (reasons on stderr).[/]")
    if counts.scan_problems:
        console.print(
            f"[yellow]{_plural(counts.scan_problems, 'message')} about the scan itself on stderr.[/]"
        )
    if counts.notes:
        console.print(f"[dim]{_plural(counts.notes, 'note')} on stderr.[/]")


def _indented(markup: str) -> Padding:
    return Padding(markup, (0, 0, 0, _INDENT), expand=False)


def _safe(text: str, *, newlines: bool = True) -> str:
    return escape(printable(str(text), newlines=newlines))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
