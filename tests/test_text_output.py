"""Text output people enjoy: source snippets under findings, an honest summary, plain text
off a terminal; the Markdown report and its escaping; the progress bar's rules."""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from conftest import foreign_hyperlinks, without_styles
from oidclint.model import (
    Diagnostic, Finding, Fix, Level, Related, Report, RuleInfo, Suppression, TextEdit,
)
from oidclint.progress import ProgressBar, progress, progress_wanted
from oidclint.reporters import FORMATS
from oidclint.reporters.markdown import MAX_ROWS, escape_markdown, markdown_text
from oidclint.reporters import HELP_URI
from oidclint.reporters.text import WIDTH, SourceLines
from oidclint.source import Span

ANSI = re.compile(r"\x1b\[")
RULE = RuleInfo("OIDC203", "wildcard-subject", Level.ERROR, "admits any owner", "docs")
TRUST = """\
resource "aws_iam_role" "deploy" {
  assume_role_policy = jsonencode({
    Condition = {
      StringLike = { "token.actions.githubusercontent.com:sub" = "repo:*" }
    }
  })
  name = "deploy"
}
"""


def finding(span: Span, **changes) -> Finding:
    values = dict(message="Subject pattern `repo:*` admits any owner", fix="Name the owner")
    values.update(changes)
    return Finding(values.pop("rule_id", "OIDC203"), values.pop("level", Level.ERROR), span=span,
                   **values)


def report(root, findings=(), diagnostics=(), **changes) -> Report:
    return Report(root=str(root), findings=list(findings), diagnostics=list(diagnostics),
                  files_scanned=changes.pop("files_scanned", 2), rules=[RULE], version="0.1.0",
                  **changes)


def text(root, findings=(), **changes) -> str:
    return FORMATS["text"](report(root, findings, **changes), color=False)


def gutter_rows(out: str) -> list[str]:
    """The snippet rows of the output, from their line-number gutter on."""
    return [row.strip("\n")[4:] for row in out.splitlines() if re.match(r"^ {4} *\d* │", row)]


@pytest.fixture
def stack(tmp_path):
    (tmp_path / "main.tf").write_text(TRUST)
    return tmp_path


# --- snippets ---------------------------------------------------------------------------


def test_one_line_span_is_marked_with_carets_under_it(stack):
    line = TRUST.splitlines()[3]
    start = line.index('"repo:*"')
    span = Span("main.tf", 4, start + 1, 4, start + 1 + len('"repo:*"'))
    rows = gutter_rows(text(stack, [finding(span)]))
    assert rows == [f"4 │ {line}".rstrip(), "  │ " + " " * start + "^" * len('"repo:*"')]


def test_snippet_comes_after_the_message_then_related_then_fix(stack):
    span = Span("main.tf", 4, 7)
    related = Related(Span("oidc.tf", 1), "OIDC provider aws_iam_openid_connect_provider.github")
    out = text(stack, [finding(span, related=[related])])
    order = [out.index(part) for part in
             ("admits any owner", "4 │", "↳ OIDC provider", "fix: Name the owner")]
    assert order == sorted(order)


def test_a_span_without_width_gets_one_caret(stack):
    rows = gutter_rows(text(stack, [finding(Span("main.tf", 7, 3))]))
    assert rows[1] == "  │   ^"


def test_tabs_are_expanded_and_the_carets_follow(tmp_path):
    (tmp_path / "a.tf").write_text('\tsub\t= "repo:*"\n')
    start = '\tsub\t= '.__len__()
    rows = gutter_rows(text(tmp_path, [finding(Span("a.tf", 1, start + 1, 1, start + 9))]))
    assert "\t" not in "".join(rows)
    assert rows[0] == '1 │     sub = "repo:*"'
    assert rows[1].index("^") == rows[0].index('"') and rows[1].count("^") == 8


def test_multi_line_span_is_bracketed_in_the_gutter(stack):
    rows = gutter_rows(text(stack, [finding(Span("main.tf", 3, 5, 5, 6))]))
    assert [row[:5] for row in rows] == ["3 │ ╭", "4 │ │", "5 │ ╰"]
    assert rows[0].endswith("Condition = {")


