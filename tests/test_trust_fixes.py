"""The fixes ``scan --fix`` makes to trust policies (OIDC104, OIDC106, OIDC202, OIDC304), in
every syntax a trust is written in.

Each case is a folder ``tests/fixes/<RULE>/<case>/``: ``before/`` is the tree scanned,
``after/`` the files ``--fix`` must leave (a file not there is left as it is). A ``fixed-``
case has a fix for the rule, and scanning the fixed tree no longer reports it; a
``refused-`` case reports the rule with no fix, and ``--fix`` leaves its files alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO, SAMPLES
from oidclint.cli import app
from oidclint.engine import scan
from oidclint.iam.patterns import glob_covers, glob_matches
from oidclint.reporters import FORMATS
from test_fixes import _apply_sarif

CASES_ROOT = Path(__file__).parent / "fixes"
CASES = sorted(p for p in CASES_ROOT.glob("*/*") if p.is_dir())
REPOSITORY = "acme/api"
runner = CliRunner()


def files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copied(case: Path, tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(case / "before", tree)
    return tree


def findings(tree: Path, rule: str):
    report = scan([tree], root=tree, repository=REPOSITORY)
    return [f for f in report.findings if f.rule_id == rule]


def cli(tree: Path, *more: str):
    return runner.invoke(app, ["scan", str(tree), "--repository", REPOSITORY, "--no-cache",
                               "--fail-on", "never", *more])


def expected_after(case: Path) -> dict[str, str]:
    after = files(case / "before")
    if (case / "after").is_dir():
        after.update(files(case / "after"))
    return after


def test_every_fix_has_fixed_and_refused_cases_in_each_syntax():
    names = {(c.parent.name, c.name) for c in CASES}
    assert {rule for rule, _ in names} == {"OIDC104", "OIDC106", "OIDC202", "OIDC304"}
    for rule in ("OIDC106", "OIDC202", "OIDC304"):
        fixed = {name for r, name in names if r == rule and name.startswith("fixed-")}
        for syntax in ("policy-document", "jsonencode", "heredoc-json", "cloudformation-yaml",
                       "cloudformation-json"):
            assert any(syntax in name for name in fixed), (rule, syntax)
    # OIDC104's fix rewrites a Terraform reference: HCL only. In heredoc JSON the key's
    # place is not known once an interpolation is rendered in it: refused.
    assert {n for r, n in names if r == "OIDC104" and n.startswith("fixed-")} >= {
        "fixed-policy-document-cluster-issuer", "fixed-jsonencode"}
    assert "refused-heredoc-json" in {n for r, n in names if r == "OIDC104"}
    for rule in {r for r, _ in names}:
        assert any(r == rule and n.startswith("refused-") for r, n in names), rule
    for case in CASES:
        assert (case / "after").is_dir() == case.name.startswith("fixed-"), case


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fix_gives_the_after_tree_and_the_finding_is_gone(case, tmp_path):
    rule = case.parent.name
    tree = copied(case, tmp_path)
    found = findings(tree, rule)
    assert found, f"{rule} does not fire on {case}"
    fixable = case.name.startswith("fixed-")
    assert all((f.autofix is not None) == fixable for f in found), \
        [(f.message, f.autofix) for f in found]
    result = cli(tree, "--fix")
    assert result.exit_code == 0, result.output
    assert files(tree) == expected_after(case)
    left = findings(tree, rule)
    assert (left == []) if fixable else len(left) == len(found)
    # Idempotent: a second run finds nothing more to change.
    assert cli(tree, "--diff").stdout == ""
    again = cli(tree, "--fix")
    assert again.exit_code == 0 and "applied" not in again.stderr
    assert files(tree) == expected_after(case)


FIXED = [c for c in CASES if c.name.startswith("fixed-")]


@pytest.mark.parametrize("case", FIXED, ids=[f"{c.parent.name}/{c.name}" for c in FIXED])
def test_diff_shows_what_fix_writes(case, tmp_path):
    """``--diff`` writes nothing, and ``git apply`` of it gives the fixed tree."""
    tree = copied(case, tmp_path)
    patch = cli(tree, "--diff").stdout
    assert patch and files(tree) == files(case / "before")
    subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=tree, check=True)
    assert files(tree) == expected_after(case)


def test_sarif_fixes_are_the_same_edits(tmp_path):
    """Applied once each (two findings on one operator carry the same fix), the SARIF
    replacements give what ``--fix`` writes."""
    for case in FIXED:
        tree = tmp_path / case.parent.name / case.name
        shutil.copytree(case / "before", tree)
        log = json.loads(cli(tree, "-f", "sarif").stdout)
        rule = case.parent.name
        results = log["runs"][0]["results"]
        assert any(r.get("fixes") for r in results if r["ruleId"] == rule)
        seen, distinct = set(), []
        for result in results:
            for fix in result.get("fixes", []):
                key = json.dumps(fix["artifactChanges"], sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    distinct.append(fix)
        _apply_sarif(tree, {"runs": [{"results": [{"fixes": [f]} for f in distinct]}]})
        assert files(tree) == expected_after(case), case


def test_crlf_policy_document_gets_crlf_lines(tmp_path):
    case = CASES_ROOT / "OIDC202" / "fixed-policy-document"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_bytes((case / "before" / "main.tf").read_bytes()
                                   .replace(b"\n", b"\r\n"))
    assert cli(tree, "--fix").exit_code == 0
    data = (tree / "main.tf").read_bytes()
    assert data == (case / "after" / "main.tf").read_bytes().replace(b"\n", b"\r\n")
    assert findings(tree, "OIDC202") == []


def test_a_module_statement_is_fixed_only_when_right_for_every_reading(tmp_path):
    """A statement read once per module call (and once for the module folder on its own,
    with its inputs not known) is edited only when the edit is right for every reading."""
    module = (CASES_ROOT / "OIDC304" / "fixed-policy-document" / "before" / "main.tf") \
        .read_text().replace('"repo:acme/api:ref:refs/heads/main"', "var.subject") \
        .replace('name               = "deploy"', "name               = var.name")
    (tmp_path / "modules" / "role").mkdir(parents=True)
    (tmp_path / "modules" / "role" / "main.tf").write_text(
        'variable "subject" {}\nvariable "name" {}\n' + module)
    calls = ('module "api" {\n  source  = "./modules/role"\n  name    = "api"\n'
             '  subject = "repo:acme/api:ref:refs/heads/main"\n}\n'
             'module "web" {\n  source  = "./modules/role"\n  name    = "web"\n'
             '  subject = "%s"\n}\n')
    root = tmp_path / "live"
    root.mkdir()
    shutil.move(str(tmp_path / "modules"), root / "modules")
    (root / "main.tf").write_text(calls % "repo:acme/web:ref:refs/heads/*")
    found = findings(root, "OIDC304")
    assert found and all(f.autofix is None for f in found)  # one call passes a pattern
    (root / "main.tf").write_text(calls % "repo:acme/web:ref:refs/heads/main")
    report = scan([root / "main.tf", root / "modules"], root=root, repository=REPOSITORY)
    fixes = {f.autofix for f in report.findings if f.rule_id == "OIDC304"}
    # Read on its own, the module takes any subject: a person decides.
    assert fixes == {None}


def test_sample_stacks_keep_only_what_needs_a_person(tmp_path):
    """``--fix`` on a copy of every sample stack, then a scan: no finding left has a fix,
    and the stack whose every finding was mechanical is clean."""
    for stack in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        tree = tmp_path / stack.name
        shutil.copytree(stack, tree)
        result = runner.invoke(app, ["scan", str(tree), "--no-cache", "--fail-on", "never",
                                     "--repository", REPOSITORY, "--fix"])
        assert result.exit_code == 0, (stack.name, result.output)
        report = scan([tree], root=tree, repository=REPOSITORY)
        assert [f.rule_id for f in report.findings if f.autofix is not None] == [], stack.name
    assert [f.rule_id for f in scan([tmp_path / "eks-irsa-terraform"],
                                    root=tmp_path / "eks-irsa-terraform").findings] == []


@pytest.mark.parametrize("outer, inner, covered", [
    ("repo:acme/api:*", "repo:acme/api:ref:refs/heads/*", True),
    ("repo:acme/api:ref:refs/heads/*", "repo:acme/api:ref:refs/heads/*", True),
    ("repo:acme/api:ref:refs/heads/*", "repo:acme/api:*", False),
    ("repo:acme/api:ref:refs/heads/?", "repo:acme/api:ref:refs/heads/*", False),
    ("repo:acme/api:ref:refs/heads/*", "repo:acme/api:ref:refs/heads/m?in", True),
    ("repo:acme/*:ref:*", "repo:acme/api:ref:refs/heads/main", True),
    ("repo:acme/api:ref:refs/heads/main", "repo:acme/api:ref:refs/heads/*", False),
])
def test_glob_covers(outer, inner, covered):
    assert glob_covers(outer, inner) is covered


def test_glob_covers_is_sound():
    """Whatever text the inner glob matches, an outer glob said to cover it matches too."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    globs = st.text(alphabet="ab*?", max_size=6)

    @settings(max_examples=400, deadline=None)
    @given(globs, globs, st.text(alphabet="ab", max_size=8))
    def check(outer, inner, text):
        if glob_covers(outer, inner) and glob_matches(inner, text):
            assert glob_matches(outer, text)

    check()


