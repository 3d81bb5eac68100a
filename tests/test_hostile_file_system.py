"""File system oddities in a scanned tree, next to a good stack: symbolic links out of the tree
or to a file already read, a FIFO named like a workflow, files and folders that cannot be read,
names holding newlines and terminal escapes. Each is reported by its name and never followed,
opened or read past, and the good stack's finding survives."""

from __future__ import annotations

import os

import pytest

from hostile_tree import WORKFLOW, N, W, findings, outcome, scan_tree
from test_bad_input import GOOD_BUT_FLAWED


def test_links_to_folders_outside_and_links_inside_are_handled(tmp_path, monkeypatch):
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "secret.tf").write_text(GOOD_BUT_FLAWED.replace("deploy", "secret"))
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside, tree / "linked-folder")  # a folder link out of the tree: not entered
    os.symlink("../tree/good.tf", tree / "z-same-file.tf")  # the same file twice: read once
    os.symlink("../../" + outside.name + "/secret.tf", tree / "dotdot.tf")
    report = scan_tree(tree, monkeypatch, {})
    assert [(d.path, d.message, d.level.name) for d in report.diagnostics] == [
        ("dotdot.tf", "symbolic link to a file outside the scanned tree; not read", W),
        ("linked-folder", "symbolic link to a folder outside the scanned tree; not followed",
         N)]
    assert findings(report) == [("OIDC201", "good.tf")]
    assert report.files_scanned == 1


def test_a_fifo_named_like_a_workflow_is_never_opened(tmp_path, monkeypatch):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    os.mkfifo(tmp_path / WORKFLOW)
    report = scan_tree(tmp_path, monkeypatch, {})  # would block forever if opened
    assert outcome(report, WORKFLOW) == [("not a regular file; not read", W, None)]
    assert findings(report) == [("OIDC201", "good.tf")]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_files_and_folders_are_reported(tmp_path, monkeypatch):
    (tmp_path / "locked.tf").write_text(GOOD_BUT_FLAWED)
    (tmp_path / "locked-folder").mkdir()
    (tmp_path / "locked-folder" / "inside.tf").write_text(GOOD_BUT_FLAWED)
    os.chmod(tmp_path / "locked.tf", 0)
    os.chmod(tmp_path / "locked-folder", 0)
    try:
        report = scan_tree(tmp_path, monkeypatch, {})
    finally:
        os.chmod(tmp_path / "locked.tf", 0o644)
        os.chmod(tmp_path / "locked-folder", 0o755)
    assert [(d.path, d.message) for d in report.diagnostics] == [
        ("locked-folder", "cannot read directory: Permission denied"),
        ("locked.tf", "cannot read: Permission denied")]
    assert findings(report) == [("OIDC201", "good.tf")]


def test_names_with_newlines_and_escapes_are_reported_by_their_name(tmp_path, monkeypatch):
    name = "evil\n\x1b[2J\x1b]8;;https:x.example\x07name.tf"  # no "/": one file name
    report = scan_tree(tmp_path, monkeypatch, {name: b"\xff"})
    assert outcome(report, name) == [("not UTF-8 text (invalid byte at offset 0)", W, None)]
    assert findings(report) == [("OIDC201", "good.tf")]
