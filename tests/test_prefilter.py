"""The prefilter parses only what can matter, and never changes what a scan reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, SAMPLES
from oidclint.engine import scan
from oidclint.prefilter import select
from oidclint.reporters import FORMATS
from oidclint.source import SourceFile

CASES = sorted({p.parent for p in FIXTURES.glob("*/*/expected.yaml")}
               | {p for p in SAMPLES.iterdir() if p.is_dir()}
               | {p for p in (FIXTURES / "one-mistake-four-paths").iterdir()}
               | {p for p in (FIXTURES / "four-ways").iterdir()})


def _report(folder: Path, prefilter: bool) -> dict:
    options = {}
    if (folder / "expected.yaml").is_file():
        options = yaml.safe_load((folder / "expected.yaml").read_text()) or {}
    report = scan([folder], root=folder, repository=options.get("repository", "acme/payments-api"),
                  immutable_repositories=options.get("immutable_subjects", ()),
                  var_files=[folder / name for name in options.get("var_files", ())],
                  prefilter=prefilter)
    document = json.loads(FORMATS["json"](report))
    document.pop("files_parsed")
    return document


@pytest.mark.parametrize("folder", CASES, ids=[str(p.relative_to(p.parents[1])) for p in CASES])
def test_the_prefilter_changes_nothing_reported(folder):
    assert _report(folder, prefilter=True) == _report(folder, prefilter=False)


def test_the_whole_tree_reports_the_same_with_and_without_it():
    assert _report(FIXTURES, prefilter=True) == _report(FIXTURES, prefilter=False)


def _file(path: str, text: str) -> SourceFile:
    kind = "terraform" if path.endswith(".tf") else "structured"
    return SourceFile(path, Path(path), text, kind)


def test_only_folders_that_can_matter_are_parsed():
    files = [
        _file("network/main.tf", 'module "vpc" {\n  source = "../modules/vpc"\n}\n'),
        _file("modules/vpc/main.tf", 'resource "aws_vpc" "main" {}\n'),
        _file("ci/main.tf", 'module "role" {\n  source = "../modules/role"\n}\n'
                            'module "vpc" {\n  source = "../modules/vpc"\n}\n'),
        _file("modules/role/main.tf", 'resource "aws_iam_role" "r" {\n'
                                      '  assume_role_policy = "{\\"Federated\\": 1}"\n}\n'),
        _file("lambda/main.tf", 'resource "aws_iam_role" "fn" {\n  name = "fn"\n}\n'),
        _file("deployer/main.tf", 'resource "aws_iam_role" "d" {\n  name = "deployer"\n}\n'),
        _file(".github/workflows/ci.yml",
              "jobs:\n  d:\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n"
              "        with:\n          role-to-assume: arn:aws:iam::123456789012:role/deployer\n"),
        _file("shared/main.tf", 'module "ci" {\n  source = "acme/ci-role/aws"\n'
                                '  role_name = "deployer"\n}\n'),
        _file("other/main.tf", 'module "ci" {\n  source = "acme/ci-role/aws"\n'
                               '  role_name = "builder"\n}\n'),
        _file(".github/actions/login/action.yml", "runs:\n  using: composite\n  steps: []\n"),
        _file("templates/bucket.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"),
        _file("templates/role.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n"
                                     "    Properties: {AssumeRolePolicyDocument: {Statement: "
                                     "[{Principal: {Federated: x}}]}}\n"),
    ]
    chosen = select(files)
    assert sorted(f.path for f in chosen.keep) == [
        ".github/actions/login/action.yml",  # a workflow's step may use it
        ".github/workflows/ci.yml",
        "ci/main.tf",            # calls a module that matters
        "deployer/main.tf",      # defines the role a workflow assumes
        "modules/role/main.tf",  # a Federated principal
        "modules/vpc/main.tf",   # called by a folder that is kept
        "shared/main.tf",        # gives a module the name of the role a workflow assumes
        "templates/role.yaml",
    ]
    assert sorted(f.path for f in chosen.skipped) == [
        "lambda/main.tf", "network/main.tf", "other/main.tf", "templates/bucket.yaml"]


@pytest.mark.parametrize("tree", [FIXTURES, SAMPLES], ids=["fixtures", "sample_stacks"])
def test_files_read_and_classified_by_workers_report_the_same(tree, monkeypatch):
    """A large tree met for the first time has its Terraform files read by the workers;
    forced here on small trees, the report is byte for byte the one read in this process."""
    from oidclint import prefilter
    from oidclint.pool import Pool

    mapped = []
    real_submit = Pool.submit

    def spying(self, function, tasks):
        mapped.append(function.__name__)
        return real_submit(self, function, tasks)

    monkeypatch.setattr(Pool, "submit", spying)
    monkeypatch.setattr(prefilter, "SHARE_MIN_FILES", 0)
    reports = [FORMATS["json"](scan([tree], root=tree, repository="acme/payments-api",
                                    jobs=jobs)) for jobs in (1, 2)]
    assert "classify" in mapped
    assert reports[0] == reports[1]


TRUST_TEMPLATE = '''{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
    "Condition": {
      "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:%s:*"}
    }
  }]
}
'''

_ROLE = 'resource "aws_iam_role" "deploy" {\n  name = "deploy"\n  assume_role_policy = %s\n}\n'

TEMPLATE_TREES = {
    # the only web identity text is in the file the configuration reads
    "templatefile-json-tpl": {
        "main.tf": _ROLE % 'templatefile("${path.module}/policies/trust.json.tpl", '
                           '{ repo = "acme/*" })',
        "policies/trust.json.tpl": TRUST_TEMPLATE % "${repo}"},
    "templatefile-tpl": {
        "main.tf": _ROLE % 'templatefile("trust.tpl", { repo = "acme/*" })',
        "trust.tpl": TRUST_TEMPLATE % "${repo}"},
    "file-json": {
        "main.tf": _ROLE % 'file("${path.module}/trust.json")',
        "trust.json": TRUST_TEMPLATE % "acme/*"},
    "file-any-extension": {
        "main.tf": _ROLE % 'file("${path.module}/trust-policy")',
        "trust-policy": TRUST_TEMPLATE % "acme/*"},
    "file-chosen-by-variable": {
        "main.tf": 'variable "env" {\n  default = "prod"\n}\n'
                   + _ROLE % 'file("${path.module}/trust/${var.env}.json")',
        "trust/prod.json": TRUST_TEMPLATE % "acme/*"},
    "template-file-data-source": {
        "main.tf": 'data "template_file" "trust" {\n'
                   '  template = file("${path.module}/trust.json.tpl")\n'
                   '  vars = { repo = "acme/*" }\n}\n'
                   + _ROLE % "data.template_file.trust.rendered",
        "trust.json.tpl": TRUST_TEMPLATE % "${repo}"},
    "module-reading-a-template": {
        "main.tf": 'module "role" {\n  source = "./role"\n'
                   '  trust  = templatefile("${path.module}/trust.json.tpl", { repo = "acme/*" })\n}\n',
        "trust.json.tpl": TRUST_TEMPLATE % "${repo}",
        "role/main.tf": 'variable "trust" {}\n' + _ROLE % "var.trust"},
    "tf-json": {
        "main.tf.json": json.dumps({"resource": {"aws_iam_role": {"deploy": {
            "name": "deploy",
            "assume_role_policy": '${templatefile("${path.module}/trust.json.tpl", '
                                  '{ repo = "acme/*" })}'}}}}),
        "trust.json.tpl": TRUST_TEMPLATE % "${repo}"},
}


@pytest.mark.parametrize("tree", sorted(TEMPLATE_TREES))
def test_a_folder_whose_web_identity_is_in_a_file_it_reads_is_kept(tmp_path, tree):
    for name, text in TEMPLATE_TREES[tree].items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with_it = _report(tmp_path, prefilter=True)
    assert with_it == _report(tmp_path, prefilter=False)
    assert "OIDC204" in {f["rule_id"] for f in with_it["findings"]}, with_it


def test_a_template_outside_the_tree_or_without_web_identity_keeps_nothing(tmp_path):
    outside = tmp_path / "trust.json"
    outside.write_text(TRUST_TEMPLATE % "acme/*")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(_ROLE % 'file("../trust.json")' + 'resource "aws_iam_role" "x" {\n'
                                  '  assume_role_policy = file("${path.module}/other.json")\n}\n')
    (tree / "other.json").write_text('{"Statement": []}')
    report = scan([tree], root=tree, prefilter=True)
    assert report.files_skipped == 2  # main.tf and other.json


def test_a_call_of_a_modelled_module_by_its_git_source_is_kept():
    iam_git = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git"
    files = [_file("ci/main.tf", f'module "r" {{\n  source = "{iam_git}//modules/iam-role"\n}}\n'),
             _file("net/main.tf", 'module "v" {\n  source = "git::https://example.com/vpc.git"\n}\n')]
    assert [f.path for f in select(files).keep] == ["ci/main.tf"]


@pytest.mark.parametrize("text, globs", [
    ('templatefile("${path.module}/policies/trust.json.tpl", { x = 1 })',
     ["./policies/trust.json.tpl"]),
    ('file( "trust.json")', ["trust.json"]),
    ('"${file(\\"${path.root}/trust/${var.env}.json\\")}"', ["./trust/*.json"]),  # .tf.json
    ("file(var.path)", []),
    ('filebase64("key.pem")', []),
    ('myfile("trust.json")', []),
])
def test_the_files_a_terraform_file_reads_are_read_from_its_text(text, globs):
    from oidclint.hcl.sources import files_read

    assert files_read(text) == globs
