"""Text taken from scanned files (paths, values quoted in messages, source lines) cannot
drive a terminal, start a workflow command, format Markdown, or point SARIF outside the root;
and a file name, however strange, is shown as itself (escaped), never lost or made into
another one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oidclint.cli import app
from oidclint.engine import scan
from oidclint.findings import fingerprint, printable
from oidclint.reporters import FORMATS
from test_bad_input import GOOD_BUT_FLAWED

VALUE = "repo:acme/api:ref:refs/heads/main\x1b[2J\x1b]8;;https://evil.example\x07,x:%\u202e"
NAME = "dir,1:a%\x1b[31m.tf"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


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


def test_printable_shows_controls_as_escapes_and_removes_nothing():
    assert printable("a \x1b]8;;https:`: rest") == "a \\x1b]8;;https:`: rest"
    assert printable("x\x1b]8;;https://e\x07y\x1b]8;;\x1b\\z") == (
        "x\\x1b]8;;https://e\\x07y\\x1b]8;;\\x1b\\z")
    assert printable("\x00\x7f\x9b\u2028\u202e\u2066") == "\\x00\\x7f\\u009b\\u2028\\u202e\\u2066"
    # A byte of a file name that is not UTF-8 is the byte; any other lone surrogate a code point.
    assert printable(os.fsdecode(b"\xff\xfebad.tf")) == "\\xff\\xfebad.tf"
    assert printable("\ud800") == "\\ud800"
    # Messages keep their line breaks and tabs; names (newlines=False) show them escaped.
    assert printable("a\r\nb\tc\rd") == "a\nb\tc\\rd"
    assert printable("a\r\nb\tc\rd", newlines=False) == "a\\r\\nb\\tc\\rd"
    assert printable("ünï €, ok") == "ünï €, ok"


def test_text_output_shows_escapes_in_paths_values_and_source_lines(tmp_path):
    out = FORMATS["text"](hostile_report(tmp_path), color=False)
    assert not CONTROLS.search(out)
    assert out.startswith("dir,1:a%\\x1b[31m.tf\n")
    # A control character is in no ref name (git-check-ref-format): the reading stops there.
    assert ("    `refs/heads/main\\x1b[2J\\x1b]8;;https` after `repo:acme/api:ref:` in\n"
            "    `repo:acme/api:ref:refs/heads/main\\x1b[2J\\x1b]8;;https://evil.example\\x07,"
            "x:%\\u202e` is not part\n    of any GitHub Actions subject") in out
    # The source line, escaped, from a little before the span (it lies past the edge).
    assert '14 │ …ent.com:sub" = "repo:acme/api:ref:refs/heads/main\\x1b[2J\\x1b]8;;' in out


def test_github_commands_escape_properties_and_data(tmp_path):
    lines = FORMATS["github"](hostile_report(tmp_path)).splitlines()
    assert len(lines) == 2 and all(line.startswith(("::error ", "::notice ")) for line in lines)
    assert all("\x1b" not in line and "\u202e" not in line for line in lines)
    props = [line.split("::")[1] for line in lines]
    assert all(p.split(" ", 1)[1].startswith("file=dir%2C1%3Aa%25\\x1b[31m.tf,line=")
               for p in props)
    assert lines[0].endswith("::`refs/heads/main\\x1b[2J\\x1b]8;;https` after "
                             "`repo:acme/api:ref:` in `repo:acme/api:ref:refs/heads/main\\x1b[2J"
                             "\\x1b]8;;https://evil.example\\x07,x:%25\\u202e` is not part of "
                             "any GitHub Actions subject: no token matches it.%0AFix: Write the "
                             "subject in the issuer's documented form, e.g. "
                             "`repo:acme/api:ref:refs/heads/main`.")


def test_github_diagnostic_for_a_file_named_with_a_newline_stays_one_command(tmp_path):
    # The runner turns %0A back into the line break: the annotation names the file itself.
    (tmp_path / "a\nb,c:%.tf").write_bytes(b"\xff")
    out = FORMATS["github"](scan([tmp_path], root=tmp_path))
    assert out == ("::warning file=a%0Ab%2Cc%3A%25.tf,title=oidclint could not read this "
                   "file::not UTF-8 text (invalid byte at offset 0)\n")


def test_markdown_keeps_hostile_text_inert_and_on_one_line(tmp_path):
    out = FORMATS["markdown"](hostile_report(tmp_path))
    assert not CONTROLS.search(out)
    assert "### dir,1\\:a%\\\\x1b\\[31m.tf\n" in out
    rows = [line for line in out.splitlines() if line.startswith("| 14 |")]
    assert len(rows) == 2 and all(row.count(" | ") == 4 for row in rows)


def test_sarif_uris_stay_relative_to_the_root(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    hostile_report(tree)
    # The same file through a link: a file of the module of `sub` too, as Terraform reads it.
    os.symlink("../" + NAME, tree / "sub" / "link.tf")
    monkeypatch.chdir(tmp_path)
    report = scan(["tree/../tree", "tree/sub/../../missing.tf"], root=tree)
    run = json.loads(FORMATS["sarif"](report))["runs"][0]
    locations = [loc["physicalLocation"]["artifactLocation"]
                 for result in run["results"] for loc in result["locations"]]
    # The link makes the file part of the `sub` module too, which reports it by its own path.
    assert {(a["uri"], a["uriBaseId"]) for a in locations} == {
        ("dir%2C1%3Aa%25%1B%5B31m.tf", "%SRCROOT%"), ("sub/link.tf", "%SRCROOT%")}
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    # A path outside the root is an absolute file URI, never `../` against %SRCROOT%.
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": (tmp_path / "missing.tf").as_uri()}


# --- names that are not UTF-8, or hold line breaks or escapes ------------------------------

# Each file holds the stack with one finding (OIDC201): tree path (bytes) -> how text shows it,
# how SARIF locates it.
STRANGE = {
    b"\xff\xfebad/main.tf": ("\\xff\\xfebad/main.tf", "%FF%FEbad/main.tf"),
    b"nl/new\nline.tf": ("nl/new\\nline.tf", "nl/new%0Aline.tf"),
    b"esc/esc\x1b[31mred.tf": ("esc/esc\\x1b[31mred.tf", "esc/esc%1B%5B31mred.tf"),
}


@pytest.fixture
def strange_tree(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    for name in STRANGE:
        path = os.path.join(os.fsencode(tree), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(GOOD_BUT_FLAWED)
    monkeypatch.setenv("OIDCLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tree)
    return tree


def cli(*arguments: str) -> str:
    """The command's stdout, checked to be text any UTF-8 reader takes."""
    result = CliRunner().invoke(app, ["scan", ".", "--fail-on", "never", *arguments])
    assert result.exit_code == 0, result.output
    result.stdout_bytes.decode("utf-8")  # strict: no surrogate ever reaches the output
    assert not CONTROLS.search(result.stdout.replace("\n", ""))
    return result.stdout


