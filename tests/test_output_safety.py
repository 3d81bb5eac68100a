"""Text taken from scanned files (paths, values quoted in messages, source lines) cannot
drive a terminal, start a workflow command, format Markdown, or point SARIF outside the root."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from oidclint.engine import scan
from oidclint.reporters import FORMATS, printable
from test_bad_input import GOOD_BUT_FLAWED

VALUE = "repo:acme/api:ref:refs/heads/main\x1b[2J\x1b]8;;https://evil.example\x07,x:%\u202e"
NAME = "dir,1:a%\x1b[31m.tf"


def hostile_report(tmp_path: Path):
    """OIDC115 and OIDC304 on a value full of escapes, in a file whose name has some too."""
    text = GOOD_BUT_FLAWED.replace(
        "StringEquals = {",
        'StringLike = { "token.actions.githubusercontent.com:sub" = "' + VALUE + '" }\n'
        "      StringEquals = {")
    (tmp_path / NAME).write_text(text)
    report = scan([tmp_path], root=tmp_path)
    assert sorted((f.rule_id, f.span.path) for f in report.findings) == [
        ("OIDC115", NAME), ("OIDC304", NAME)]
    return report


def test_an_unterminated_osc_hides_nothing_after_it():
    # Found by this corpus: the OSC pattern used to run to the end of the text.
    assert printable("a \x1b]8;;https:`: rest") == "a 8;;https:`: rest"
    assert printable("x\x1b]8;;https://e\x07y\x1b]8;;\x1b\\z") == "xyz"


def test_text_output_strips_escapes_from_paths_values_and_source_lines(tmp_path):
    out = FORMATS["text"](hostile_report(tmp_path), color=False)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert out.startswith("dir,1:a%.tf\n")
    assert "after\n    `repo:acme/api:ref:refs/heads/main8;;https:`: no GitHub Actions" in out
    assert '= "repo:acme/api:ref:refs/heads/main,x:%" }' in out  # the source line, cleaned


def test_github_commands_escape_properties_and_data(tmp_path):
    lines = FORMATS["github"](hostile_report(tmp_path)).splitlines()
    assert len(lines) == 2 and all(line.startswith(("::error ", "::notice ")) for line in lines)
    assert all("\x1b" not in line and "\u202e" not in line for line in lines)
    props = [line.split("::")[1] for line in lines]
    assert all(p.split(" ", 1)[1].startswith("file=dir%2C1%3Aa%25.tf,line=") for p in props)
    assert lines[0].endswith("::`repo:acme/api:ref:refs/heads/main,x:%25` has an empty segment "
                             "after `repo:acme/api:ref:refs/heads/main8;;https:`: no GitHub "
                             "Actions subject has one.%0AFix: Set the variable the value is "
                             "built from, or write the subject in the issuer's documented form, "
                             "e.g. `repo:acme/api:ref:refs/heads/main`.")


def test_github_diagnostic_for_a_file_named_with_a_newline_stays_one_command(tmp_path):
    (tmp_path / "a\nb,c:%.tf").write_bytes(b"\xff")
    out = FORMATS["github"](scan([tmp_path], root=tmp_path))
    assert out == ("::warning file=a%0Ab%2Cc%3A%25.tf,title=oidclint could not read this "
                   "file::not UTF-8 text (invalid byte at offset 0)\n")


def test_markdown_keeps_hostile_text_inert_and_on_one_line(tmp_path):
    out = FORMATS["markdown"](hostile_report(tmp_path))
    assert "\x1b" not in out and "\u202e" not in out
    assert "### dir,1\\:a%.tf\n" in out
    rows = [line for line in out.splitlines() if line.startswith("| 14 |")]
    assert len(rows) == 2 and all(row.count(" | ") == 4 for row in rows)


def test_sarif_uris_stay_relative_to_the_root(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    hostile_report(tree)
    os.symlink("../" + NAME, tree / "sub" / "link.tf")  # the same file through a link
    monkeypatch.chdir(tmp_path)
    report = scan(["tree/../tree", "tree/sub/../../missing.tf"], root=tree)
    run = json.loads(FORMATS["sarif"](report))["runs"][0]
    locations = [loc["physicalLocation"]["artifactLocation"]
                 for result in run["results"] for loc in result["locations"]]
    assert {(a["uri"], a["uriBaseId"]) for a in locations} == {
        ("dir%2C1%3Aa%25%1B%5B31m.tf", "%SRCROOT%")}
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    # A path outside the root is an absolute file URI, never `../` against %SRCROOT%.
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": (tmp_path / "missing.tf").as_uri()}
