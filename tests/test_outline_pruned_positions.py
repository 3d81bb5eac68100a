"""Pruning replaces a block by a comment over the same lines, so everything kept must parse to
exactly the spans it has in the original file: on written files (LF and CRLF, with and without
a final line end, blocks that share a line) and on every Terraform file of the fixtures and
sample stacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, SAMPLES
from oidclint.hcl.outline import Unreadable, outline, prune
from oidclint.hcl.syntax import parse_file
from oidclint.source import SourceFile
from outline_files import COLLECTED, _blocks, _file, _line


# --- prune: positions --------------------------------------------------------------------

POSITIONS = '''\
resource "aws_cloudwatch_metric_alarm" "before" {
  alarm_name = "before"
  dimensions = {
    a = "}"
  }
}
variable "one_line" { default = "x" }
resource "aws_iam_role" "first" {
  name = "first"
  assume_role_policy = jsonencode({ Statement = [] })
}

# a comment between
resource "aws_sns_topic" "between" { name = "t" }
resource "aws_sns_topic" "indented_close" {
  name = "t"
  }
locals { a = 1 }
resource "aws_s3_bucket" "between_multi" {
  bucket = <<EOF
{ unbalanced
EOF
} # a comment after the closing brace
  resource "aws_iam_role" "second" {
    name = "second"
    tags = { a = "b" }
  }
resource "aws_cloudwatch_metric_alarm" "after" {
  alarm_name = "after"
}
resource "aws_sns_topic" "last_one_line" {}'''


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("final", ["", "\n"], ids=["no-final-newline", "final-newline"])
def test_kept_blocks_keep_their_positions(newline, final):
    text = (POSITIONS + final).replace("\n", newline)
    original = _blocks(text)
    pruned = prune([_file("m/main.tf", text)], COLLECTED)[0].text
    assert pruned != text
    assert pruned.count("\n") == text.count("\n")
    assert len(pruned.split("\n")) == len(text.split("\n"))
    after = _blocks(pruned)
    assert [(kind, labels) for kind, labels, *_ in after] == [
        ("resource", ("aws_iam_role", "first")), ("locals", ()),
        ("resource", ("aws_iam_role", "second"))]
    assert after == [b for b in original if (b[0], b[1]) in {(k, l) for k, l, *_ in after}]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_block_after_a_dropped_one_on_the_same_line_keeps_its_column(newline):
    # python-hcl2 reads a block that starts on the line where another one ends.
    text = ('resource "aws_sns_topic" "t" { name = "t" } resource "aws_iam_role" "a" {\n'
            '  name = "a"\n}\n'
            'resource "aws_sns_topic" "u" {\n  name = "u"\n  } resource "aws_iam_role" "b" {\n'
            '  name = "b"\n}\n'
            'resource "aws_sns_topic" "v" {\n  name = "v"\n} resource "aws_iam_role" "c" {}\n'
            ).replace("\n", newline)
    original = _blocks(text)
    assert [b[2].column for b in original if b[1][0] == "aws_iam_role"] == [45, 5, 3]
    pruned = prune([_file("m/main.tf", text)], COLLECTED)[0].text
    assert _blocks(pruned) == [b for b in original if b[1][0] == "aws_iam_role"]


def test_a_blanked_block_is_one_comment_over_its_lines():
    text = 'variable "a" { default = 1 }\nvariable "b" {\n  default = 2\n}\n' \
           'variable "c" {\n  default = 3\n  }\nresource "aws_iam_role" "r" {}\n'
    pruned = prune([_file("m/main.tf", text)], COLLECTED)[0].text
    lines, original = pruned.split("\n"), text.split("\n")
    assert len(lines) == len(original)
    # Every line keeps its length where it ends a blanked block, so what follows on it
    # keeps its column; the kept block is untouched.
    assert lines[0].startswith("/*") and lines[0].endswith("*/")
    assert len(lines[0]) == len(original[0])
    assert len(lines[3]) == len(original[3]) and len(lines[6]) == len(original[6])
    assert lines[7:] == original[7:]
    assert parse_file(pruned, "main.tf")[0].span == parse_file(text, "main.tf")[3].span


# --- prune: the fixtures and sample stacks -----------------------------------------------

TF_FILES = sorted([*FIXTURES.rglob("*.tf"), *SAMPLES.rglob("*.tf")])


def _folder_files(path: Path) -> list[SourceFile]:
    root = path.parent
    return [SourceFile(str(p.relative_to(root.parent)), p, p.read_text(encoding="utf-8"),
                       "terraform") for p in sorted(root.iterdir())
            if p.is_file() and p.name.endswith((".tf", ".tf.json"))]


@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(p.parents[2]))
                                                for p in TF_FILES])
def test_pruning_a_fixture_changes_no_kept_position(path):
    text = path.read_text(encoding="utf-8")
    try:
        blocks = outline(text)
    except Unreadable:
        pytest.skip("outline cannot read it: parsed whole")
    where = path.relative_to(path.parents[2])
    parsed = parse_file(text, "main.tf")
    assert len(blocks) == len(parsed), f"{where}: outline and parser disagree on the blocks"
    assert [_line(text, b.start) for b in blocks] == [b.span.line for b in parsed], \
        f"{where}: outline and parser disagree on where blocks start"
    assert [(b.kind, b.labels) for b in blocks] == [(b.type, tuple(b.labels)) for b in parsed]
    files = _folder_files(path)
    mine = next(f for f in prune(files, COLLECTED) if f.absolute == path)
    after = _blocks(mine.text)
    surviving = {(kind, labels) for kind, labels, *_ in after}
    assert after == [b for b in _blocks(text) if (b[0], b[1]) in surviving], \
        f"{where}: a kept block moved after pruning"
    assert mine.text.count("\n") == text.count("\n"), f"{where}: line count changed"


def test_some_fixture_is_actually_pruned():
    changed = [p for p in TF_FILES
               if next(f for f in prune(_folder_files(p), COLLECTED)
                       if f.absolute == p).text != p.read_text(encoding="utf-8")]
    assert changed  # the test above compares real blanking, not only untouched files
