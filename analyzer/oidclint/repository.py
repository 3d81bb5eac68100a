"""Which repository the scanned tree is, for GitHub and GitLab subjects.

From ``--repository``, else the ``origin`` remote in the work tree's git config (read as a
file: no git process runs), else ``GITHUB_REPOSITORY``.
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from oidclint.reading import read_text

_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?[^/:]+(?::\d+)?[:/](?P<path>[^?#]+?)(?:\.git)?/?$"
)


def repository_from_url(url: str) -> str | None:
    """``acme/api`` from an https or ssh remote URL (GitLab subgroups kept)."""
    match = _REMOTE.match(url.strip())
    if not match:
        return None
    path = match.group("path").strip("/")
    return path if "/" in path else None


MAX_GIT_FILE_BYTES = 1024 * 1024
"""``.git`` pointers and git's ``config`` are read up to this size."""


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = _read(dot_git).strip()
        if text.startswith("gitdir:"):
            target = (root / text[len("gitdir:"):].strip()).resolve()
            common = target / "commondir"
            if common.is_file():
                return (target / _read(common).strip()).resolve()
            return target
    return None


def _read(path: Path) -> str:
    """A small file of git's; empty when it cannot be read (nothing is then detected)."""
    try:
        return read_text(path, limit=MAX_GIT_FILE_BYTES)
    except (OSError, ValueError):
        return ""


def origin_url(root: Path) -> str | None:
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read_string(_read(git_dir / "config"))
    except configparser.Error:
        return None
    section = 'remote "origin"'
    return config.get(section, "url", fallback=None) if config.has_section(section) else None


def detect_repository(root: Path, explicit: str | None = None) -> str | None:
    if explicit:
        return explicit.strip("/")
    url = origin_url(root)
    if url:
        found = repository_from_url(url)
        if found:
            return found
    return os.environ.get("GITHUB_REPOSITORY") or None
