"""Which repository a scanned tree is: --repository, git remote origin, GITHUB_REPOSITORY."""

from __future__ import annotations

import subprocess

import pytest

from oidclint.repository import detect_repository, repository_from_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://github.com/acme/api.git", "acme/api"),
        ("https://github.com/acme/api", "acme/api"),
        ("git@github.com:acme/api.git", "acme/api"),
        ("ssh://git@github.com/acme/api.git", "acme/api"),
        ("https://token@github.com/acme/api/", "acme/api"),
        ("https://gitlab.com/acme/platform/network.git", "acme/platform/network"),
        ("git@gitlab.example.com:acme/network.git", "acme/network"),
        ("https://github.com/acme", None),
        ("not a url", None),
    ],
)
def test_remote_urls(url, expected):
    assert repository_from_url(url) == expected


def test_explicit_repository_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "env/repo")
    assert detect_repository(tmp_path, "acme/api") == ("acme/api", None)


@pytest.mark.parametrize("given, expected", [
    ("github.com/acme/api", ("acme/api", "github")),
    ("https://github.com/acme/api.git", ("acme/api", "github")),
    ("gitlab.com/acme/platform/network", ("acme/platform/network", "gitlab")),
    ("acme/platform/network", ("acme/platform/network", None)),
    ("git.example.com/acme/api", ("acme/api", None)),
])
def test_explicit_repository_may_name_its_host(tmp_path, given, expected):
    assert detect_repository(tmp_path, given) == expected


def test_git_remote_origin_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "env/repo")
    assert detect_repository(tmp_path) == ("env/repo", "github")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "git@github.com:acme/payments-api.git"], check=True)
    assert detect_repository(tmp_path) == ("acme/payments-api", "github")
    subprocess.run(["git", "-C", str(tmp_path), "remote", "set-url", "origin",
                    "https://gitlab.example.com/acme/payments-api.git"], check=True)
    assert detect_repository(tmp_path) == ("acme/payments-api", "gitlab")
    subprocess.run(["git", "-C", str(tmp_path), "remote", "set-url", "origin",
                    "https://git.example.com/acme/payments-api.git"], check=True)
    assert detect_repository(tmp_path) == ("acme/payments-api", None)


def test_unknown_without_any_source(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert detect_repository(tmp_path) == (None, None)
