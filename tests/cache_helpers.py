"""What the tests of the parse cache and the scan memo share: a small tree and a copy of the
sample stacks to scan, a scan and its report as data, and fixtures that refuse parsing,
count the files read, or take the racy margin away from the file index.

Loaded as a plugin (``pytest_plugins`` in conftest.py) for those fixtures. Every test names
its own cache folder under ``tmp_path`` (conftest points the default cache at a session
folder, which these tests never use)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import OPEN_TRUST, SAMPLES
from oidclint import discovery, engine, file_index
from oidclint.cache import Cache
from oidclint.engine import scan
from oidclint.model import Report
from oidclint.reporters import FORMATS


REPOSITORY = "acme/api"


CFN_TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  CiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Sub "arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: "repo:acme/*"
'''


WORKFLOW = '''\
name: deploy
on: push
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
'''


BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'
"""A Terraform file that cannot matter (no IAM, no web identity)."""


NARROW_SUB = "repo:acme/api:ref:refs/heads/main"
"""A subject without a wildcard (OIDC304 under ``StringLike``, never OIDC204)."""


def small_tree(base: Path) -> Path:
    """OPEN_TRUST in main.tf, a CloudFormation role trusting GitHub, a workflow assuming a role
    and, in a folder of its own, a Terraform file that cannot matter."""
    tree = base / "tree"
    (tree / ".github" / "workflows").mkdir(parents=True)
    (tree / "storage").mkdir()
    (tree / "main.tf").write_text(OPEN_TRUST)
    (tree / "ci-role.yaml").write_text(CFN_TEMPLATE)
    (tree / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    (tree / "storage" / "bucket.tf").write_text(BUCKET)
    return tree


def samples_copy(base: Path) -> Path:
    """The sample stacks as one tree of their own (no git work tree above it)."""
    tree = base / "samples"
    shutil.copytree(SAMPLES, tree)
    return tree


def run(tree: Path, cache: Cache | None = None, *, paths: list[Path] | None = None,
        **options) -> Report:
    options.setdefault("repository", REPOSITORY)
    return scan(paths or [tree], root=tree, cache=cache, **options)


def document(report: Report) -> dict:
    """The JSON report without ``files_cached`` (run information, like a duration)."""
    data = json.loads(FORMATS["json"](report))
    data.pop("files_cached")
    return data


def found(report: Report) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.span.path, f.message) for f in report.findings]


def entries(directory: Path) -> list[Path]:
    return sorted((directory / "entries").glob("*/*.pickle"))


def trust_policy(sub: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/"
                                   "token.actions.githubusercontent.com"},
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": sub}}}]}, indent=2)


@pytest.fixture
def no_parsing(monkeypatch):
    """Call it to make any further parsing (the graph of a scan) fail the test."""
    def arm() -> None:
        def refuse(*args, **kwargs):
            raise AssertionError("the scan parsed instead of using the memo")
        monkeypatch.setattr(engine, "_graph", refuse)
    return arm


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Names of the files discovery reads from disk (those the file index does not spare)."""
    seen: list[str] = []
    original = discovery.read_file

    def counting(target, info, max_bytes):
        seen.append(Path(target).name)
        return original(target, info, max_bytes)
    monkeypatch.setattr(discovery, "read_file", counting)
    return seen


@pytest.fixture
def index_trusts_signatures(monkeypatch) -> None:
    """No racy margin at all: the index trusts every file whose signature matches, so only
    the signature (size, mtime, inode, ctime) can tell an edit."""
    monkeypatch.setattr(file_index, "RACY_MARGIN_NS", -10 ** 15)
