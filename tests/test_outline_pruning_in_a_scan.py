"""Pruning in a whole scan (the prefilter): a trust reached only through a local and variables
is still found, and the report is the one a scan without the prefilter gives; a syntax error in
a block nothing reads goes unreported, the prefilter's documented trade-off."""

from __future__ import annotations

import json

from oidclint.engine import scan
from oidclint.hcl.outline import outline, prune
from oidclint.markers import WEB_IDENTITY, mentions
from oidclint.reporters import FORMATS
from outline_files import COLLECTED, _file


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
