"""The pre-commit hook, run by the real pre-commit in throwaway git repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

BAD_STACK = '''
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
      }
    }]
  })
}
'''

FIXED = BAD_STACK.replace(
    '"token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }',
    '"token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"\n'
    '          "token.actions.githubusercontent.com:sub" = "repo:acme/api:environment:production" }',
)


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY, **env},
                          capture_output=True, text=True)


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """The project as it is in this working tree, committed in a repository of its own."""
    snapshot = tmp_path_factory.mktemp("oidclint-hook-repo")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = REPO / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(snapshot, "init", "-q")
    git(snapshot, "add", "-A")
    assert git(snapshot, "commit", "-qm", "snapshot").returncode == 0
    rev = git(snapshot, "rev-parse", "HEAD").stdout.strip()
    return snapshot, rev


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def make_project(path: Path, stack: str) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    (path / "infra").mkdir()
    (path / "infra" / "github.tf").write_text(stack)
    return path


def test_try_repo_runs_the_hook_and_fails_on_the_finding(tmp_path, hook_repo, pre_commit_home):
    repo, rev = hook_repo
    project = make_project(tmp_path / "project", BAD_STACK)
    git(project, "add", "-A")
    result = pre_commit(project, pre_commit_home, "try-repo", str(repo), "oidclint",
                        "--ref", rev, "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "OIDC201" in result.stdout
    assert "infra/github.tf" in result.stdout


def test_installed_hook_refuses_the_commit_then_accepts_the_fix(tmp_path, hook_repo, pre_commit_home):
    repo, rev = hook_repo
    project = make_project(tmp_path / "project", BAD_STACK)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: oidclint\n"
    )
    installed = pre_commit(project, pre_commit_home, "install")
    assert installed.returncode == 0, installed.stderr
    git(project, "add", "-A")
    home = str(pre_commit_home)
    refused = git(project, "commit", "-m", "add deploy role", PRE_COMMIT_HOME=home)
    assert refused.returncode != 0
    assert "OIDC201" in refused.stdout + refused.stderr
    assert git(project, "rev-parse", "--verify", "HEAD").returncode != 0  # nothing committed

    (project / "infra" / "github.tf").write_text(FIXED)
    git(project, "add", "-A")
    accepted = git(project, "commit", "-m", "add deploy role", PRE_COMMIT_HOME=home)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def _readme_block(marker: str) -> str:
    """The fenced block that follows ``<!-- marker -->`` in the README, unindented."""
    text = (REPO / "README.md").read_text()
    after = text.split(f"<!-- {marker} -->", 1)[1]
    body = after.split("```", 2)[1]
    lines = body.split("\n")[1:]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines).strip() + "\n"


def test_readme_adoption_steps_work_on_a_repository_with_findings(tmp_path, hook_repo,
                                                                   pre_commit_home):
    """The README's three adoption steps, run as written: a baseline that keeps the old
    finding quiet, the hook refusing only a new one, and the configuration both share."""
    repo, rev = hook_repo
    project = make_project(tmp_path / "project", BAD_STACK)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: oidclint\n"
    )
    git(project, "add", "-A")
    assert git(project, "commit", "-qm", "existing code", "--no-verify").returncode == 0
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(pre_commit_home),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def run(script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=project, env=env,
                              capture_output=True, text=True)

    baseline = run(_readme_block("adoption:baseline"))
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    quiet = run("oidclint scan .")
    assert quiet.returncode == 0, quiet.stdout
    assert "1 in the baseline" in quiet.stdout, quiet.stdout

    hook = run(_readme_block("adoption:hook").replace("pre-commit ",
                                                      f"{sys.executable} -m pre_commit "))
    assert hook.returncode == 0, hook.stderr
    (project / "infra" / "unchanged.tf").write_text("# nothing new\n")
    git(project, "add", "-A")
    accepted = run("git commit -qm 'unrelated change'")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    (project / "infra" / "ci.tf").write_text(BAD_STACK.replace('"deploy"', '"ci"'))
    git(project, "add", "-A")
    refused = run("git commit -qm 'add ci role'")
    assert refused.returncode != 0
    assert "OIDC201" in refused.stdout + refused.stderr
    assert "infra/ci.tf" in refused.stdout + refused.stderr