def test_a_strange_name_keeps_its_findings_in_every_format(strange_tree):
    report = scan(["."], root=strange_tree)
    assert sorted(os.fsencode(f.span.path) for f in report.findings) == sorted(STRANGE)
    assert {f.rule_id for f in report.findings} == {"OIDC201"}
    shown = [text for text, _ in STRANGE.values()]

    text = cli("--format", "text")
    # In the order of the names' code points: the undecodable bytes come last.
    assert [line for line in text.splitlines() if line in shown] == [
        "esc/esc\\x1b[31mred.tf", "nl/new\\nline.tf", "\\xff\\xfebad/main.tf"]
    assert "3 problems (3 errors) in 3 files" in text

    # JSON: every byte kept, as the surrogate escape os.fsencode turns back into the byte.
    data = json.loads(cli("--format", "json"))
    assert sorted(os.fsencode(f["path"]) for f in data["findings"]) == sorted(STRANGE)
    assert sorted(f["fingerprint"] for f in data["findings"]) == sorted(
        fingerprint(f) for f in report.findings)

    sarif = json.loads(cli("--format", "sarif"))
    uris = [location["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for location in result["locations"]]
    assert sorted(uris) == sorted(uri for _, uri in STRANGE.values())

    github = cli("--format", "github").splitlines()
    assert len(github) == 3 and all(line.startswith("::error file=") for line in github)
    assert sorted(line.split(",line=")[0].removeprefix("::error file=") for line in github) == [
        "\\xff\\xfebad/main.tf", "esc/esc\\x1b[31mred.tf", "nl/new%0Aline.tf"]

    markdown = cli("--format", "markdown")
    assert sorted(re.findall("^### (.*)$", markdown, re.M)) == [
        "\\\\xff\\\\xfebad/main.tf", "esc/esc\\\\x1b\\[31mred.tf", "nl/new\\\\nline.tf"]


def test_sarif_with_strange_names_validates(strange_tree):
    from test_reporters import _validator

    log = json.loads(cli("--format", "sarif"))
    errors = list(_validator().iter_errors(log))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_a_baseline_of_strange_names_is_written_and_matches_them_again(strange_tree):
    cli("--write-baseline", "baseline.json")
    recorded = json.loads(Path("baseline.json").read_text(encoding="utf-8"))
    assert sorted(os.fsencode(f["path"]) for f in recorded["findings"]) == sorted(STRANGE)
    result = CliRunner().invoke(app, ["scan", ".", "--baseline", "baseline.json",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["baselined"] == 3


def test_a_strange_name_on_a_strict_utf8_terminal(strange_tree):
    """The real command, its stdout and stderr encoded strictly as UTF-8."""
    (strange_tree / os.fsdecode(b"\xff\xfebad") / "broken.tf").write_text("resource {")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    done = subprocess.run([sys.executable, "-m", "oidclint", "scan", ".", "--no-cache"],
                          capture_output=True, env=env)
    assert done.returncode == 1, done.stderr
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "\\xff\\xfebad/main.tf\n" in out and "3 problems (3 errors)" in out
    assert err.startswith("oidclint: \\xff\\xfebad/broken.tf:1: HCL syntax error")


def test_explain_and_graph_show_a_strange_name_escaped(strange_tree):
    runner = CliRunner()
    explained = runner.invoke(app, ["explain", "aws_iam_role.deploy", "--claim", "sub=x"])
    assert explained.exit_code == 1, explained.output  # `sub=x` is refused
    explained.stdout_bytes.decode("utf-8")
    assert not CONTROLS.search(explained.stdout.replace("\n", ""))
    assert "Trust of aws_iam_role.deploy (nl/new\\nline.tf:6:1)" in explained.stdout
    assert "Trust of aws_iam_role.deploy (\\xff\\xfebad/main.tf:6:1)" in explained.stdout
    for form in ("dot", "mermaid", "json"):
        drawn = runner.invoke(app, ["graph", ".", "--format", form])
        assert drawn.exit_code == 0, drawn.output
        drawn.stdout_bytes.decode("utf-8")
        assert not CONTROLS.search(drawn.stdout.replace("\n", ""))