def test_long_span_shows_its_first_lines_and_how_many_more(stack):
    rows = gutter_rows(text(stack, [finding(Span("main.tf", 1, 1, 8, 2))]))
    assert [row[:1] for row in rows[:4]] == ["1", "2", "3", "4"]
    assert rows[4].strip() == "│ ┆ 4 more lines"
    assert len(rows) == 5


def test_a_span_ending_at_the_start_of_a_line_does_not_show_that_line(stack):
    rows = gutter_rows(text(stack, [finding(Span("main.tf", 3, 5, 6, 1))]))
    assert [row[:5] for row in rows] == ["3 │ ╭", "4 │ │", "5 │ ╰"]


def test_an_unreadable_or_missing_file_shows_no_snippet(tmp_path):
    (tmp_path / "folder.tf").mkdir()
    findings = [finding(Span("missing.tf", 1)), finding(Span("folder.tf", 1)),
                finding(Span("main.tf", 99))]
    (tmp_path / "main.tf").write_text(TRUST)
    out = text(tmp_path, findings)
    assert gutter_rows(out) == []
    assert out.count("admits any owner") == 3


def test_undecodable_bytes_are_replaced_not_fatal(tmp_path):
    (tmp_path / "a.tf").write_bytes(b'sub = "\xff\xfe repo"\n')
    assert gutter_rows(text(tmp_path, [finding(Span("a.tf", 1))]))[0] == '1 │ sub = "�� repo"'


def test_files_outside_the_scan_root_are_never_read(tmp_path):
    root = tmp_path / "scan"
    root.mkdir()
    secret = tmp_path / "secret.tf"
    secret.write_text("password = hunter2\n")
    (root / "link.tf").symlink_to(secret)
    findings = [finding(Span("../secret.tf", 1)), finding(Span(str(secret), 1)),
                finding(Span("link.tf", 1))]
    out = text(root, findings)
    assert "hunter2" not in out
    assert gutter_rows(out) == []


def test_no_snippet_without_a_root(stack, monkeypatch):
    monkeypatch.chdir(stack)
    assert gutter_rows(text("", [finding(Span("main.tf", 4))])) == []


def test_escape_sequences_in_a_source_line_are_shown_escaped_and_carets_still_align(tmp_path):
    line = 'a = "\x1b[2J\x1b]8;;https://evil.example\x07x\x1b]8;;\x07" # \x1b[31mred\u202e'
    (tmp_path / "a.tf").write_text(line + "\n")
    column = line.index("#") + 1
    out = FORMATS["text"](report(tmp_path, [finding(Span("a.tf", 1, column, 1, column + 1))]),
                          color=True)
    assert "\x1b[2J" not in out and "\u202e" not in out
    assert foreign_hyperlinks(out) == [] and "rules/OIDC203.md" in out  # the rule's own link
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    rows = gutter_rows(plain)
    assert rows[0] == ('1 │ a = "\\x1b[2J\\x1b]8;;https://evil.example\\x07x\\x1b]8;;\\x07" # '
                       '\\x1b[31mred\\u202e')
    assert rows[1].index("^") == rows[0].index("#")


def test_markup_in_a_source_line_is_shown_as_written(tmp_path):
    line = 'name = "[bold]x[/bold] [link=https://evil.example]y[/link] :smile: [/]"'
    (tmp_path / "a.tf").write_text(line + "\n")
    styled = FORMATS["text"](report(tmp_path, [finding(Span("a.tf", 1))]), color=True)
    assert foreign_hyperlinks(styled) == []
    plain = without_styles(styled)
    assert plain == text(tmp_path, [finding(Span("a.tf", 1))])
    assert gutter_rows(plain)[0] == f"1 │ {line}"


