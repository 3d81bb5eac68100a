"""Symbolic links in the scanned tree: followed while they stay inside the root, dot folders
included; never followed out of it; never round a loop; and a file reached under several
names is read once, under one name that does not depend on the order the file system lists
folders in: its own when the scan reaches it without a link, else the first in path order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oidclint import discovery
from oidclint.config import Config
from oidclint.discovery import Exclusion, discover
from oidclint.engine import scan
from test_bad_input import GOOD_BUT_FLAWED

OPEN = GOOD_BUT_FLAWED.replace(
    '{ StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" } }',
    '{\n        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }'
    '\n        StringLike = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" }\n'
    "      }")
"""A stack whose one finding is OIDC204 (every repository of acme)."""
TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal: {Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com'}
            Condition:
              StringEquals: {'token.actions.githubusercontent.com:aud': sts.amazonaws.com}
              StringLike: {'token.actions.githubusercontent.com:sub': 'repo:acme/*'}
"""


def make(root: Path, files: dict[str, str], links: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for name, target in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)
    return root


def found(report) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.span.path) for f in report.findings)


def said(report) -> list[tuple[str, str, str]]:
    return sorted((d.path, d.message, d.level.name) for d in report.diagnostics)


def test_a_folder_link_into_a_dot_folder_is_followed(tmp_path):
    root = make(tmp_path / "repo", {"shared/role.yaml": TEMPLATE, "infra/good.tf": GOOD_BUT_FLAWED},
                {"infra/.shared": "../shared"})
    # Scanning infra alone: what the link brings in is found there, under the link's name.
    report = scan([root / "infra"], root=root)
    assert found(report) == [("OIDC201", "infra/good.tf"), ("OIDC204", "infra/.shared/role.yaml")]
    assert said(report) == []
    # Scanning the whole tree: the same file, once, under its own name.
    report = scan([root], root=root)
    assert found(report) == [("OIDC201", "infra/good.tf"), ("OIDC204", "shared/role.yaml")]


def test_a_link_into_the_github_folder_is_read_under_the_real_name(tmp_path):
    workflow = ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
                "          role-to-assume: arn:aws:iam::111122223333:role/deploy\n"
                "          aws-region: us-east-1\n")
    root = make(tmp_path / "repo", {".github/workflows/deploy.yml": workflow,
                                    "good.tf": GOOD_BUT_FLAWED},
                {"ci": ".github/workflows", "docs/deploy.yml": "../.github/workflows/deploy.yml"})
    report = scan([root], root=root, repository="acme/api")
    paths = {f.span.path for f in report.findings}
    assert ".github/workflows/deploy.yml" in paths  # OIDC112: no id-token permission
    assert not {p for p in paths if p.startswith(("ci/", "docs/"))}
    assert report.files_scanned == 2


def test_a_folder_link_inside_the_tree_is_read_once_by_its_own_name(tmp_path):
    root = make(tmp_path / "repo", {"modules/oidc/main.tf": OPEN, "good.tf": GOOD_BUT_FLAWED},
                {"envs/prod/oidc": "../../modules/oidc", "envs/dev/oidc": "../../modules/oidc"})
    report = scan([root], root=root)
    assert found(report) == [("OIDC201", "good.tf"), ("OIDC204", "modules/oidc/main.tf")]
    assert said(report) == [] and report.files_scanned == 2
    # Only the links reach it: the first of them in path order, whatever the listing order.
    report = scan([root / "envs"], root=root)
    assert found(report) == [("OIDC204", "envs/dev/oidc/main.tf")]


def test_links_out_of_the_tree_are_reported_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text(OPEN)
    root = make(tmp_path / "repo", {"good.tf": GOOD_BUT_FLAWED},
                {"vendor": "../outside", "linked.tf": "../outside/secret.tf",
                 "absolute.yaml": "/etc/hostname"})
    report = scan([root], root=root)
    assert found(report) == [("OIDC201", "good.tf")]
    assert said(report) == [
        ("absolute.yaml", "symbolic link to a file outside the scanned tree; not read",
         "WARNING"),
        ("linked.tf", "symbolic link to a file outside the scanned tree; not read", "WARNING"),
        ("vendor", "symbolic link to a folder outside the scanned tree; not followed", "NOTE")]


