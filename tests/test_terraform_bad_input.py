"""Terraform files that are broken, too deep or undecodable, and files without a real
folder: a diagnostic, and the other files still parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.source import SourceFile, Unknown
from oidclint.terraform_roots import parse_terraform
from terraform_helpers import PROVIDERS_TF, role, scan


def test_syntax_error_is_a_diagnostic_and_other_files_still_parse(tmp_path):
    inventory = scan(tmp_path, {
        "providers.tf": PROVIDERS_TF,
        "broken.tf": 'resource "aws_iam_role" "x" {\n  name = \n}\n',
        "other/main.tf": 'resource "aws_iam_role" "ok" {\n  name = "ok"\n  assume_role_policy = "{}"\n}\n',
    })
    diagnostic, = inventory.diagnostics
    assert diagnostic.path == "broken.tf"
    assert diagnostic.message.startswith("HCL syntax error: line 2, column")
    assert [p.address for p in inventory.providers] == ["aws_iam_openid_connect_provider.github"]
    assert [(r.address, r.scope) for r in inventory.roles] == [("aws_iam_role.ok", "other")]
    assert sorted(inventory.files) == ["broken.tf", "other/main.tf", "providers.tf"]


@pytest.mark.parametrize("text", [
    "locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n",
    "locals {\n  x = " + "(" * 3000 + "1" + ")" * 3000 + "\n}\n",
    'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode('
    + "[" * 2000 + "]" * 2000 + ")\n}\n",
    'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
    + "[" * 3000 + "]" * 3000 + "\nEOF\n}\n",
    "x = " + "1 + " * 3000 + "1\n",
])
def test_deep_nesting_does_not_crash(tmp_path, text):
    inventory = scan(tmp_path, {"deep.tf": text, "providers.tf": PROVIDERS_TF})
    assert [p.address for p in inventory.providers] == ["aws_iam_openid_connect_provider.github"]
    assert not [d for d in inventory.diagnostics if "could not evaluate" in d.message]


def test_deeply_nested_policy_json_is_a_problem(tmp_path):
    text = ('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = <<EOF\n'
            + "[" * 3000 + "]" * 3000 + "\nEOF\n}\n")
    (span, message), = role(scan(tmp_path, {"main.tf": text}), "aws_iam_role.r").trust.problems
    assert "nested too deeply" in message and span.line == 3


def test_undecodable_input_is_a_diagnostic(tmp_path):
    source = SourceFile("bad.tf", tmp_path / "bad.tf", "resource \x00 {")
    inventory = parse_terraform([source])
    assert inventory.diagnostics[0].message.startswith("HCL syntax error: line 1, column")


def test_source_files_without_a_real_folder(tmp_path):
    source = SourceFile("main.tf", Path("main.tf"), 'locals {\n  x = file("a.json")\n}\n'
                        'resource "aws_iam_role" "r" {\n  name = local.x\n  assume_role_policy = "{}"\n}\n')
    r, = parse_terraform([source]).roles
    assert isinstance(r.name, Unknown) and r.name.origin == "file a.json"
