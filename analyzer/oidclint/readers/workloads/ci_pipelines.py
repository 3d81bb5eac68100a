"""Which files are the pipeline configurations of CircleCI, Buildkite and Bitbucket
Pipelines, and the reader of each. Each is read on its own, like a template or a manifest.

CircleCI reads ``.circleci/config.yml`` (https://circleci.com/docs/configuration-reference/);
Bitbucket ``bitbucket-pipelines.yml`` at the repository root
(https://support.atlassian.com/bitbucket-cloud/docs/configure-bitbucket-pipelinesyml/);
Buildkite uploads ``.buildkite/pipeline.yml``, ``buildkite.yml`` and the like, and any
pipeline file a step uploads, usually kept in ``.buildkite/``
(https://buildkite.com/docs/agent/v3/cli-pipeline#pipeline-file-resolution).
"""

from __future__ import annotations

import posixpath
from typing import Callable

from oidclint.model import Inventory
from oidclint.source import SourceFile


def pipeline_kind(path: str) -> str | None:
    """``circleci``, ``buildkite`` or ``bitbucket-pipelines`` for a pipeline file; else None."""
    folder, name = posixpath.split(path)
    if not name.endswith((".yml", ".yaml")):
        return None
    parent = posixpath.basename(folder)
    if parent == ".circleci" and name in ("config.yml", "config.yaml"):
        return "circleci"
    if name in ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"):
        return "bitbucket-pipelines"
    if parent in (".buildkite", "buildkite") or name in (
            "buildkite.yml", "buildkite.yaml", ".buildkite.yml", ".buildkite.yaml"):
        return "buildkite"
    return None


def reader_for(path: str) -> Callable[[SourceFile], Inventory] | None:
    """The reader of a pipeline file (imported when such a file is met)."""
    kind = pipeline_kind(path)
    if kind == "circleci":
        from oidclint.readers.workloads.circleci import parse_circleci

        return parse_circleci
    if kind == "buildkite":
        from oidclint.readers.workloads.buildkite import parse_buildkite

        return parse_buildkite
    if kind == "bitbucket-pipelines":
        from oidclint.readers.workloads.bitbucket_pipelines import parse_bitbucket_pipelines

        return parse_bitbucket_pipelines
    return None
