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
