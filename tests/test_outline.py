"""``oidclint.hcl.outline``: the top-level blocks of a Terraform file found from its text
alone, and the pruning of the blocks that cannot change what a scan reports.

Pruning replaces a block by a comment over the same lines, so everything kept must parse to
exactly the spans it has in the original file; and it must keep whatever a kept block refers
to, transitively, and nothing else among resources, data sources and variables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oidclint.engine import scan
from oidclint.hcl.outline import TopBlock, Unreadable, outline, prune
from oidclint.hcl.syntax import parse_file
from oidclint.markers import WEB_IDENTITY, mentions
from oidclint.readers.terraform.reader import COLLECTED as _COLLECTED
from oidclint.reporters import FORMATS
from oidclint.source import SourceFile

COLLECTED = frozenset(_COLLECTED)


def _file(path: str, text: str) -> SourceFile:
    return SourceFile(path, Path("/nonexistent") / path, text, "terraform")


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


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- outline -----------------------------------------------------------------------------

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


# --- prune: what is kept -----------------------------------------------------------------

MAIN = '''\
terraform {
  required_version = ">= 1.5"
}

provider "aws" {
  region = "eu-west-1"
}

locals {
  prefix = "ci"
}

module "network" {
  source = "./network"
}

output "role" {
  value = aws_iam_role.deploy.arn
}

variable "role_name" {
  default = "deploy"
}

variable "unused" {
  default = "oidc-looking but unreferenced"
}

resource "aws_iam_role" "deploy" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.state.arn}/*"]
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name = "cpu"
  dimensions = {
    Bucket = aws_s3_bucket.only_the_alarm_uses_it.id
  }
}

resource "aws_ssm_parameter" "oidc_thumbprint" {
  value = "abc"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
  }
}

resource "aws_lambda_permission" "federated" {
  principal = "Federated"
}
'''

OTHER = '''\
resource "aws_s3_bucket" "state" {
  bucket = "state"
  kms    = aws_kms_key.state.arn
}

resource "aws_kms_key" "state" {
  description = "state"
}

resource "aws_s3_bucket" "only_the_alarm_uses_it" {
  bucket = "alarms"
}

resource "aws_s3_bucket" "by_output_of_other" {
  bucket = "x"
}

output "other" {
  value = aws_s3_bucket.by_output_of_other.id
}
'''


def _survivors(files: list[SourceFile]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    return {f.path: [(b.kind, b.labels) for b in outline(f.text)] for f in files}


def test_prune_keeps_what_can_matter_and_what_it_refers_to():
    files = [_file("m/main.tf", MAIN), _file("m/other.tf", OTHER)]
    pruned = prune(files, COLLECTED)
    assert [f.path for f in pruned] == ["m/main.tf", "m/other.tf"]
    survivors = _survivors(pruned)
    assert survivors["m/main.tf"] == [
        ("terraform", ()),
        ("provider", ("aws",)),
        ("locals", ()),
        ("module", ("network",)),
        ("output", ("role",)),
        ("variable", ("role_name",)),                         # var.role_name in the role
        ("resource", ("aws_iam_role", "deploy")),               # a collected type
        ("data", ("aws_iam_policy_document", "trust")),         # referred to by the role
        ("resource", ("aws_ssm_parameter", "oidc_thumbprint")),  # mentions oidc
        ("data", ("aws_iam_policy_document", "assume")),        # AssumeRoleWithWebIdentity
        ("resource", ("aws_lambda_permission", "federated")),   # Federated
    ]
    assert survivors["m/other.tf"] == [
        ("resource", ("aws_s3_bucket", "state")),   # referred to by the kept document
        ("resource", ("aws_kms_key", "state")),     # referred to by the bucket, transitively
        ("resource", ("aws_s3_bucket", "by_output_of_other")),  # an output refers to it
        ("output", ("other",)),
    ]
    for before, after in zip(files, pruned):
        assert after.text.count("\n") == before.text.count("\n")
        assert "cloudwatch" not in after.text and 'variable "unused"' not in after.text
        assert before.text == MAIN or before.text == OTHER  # the input is not changed


def test_a_root_modules_outputs_are_blanked_with_what_only_they_refer_to():
    files = [_file("m/main.tf", MAIN), _file("m/other.tf", OTHER)]
    survivors = _survivors(prune(files, COLLECTED, root=True))
    assert ("output", ("role",)) not in survivors["m/main.tf"]
    assert survivors["m/other.tf"] == [
        ("resource", ("aws_s3_bucket", "state")),   # the kept document still refers to it
        ("resource", ("aws_kms_key", "state")),
    ]


def test_a_folder_where_everything_matters_is_returned_as_it_is():
    files = [_file("m/main.tf", 'resource "aws_iam_role" "r" {\n  name = var.n\n}\n'
                                'variable "n" {}\n')]
    assert prune(files, COLLECTED)[0] is files[0]


@pytest.mark.parametrize("kind", sorted(_COLLECTED))
def test_every_collected_type_is_kept_unreferenced(kind):
    text = f'resource "{kind}" "x" {{\n  name = "n"\n}}\n' \
           'resource "aws_cloudwatch_metric_alarm" "a" {\n  name = "a"\n}\n'
    pruned = prune([_file("m/main.tf", text)], COLLECTED)
    assert _survivors(pruned)["m/main.tf"] == [("resource", (kind, "x"))]


def test_collected_types_only_count_for_resources():
    text = 'data "aws_iam_role" "x" {\n  name = "n"\n}\nresource "aws_iam_role" "y" {}\n'
    pruned = prune([_file("m/main.tf", text)], COLLECTED)
    assert _survivors(pruned)["m/main.tf"] == [("resource", ("aws_iam_role", "y"))]


def test_a_variable_is_not_kept_for_mentioning_web_identity():
    text = 'variable "oidc_provider" {\n  default = "Federated"\n}\n' \
           'resource "aws_iam_role" "r" {}\n'
    pruned = prune([_file("m/main.tf", text)], COLLECTED)
    assert _survivors(pruned)["m/main.tf"] == [("resource", ("aws_iam_role", "r"))]


def test_references_from_a_file_outline_cannot_read_keep_blocks():
    unreadable = _file("m/odd.tf", 'x = aws_s3_bucket.b.arn\n')
    json_file = SourceFile("m/extra.tf.json", Path("/nonexistent/m/extra.tf.json"),
                           '{"output": {"o": {"value": "${var.v}"}}}', "terraform")
    main = _file("m/main.tf", 'resource "aws_s3_bucket" "b" {}\nvariable "v" {}\n'
                              'variable "w" {}\n')
    pruned = prune([unreadable, json_file, main], COLLECTED)
    assert pruned[0] is unreadable and pruned[1] is json_file
    assert _survivors([pruned[2]])["m/main.tf"] == [
        ("resource", ("aws_s3_bucket", "b")), ("variable", ("v",))]


@pytest.mark.parametrize("text", [
    'resource "aws_cloudwatch_metric_alarm" "a" {\n  x = 1\n}\nx = 1\n',
    'resource "aws_cloudwatch_metric_alarm" "a" {\n  x = "open\n}\n',
    'resource "aws_cloudwatch_metric_alarm" "a" {\n  x = <<EOF\n}\n',
    'variable "unused" {}\n/* unclosed\n',
])
def test_a_file_outline_cannot_read_is_kept_unchanged(text):
    file = _file("m/main.tf", text)
    assert prune([file], COLLECTED)[0] is file


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


def _blocks(text: str) -> list[tuple[str, tuple[str, ...], object, list]]:
    return [(b.type, tuple(b.labels), b.span,
             [(name, a.span, a.value_span) for name, a in b.attributes.items()])
            for b in parse_file(text, "main.tf")]


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


_TYPES = {
    "resource": ["aws_s3_bucket", "aws_sns_topic", "aws_cloudwatch_metric_alarm",
                 "aws_iam_role", "aws_iam_policy", "aws_kms_key"],
    "data": ["aws_iam_policy_document", "aws_caller_identity", "aws_region"],
}
_ROOT_TYPES = {"aws_iam_role", "aws_iam_policy"}  # collected: kept unreferenced
_KEYWORDS = {"for", "in", "if", "true", "false", "null", "each", "count", "self"}
_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda n: n not in _KEYWORDS and not mentions(n, WEB_IDENTITY))
# Safe characters: no quote, backslash, $, % or dot (no accidental reference), and letters
# that spell no web identity marker; braces, comment starts and << are there to be skipped.
_SAFE = st.text(alphabet="abcxyz 0123456789-_:/{}[]()#*<>=,", max_size=12)


@st.composite
def _modules(draw):
    """Blocks of one module folder: (kind, type, name, marked, references, attributes),
    then how they are spread over files and written."""
    count = draw(st.integers(1, 9))
    specs, addresses = [], set()
    for _ in range(count):
        kind = draw(st.sampled_from(["resource", "resource", "data", "variable", "locals"]))
        kind_type = draw(st.sampled_from(_TYPES[kind])) if kind in _TYPES else None
        name = draw(_NAMES)
        address = {"resource": f"{kind_type}.{name}", "data": f"data.{kind_type}.{name}",
                   "variable": f"var.{name}", "locals": None}[kind]
        if address in addresses:
            continue
        if address:
            addresses.add(address)
        specs.append([kind, kind_type, name, address, draw(st.booleans()) and
                      draw(st.booleans())])
    targets = sorted(addresses)
    blocks = []
    for index, (kind, kind_type, name, address, marked) in enumerate(specs):
        references: set[str] = set()
        attributes = []
        for position in range(draw(st.integers(0, 4))):
            attribute = f"a{position}"
            # Variables take no references (Terraform refuses them in a default).
            form = draw(st.sampled_from(["number", "string"] if kind == "variable" or
                                        not targets else
                                        ["number", "string", "interpolation", "bare", "list",
                                         "object"]))
            if form == "number":
                value = str(draw(st.integers(-5, 10 ** 6)))
            elif form == "string":
                value = json.dumps(draw(_SAFE))
            else:
                target = draw(st.sampled_from(targets))
                references.add(target)
                suffix = "" if target.startswith("var.") else ".arn"
                expression = target + suffix
                value = {
                    "interpolation": f'"{draw(_SAFE)}${{{expression}}}{draw(_SAFE)}"',
                    "bare": expression,
                    "list": f"[{expression}, 1]",
                    "object": f'{{ k = {expression}, s = "}}" }}',
                }[form]
            attributes.append(f"{attribute} = {value}")
        if marked:
            attributes.append('action = "sts:AssumeRoleWithWebIdentity"' if kind != "variable"
                              else 'default = "Federated"')
        if kind == "data" and draw(st.booleans()):
            attributes.append('statement {\n    effect = "Allow"\n  }')
        labels = {"resource": (kind_type, name), "data": (kind_type, name),
                  "variable": (name,), "locals": ()}[kind]
        header = kind + "".join(f' "{label}"' for label in labels)
        if not attributes:
            text = f"{header} {{}}"
        elif kind == "locals":
            text = f"{header} {{\n" + "".join(
                f"  l{index}_{a}\n" for a in attributes if "{\n" not in a) + "}"
        else:
            text = f"{header} {{\n" + "".join(f"  {a}\n" for a in attributes) + "}"
        blocks.append((kind, labels, address, marked, references, text))
    spread = [draw(st.integers(0, 2)) for _ in blocks]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    comments = [draw(st.sampled_from(["", "# a } comment\n", "/* { */\n", "\n"]))
                for _ in blocks]
    return blocks, spread, newline, comments


def _expected_closure(blocks) -> set[str | None]:
    kept: set[str | None] = set()
    pending = []
    for kind, labels, address, marked, references, _ in blocks:
        if kind == "locals" or (kind != "variable" and (
                marked or kind == "resource" and labels[0] in _ROOT_TYPES)):
            pending.append(address)
            kept.add(address)
    edges = {address: references for _, _, address, _, references, _ in blocks}
    locals_refs = set().union(*(refs for kind, _, _, _, refs, _ in blocks if kind == "locals"))
    pending = [a for a in pending if a is not None] + sorted(locals_refs)
    kept |= locals_refs
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in kept:
                kept.add(target)
                pending.append(target)
    return kept


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_modules())
def test_prune_keeps_exactly_the_closure_of_references(module):
    blocks, spread, newline, comments = module
    texts: dict[int, str] = defaultdict(str)
    for (_, _, _, _, _, text), where, comment in zip(blocks, spread, comments):
        texts[where] += (comment + text + "\n").replace("\n", newline)
    files = [_file(f"m/f{where}.tf", text) for where, text in sorted(texts.items())]
    expected_kept = _expected_closure(blocks)
    by_file: dict[str, list] = defaultdict(list)
    for block, where in zip(blocks, spread):
        by_file[f"m/f{where}.tf"].append(block)

    pruned = prune(files, COLLECTED)
    for before, after in zip(files, pruned):
        assert after.path == before.path
        survivors = [(b.kind, b.labels) for b in outline(after.text)]
        expected = [(kind, labels) for kind, labels, address, *_ in by_file[before.path]
                    if kind == "locals" or address in expected_kept]
        assert survivors == expected, f"{before.path}:\n{before.text}"
        # What is kept parses to the same spans as in the whole file.
        assert after.text.count("\n") == before.text.count("\n")
        original = _blocks(before.text)
        assert _blocks(after.text) == [b for b in original if (b[0], b[1]) in set(expected)]


# --- end to end --------------------------------------------------------------------------

TRUST_THROUGH_A_LOCAL = '''\
variable "org" {
  default = "acme"
}

variable "principal_type" {
  default = "Federated"
}

variable "action" {
  default = "sts:AssumeRoleWithWebIdentity"
}

variable "provider_arn" {
  default = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
}

variable "unused_threshold" {
  default = 90
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name = "cpu-high"
  threshold  = var.unused_threshold
  dimensions = {
    InstanceId = "i-0123"
  }
}

locals {
  doc = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = [var.action]
    principals {
      type        = var.principal_type
      identifiers = [var.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.org}/*"]
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name = "errors"
  threshold  = 1
}

resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = local.doc
}
'''


def test_a_trust_reached_only_through_a_local_and_variables_is_still_found(tmp_path):
    (tmp_path / "main.tf").write_text(TRUST_THROUGH_A_LOCAL)
    # The document itself says nothing of web identity: only references keep it.
    trust = next(b for b in outline(TRUST_THROUGH_A_LOCAL) if b.labels[-1:] == ("trust",))
    assert not mentions(TRUST_THROUGH_A_LOCAL[trust.start:trust.end].lower(), WEB_IDENTITY)
    pruned = prune([_file("main.tf", TRUST_THROUGH_A_LOCAL)], COLLECTED)[0]
    assert [(b.kind, b.labels) for b in outline(pruned.text)] == [
        ("variable", ("org",)), ("variable", ("principal_type",)), ("variable", ("action",)),
        ("variable", ("provider_arn",)), ("locals", ()),
        ("data", ("aws_iam_policy_document", "trust")), ("resource", ("aws_iam_role", "deploy"))]

    reports = {prefilter: scan([tmp_path], root=tmp_path, repository="acme/api",
                               prefilter=prefilter) for prefilter in (True, False)}
    found = {prefilter: [(f.rule_id, f.span, [r.span for r in f.related])
                         for f in report.findings] for prefilter, report in reports.items()}
    assert "OIDC204" in [rule for rule, *_ in found[True]]
    assert found[True] == found[False]
    documents = {prefilter: json.loads(FORMATS["json"](report))
                 for prefilter, report in reports.items()}
    for document in documents.values():
        document.pop("files_parsed", None)
    assert documents[True] == documents[False]


def test_a_syntax_error_in_a_block_nothing_reads_is_the_prefilters_trade_off(tmp_path):
    """Documented (README, Hostile and broken input): with the prefilter, a block nothing
    reads is not parsed, so its syntax error goes unreported; --no-prefilter reports it. Either
    way the rest of the file is read (a syntax error costs its own block)."""
    from conftest import OPEN_TRUST

    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_metric_alarm" "a" {\n  threshold = = 1\n}\n' + OPEN_TRUST)
    reports = {prefilter: scan([tmp_path], root=tmp_path, repository="acme/api",
                               prefilter=prefilter) for prefilter in (True, False)}
    assert [f.rule_id for f in reports[True].findings] == ["OIDC204"]
    assert reports[True].diagnostics == []
    assert [f.rule_id for f in reports[False].findings] == ["OIDC204"]
    assert [d.message.split(": unexpected")[0] for d in reports[False].diagnostics] == [
        "HCL syntax error: line 2, column 15"]
