"""The hostile-input corpus: each file of tests/hostile/ is scanned next to a good stack.

For every input the promise is exact: the scan goes on, the file gets exactly the diagnostics
listed (or, for inputs that are merely odd, none), nothing in it is executed, and the good
stack's findings are unchanged. Big inputs (over the size limit, a 10 MB line, 100,000 levels
of nesting) are generated in tmp_path, never checked in.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from oidclint import discovery
from oidclint.parsers import located
from oidclint.config import Config
from oidclint.engine import scan
from test_bad_input import GOOD_BUT_FLAWED

HOSTILE = Path(__file__).parent / "hostile"
MARKER = "oidclint-hostile-marker"  # what the python/object tags in the corpus would create
WORKFLOW = ".github/workflows/deploy.yml"
GITLAB = ".gitlab-ci.yml"
W, N, E = "WARNING", "NOTE", "ERROR"

# YAML and JSON are read with libyaml where PyYAML has it (its wheels do), else with PyYAML's
# own scanner: the two word some errors differently.
LIBYAML = yaml.__with_libyaml__
UNCLOSED_LIST = ("did not find expected ',' or ']'" if LIBYAML
                 else "expected ',' or ']', but got '<stream end>'")
NO_NODE = ("did not find expected node content" if LIBYAML
           else "expected the node content, but found '<stream end>'")
UNCLOSED_MAPPING = ("did not find expected ',' or '}'" if LIBYAML
                    else "expected ',' or '}', but got '<stream end>'")
SECOND_DOCUMENT = ("did not find expected <document start>" if LIBYAML
                   else "expected '<document start>', but found '<scalar>'")
TRUNCATED_JSON_SPAN = (2, 1) if LIBYAML else (1, 107)  # libyaml: after the last line break
TRUNCATED_JSON_AT = "line {}, column {}".format(*TRUNCATED_JSON_SPAN)


def too_deep(what: str, line: int, column: int) -> list[tuple[str, str, tuple[int, int] | None]]:
    """libyaml stops at 1,000 levels and says where; PyYAML's own composer runs out of
    Python stack."""
    if LIBYAML:
        return [(f"{what} syntax error: line {line}, column {column}: exceeded maximum "
                 "nesting depth", W, (line, column))]
    return [(f"{what} syntax error: nested too deeply to read", W, None)]


# corpus file -> (where it is put in the scanned tree, [(message, level, (line, column))]).
CORPUS: dict[str, tuple[str, list[tuple[str, str, tuple[int, int] | None]]]] = {
    # Terraform
    "truncated.tf": ("truncated.tf", [
        ("HCL syntax error: line 2, column 11: unexpected end of file", W, (2, 11))]),
    "truncated-block.tf": ("truncated-block.tf", [
        ("HCL syntax error: line 5, column 1: unexpected end of file", W, (5, 1))]),
    "truncated.tf.json": ("truncated.tf.json", [
        ("Terraform JSON syntax error: line 1, column 38: Expecting property name enclosed in "
         "double quotes", W, (1, 38))]),
    "list.tf.json": ("list.tf.json", [
        ("Terraform JSON syntax error: line 1, column 1: the root of a Terraform JSON file must "
         "be an object", W, (1, 1))]),
    "truncated.tfvars": ("terraform.tfvars", [
        ("HCL syntax error: line 1, column 15: unexpected end of file", W, (1, 15))]),
    "list.tfvars.json": ("x.auto.tfvars.json", [
        ("a variables file must hold one JSON object", W, None)]),
    "invalid-utf8.tf": ("invalid-utf8.tf", [
        ("not UTF-8 text (invalid byte at offset 40)", W, None)]),
    "nul-bytes.tf": ("nul-bytes.tf", [("binary file (contains NUL bytes)", W, None)]),
    # GitHub Actions
    "workflow-truncated.yml": (WORKFLOW, [
        (f"YAML syntax error: line 5, column 1: {UNCLOSED_LIST}", W, (5, 1))]),
    "workflow-list.yml": (WORKFLOW, [
        ("not a workflow: the top level is not a mapping", N, (1, 1))]),
    "workflow-wrong-types.yml": (WORKFLOW, [
        ("`steps` of job deploy is not a list", N, (8, 12)),
        ("job other is not a mapping", N, (9, 10)),
        ("job third is not a mapping", N, (10, 10))]),
    "workflow-nulls.yml": (WORKFLOW, []),
    "workflow-lists-for-strings.yml": (WORKFLOW, []),
    "workflow-duplicate-key.yml": (WORKFLOW, [
        ("YAML syntax error: line 7, column 5: duplicate key `permissions` (first on line 5)",
         W, (7, 5))]),
    "python-tag-workflow.yml": (WORKFLOW, [
        ("YAML syntax error: line 3, column 11: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/object/new:os.system'", W, (3, 11))]),
    "alias-bomb-workflow.yml": (WORKFLOW, [
        ("YAML syntax error: aliases and merge keys expand to more than 500,000 nodes (an alias "
         "bomb?)", W, None)]),
    "nul-bytes-workflow.yml": (WORKFLOW, [("binary file (contains NUL bytes)", W, None)]),
    "utf16-be-bom-workflow.yml": (WORKFLOW, []),
    # GitLab CI
    "gitlab-ci-truncated.yml": (GITLAB, [
        (f"YAML syntax error: line 3, column 1: {UNCLOSED_LIST}", W, (3, 1))]),
    "gitlab-ci-list.yml": (GITLAB, [("the CI configuration is not a mapping", W, (1, 1))]),
    "gitlab-ci-wrong-types.yml": (GITLAB, [
        ("an `include` is neither a path nor a mapping; not read", N, None),
        ("the global `variables` is not a mapping; not read", N, (2, 12)),
        ("`id_tokens` of job deploy is not a mapping; not read", N, (5, 14)),
        # A number has no span of its own: the list holding it is pointed at.
        ("`aud` of id_token AWS_TOKEN of job other is not a string; not read", N, (10, 26)),
        ("`aud` of id_token AWS_TOKEN of job other is not a string; not read", N, (10, 36)),
        ("`script` of job other is not a string or a list; not read", N, (12, 11))]),
    "python-tag-gitlab-ci.yml": (GITLAB, [
        ("YAML syntax error: line 2, column 11: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/object/apply:subprocess.call'", W, (2, 11))]),
    "alias-bomb-gitlab-ci.yml": (GITLAB, [
        ("YAML syntax error: aliases and merge keys expand to more than 500,000 nodes (an alias "
         "bomb?)", W, None)]),
    # CloudFormation
    "cloudformation-truncated.yaml": ("cloudformation-truncated.yaml", [
        (f"YAML/JSON syntax error: line 7, column 1: {NO_NODE}", W, (7, 1))]),
    "cloudformation-truncated.json": ("cloudformation-truncated.json", [
        (f"YAML/JSON syntax error: {TRUNCATED_JSON_AT}: {NO_NODE}", W, TRUNCATED_JSON_SPAN)]),
    "cloudformation-trailing.json": ("cloudformation-trailing.json", [
        (f"YAML/JSON syntax error: line 1, column 61: {SECOND_DOCUMENT}", W, (1, 61))]),
    "cloudformation-wrong-types.yaml": ("cloudformation-wrong-types.yaml", [
        ("Provider.ClientIdList is not a list", W, (16, 42)),
        ("Provider.Url is not a string", W, (16, 23)),
        ("Shapes: Condition is not a mapping", W, (12, 81)),
        ('Shapes: Principal is neither "*" nor a mapping', W, (12, 49)),
        ("resource NoType has no Type", W, (3, 3)),
        # `Null:` is YAML's null, as a key too: the message names it as YAML does.
        ("resource null is not a mapping", W, None),
        ("the Properties of ListProperties cannot be read", W, (7, 17))]),
    # A second Condition (or a second operator inside one) would silently replace the first
    # and lose a restriction: the file is reported, naming the key and both lines.
    "cloudformation-duplicate-condition.yaml": ("cloudformation-duplicate-condition.yaml", [
        ("YAML/JSON syntax error: line 16, column 13: duplicate key `Condition` (first on "
         "line 13)", W, (16, 13))]),
    "cloudformation-duplicate-condition.json": ("cloudformation-duplicate-condition.json", [
        ("YAML/JSON syntax error: line 14, column 15: duplicate key `StringLike` (first on "
         "line 13)", W, (14, 15))]),
    "python-tag-cloudformation.yaml": ("python-tag-cloudformation.yaml", [
        ("YAML/JSON syntax error: line 3, column 9: could not determine a constructor for the "
         "tag 'tag:yaml.org,2002:python/object/apply:os.system'", W, (3, 9))]),
    "escape-in-yaml.yaml": ("escape-in-yaml.yaml", [
        ("YAML/JSON syntax error: line 3, column 28: character #x001b is not allowed in YAML",
         W, (3, 28))]),
    "invalid-utf8-cloudformation.yaml": ("invalid-utf8-cloudformation.yaml", [
        ("not UTF-8 text (invalid byte at offset 209)", W, None)]),
    # Kubernetes
    "serviceaccount-truncated.yaml": ("serviceaccount-truncated.yaml", [
        (f"YAML syntax error: line 5, column 1: {UNCLOSED_LIST}", W, (5, 1))]),
    "serviceaccount-wrong-types.yaml": ("serviceaccount-wrong-types.yaml", [
        ("`metadata.annotations` of a ServiceAccount is not a mapping; not read", N, (6, 16)),
        ("annotation `eks.amazonaws.com/role-arn` of ServiceAccount api is not a string; not "
         "read", N, (17, 45)),
        ("`metadata` of an eksctl ClusterConfig is not a mapping; not read", N, (26, 1)),
        ("`iam.serviceAccounts` of an eksctl ClusterConfig is not a list; not read", N,
         (29, 6))]),
    "python-tag-serviceaccount.yaml": ("python-tag-serviceaccount.yaml", [
        ("YAML syntax error: line 3, column 11: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/name:os.system'", W, (3, 11))]),
    "merge-key-bomb-serviceaccount.yaml": ("merge-key-bomb-serviceaccount.yaml", [
        ("YAML syntax error: aliases and merge keys expand to more than 500,000 nodes (an alias "
         "bomb?)", W, None)]),
    # A flow-style (JSON-like) manifest is a manifest too: it does not vanish when it is broken.
    "flow-style-truncated-serviceaccount.yaml": ("flow-style-truncated-serviceaccount.yaml", [
        (f"YAML syntax error: line 2, column 1: {UNCLOSED_MAPPING}", W, (2, 1))]),
    "complex-key-serviceaccount.yaml": ("complex-key-serviceaccount.yaml", [
        ("YAML syntax error: line 5, column 5: a key that is a list, a mapping or a tagged "
         "value is not supported", W, (5, 5))]),
    # Values past a limit, in the user's terms (Python's own message names an interpreter
    # function, sys.set_int_max_str_digits).
    "huge-number-workflow.yml": (WORKFLOW, [
        ("YAML syntax error: line 6, column 22: a number with more than 4,300 digits", W,
         (6, 22))]),
    "huge-number.tf.json": ("huge-number.tf.json", [
        ("Terraform JSON syntax error: line 1, column 75: a number with more than 4,300 digits",
         W, (1, 75))]),
    "huge-number.tf": ("huge-number.tf", [
        ("`max_session_duration` is not evaluated: a number with more than 4,300 digits (a "
         "limit of the scan); its value is unknown", W, (3, 26)),
        ("aws_iam_role.huge: the policy has no Statement", W, (4, 26))]),
    # About 80 nested calls: past the evaluation's nesting limit, said, not a role gone.
    "nested-calls.tf": ("nested-calls.tf", [
        ("`assume_role_policy` is not evaluated: nested more than 160 levels deep (a limit of "
         "the scan); its value is unknown", W, (3, 24))]),
    # A map as a map key: Terraform rejects it; the value is unknown, no "unhashable type".
    "map-as-key.tf": ("map-as-key.tf", [
        ("aws_iam_role.keyed: the policy has no Statement", W, (6, 24))]),
    "tag-of-wrong-shape-cloudformation.yaml": ("tag-of-wrong-shape-cloudformation.yaml", [
        ("YAML/JSON syntax error: line 10, column 36: `!GetAtt` cannot take this value", W,
         (10, 36))]),
    # Terraform plan JSON
    "plan-in-a-list.json": ("plan-in-a-list.json", [
        ("the top level is a list, not the plan object `terraform show -json` writes; not read",
         W, (1, 1))]),
    # A JSON list naming the plan keys but holding no plan is some other file: nothing to say.
    "not-a-plan-list.json": ("not-a-plan-list.json", []),
    # Fields of the wrong type are named, with the line; nulls are nothing to read.
    "plan-wrong-types.json": ("plan-wrong-types.json", [
        ("`configuration` is not an object; not read", N, (1, 255)),
        ("`planned_values.root_module.resources[1]` is not an object; not read", N, (1, 75)),
        ("`planned_values.root_module.resources[2].type` is not a string; not read", N, (1, 94)),
        # A number has no span of its own: the mapping or list holding it is pointed at.
        ("`planned_values.root_module.resources[2].values` is not an object; not read", N,
         (1, 85)),
        ("`planned_values.root_module.resources[3].address` is not a string; not read", N,
         (1, 115)),
        ("`resource_changes[1].change` is not an object; not read", N, (1, 222))]),
}

# Inputs that are silently dropped today: the test states the outcome they should have.
KNOWN_SILENT = {
    # A kustomization that cannot be read is reported: the manifests beside it lose their
    # namespace.
    "kustomization-truncated.yaml": ("k/kustomization.yaml", "YAML syntax error: line 2, column 10"),
    "python-tag-kustomization.yaml": ("k/kustomization.yaml", "python/object/apply:os.system"),
    # A file shaped like a plan that does not load is reported as broken JSON.
    "plan-truncated.json": ("plan-truncated.json", "syntax error"),
}


def scan_tree(tmp_path: Path, monkeypatch, files: dict[str, Path | bytes | str], **kwargs):
    """The good stack plus ``files`` (tree path -> content), scanned from inside the tree."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.tf").write_text(GOOD_BUT_FLAWED)
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    # Every file parsed: the corpus tests the parsers; most of it would not pass the prefilter.
    return scan([tmp_path], root=tmp_path, prefilter=False, **kwargs)


