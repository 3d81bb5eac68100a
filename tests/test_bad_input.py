"""Bad input never stops a scan: each file is reported with the reason, the rest analysed."""

from __future__ import annotations

import os
import socket

import pytest

from oidclint import discovery
from oidclint.engine import scan

# A stack with one known finding (OIDC201), scanned next to every bad file.
GOOD_BUT_FLAWED = '''
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = { StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" } }
    }]
  })
}
'''

ALIAS_BOMB = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def scan_with(tmp_path, name, content):
    (tmp_path / "good.tf").write_text(GOOD_BUT_FLAWED)
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        target.write_text(content)
    # Every file parsed: these inputs test the parsers, and most would not pass the prefilter.
    return scan([tmp_path], root=tmp_path, prefilter=False)


def diagnostics_for(report, name):
    return [d.message for d in report.diagnostics if d.path == name]


def still_analysed(report):
    return [(f.rule_id, f.span.path) for f in report.findings] == [("OIDC201", "good.tf")]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("binary.tf", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00", "binary file"),
        ("latin1.tf", 'resource "x" "y" { name = "caf\xe9" }'.encode("latin-1"), "not UTF-8"),
        ("broken.tf", 'resource "aws_iam_role" "x" {\n  name = "unterminated\n', "HCL syntax error"),
        ("truncated.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R: {Type: "
         "AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {Statement: [{Principal: "
         "{Federated:", "syntax error"),
        ("bomb.yaml", ALIAS_BOMB, "alias"),
        ("deep.tf", "locals {\n  x = " + "[" * 5000 + "]" * 5000 + "\n}\n", ""),
    ],
)
def test_bad_files_are_reported_and_the_scan_goes_on(tmp_path, name, content, reason):
    report = scan_with(tmp_path, name, content)
    messages = diagnostics_for(report, name)
    if reason:
        assert messages and reason in messages[0], report.diagnostics
    assert still_analysed(report)


def test_utf16_with_bom_and_empty_files_are_read(tmp_path):
    (tmp_path / "empty.tf").write_text("")
    report = scan_with(tmp_path, "utf16.tf", GOOD_BUT_FLAWED.replace("deploy", "other").encode("utf-16"))
    assert report.diagnostics == []
    assert sorted(f.span.path for f in report.findings) == ["good.tf", "utf16.tf"]


def test_huge_files_are_skipped_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_FILE_BYTES", 1024)
    report = scan_with(tmp_path, "huge.json", "[" + "1," * 2000 + "1]")
    assert "larger than" in diagnostics_for(report, "huge.json")[0]
    assert still_analysed(report)


def test_symlinks_outside_the_tree_and_loops_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text(GOOD_BUT_FLAWED)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "good.tf").write_text(GOOD_BUT_FLAWED)
    os.symlink(outside / "secret.tf", tree / "escape.tf")
    os.symlink(tree / "loop-b.tf", tree / "loop-a.tf")
    os.symlink(tree / "loop-a.tf", tree / "loop-b.tf")
    os.symlink(tree, tree / "self")  # a directory loop
    report = scan([tree], root=tree)
    assert "outside the scanned tree" in diagnostics_for(report, "escape.tf")[0]
    assert "looping" in diagnostics_for(report, "loop-a.tf")[0]
    assert still_analysed(report)


def test_fifos_are_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.tf")
    report = scan_with(tmp_path, "x.txt", "")
    assert "not a regular file" in diagnostics_for(report, "pipe.tf")[0]
    assert still_analysed(report)


def test_yaml_tags_that_would_construct_objects_are_refused(tmp_path):
    evil = "AWSTemplateFormatVersion: '2010-09-09'\nResources: !!python/object/apply:os.system ['touch pwned']\n"
    report = scan_with(tmp_path, "evil.yaml", evil)
    assert diagnostics_for(report, "evil.yaml")
    assert not (tmp_path / "pwned").exists()
    assert still_analysed(report)


def test_a_scan_makes_no_network_call(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    report = scan_with(tmp_path, "x.txt", "")
    assert still_analysed(report)


def test_a_full_scan_of_the_sample_stacks_opens_no_socket(tmp_path, monkeypatch):
    from pathlib import Path

    samples = Path(__file__).resolve().parent.parent / "sample_stacks"
    expected = scan([samples], root=samples)

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    offline = scan([samples], root=samples)
    assert [f.sort_key for f in offline.findings] == [f.sort_key for f in expected.findings]
    assert offline.diagnostics == expected.diagnostics
    assert len(offline.findings) > 10


def test_a_scan_writes_nothing_in_the_scanned_tree(tmp_path):
    import shutil
    from pathlib import Path

    tree = tmp_path / "tree"
    shutil.copytree(Path(__file__).resolve().parent.parent / "sample_stacks", tree,
                    symlinks=True)

    def state():
        return {p.relative_to(tree).as_posix(): (p.read_bytes() if p.is_file() else None,
                                                  p.lstat().st_mtime_ns)
                for p in sorted(tree.rglob("*"))} | {".": tree.stat().st_mtime_ns}

    before = state()
    report = scan([tree], root=tree)
    assert report.findings
    assert state() == before
