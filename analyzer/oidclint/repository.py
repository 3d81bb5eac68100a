"""Which repository the scanned tree is, for GitHub and GitLab subjects, and on which of
the two it is hosted.

From ``--repository``, else the ``origin`` remote in the work tree's git config (read as a
file: no git process runs), else ``GITHUB_REPOSITORY``. A repository cloned from GitHub names
its GitHub subjects only: a ``.gitlab-ci.yml`` in it runs in a GitLab project whose path is
not known (a mirror may live under another group), and the other way round. ``--repository``
names both unless it starts with the host (``github.com/acme/api``).
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from oidclint.reading import read_text

_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?[:/](?P<path>[^?#]+?)(?:\.git)?/?$"
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


def platform_of(host: str) -> str | None:
    """``github`` or ``gitlab`` for a host that is one of them (github.com, a GitHub
    Enterprise host named so, gitlab.com, gitlab.example.com); ``None`` when the host does not
    say."""
    host = host.lower()
    found = [name for name in ("github", "gitlab") if name in host]
    return found[0] if len(found) == 1 else None


def _split_host(text: str) -> tuple[str | None, str]:
    """``github.com/acme/api`` -> (``github``, ``acme/api``); a path without a host (its
    first segment holds no ``.``) -> (None, the path)."""
    text = text.strip().strip("/")
    for scheme in ("https://", "http://"):
        text = text.removeprefix(scheme)
    head, _, rest = text.partition("/")
    if "." in head and "/" in rest:
        return platform_of(head), rest.removesuffix(".git")
    return None, text


def detect_repository(root: Path, explicit: str | None = None
                      ) -> tuple[str | None, str | None]:
    """The scanned repository's ``owner/name`` and the platform it is hosted on
    (``github``, ``gitlab``; ``None``: not known, its name is taken for both)."""
    if explicit:
        return tuple(reversed(_split_host(explicit)))  # type: ignore[return-value]
    url = origin_url(root)
    if url:
        found = repository_from_url(url)
        if found:
            return found, platform_of(_REMOTE.match(url.strip()).group("host"))
    named = os.environ.get("GITHUB_REPOSITORY") or None
    return named, "github" if named else None
