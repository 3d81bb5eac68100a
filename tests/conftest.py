from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Fixtures shared by the test modules of one subject, kept beside that subject's helpers.
pytest_plugins = ["action_runner", "cache_helpers", "config_scans"]

# CI runs the property tests on a fixed sequence of examples, so a red build is reproducible;
# no deadlines, since a loaded machine must not turn slowness into failures.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Scans the tests run (in this process and in the processes they start) keep their parse cache
# here, never in the user's cache folder; tests of the cache name their own folders.
os.environ["OIDCLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="oidclint-test-cache-")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = REPO / "sample_stacks"

OPEN_TRUST = '''\
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
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" }
      }
    }]
  })
}
'''
"""A GitHub trust open to every repository of acme: one OIDC204 finding."""


@pytest.fixture
def repo_root() -> Path:
    return REPO


UPDATE_SNAPSHOTS = "OIDCLINT_UPDATE_SNAPSHOTS"
"""Set to 1 to write every snapshot anew; review the diff before committing it."""


def check_snapshot(snapshot: Path, current: str) -> None:
    """``current`` must be what ``snapshot`` holds; with OIDCLINT_UPDATE_SNAPSHOTS=1 it is
    written there instead."""
    if os.environ.get(UPDATE_SNAPSHOTS):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(current, encoding="utf-8")
    assert snapshot.exists(), f"run with {UPDATE_SNAPSHOTS}=1 to create {snapshot.name}"
    assert current == snapshot.read_text(encoding="utf-8"), \
        f"{snapshot} differs: run with {UPDATE_SNAPSHOTS}=1 and review the diff"


_HYPERLINK = re.compile(r"\x1b\]8;[^;\x07\x1b]*;([^\x07\x1b]*)")


def foreign_hyperlinks(text: str) -> list[str]:
    """The terminal hyperlinks (OSC 8) in ``text`` that lead anywhere but to a rule's
    documentation: the only links oidclint itself writes."""
    from oidclint.reporters import HELP_URI

    ours = HELP_URI.split("{id}")[0]
    return [url for url in _HYPERLINK.findall(text) if url and not url.startswith(ours)]


def without_styles(text: str) -> str:
    """Terminal output without its colours and hyperlinks: what a plain render shows."""
    text = re.sub(r"\x1b\]8;[^\x07\x1b]*;[^\x07\x1b]*(?:\x1b\\|\x07)", "", text)
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