def test_long_lines_are_cut_to_the_console_width_with_an_ellipsis(tmp_path):
    (tmp_path / "a.tf").write_text('sub = "' + "x" * 300 + '"\n')
    out = text(tmp_path, [finding(Span("a.tf", 1, 1, 1, 200))])
    rows = gutter_rows(out)
    assert rows[0].endswith("…")
    assert max(len(line) for line in out.splitlines()) <= WIDTH


def test_a_span_past_the_right_edge_is_scrolled_into_view(tmp_path):
    prefix = '{"plan":"' + "x" * 200 + '", "sub": '
    (tmp_path / "plan.json").write_text(prefix + '"repo:*"}\n')
    column = len(prefix) + 1
    rows = gutter_rows(text(tmp_path, [finding(Span("plan.json", 1, column, 1, column + 8))]))
    assert rows[0].startswith("1 │ …x") and rows[0].endswith('"sub": "repo:*"}')
    assert rows[1].index("^") == rows[0].index('"repo') and rows[1].count("^") == 8


def test_many_findings_on_one_long_line_show_only_what_fits(tmp_path):
    # A minified manifest with thousands of findings on its one line: each snippet measures
    # the part of the line it can show, not the whole line (which took minutes).
    items = ",".join('{"kind":"ServiceAccount","metadata":{"name":"sa%05d"}}' % i
                     for i in range(20_000))
    (tmp_path / "list.json").write_text('{"kind":"List","items":[' + items + "]}\n")
    line = (tmp_path / "list.json").read_text()
    spans = [Span("list.json", 1, match.start() + 1, 1, match.end() + 1)
             for match in re.finditer(r'"sa\d+"', line)]
    started = time.perf_counter()
    out = text(tmp_path, [finding(span) for span in spans[::40] + spans[-5:]])
    assert time.perf_counter() - started < 30
    rows = gutter_rows(out)
    assert rows[-2].startswith("1 │ …") and rows[-2].endswith('"sa19999"}}]}')
    assert rows[-1].index("^") == rows[-2].index('"sa19999"') and rows[-1].count("^") == 9


def test_each_file_is_read_once(stack):
    sources = SourceLines(str(stack))
    first = sources.lines("main.tf")
    (stack / "main.tf").unlink()
    assert sources.lines("main.tf") is first
    assert first[3].startswith("      StringLike")


# --- summary ----------------------------------------------------------------------------


def test_suppressed_findings_are_counted_not_listed(stack):
    hidden = finding(Span("main.tf", 2), message="quietly accepted",
                     suppression=Suppression("pinned by the platform team"))
    out = text(stack, [finding(Span("main.tf", 4)), hidden])
    assert "quietly accepted" not in out
    assert "1 problem (1 error) in 2 files." in out
    assert "1 suppressed, not shown." in out


def test_baselined_and_suppressed_are_both_counted(stack):
    hidden = finding(Span("main.tf", 2), suppression=Suppression("accepted"))
    out = text(stack, [hidden, hidden], baselined=5)
    assert out.startswith("No problems found in 2 files.\n")
    assert "2 suppressed, 5 in the baseline, not shown." in out


def test_nothing_hidden_says_nothing_about_it(stack):
    assert "not shown" not in text(stack, [finding(Span("main.tf", 4))])


def test_notes_are_not_counted_as_files_that_could_not_be_read(stack):
    diagnostics = [
        Diagnostic("broken.tf", "unexpected token", Level.WARNING, Span("broken.tf", 3)),
        Diagnostic("broken.tf", "unclosed block", Level.ERROR, Span("broken.tf", 9)),
        Diagnostic("secret.bin", "binary file (contains NUL bytes)"),
        Diagnostic("main.tf", "two condition blocks merge", Level.NOTE, Span("main.tf", 3)),
        Diagnostic("", "the repository is unknown", Level.NOTE),
        Diagnostic("", "rule OIDC999 failed", Level.ERROR),
    ]
    out = text(stack, diagnostics=diagnostics)
    assert "2 files could not be read (reasons on stderr)." in out
    assert "1 message about the scan itself on stderr." in out
    assert "2 notes on stderr." in out