def outcome(report, path: str):
    return [(d.message, d.level.name, (d.span.line, d.span.column) if d.span else None)
            for d in report.diagnostics if d.path == path]


def findings(report):
    return [(f.rule_id, f.span.path) for f in report.findings]


def test_every_corpus_file_has_a_promised_outcome():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(
        [*CORPUS, *KNOWN_SILENT, "utf16-bom-cloudformation.yaml"])
    assert all(p.stat().st_size < 100_000 for p in HOSTILE.iterdir())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_is_reported_and_the_good_stack_is_unchanged(tmp_path, monkeypatch, name):
    destination, expected = CORPUS[name]
    report = scan_tree(tmp_path, monkeypatch, {destination: HOSTILE / name})
    assert sorted(outcome(report, destination)) == sorted(expected)
    assert [d for d in report.diagnostics if d.path != destination] == []
    assert findings(report) == [("OIDC201", "good.tf")]
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("name", sorted(KNOWN_SILENT))
def test_unreadable_kustomization_and_plan_are_reported(tmp_path, monkeypatch, name):
    destination, reason = KNOWN_SILENT[name]
    report = scan_tree(tmp_path, monkeypatch, {destination: HOSTILE / name})
    assert not (tmp_path / MARKER).exists()
    assert findings(report) == [("OIDC201", "good.tf")]
    assert any(reason in message for message, _, _ in outcome(report, destination))


