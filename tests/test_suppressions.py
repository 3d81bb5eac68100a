"""In-source suppressions: `oidclint: ignore[ID] reason` comments, where they may be written,
what they cover, and how suppressed findings and stale suppressions are reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, OPEN_TRUST
from oidclint.cli import app
from oidclint.engine import scan
from oidclint.model import Level

DATA = Path(__file__).parent / "data"

# `repo:acme/*` on line 15: OIDC204 (broad-subject), a warning, and nothing else.
FLAGGED = '"repo:acme/*" }'
SUBJECT_LINE = '        StringLike   = {'
ROLE_BLOCK = 'resource "aws_iam_role" "deploy" {'

runner = CliRunner()


def tree(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def scan_json(*args: str):
    result = runner.invoke(app, ["scan", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(result.stdout)


def line_of(text: str, fragment: str) -> int:
    [number] = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return number


HCL_PLACEMENTS = {
    "hash-same-line": lambda t: t.replace(FLAGGED, FLAGGED + " # oidclint: ignore[OIDC204] why"),
    "slashes-same-line": lambda t: t.replace(FLAGGED, FLAGGED + " // oidclint: ignore[OIDC204] why"),
    "block-comment-same-line": lambda t: t.replace(
        FLAGGED, FLAGGED + " /* oidclint: ignore[OIDC204] why */"),
    "hash-line-above": lambda t: t.replace(
        SUBJECT_LINE, "        # oidclint: ignore[OIDC204] why\n" + SUBJECT_LINE),
    "slashes-line-above": lambda t: t.replace(
        SUBJECT_LINE, "        // oidclint: ignore[OIDC204] why\n" + SUBJECT_LINE),
    "block-comment-line-above": lambda t: t.replace(
        SUBJECT_LINE, "        /* oidclint: ignore[OIDC204] why */\n" + SUBJECT_LINE),
    "above-the-resource-block": lambda t: t.replace(
        ROLE_BLOCK, "# oidclint: ignore[OIDC204] why\n" + ROLE_BLOCK),
    "rule-name": lambda t: t.replace(FLAGGED, FLAGGED + " # oidclint: ignore[broad-subject] why"),
    "no-space-after-colon": lambda t: t.replace(
        FLAGGED, FLAGGED + " #oidclint:ignore[OIDC204] why"),
    "reason-after-a-dash": lambda t: t.replace(
        FLAGGED, FLAGGED + " # oidclint: ignore[OIDC204] -- why"),
}


@pytest.mark.parametrize("placement", HCL_PLACEMENTS)
def test_hcl_comment_styles_and_placements(tmp_path, placement):
    text = HCL_PLACEMENTS[placement](OPEN_TRUST)
    assert "oidclint" in text and text != OPEN_TRUST
    report = scan([tree(tmp_path, text)])
    [finding] = report.findings
    assert finding.rule_id == "OIDC204"
    assert finding.suppression is not None, placement
    assert finding.suppression.justification == "why"
    comment_line = line_of(text, "oidclint")
    assert finding.suppression.span.path == "main.tf"
    assert finding.suppression.span.line == comment_line
    assert report.active == [] and report.suppressed == [finding]
    assert not report.diagnostics


def test_a_suppressed_finding_keeps_its_level_and_does_not_fail_the_scan(tmp_path):
    text = HCL_PLACEMENTS["hash-same-line"](OPEN_TRUST)
    result, data = scan_json(str(tree(tmp_path, text)))  # default --fail-on warning
    assert result.exit_code == 0
    [finding] = data["findings"]
    assert finding["level"] == "warning"
    assert data["suppressed"] == 1
    assert data["summary"] == {"error": 0, "warning": 0, "note": 0}
    assert runner.invoke(app, ["scan", str(tmp_path), "--fail-on", "note"]).exit_code == 0


def test_without_the_comment_the_same_tree_fails(tmp_path):
    result, data = scan_json(str(tree(tmp_path, OPEN_TRUST)))
    assert result.exit_code == 1
    assert data["suppressed"] == 0 and data["findings"][0]["suppression"] is None


def test_a_comment_two_lines_above_does_not_cover(tmp_path):
    text = OPEN_TRUST.replace(
        "        StringEquals", "        # oidclint: ignore[OIDC204] too far\n        StringEquals")
    report = scan([tree(tmp_path, text)])
    assert [f.suppression for f in report.findings] == [None]
    [note] = report.diagnostics
    assert note.level == Level.NOTE and note.span.line == line_of(text, "too far")


def test_a_comment_for_another_rule_does_not_cover(tmp_path):
    text = OPEN_TRUST.replace(FLAGGED, FLAGGED + " # oidclint: ignore[OIDC203] not this one")
    result, data = scan_json(str(tree(tmp_path, text)))
    assert result.exit_code == 1
    assert data["findings"][0]["suppression"] is None
    [note] = data["diagnostics"]
    assert note["level"] == "note" and "matches no finding" in note["message"]


def test_a_comment_in_another_file_does_not_cover(tmp_path):
    tree(tmp_path, OPEN_TRUST)
    tree(tmp_path, "\n" * 14 + "# oidclint: ignore[OIDC204] elsewhere\n", "other.tf")
    report = scan([tmp_path])
    assert [f.suppression for f in report.findings] == [None]
    assert [(d.path, d.span.line) for d in report.diagnostics] == [("other.tf", 15)]


TWO_ON_ONE_LINE = OPEN_TRUST.replace(
    FLAGGED, '"repo:acme/*", "token.actions.githubusercontent.com:ref" = "refs/heads/main" }')


def test_several_ids_in_one_comment(tmp_path):
    report = scan([tree(tmp_path, TWO_ON_ONE_LINE)])
    assert sorted(f.rule_id for f in report.active) == ["OIDC204", "OIDC304"]
    text = TWO_ON_ONE_LINE.replace(
        '"refs/heads/main" }',
        '"refs/heads/main" } # oidclint: ignore[OIDC204, stringlike-without-wildcard] both known')
    report = scan([tree(tmp_path, text)])
    assert report.active == []
    assert sorted(f.rule_id for f in report.suppressed) == ["OIDC204", "OIDC304"]
    assert {f.suppression.justification for f in report.suppressed} == {"both known"}
    assert report.diagnostics == []


def test_one_id_of_several_covers_only_its_rule(tmp_path):
    text = TWO_ON_ONE_LINE.replace('"refs/heads/main" }',
                                   '"refs/heads/main" } # oidclint: ignore[OIDC304] exact on purpose')
    report = scan([tree(tmp_path, text)])
    assert [f.rule_id for f in report.active] == ["OIDC204"]
    assert [f.rule_id for f in report.suppressed] == ["OIDC304"]


def test_a_suppression_without_a_reason_says_so(tmp_path):
    text = OPEN_TRUST.replace(FLAGGED, FLAGGED + " # oidclint: ignore[OIDC204]")
    [finding] = scan([tree(tmp_path, text)]).findings
    assert finding.suppression.justification == "suppressed without a reason"


def test_unused_and_unknown_suppressions_are_notes_at_their_line(tmp_path):
    text = OPEN_TRUST.replace(
        ROLE_BLOCK,
        "# oidclint: ignore[OIDC201] nothing to see\n"
        "# oidclint: ignore[OIDC999] a typo\n" + ROLE_BLOCK)
    result, data = scan_json(str(tree(tmp_path, text)))
    assert result.exit_code == 1  # OIDC204 is not covered by either
    notes = [(d["path"], d["line"], d["level"], d["message"]) for d in data["diagnostics"]]
    assert notes == [
        ("main.tf", line_of(text, "OIDC201"), "note",
         "suppression ignore[OIDC201] matches no finding; remove it"),
        ("main.tf", line_of(text, "OIDC999"), "note",
         "suppression ignore[OIDC999] names no rule oidclint has (OIDC999)"),
    ]
    assert f"main.tf:{line_of(text, 'OIDC201')}: suppression ignore[OIDC201]" in result.stderr
    assert f"main.tf:{line_of(text, 'OIDC999')}: suppression ignore[OIDC999]" in result.stderr


def test_an_unknown_id_beside_a_used_one_is_not_reported(tmp_path):
    # A directive is one unit: it covered a finding, so it is in use.
    text = OPEN_TRUST.replace(FLAGGED, FLAGGED + " # oidclint: ignore[OIDC204, OIDC999] why")
    report = scan([tree(tmp_path, text)])
    assert report.active == [] and report.diagnostics == []


def test_a_suppression_of_a_disabled_rule_is_unused_not_unknown(tmp_path):
    text = HCL_PLACEMENTS["hash-same-line"](OPEN_TRUST)
    tree(tmp_path, text)
    (tmp_path / ".oidclint.toml").write_text('disable = ["OIDC204"]\n')
    result, data = scan_json(str(tmp_path))
    assert data["findings"] == []
    # The configuration's own note (it disables OIDC204) comes first, then the suppression's.
    assert [d["message"] for d in data["diagnostics"]] == [
        "configuration .oidclint.toml disables 1 rule, whose findings are not reported: "
        "OIDC204 (broad-subject)",
        "suppression ignore[OIDC204] matches no finding; remove it"]


def test_the_reason_is_the_sarif_justification_and_the_log_validates(tmp_path):
    text = HCL_PLACEMENTS["hash-line-above"](OPEN_TRUST).replace(
        "ignore[OIDC204] why", "ignore[OIDC204] the docs role serves every acme repository")
    text = text.replace(ROLE_BLOCK, "# oidclint: ignore[OIDC201] stale\n" + ROLE_BLOCK)
    result = runner.invoke(app, ["scan", str(tree(tmp_path, text)), "--format", "sarif"])
    assert result.exit_code == 0, result.output
    log = json.loads(result.stdout)
    [result_] = log["runs"][0]["results"]
    [suppression] = result_["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["justification"] == "the docs role serves every acme repository"
    where = suppression["location"]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "main.tf"
    assert where["region"]["startLine"] == line_of(text, "the docs role")
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("ignore[OIDC201]" in n["message"]["text"] and n["level"] == "note" for n in notes)
    schema = json.loads((DATA / "sarif-2.1.0.schema.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    errors = list(validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
                  .iter_errors(log))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_reason_is_in_the_json_report(tmp_path):
    text = HCL_PLACEMENTS["above-the-resource-block"](OPEN_TRUST)
    result, data = scan_json(str(tree(tmp_path, text)))
    assert data["findings"][0]["suppression"] == {
        "justification": "why", "path": "main.tf", "line": line_of(text, "oidclint")}


def test_unsuppressed_findings_have_no_sarif_suppressions(tmp_path):
    log = json.loads(runner.invoke(
        app, ["scan", str(tree(tmp_path, OPEN_TRUST)), "--format", "sarif"]).stdout)
    assert "suppressions" not in log["runs"][0]["results"][0]


def test_above_a_policy_document_data_block(tmp_path):
    """The finding points into an `aws_iam_policy_document` data block: a comment above that
    block (the block that holds the flagged line) covers it, as one above the role does."""
    source = FIXTURES / "OIDC114" / "positive-old-form-for-immutable-repository" / "main.tf"
    original = source.read_text()
    for block in ('data "aws_iam_policy_document" "deploy_trust" {',
                  'resource "aws_iam_role" "deploy" {'):
        text = original.replace(block, "# oidclint: ignore[OIDC114] migrating\n" + block)
        report = scan([tree(tmp_path, text)], immutable_repositories=["acme/api"])
        assert [(f.rule_id, f.suppression is not None) for f in report.findings] == [
            ("OIDC114", True)], block
        assert report.diagnostics == [], block


def test_a_block_comment_does_not_reach_into_the_next_block(tmp_path):
    text = OPEN_TRUST.replace(
        'resource "aws_iam_openid_connect_provider"',
        '# oidclint: ignore[OIDC204] provider only\nresource "aws_iam_openid_connect_provider"')
    report = scan([tree(tmp_path, text)])
    assert [f.suppression for f in report.findings] == [None]
    assert [d.span.line for d in report.diagnostics] == [1]


ORG_WIDE_TEMPLATE = FIXTURES / "OIDC204" / "positive-github-org-wide" / "template.yaml"
YAML_FLAGGED = 'sub: "repo:acme/*"'
YAML_PLACEMENTS = {
    "same-line": lambda t: t.replace(YAML_FLAGGED, YAML_FLAGGED + "  # oidclint: ignore[OIDC204] why"),
    "line-above": lambda t: t.replace(
        "                token.actions.githubusercontent.com:sub",
        "                # oidclint: ignore[OIDC204] why\n"
        "                token.actions.githubusercontent.com:sub"),
    "above-the-resource": lambda t: t.replace(
        "  DeployRole:\n", "  # oidclint: ignore[broad-subject] why\n  DeployRole:\n"),
}


@pytest.mark.parametrize("placement", YAML_PLACEMENTS)
def test_yaml_comments_in_a_cloudformation_template(tmp_path, placement):
    text = YAML_PLACEMENTS[placement](ORG_WIDE_TEMPLATE.read_text())
    assert "oidclint:" in text
    report = scan([tree(tmp_path, text, "template.yaml")])
    [finding] = report.findings
    assert (finding.rule_id, finding.address) == ("OIDC204", "DeployRole")
    assert finding.suppression is not None
    assert finding.suppression.justification == "why"
    assert finding.suppression.span.line == line_of(text, "oidclint:")
    assert report.diagnostics == []


def test_slashes_are_not_a_yaml_comment(tmp_path):
    text = ORG_WIDE_TEMPLATE.read_text().replace(
        "  DeployRole:\n", "  DeployRole:\n    # fine\n")
    text = text.replace(YAML_FLAGGED, YAML_FLAGGED.replace('"repo:acme/*"',
                                                           '"repo:acme/*" # plain comment'))
    report = scan([tree(tmp_path, text, "template.yaml")])
    assert [f.suppression for f in report.findings] == [None]


def test_a_comment_in_a_workflow_covers_a_workload_finding(tmp_path):
    shutil.copytree(FIXTURES / "OIDC305" / "positive-role-defined-nowhere", tmp_path / "t",
                    ignore=shutil.ignore_patterns("expected.yaml"))
    workflow = tmp_path / "t" / ".github" / "workflows" / "deploy.yml"
    text = workflow.read_text().replace(
        "          role-to-assume:",
        "          # oidclint: ignore[OIDC305] the role lives in the platform repository\n"
        "          role-to-assume:")
    workflow.write_text(text)
    report = scan([tmp_path / "t"], repository="acme/api")
    [finding] = report.findings
    assert finding.rule_id == "OIDC305"
    assert finding.suppression.justification == "the role lives in the platform repository"
    assert not [d for d in report.diagnostics if d.level == Level.NOTE]


def _json_template(metadata: dict | None) -> str:
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": {"Ref": "GitHubOidcProvider"}},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"},
                },
            }],
        }},
    }
    if metadata is not None:
        role["Metadata"] = metadata
    return json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "GitHubOidcProvider": {"Type": "AWS::IAM::OIDCProvider", "Properties": {
                "Url": "https://token.actions.githubusercontent.com",
                "ClientIdList": ["sts.amazonaws.com"]}},
            "DeployRole": role,
        },
    }, indent=2)


def test_cloudformation_json_metadata_suppresses_the_resource(tmp_path):
    assert [f.suppression for f in scan([tree(tmp_path, _json_template(None),
                                              "template.json")]).findings] == [None]
    text = _json_template({"oidclint": {"ignore": [
        {"id": "OIDC204", "reason": "org-wide on purpose"},
        {"id": "OIDC201", "reason": "stale"}]}})
    result, data = scan_json(str(tree(tmp_path, text, "template.json")))
    assert result.exit_code == 0, result.output
    [finding] = data["findings"]
    assert finding["address"] == "DeployRole"
    assert finding["suppression"]["justification"] == "org-wide on purpose"
    assert finding["suppression"]["line"] == line_of(text, '"OIDC204"')
    assert [(d["level"], d["line"]) for d in data["diagnostics"]] == [
        ("note", line_of(text, '"OIDC201"'))]
