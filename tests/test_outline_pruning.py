"""``oidclint.hcl.outline.prune``: what is kept when the blocks that cannot change what a scan
reports are blanked. Whatever a kept block refers to is kept, transitively, and nothing else
among resources, data sources and variables: on written modules, and on generated module
folders spread over files."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidclint.hcl.outline import outline, prune
from oidclint.markers import WEB_IDENTITY, mentions
from oidclint.readers.terraform.reader import COLLECTED as _COLLECTED
from oidclint.source import SourceFile
from outline_files import COLLECTED, _blocks, _file


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


# --- prune: exactly the closure of references --------------------------------------------


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