def test_python_tags_never_run_even_where_the_file_is_dropped(tmp_path, monkeypatch):
    files = {d: HOSTILE / n for n, (d, _) in {**CORPUS, **KNOWN_SILENT}.items()
             if n.startswith("python-tag")}
    assert len(files) == 5
    report = scan_tree(tmp_path, monkeypatch, files)
    assert not (tmp_path / MARKER).exists()
    assert findings(report) == [("OIDC201", "good.tf")]


def test_utf16_with_bom_is_read_like_utf8(tmp_path, monkeypatch):
    name = "utf16-bom-cloudformation.yaml"
    assert (HOSTILE / name).read_bytes()[:2] == b"\xff\xfe"
    report = scan_tree(tmp_path, monkeypatch, {name: HOSTILE / name})
    assert report.diagnostics == []
    assert findings(report) == [("OIDC201", "good.tf"), ("OIDC201", name)]
    [finding] = [f for f in report.findings if f.span.path == name]
    assert finding.span.line == 14  # lines count as in the decoded text


def test_a_duplicate_condition_key_in_a_heredoc_policy_is_reported(tmp_path, monkeypatch):
    policy = '''resource "aws_iam_role" "dup" {
  assume_role_policy = <<EOF
{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
  "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
  "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/api:*"}},
  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}
EOF
}
'''
    report = scan_tree(tmp_path, monkeypatch, {"dup.tf": policy})
    # The lines in the message count from the heredoc's first line (JSON text lines 3, 4);
    # the span points into the file, at the start of the second key's line.
    assert outcome(report, "dup.tf") == [
        ("aws_iam_role.dup: the policy is not valid JSON: line 4, column 3: duplicate key "
         "`Condition` (first on line 3)", W, (6, 1))]
    assert ("OIDC201", "dup.tf") not in findings(report)  # never read as aud-only


def test_a_key_given_again_over_a_merged_one_is_an_override_not_a_duplicate(tmp_path,
                                                                               monkeypatch):
    manifest = ("apiVersion: v1\nkind: ServiceAccount\nbase: &base {name: x, namespace: ci}\n"
                "metadata:\n  <<: *base\n  name: deploy\n")
    report = scan_tree(tmp_path, monkeypatch, {"sa.yaml": manifest})
    assert outcome(report, "sa.yaml") == []


# --- generated inputs ---------------------------------------------------------------------


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


# --- file system oddities -------------------------------------------------------------------


def test_links_to_folders_outside_and_links_inside_are_handled(tmp_path, monkeypatch):
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "secret.tf").write_text(GOOD_BUT_FLAWED.replace("deploy", "secret"))
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside, tree / "linked-folder")  # folders reached by links are not entered
    os.symlink("../tree/good.tf", tree / "z-same-file.tf")  # the same file twice: read once
    os.symlink("../../" + outside.name + "/secret.tf", tree / "dotdot.tf")
    report = scan_tree(tree, monkeypatch, {})
    assert [(d.path, d.message) for d in report.diagnostics] == [
        ("dotdot.tf", "symbolic link to a file outside the scanned tree; not read")]
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
