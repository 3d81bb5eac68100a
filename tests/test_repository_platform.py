"""A repository is hosted on one platform: its name is the subject of that platform's jobs
only. A `.gitlab-ci.yml` in a repository cloned from GitHub runs in a GitLab project whose
path is not known (a mirror may live under another group), so its jobs are not said to be
refused for their project path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from oidclint.engine import scan

FIXTURE = Path(__file__).parent / "fixtures" / "OIDC108" / "positive-gitlab-include-rules-tags-only"


def _tree(tmp_path: Path, subject: str = "project_path:mirror/api:ref_type:tag:ref:*") -> Path:
    """The fixture's job runs on tags of its project; here the trust admits the tags of
    another project path: refused only when the job's project is known to be acme/api."""
    target = tmp_path / "tree"
    shutil.copytree(FIXTURE, target)
    (target / "expected.yaml").unlink()
    (target / "findings.snap").unlink()
    trust = target / "infra" / "gitlab.tf"
    text = trust.read_text(encoding="utf-8")
    text = text.replace("project_path:acme/api:ref_type:branch:ref:main", subject)
    trust.write_text(text.replace("StringEquals", "StringLike", 1), encoding="utf-8")
    return target


def _refusals(report) -> list[str]:
    return [f.rule_id for f in report.findings if f.rule_id == "OIDC108"]


@pytest.mark.parametrize("repository", ["acme/api", "gitlab.com/acme/api"])
def test_a_repository_named_without_a_host_or_on_gitlab_names_the_gitlab_project(
        tmp_path, repository):
    report = scan([_tree(tmp_path)], repository=repository)
    assert _refusals(report)


def test_a_repository_on_github_leaves_the_gitlab_project_unknown_and_says_so(tmp_path):
    report = scan([_tree(tmp_path)], repository="github.com/acme/api")
    assert not _refusals(report)
    (note,) = [d for d in report.diagnostics if "GitLab project" in d.message]
    assert note.level.value == "note" and "acme/api on GitHub" in note.message


def test_the_platform_comes_from_the_origin_remote(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    tree = _tree(tmp_path)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "remote", "add", "origin",
                    "git@github.com:acme/api.git"], check=True)
    assert not _refusals(scan([tree]))
    subprocess.run(["git", "-C", str(tree), "remote", "set-url", "origin",
                    "git@gitlab.com:acme/api.git"], check=True)
    assert _refusals(scan([tree]))


def test_what_the_known_part_of_the_subject_decides_holds_without_the_project(tmp_path):
    tree = _tree(tmp_path, subject="project_path:acme/api:ref_type:branch:ref:main")
    assert _refusals(scan([tree], repository="github.com/acme/api"))
