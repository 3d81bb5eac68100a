"""Hostile input of great size or depth, generated in tmp_path and scanned next to a good
stack: a sparse 200 MB file, a 10 MB line, five million YAML values, JSON, YAML and HCL nested
100,000 levels deep. Each is reported by file and reason, stopped by a limit or the time budget
before it takes the machine's memory or time, and the good stack's finding survives."""

from __future__ import annotations

import pytest

from hostile_tree import GITLAB, WORKFLOW, E, W, findings, outcome, scan_tree, too_deep
from oidclint import discovery
from oidclint.config import Config
from oidclint.located import documents as located


def test_a_sparse_200_mb_file_is_reported_without_being_read(tmp_path, monkeypatch):
    big = tmp_path / "huge.tf"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no data written
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    report = scan_tree(tmp_path, monkeypatch, {})
    assert outcome(report, "huge.tf") == [
        ("larger than the 5,242,880-byte limit (209,715,200 bytes); not read", W, None)]
    assert str(big) not in opened
    assert findings(report) == [("OIDC201", "good.tf")]


def test_a_10_mb_line_over_the_default_limit_is_reported(tmp_path, monkeypatch):
    line = "x" * (10 * 1024 * 1024)
    report = scan_tree(tmp_path, monkeypatch, {"long.yaml": line})
    assert outcome(report, "long.yaml") == [
        ("larger than the 5,242,880-byte limit (10,485,760 bytes); not read", W, None)]
    assert findings(report) == [("OIDC201", "good.tf")]


def test_a_10_mb_line_within_a_raised_limit_is_stopped_by_the_time_budget(tmp_path, monkeypatch):
    # The parser takes well over ten seconds on it; the budget ends the work on the file.
    monkeypatch.setattr(discovery, "MAX_FILE_BYTES", 16 * 1024 * 1024)
    text = 'locals {\n  x = "%s"\n}\n' % ("a" * (10 * 1024 * 1024))
    report = scan_tree(tmp_path, monkeypatch, {"long.tf": text},
                       config=Config(time_budget=1.0))
    assert outcome(report, "long.tf") == [
        ("took longer than the 1 s time budget; not read", E, None)]
    assert findings(report) == [("OIDC201", "good.tf")]


def test_five_million_yaml_values_are_stopped_while_they_are_read(tmp_path, monkeypatch):
    # libyaml reads a 10 MB string in a fraction of a second, but not five million list items:
    # the count of values stops it before they fill the memory, whatever the time budget (a
    # lower limit here, to keep the test quick; test_memory_bounds runs the real one).
    monkeypatch.setattr(discovery, "MAX_FILE_BYTES", 16 * 1024 * 1024)
    monkeypatch.setattr(located, "MAX_FILE_NODES", 100_000)
    text = 'AWSTemplateFormatVersion: "2010-09-09"\nDescription: [%s]\nResources: {}\n' % (
        "a," * (5 * 1024 * 1024))
    report = scan_tree(tmp_path, monkeypatch, {"long.yaml": text},
                       config=Config(time_budget=600.0))
    assert outcome(report, "long.yaml") == [
        ("YAML/JSON syntax error: more than 100,000 values (the limit of the scan); not read",
         W, None)]
    assert findings(report) == [("OIDC201", "good.tf")]


DEEP = 100_000


@pytest.mark.parametrize("name, text, expected", [
    ("deep.tf.json", '{"locals": {"x": ' + "[" * DEEP + "]" * DEEP + "}}",
     [("Terraform JSON syntax error: line 1, column 1: nested too deeply to read", W, (1, 1))]),
    # Nested mappings: PyYAML's own scanner is quadratic in nested flow sequences
    # (``[[[...``), which only the time budget bounds.
    ("deep.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": '
     + '{"a": ' * DEEP + "1" + "}" * DEEP + "}", too_deep("YAML/JSON", 1, 6051)),
    ("deep.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\nResources: '
     + "{a: " * DEEP + "1" + "}" * DEEP + "\n", too_deep("YAML/JSON", 2, 4008)),
    (WORKFLOW, "on: push\njobs: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n",
     too_deep("YAML", 2, 4003)),
    (GITLAB, "deploy: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n", too_deep("YAML", 1, 4005)),
    ("sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: "
     + "{a: " * DEEP + "1" + "}" * DEEP + "\n", too_deep("YAML", 3, 4007)),
])
def test_json_and_yaml_nested_100000_deep_are_reported(tmp_path, monkeypatch, name, text,
                                                       expected):
    report = scan_tree(tmp_path, monkeypatch, {name: text})
    assert outcome(report, name) == expected
    assert findings(report) == [("OIDC201", "good.tf")]


def test_hcl_nested_100000_deep_is_stopped_by_the_time_budget(tmp_path, monkeypatch):
    # hcl2's parser takes seconds per 10,000 levels: the per-file budget is what ends it.
    import signal

    # A timer left running by an earlier test would take charge of the budget instead.
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    text = 'locals {\n  x = ' + "[" * DEEP + "]" * DEEP + '\n}\n'
    report = scan_tree(tmp_path, monkeypatch, {"deep.tf": text},
                       config=Config(time_budget=1.0))
    assert outcome(report, "deep.tf") == [
        ("took longer than the 1 s time budget; not read", E, None)]
    assert findings(report) == [("OIDC201", "good.tf")]
