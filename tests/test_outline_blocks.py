"""``oidclint.hcl.outline``: the top-level blocks of a Terraform file found from its text
alone, past strings, interpolations, template directives, heredocs and comments, with LF or
CRLF line ends, where the parser finds them; what the scanner cannot follow is Unreadable, and
nothing else is raised on any text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidclint.hcl.outline import TopBlock, Unreadable, outline, prune
from oidclint.hcl.syntax import parse_file
from outline_files import COLLECTED, _file, _line


def _build(pieces: list[tuple[str, str, tuple[str, ...], str]], newline: str = "\n"
           ) -> tuple[str, list[TopBlock]]:
    """A file made of (separator, kind, labels, block text) pieces, and the blocks it holds
    with their exact offsets (``\\n`` in the pieces written as ``newline``)."""
    text, expected = "", []
    for separator, kind, labels, block in pieces:
        text += separator.replace("\n", newline)
        start = len(text)
        text += block.replace("\n", newline)
        expected.append(TopBlock(kind, labels, start, len(text)))
    return text + newline, expected


ROLE = '''\
resource "aws_iam_role" "deploy" {
  name        = "deploy-${var.env}"
  description = "braces { and } and }{ in a string, \\"}\\" escaped"
  tags = {
    "team}" = "platform{"
    nested  = { deeper = { deepest = "}}}" } }
  }
  assume_role_policy = jsonencode({
    Statement = [{
      Principal = { Federated = "arn:${local.partition}:iam::${var.account}:oidc-provider/x" }
      Condition = { StringLike = { "x:sub" = "repo:${lookup({ org = "}" }, "org", "{")}/*" } }
    }]
  })
  inline_policy {
    name   = "inline"
    policy = "${jsonencode({ a = "}", b = { c = "{" } })}"
  }
  dynamic "inline_policy" {
    for_each = { for k, v in var.extra : k => v if v != "}" }
    content {
      name = inline_policy.key
    }
  }
}'''


DIRECTIVES = '''\
locals {
  escaped   = "$${not_an_interpolation} and %%{not_a_directive}"
  directive = "%{ if var.enabled }}%{ else }{%{ endif }"
  loop      = "%{ for k, v in { a = "}" } }${k}=${v}{%{ endfor }"
  nested    = "${"${"}"}"}"
  object    = "${ { a = "}" }["a"] }"
  division  = 4 / 2 # a comment with { after a slash
}'''


HEREDOCS = '''\
resource "aws_s3_bucket_policy" "p" {
  policy = <<EOF
{
  "Statement": [{ "Effect": "Allow" }
  "unbalanced": "}}}" " # /* <<NOT
EOFX is not the marker
EOF
  other = <<-EOT
    }
    {{ "
    EOT
  crlf_like = <<POLICY
${jsonencode({ a = "}" })}
  POLICY
}'''


COMMENTED = '''\
module "network" {
  # } a hash comment with a brace
  // { a slash comment with a brace
  /* a block comment } { with
     braces over "lines" */
  source = "./network" /* } */ # {
}'''


SIMPLE = [
    ("data", ("aws_region", "current"), 'data "aws_region" "current" {}'),
    ("resource", ("aws_s3_bucket", "logs"), 'resource aws_s3_bucket logs {\n  bucket = "logs"\n}'),
    ("terraform", (), 'terraform {\n  required_version = ">= 1.5"\n}'),
    ("provider", ("aws",), 'provider "aws" {\n  region = "eu-west-1"\n}'),
    ("output", ("arn",), 'output "arn" {\n  value = aws_iam_role.deploy.arn\n}'),
    ("variable", ("env",), 'variable "env" {}'),
    ("variable", ("extra",), 'variable "extra" {\n  type    = map(string)\n  default = {}\n}'),
]


PIECES = [
    ("# } top-level comment {\n// {\n/* { */\n", "resource", ("aws_iam_role", "deploy"), ROLE),
    ("\n\n", "locals", (), DIRECTIVES),
    ("\n/* a comment\n } between\n { blocks */\n", "resource", ("aws_s3_bucket_policy", "p"),
     HEREDOCS),
    ("\n", "module", ("network",), COMMENTED),
    *(("\n", kind, labels, block) for kind, labels, block in SIMPLE),
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_outline_finds_every_top_level_block(newline):
    text, expected = _build(PIECES, newline)
    assert outline(text) == expected
    for block in expected:
        assert text[block.end - 1] == "}"
    # The parser agrees: as many blocks, starting on the same lines.
    parsed = parse_file(text, "main.tf")
    assert [(b.type, tuple(b.labels)) for b in parsed] == [(b.kind, b.labels) for b in expected]
    assert [b.span.line for b in parsed] == [_line(text, b.start) for b in expected]
    assert [b.span.end_line for b in parsed] == [_line(text, b.end - 1) for b in expected]


def test_addresses():
    text, _ = _build(PIECES)
    assert [b.address for b in outline(text)] == [
        "aws_iam_role.deploy", None, "aws_s3_bucket_policy.p", None,
        "data.aws_region.current", "aws_s3_bucket.logs", None, None, None, "var.env",
        "var.extra"]


def test_escapes_are_literal_text_not_interpolations():
    # "$${...}" and "%%{...}" are literal text; python-hcl2 reads each escape up to the next
    # closing brace (ESCAPED_INTERPOLATION), and so does outline, so a quote or brace inside
    # one neither ends the string nor the block.
    text = ('locals {\n  a = "$${var.x} and $${"}"\n  b = "%%{ if x }"\n}\n'
            'locals {\n  c = 1\n}\n')
    first = text.index("}\nlocals") + 1
    assert outline(text) == [TopBlock("locals", (), 0, first),
                             TopBlock("locals", (), first + 1, len(text) - 1)]
    assert [b.span.line for b in parse_file(text, "main.tf")] == [1, 5]


def test_an_empty_file_and_a_file_of_comments_have_no_blocks():
    assert outline("") == []
    assert outline("# only\n// comments\n/* here } { */\n\r\n") == []


def test_heredoc_markers_may_be_indented():
    text = 'locals {\n  a = <<EOF\n}\n  EOF\n  b = <<-EOT\n  }\n      EOT\n}\n'
    assert outline(text) == [TopBlock("locals", (), 0, len(text) - 1)]
    assert len(parse_file(text, "main.tf")) == 1


@pytest.mark.parametrize("text", [
    pytest.param('resource "a" "b" {\n  x = 1\n', id="unclosed block"),
    pytest.param('resource "a" "b" {\n  c {\n    x = 1\n}\n', id="unclosed nested block"),
    pytest.param('resource "a" "b" {\n  x = "abc', id="unclosed string"),
    pytest.param('resource "a" "b" {\n  x = "abc\n  y = "d"\n}\n', id="newline in a string"),
    pytest.param('locals {\n  x = "${f("a\n")}"\n}\n', id="newline in an interpolation's string"),
    pytest.param('locals {\n  x = "${ {a = 1} \n', id="unclosed interpolation"),
    pytest.param('locals {\n  x = <<EOF\nabc\n}\n', id="unclosed heredoc"),
    pytest.param('locals {\n  x = <<-EOF\n  abc\n  EOFX\n}\n', id="heredoc marker prefix"),
    pytest.param('locals {\n  /* x\n}\n', id="unclosed comment in a block"),
    pytest.param('/* x\nlocals {}\n', id="unclosed comment at top level"),
    pytest.param('x = 1\n', id="top-level attribute"),
    pytest.param('locals {}\nx = 1\nlocals {}\n', id="top-level attribute between blocks"),
    pytest.param('resource "a" "b"\n{\n}\n', id="brace on the next line"),
    pytest.param('resource "a${x}" "b" {}\n', id="interpolated label"),
    pytest.param('resource "a" "b" {}\n}\n', id="stray closing brace"),
])
def test_what_the_scanner_cannot_follow_is_unreadable(text):
    with pytest.raises(Unreadable):
        outline(text)


# --- properties --------------------------------------------------------------------------

@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_outline_raises_nothing_but_unreadable_on_any_text(text):
    try:
        blocks = outline(text)
    except Unreadable:
        return
    _check_shape(text, blocks)


_HCLISH = st.text(alphabet='resource data "{}$%#/*<-EOF\n\r\\ab=._', max_size=120)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_HCLISH, st.builds(lambda a, b: f'resource "a" "b" {{\n{a}\n}}\n{b}',
                                    _HCLISH, _HCLISH)))
def test_outline_raises_nothing_but_unreadable_on_hcl_like_text(text):
    try:
        blocks = outline(text)
    except Unreadable:
        return
    _check_shape(text, blocks)
    files = [_file("m/main.tf", text)]
    pruned = prune(files, COLLECTED)[0].text
    assert pruned.count("\n") == text.count("\n")


def _check_shape(text: str, blocks: list[TopBlock]) -> None:
    last = 0
    for block in blocks:
        assert last <= block.start < block.end <= len(text)
        assert text.startswith(block.kind, block.start) and text[block.end - 1] == "}"
        last = block.end