def test_link_loops_end(tmp_path):
    root = make(tmp_path / "repo", {"a/good.tf": GOOD_BUT_FLAWED},
                {"a/up": "..", "a/self": ".", "b/to-a": "../a", "a/to-b": "../b",
                 "loop.tf": "loop.tf", "ping.yaml": "pong.yaml", "pong.yaml": "ping.yaml"})
    report = scan([root], root=root)
    assert found(report) == [("OIDC201", "a/good.tf")]
    assert said(report) == [
        ("a/self", "symbolic link to a folder that holds it (a loop); not followed", "NOTE"),
        ("a/up", "symbolic link to a folder that holds it (a loop); not followed", "NOTE"),
        ("loop.tf", "broken or looping symbolic link; not read", "WARNING"),
        ("ping.yaml", "broken or looping symbolic link; not read", "WARNING"),
        ("pong.yaml", "broken or looping symbolic link; not read", "WARNING")]


def test_skipped_and_excluded_folders_are_not_entered_through_links(tmp_path, monkeypatch):
    root = make(tmp_path / "repo", {"good.tf": GOOD_BUT_FLAWED,
                                    ".terraform/modules/iam/main.tf": OPEN,
                                    "node_modules/pkg/role.yaml": TEMPLATE,
                                    "examples/role.yaml": TEMPLATE},
                {"infra/modules": "../.terraform/modules", "infra/pkg": "../node_modules/pkg",
                 "infra/examples": "../examples"})
    monkeypatch.chdir(root)  # a Config built in code: patterns relative to the working folder
    report = scan([root], Config(exclude=["examples/"]), root=root)
    assert found(report) == [("OIDC201", "good.tf")]
    assert said(report) == []


def test_the_name_chosen_does_not_depend_on_the_listing_order(tmp_path, monkeypatch):
    root = make(tmp_path / "repo", {"hidden/role.yaml": TEMPLATE},
                {"b/role.yaml": "../hidden/role.yaml", "a/role.yaml": "../hidden/role.yaml",
                 "c/h": "../hidden"})
    exclude = Exclusion(["hidden/"], root)
    first = discover([root], root, exclude=exclude)
    scandir = os.scandir

    class Reversed:
        def __init__(self, *args):
            with scandir(*args) as listing:
                self.entries = iter(sorted(listing, key=lambda e: e.name, reverse=True))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def __iter__(self):
            return self

        def __next__(self):  # os.walk takes entries one by one
            return next(self.entries)

        def close(self):
            return None

    monkeypatch.setattr(os, "scandir", Reversed)
    second = discover([root], root, exclude=exclude)
    assert [f.path for f in first.files] == [f.path for f in second.files] == ["a/role.yaml"]


def test_a_folder_given_through_a_link_is_scanned_by_its_real_name(tmp_path):
    root = make(tmp_path / "repo", {"infra/good.tf": GOOD_BUT_FLAWED}, {"current": "infra"})
    found_files = discover([root / "current"], root)
    assert [f.path for f in found_files.files] == ["infra/good.tf"]


@pytest.mark.parametrize("depth", [40])
def test_a_deep_chain_of_folder_links_is_followed_once_each(tmp_path, depth):
    files = {f"d{i}/x{i}.tf": f"locals {{ v{i} = {i} }}\n" for i in range(depth)}
    links = {f"d{i}/next": f"../d{i + 1}" for i in range(depth - 1)}
    root = make(tmp_path / "repo", files, links)
    found_files = discover([root / "d0"], root)
    paths = {f.path for f in found_files.files}
    assert len(paths) == depth
    assert {"d0/x0.tf", "d0/next/x1.tf", "d0" + "/next" * 39 + "/x39.tf"} <= paths
    assert discovery.SKIPPED_DIRS >= {".git", ".terraform", "node_modules"}