@pytest.mark.skipif(
    not os.environ.get("SARIF_MULTITOOL"),
    reason="set SARIF_MULTITOOL to the Sarif.Multitool binary to run Microsoft's validator",
)
def test_sarif_with_trust_fixes_passes_the_multitool(tmp_path):
    logs, fixed = [], set()
    for case in FIXED:
        tree = tmp_path / case.parent.name / case.name
        shutil.copytree(case / "before", tree)
        report = scan([tree], root=tree, repository=REPOSITORY)
        fixed |= {f.rule_id for f in report.findings if f.autofix}
        logs.append(tmp_path / f"{case.parent.name}-{case.name}.sarif")
        logs[-1].write_text(FORMATS["sarif"](report), encoding="utf-8")
    assert fixed >= {"OIDC104", "OIDC106", "OIDC202", "OIDC304"}
    out = subprocess.run(["bash", str(REPO / ".ci" / "validate-sarif.sh"), *map(str, logs)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_statement_read_as_a_deny_too_is_not_edited(tmp_path):
    """A module whose statement's effect is an input: a condition added to it, or one that
    starts to restrict, would narrow the Deny reading, letting in what it denied."""
    module = tmp_path / "modules" / "role"
    module.mkdir(parents=True)
    source = (CASES_ROOT / "OIDC202" / "fixed-policy-document" / "before" / "main.tf") \
        .read_text()
    eks = (CASES_ROOT / "OIDC104" / "fixed-policy-document-negated" / "before" / "main.tf") \
        .read_text()
    for name, text in (("github.tf", source), ("eks.tf", eks)):
        text = text.replace('effect  = "Allow"', "effect  = var.effect")
        text = text.replace('"trust"', f'"trust_{name[:-3]}"').replace(
            'resource "aws_iam_role" "deploy"', f'resource "aws_iam_role" "{name[:-3]}"')
        text = text.replace('resource "aws_iam_role" "api"', 'resource "aws_iam_role" "eks"')
        text = text.replace("data.aws_iam_policy_document.trust.json",
                            f"data.aws_iam_policy_document.trust_{name[:-3]}.json")
        (module / name).write_text(text)
    (module / "variables.tf").write_text('variable "effect" {}\n')
    (tmp_path / "main.tf").write_text(
        'module "allow" {\n  source = "./modules/role"\n  effect = "Allow"\n}\n'
        'module "deny" {\n  source = "./modules/role"\n  effect = "Deny"\n}\n')
    report = scan([tmp_path / "main.tf", module], root=tmp_path, repository=REPOSITORY)
    found = [f for f in report.findings if f.rule_id in ("OIDC104", "OIDC202")]
    assert {f.rule_id for f in found} == {"OIDC104", "OIDC202"}
    assert all(f.autofix is None for f in found), [(f.rule_id, f.autofix) for f in found]


def test_yaml_flow_mappings_get_quoted_entries(tmp_path):
    """In a flow mapping, YAML readers take no `:` inside a plain key: the entry is quoted."""
    source = CASES_ROOT / "OIDC202" / "fixed-cloudformation-yaml" / "before" / "template.yaml"
    text = source.read_text().replace(
        "              StringLike:\n                token.actions.githubusercontent.com:sub: ",
        "              StringLike: {token.actions.githubusercontent.com:sub: ").replace(
        '"repo:acme/api:ref:refs/heads/*"\n', '"repo:acme/api:ref:refs/heads/*"}\n')
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "template.yaml").write_text(text)
    assert "StringLike: {token" in text
    assert cli(tree, "--fix").exit_code == 0
    assert (tree / "template.yaml").read_text() == text.replace(
        "StringLike: {", 'StringLike: {"token.actions.githubusercontent.com:aud": '
        '"sts.amazonaws.com", ')
    assert findings(tree, "OIDC202") == []
