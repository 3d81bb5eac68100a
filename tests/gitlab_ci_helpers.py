"""What the tests of the GitLab CI reader share: pipelines given as text and parsed
together, a job that assumes a role with an ID token, and where a value was found."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oidclint.model import Inventory
from oidclint.readers.workloads.gitlab_ci import parse_gitlab_ci
from oidclint.source import SourceFile, Span


ROLE = "arn:aws:iam::123456789012:role/deploy"


def scan(files: dict[str, str], root: str = ".gitlab-ci.yml") -> Inventory:
    sources = {path: SourceFile(path, Path(path), textwrap.dedent(text))
               for path, text in files.items()}
    return parse_gitlab_ci(sources[root], sources)


def pipeline(text: str) -> Inventory:
    return scan({".gitlab-ci.yml": text})


def job(inventory: Inventory, name: str):
    return next(w for w in inventory.workloads if w.name.endswith(f" job {name}"))


def where(text: str, needle: str, path: str = ".gitlab-ci.yml", within: str = "") -> Span:
    text = textwrap.dedent(text)
    offset = text.index(within or needle) + (within or needle).index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(path, line, column, line, column + len(needle))


def subjects(workload) -> list[str]:
    return [str(c.subject) for c in workload.contexts]