def test_only_notes_say_nothing_of_unreadable_files(stack):
    note = Diagnostic("main.tf", "two condition blocks merge", Level.NOTE, Span("main.tf", 3))
    out = text(stack, diagnostics=[note])
    assert "could not be read" not in out
    assert "1 note on stderr." in out


@pytest.mark.parametrize("seconds, shown", [(0.4213, " in 0.42 s."), (12.34, " in 12 s."),
                                             (0, " files.")])
def test_time_taken_is_shown_when_measured(stack, seconds, shown):
    out = text(stack, [finding(Span("main.tf", 4))], duration=seconds)
    assert out.splitlines()[-1].endswith(shown)
    assert (" s." in out) == bool(seconds)


def test_unresolved_links_are_listed(stack):
    out = text(stack, unresolved=["deploy.yml: job deploy: ${secrets.ROLE_ARN}"])
    assert "1 workload names a role that cannot be resolved statically" in out
    assert "    deploy.yml: job deploy: ${secrets.ROLE_ARN}" in out


# --- colour -----------------------------------------------------------------------------


def test_plain_text_has_no_ansi_even_when_the_environment_forces_colour(stack, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    out = text(stack, [finding(Span("main.tf", 4, 7, 4, 20))], baselined=1)
    assert not ANSI.search(out)
    assert ANSI.search(FORMATS["text"](report(stack, [finding(Span("main.tf", 4))]), color=True))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_uses_colour_only_on_a_terminal_without_no_color(monkeypatch):
    from oidclint import cli

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", _Terminal())
    assert cli._use_color(None)
    assert not cli._use_color(Path("out.txt"))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_color(None)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert not cli._use_color(None)


def test_cli_scan_off_a_terminal_writes_plain_text(stack):
    from oidclint.cli import app

    result = CliRunner().invoke(app, ["scan", str(stack), "--fail-on", "never"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert not ANSI.search(result.output)


# --- Markdown ---------------------------------------------------------------------------


def markdown(root, findings=(), **changes) -> str:
    return FORMATS["markdown"](report(root, findings, **changes))


def html(source: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source)


HOSTILE = [
    "a|b",
    "<script>alert(1)</script>",
    "`[x](javascript:alert(1))`",
    "![img](https://evil.example/t.png)",
    "**bold** _it_ ~~gone~~ \\| # h ##",
    "line\nbreak\r\n| new | row |",
    "&lt;b&gt; <img src=x onerror=alert(1)>",
    "cc @acme/security-team",
    "\x1b[31mred\x1b[0m",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escaped_text_renders_as_itself_on_one_line(hostile):
    escaped = escape_markdown(hostile)
    assert "\n" not in escaped and "\r" not in escaped
    rendered = MarkdownIt("commonmark").renderInline(escaped)
    assert "<" not in rendered.replace("&lt;", "").replace("<br>", "")
    assert "href" not in rendered and "src" not in rendered.replace("src=x", "")
    expected = hostile.replace("\r", "\\r").replace("\n", "\\n").replace("\x1b", "\\x1b")
    expected = expected.replace("@", "@\u2060")
    unescaped = (rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
                 .replace("&amp;", "&"))
    assert unescaped == expected


def test_escaped_text_keeps_a_table_cell_whole():
    cell = escape_markdown("a|b\\|c`|`")
    table = html(f"| one | two |\n|---|---|\n| {cell} | end |\n")
    assert re.findall(r"<td>(.*?)</td>", table) == ["a|b\\|c`|`", "end"]


def cells(text: str) -> list[str]:
    table = html(f"| one | two |\n|---|---|\n| {text} | end |\n")
    return re.findall(r"<td>(.*?)</td>", table)


def test_messages_show_their_code_spans_as_code():
    message = "`repo:acme/*` is compared with `StringEquals`, where `*` is literal: a|b"
    assert cells(markdown_text(message)) == [
        "<code>repo:acme/*</code> is compared with <code>StringEquals</code>, where "
        "<code>*</code> is literal: a|b", "end"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_a_code_span_stays_literal_and_in_its_cell(hostile):
    """A value a message quotes comes from the scanned file: inside its code span it shows
    as written (HTML, links, mentions inert), and the row keeps its cells."""
    rendered = cells(markdown_text(f"the trust names `{hostile}` and [more](x)"))
    assert len(rendered) == 2 and rendered[1] == "end"
    assert "<script" not in rendered[0] and "href" not in rendered[0]
    assert "<img" not in rendered[0] and "<a " not in rendered[0]


@pytest.mark.parametrize("text", ["one ` backtick", "`a` then ` alone", "an empty `` span"])
def test_backticks_that_do_not_make_code_spans_are_shown_as_written(text):
    assert cells(markdown_text(text)) == [text.replace("<", "&lt;"), "end"]


def test_mentions_are_broken_so_nobody_is_notified():
    assert "@acme" not in escape_markdown("@acme/security-team")


def test_markdown_report_structure(stack):
    related = Related(Span("oidc.tf", 3), "OIDC provider github")
    findings = [finding(Span("main.tf", 4, 7), related=[related]),
                finding(Span("main.tf", 7, 3), level=Level.WARNING, fix=None),
                finding(Span("main.tf", 1), suppression=Suppression("ok"))]
    out = markdown(stack, findings, baselined=3, duration=1.5,
                   diagnostics=[Diagnostic("x.tf", "unexpected token"),
                                Diagnostic("main.tf", "two blocks merge", Level.NOTE)])
    lines = out.splitlines()
    assert lines[0] == "## oidclint"
    assert lines[2] == ":x: **2 problems (1 error, 1 warning)** in 2 files in 1.50 s."
    assert "| error | 1 |" in lines and "| warning | 1 |" in lines
    assert "### main\\.tf" not in out and "### main.tf" in lines
    link = f"[OIDC203]({HELP_URI.format(id='OIDC203')}) wildcard-subject"
    assert f"| 4 | error | {link} | Subject pattern `repo:*` admits any owner<br>" in out
    assert "<br>↳ OIDC provider github at oidc.tf\\:3 | Name the owner |" in out
    assert out.count("| 7 | warning |") == 1 and "| 1 | error |" not in out
    assert lines[-1] == ("1 suppressed, 3 in the baseline, not shown; 1 file could not be read; "
                         "1 note (details in the scan log).")
    # What was not read, and why, and the notes: in the summary, not only in the log.
    assert "### Not read or not understood" in lines and "| x.tf | unexpected token |" in lines
    assert "### Notes" in lines and "| main.tf | two blocks merge |" in lines
    rendered = html(out)
    # the counts, the findings of main.tf, the file not read, the note
    assert rendered.count("<tr>") == (1 + 2) + (1 + 2) + (1 + 1) + (1 + 1)
    assert f'<a href="{HELP_URI.format(id="OIDC203")}">OIDC203</a>' in rendered
    assert "Subject pattern <code>repo:*</code> admits any owner" in rendered


def test_markdown_without_findings(stack):
    out = markdown(stack)
    assert out == "## oidclint\n\n:white_check_mark: No problems found in 2 files.\n"


def test_markdown_hostile_paths_and_messages_stay_inert(tmp_path):
    path = "evil|<script>alert(1)</script>.tf"
    message = "admits `[x](javascript:alert(1))` and <img src=x onerror=alert(1)>"
    out = markdown(tmp_path, [finding(Span(path, 2), message=message, fix="| | |")])
    rendered = html(out)
    assert "<script" not in rendered and "<img" not in rendered
    assert "javascript:" not in re.sub(r"<[^>]*>", "", rendered).replace(
        "[x](javascript:alert(1))", "")  # only ever as the literal text
    assert 'href="javascript' not in rendered
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", rendered, re.S)
               if re.search(r"<td[^>]*>2</td>", r))
    assert len(re.findall(r"<td", row)) == 5
    assert "<h3>evil|&lt;script&gt;alert(1)&lt;/script&gt;.tf</h3>" in rendered


def test_markdown_caps_the_number_of_rows(stack):
    findings = [finding(Span("main.tf", n)) for n in range(1, MAX_ROWS + 43)]
    out = markdown(stack, findings)
    assert len(re.findall(r"^\| \d+ \| error \|", out, re.M)) == MAX_ROWS
    assert "… and 42 more not shown here" in out
    assert len(out) < 65_536


def test_markdown_caps_the_size_of_huge_messages(stack):
    findings = [finding(Span("main.tf", n), message="x" * 5000) for n in range(1, 40)]
    out = markdown(stack, findings)
    assert len(out) < 65_536
    assert re.search(r"… and \d+ more not shown here", out)


# --- progress ---------------------------------------------------------------------------


def test_progress_only_on_an_interactive_stderr_outside_ci():
    assert progress_wanted(_Terminal(), {})
    assert progress_wanted(_Terminal(), {"NO_COLOR": "1", "CI": "false"})
    assert not progress_wanted(io.StringIO(), {})
    assert not progress_wanted(_Terminal(), {"CI": "true"})
    assert not progress_wanted(_Terminal(), {"CI": "1"})
    assert not progress_wanted(_Terminal(), {"TERM": "dumb"})


def test_disabled_progress_is_silent_and_ticks_do_nothing():
    stream = _Terminal()
    with progress(3, enabled=False, stream=stream) as tick:
        for path in ("a.tf", "b.tf", "c.tf"):
            tick(path)
    assert stream.getvalue() == ""


def test_progress_is_not_shown_for_a_scan_quicker_than_the_delay():
    stream = _Terminal()
    with progress(2, enabled=True, delay=3600, stream=stream) as tick:
        tick("a.tf")
        tick("b.tf")
    assert stream.getvalue() == ""


def test_progress_shown_late_counts_ticks_and_never_restarts_after_closing():
    stream = _Terminal()
    bar = ProgressBar(3, stream=stream)
    bar.tick("a.tf")
    bar.show()
    bar.tick("\x1b[2J[bold]b.tf")
    assert bar.completed == 2
    bar.close()
    assert bar.shown and bar.closed
    shown = stream.getvalue()
    bar.show()  # a timer firing after the scan ended must not bring the bar back
    assert stream.getvalue() == shown
    assert "\x1b[2J" not in shown


def test_each_finding_links_to_its_rule_documentation(tmp_path):
    """Plain text names the page under each finding; on a terminal the rule id links there."""
    findings = [finding(Span("a.tf", 1)), finding(Span("a.tf", 2), rule_id="OIDC204")]
    plain = FORMATS["text"](report(tmp_path, findings))
    docs = [line.strip() for line in plain.splitlines() if line.strip().startswith("docs: ")]
    assert docs == [f"docs: {HELP_URI.format(id='OIDC203')}",
                    f"docs: {HELP_URI.format(id='OIDC204')}"]
    styled = FORMATS["text"](report(tmp_path, findings), color=True)
    assert re.search(r"\x1b\]8;[^;]*;" + re.escape(HELP_URI.format(id="OIDC204"))
                     + r"\x1b\\\x1b\[[0-9;]*mOIDC204", styled)


def test_a_finding_scan_fix_can_fix_is_marked_and_counted(tmp_path):
    """A finding with an automatic fix says so on its fix line, and the summary counts the
    findings `oidclint scan --fix` would fix; one without says neither."""
    span = Span("a.tf", 1, 1, 1, 2)
    fixed = finding(span, autofix=Fix("Add it.", (TextEdit(span, "a", "b"),)))
    out = FORMATS["text"](report(tmp_path, [fixed, finding(Span("a.tf", 2))]))
    assert out.count("fix (--fix applies it): Name the owner") == 1
    assert out.count("    fix: Name the owner") == 1
    assert "1 finding can be fixed with `oidclint scan --fix`" in out
    plain = FORMATS["text"](report(tmp_path, [finding(Span("a.tf", 2))]))
    assert "--fix" not in plain
