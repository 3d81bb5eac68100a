"""Hostile inputs too big to check in, generated: each is reported by file and reason, the
planted finding elsewhere in the tree is kept, two scans give the same output, and no message
shows the user an internal detail (a Python repr, an exception's class, a traceback)."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oidclint.engine import scan
from oidclint.located import documents as located
from oidclint.reporters import FORMATS
from test_bad_input import GOOD_BUT_FLAWED
from test_hostile_corpus import CORPUS, HOSTILE, KNOWN_SILENT

PLANTED = ("OIDC201", "good/main.tf")
W, N = "WARNING", "NOTE"

ROLE = '''resource "aws_iam_role" "nested" {
  name = "nested"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = { StringLike = { "token.actions.githubusercontent.com:sub" = SUBJECT } }
    }]
  })
}
'''
SA = ("{apiVersion: v1, kind: ServiceAccount, metadata: {name: %s, namespace: ns, annotations: "
      "{eks.amazonaws.com/role-arn: 'arn:aws:iam::111122223333:role/%s'}}}")


def flow_list(filler: int) -> str:
    """A flow-style List: a ServiceAccount, ``filler`` small objects, another ServiceAccount."""
    items = [SA % ("first", "first")] + ["{kind: A, data: {a: b, c: d}}"] * filler
    return "{apiVersion: v1, kind: List, items: [" + ", ".join(
        items + [SA % ("last", "last")]) + "]}\n"


GENERATED = {
    # 100,000 parentheses: past the evaluation's nesting limit.
    "parentheses/main.tf": ROLE.replace("SUBJECT", "(" * 100_000 + '"repo:*"' + ")" * 100_000),
    # The 1,001st instance of a count: evaluated, its finding kept, the cap noted.
    "count/main.tf": ROLE.replace('"nested" {\n  name = "nested"',
                                  '"nested" {\n  count = 1001\n  name = "nested-${count.index}"')
                         .replace("SUBJECT", 'count.index == 1000 ? "repo:*" : "repo:acme/x:*"'),
    os.fsdecode(b"\xff\xfename/bad.tf"): "resource {\n",
    "nl\nname/bad.tf": "resource {\n",
    "esc\x1b[31mname/bad.tf": "resource {\n",
}


def write(tree: Path, files: dict[str, str]) -> None:
    for name, text in {"good/main.tf": GOOD_BUT_FLAWED, **files}.items():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def scan_twice(tree: Path):
    """The report of the tree, checked to render the same JSON and SARIF twice."""
    first, second = (scan([tree], root=tree, prefilter=False) for _ in range(2))
    for form in ("json", "sarif"):
        assert FORMATS[form](first) == FORMATS[form](second)
    return first


def messages(report, path: str) -> list[tuple[str, str, int | None]]:
    return [(d.message, d.level.name, d.span.line if d.span else None)
            for d in report.diagnostics if d.path == path]


def test_generated_reproductions_are_reported_and_the_planted_finding_kept(tmp_path):
    write(tmp_path, GENERATED)
    report = scan_twice(tmp_path)
    found = [(f.rule_id, f.span.path, f.address) for f in report.findings]
    assert (*PLANTED, "aws_iam_role.deploy") in found
    # The instance past the cap is there, with what only it admits.
    assert ("OIDC203", "count/main.tf", "aws_iam_role.nested[1000]") in found
    assert messages(report, "count/main.tf") == [(
        "aws_iam_role.nested has 1,001 instances (count): the first 1,000 are evaluated one by "
        "one, the other 1 together, as one whose count.index is any of theirs; what depends on "
        "which one it is stays unknown", N, 2)]
    assert messages(report, "parentheses/main.tf") == [(
        "assume_role_policy: nested more than 160 levels deep; not evaluated", W, 3)]
    for name in (n for n in GENERATED if n.endswith("bad.tf")):
        assert messages(report, name) == [
            ("HCL syntax error: line 2, column 1: unexpected end of file", W, 2)]


def test_a_flow_style_list_past_the_value_limit_keeps_the_items_read(tmp_path, monkeypatch):
    # The limit is lowered so the test is quick; test_memory_bounds runs the real one.
    monkeypatch.setattr(located, "MAX_FILE_NODES", 10_000)
    write(tmp_path, {"k8s/list.yaml": flow_list(2_000)})
    report = scan_twice(tmp_path)
    roles = sorted(str(w.role).rsplit("/", 1)[-1] for w in [
        *scan_graph_workloads(tmp_path)])
    assert roles == ["first"]  # the item after the limit is not read, and said so
    assert messages(report, "k8s/list.yaml") == [(
        "the items of the List past the first 1,109 are not read: the file holds more than "
        "10,000 values (the limit of the scan)", W, None)]
    assert (*PLANTED,) in [(f.rule_id, f.span.path) for f in report.findings]


def scan_graph_workloads(tree: Path):
    from oidclint.engine import build_graph

    graph, _, _ = build_graph([tree], None)
    return graph.inventory.workloads


def test_a_multi_document_file_past_the_value_limit_keeps_the_documents_before(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(located, "MAX_FILE_NODES", 1_000)
    big = "{kind: ConfigMap, data: {" + ", ".join(f"k{i}: v" for i in range(1_000)) + "}}"
    write(tmp_path, {"k8s/all.yaml": SA % ("first", "first") + "\n---\n" + big + "\n---\n"
                                     + SA % ("last", "last") + "\n"})
    report = scan_twice(tmp_path)
    assert [w.name for w in scan_graph_workloads(tmp_path)] == ["ServiceAccount ns/first"]
    assert messages(report, "k8s/all.yaml") == [
        ("more than 1,000 values (the limit of the scan); not read", W, None)]


# --- messages: only shapes a user can read -------------------------------------------------

ALLOWED = [re.compile(pattern) for pattern in (
    r"(HCL|Terraform JSON|YAML|YAML/JSON|JSON) syntax error: (line \d+, column \d+: )?.+",
    r"line \d+, column \d+: .+",
    r"larger than the [\d,]+-byte limit \([\d,]+ bytes\); not read",
    r"took longer than the \d+ s time budget; not read",
    r"not UTF-8 text \(invalid byte at offset \d+\)",
    r"binary file \(contains NUL bytes\)",
    r"[\w.\[\]\"-]+: .+; not evaluated",
    r"(the items of the List past the first [\d,]+ are not read: )?.*more than [\d,]+ values "
    r"\(the limit of the scan\)(; not read)?",
    r".+ has [\d,]+ instances \((count|for_each)\): the first [\d,]+ are evaluated one by one.+",
    r'dynamic "\w+" generates [\d,]+ blocks: .+',
    r".+ is not (a|an) (string|list|mapping|object|boolean|number)"
    r"( or a (list|mapping|string))?; not read",
    r"`on\.\w+` is not a mapping; read as the event without filters",
    r"`id-token` permission is neither write, read nor none; read as not write",
    r"an `include` is neither a path nor a mapping; not read",
    r"the top level is a list, not the plan object `terraform show -json` writes; not read",
    r"[\w.\[\]\"-]+: the policy (is not a JSON object|has no Statement|is not valid JSON: .+)",
    r"(not a workflow: )?.+ is not a (mapping|list)",
    r"`[^`]+` of job \w+ is not a (list|mapping)",
    r"job \w+ is not a mapping",
    r"resource [\w-]+ (is not a mapping|has no Type)",
    r"[\w.]+ is not a (list|string|number of seconds)",
    r"\w+: (Condition is not a mapping|Principal is neither \"\*\" nor a mapping|Effect is not "
    r"a string)",
    r"the Properties of \w+ cannot be read",
    r"a variables file must hold one JSON object",
    r"symbolic link to a file outside the scanned tree; not read",
    r"the repository is unknown .+",
    r"`role-duration-seconds` is not a whole number of seconds",
    r"`environment` is neither a name nor a mapping with a name",
    r"`role-to-assume` is not a string",
    r"`with` of (configure-aws-credentials|google-github-actions/auth) is not a mapping",
    r"Fn::Select takes a non-negative index|Ref takes the name of a parameter or resource",
    r"the JSON text is not valid JSON: line \d+, column \d+: .+",
    r"include .+ is not among the scanned files; its jobs are not analyzed",
    r"eksctl iam\.serviceAccounts entry without metadata\.name",
    r"(include [\w()-]+|read_terragrunt_config): a cycle \([^()]+\); not followed",
)]
# What would be an internal detail: a repr, an exception's class, a traceback, Python's advice.
FORBIDDEN = re.compile(
    r"^None:|\bNone\b|Traceback|File \"|\w+Error\b|\w+Exception\b|unhashable|object has no "
    r"attribute|sys\.\w+|\bLList\b|\bLDict\b|\bStr\(|Unknown\(|IndexRange\(|<\w+ object at|"
    r"\{'|\['")

HOSTILE_VALUES = {
    "values/huge-int.tf": 'locals {\n  x = ' + "9" * 5000 + '\n}\n',
    "values/inf.tf": 'resource "aws_iam_role" "r" {\n  max_session_duration = 1e999999\n'
                     '  assume_role_policy = jsonencode([])\n}\n',
    "values/set-of-maps.tf": 'resource "aws_iam_role" "s" {\n  for_each = toset([{}])\n'
                             '  assume_role_policy = jsonencode(null)\n}\n',
    "values/zipmap.tf": 'resource "aws_iam_role" "z" {\n  name = jsonencode(zipmap([[1]], [1]))\n'
                        '  assume_role_policy = "[1]"\n}\n',
    "values/substr.tf": 'resource "aws_iam_role" "u" {\n  count = 1001\n'
                        '  name = substr("abc", count.index, 1)\n  assume_role_policy = "null"\n}\n',
    "values/cfn.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  null: 5\n  1:\n'
                       '    Type: AWS::IAM::Role\n    Properties: {AssumeRolePolicyDocument: []}\n'
                       '  R:\n    Type: AWS::IAM::Role\n    Properties:\n'
                       '      MaxSessionDuration: ' + "9" * 5000 + '\n',
    "values/plan.json": '{"format_version": "1.2", "planned_values": {"root_module": {"resources": '
                        '[{"address": null, "type": "aws_iam_role", "values": {"assume_role_policy'
                        '": "null"}}, {"address": ["x"], "type": "aws_iam_role", "values": {}}]}}}',
    "values/big.auto.tfvars.json": '{"x": ' + "9" * 5000 + "}",
    "values/kustomization.yaml": "namespace: [x]\nresources: [5]\n",
}


def test_every_message_of_the_hostile_corpus_has_a_shape_a_user_can_read(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(located, "MAX_FILE_NODES", 10_000)
    corpus = {f"corpus/{i}/{destination}": (HOSTILE / name).read_bytes()
              for i, (name, (destination, _)) in enumerate(sorted({**CORPUS,
                                                                    **KNOWN_SILENT}.items()))}
    write(tmp_path, {**GENERATED, **HOSTILE_VALUES, "k8s/list.yaml": flow_list(2_000)})
    for name, data in corpus.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    report = scan_twice(tmp_path)
    assert (*PLANTED,) in [(f.rule_id, f.span.path) for f in report.findings]
    assert len(report.diagnostics) > 60
    for diagnostic in report.diagnostics:
        message = diagnostic.message
        assert not FORBIDDEN.search(message), message
        assert any(shape.fullmatch(message) for shape in ALLOWED), message


# --- measured: time and memory of the largest reproductions ------------------------------

# The time budget is raised so that the limit under test is what stops the file (with the
# default 10 s budget, reading a million values may run out of time first, and says so).
# The peak is the process's own (VmHWM, reset by exec): Linux carries the parent's peak into
# `ru_maxrss` across fork and exec, so a large test process would be measured instead.
MEASURED = '''
import resource, sys, time
from oidclint.config import Config
from oidclint.engine import scan
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
report = scan([sys.argv[1]], Config(time_budget=120), root=sys.argv[1])
print(time.perf_counter() - started)
print(peak_kb())
print("\\n".join(d.message for d in report.diagnostics))
'''


@pytest.mark.parametrize("name, text, message", [
    # 5 MiB of `a,` in a flow-style List: 2.6 million values, stopped while they are read.
    ("flat/list.yaml", "{apiVersion: v1, kind: List, items: [{kind: ServiceAccount}, "
     + "a," * (5 * 1024 * 1024 // 2 - 40) + "a]}\n",
     # As many items as the other limits let be read (the alias count may stop it first).
     r"the items of the List past the first [\d,]+ are not read: the file holds more than "
     r"1,000,000 values \(the limit of the scan\)"),
    ("parentheses/main.tf", GENERATED["parentheses/main.tf"],
     r"assume_role_policy: nested more than 160 levels deep; not evaluated"),
])
def test_memory_bounds(tmp_path, name, text, message):
    """Each in under 60 s and 1 GB (peak resident memory of the scanning process)."""
    write(tmp_path, {name: text})
    done = subprocess.run([sys.executable, "-c", MEASURED, str(tmp_path)], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "OIDCLINT_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    seconds, peak_kb, *diagnostics = done.stdout.splitlines()
    assert any(re.fullmatch(message, line) for line in diagnostics), diagnostics
    assert float(seconds) < 60
    assert int(peak_kb) < 1024 * 1024, f"peak {int(peak_kb) // 1024} MB"
