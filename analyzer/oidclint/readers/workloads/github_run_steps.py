"""Workflow ``run`` steps that give a role the trust policy of a file of the repository
(``aws iam create-role ... file://trust-policy.json``, read by ``iam_cli``).

GitHub puts ``${{ ... }}`` into the script text before the shell runs it, and the step's,
job's and workflow's ``env`` become shell variables:
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsrun
A step runs in the repository's root unless ``working-directory`` (the step's, or
``defaults.run`` of the job or workflow) says otherwise.
"""

from __future__ import annotations

import posixpath
from typing import Any

from oidclint.model import Inventory
from oidclint.readers.workloads.github_expressions import EXPRESSION, Scope
from oidclint.readers.policies.iam_cli import MARKERS, record, script_commands
from oidclint.located.scalar_positions import scalar_positions
from oidclint.source import Partial, SourceFile, Span, Text, Unknown, span_of


def run_step_commands(path: str, document: dict, file: SourceFile | None,
                      inventory: Inventory) -> None:
    """The uses of policy files (and the policies attached) of one workflow's ``run``
    steps, into ``inventory``."""
    jobs = document.get("jobs")
    marker = path.rfind(".github/workflows/")
    root = path[:marker].rstrip("/") if marker > 0 else ""
    for job in jobs.values() if isinstance(jobs, dict) else []:
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            run = step.get("run") if isinstance(step, dict) else None
            if not isinstance(run, str) or not any(m in run for m in MARKERS):
                continue
            blocks = (step.get("env"), job.get("env"), document.get("env"))
            folder = _working_directory(step, job, document)
            folder = posixpath.normpath(posixpath.join(root, folder)) if folder else root
            if folder == ".":
                folder = ""
            for command in script_commands(str(run), _variables(blocks), _Expressions(blocks),
                                           origin=path):
                record(command, folder, path, lambda offset, run=run: _span(file, run, offset),
                       inventory)


def _variables(blocks: tuple[Any, ...]) -> dict[str, Text]:
    """The ``env`` names as shell variables: the innermost block wins."""
    found: dict[str, Text] = {}
    for depth in range(len(blocks) - 1, -1, -1):
        block = blocks[depth]
        if not isinstance(block, dict):
            continue
        scope = Scope(blocks[depth + 1:], None)
        for name, value in block.items():
            if isinstance(name, str) and isinstance(value, (str, int, float)) \
                    and not isinstance(value, bool):
                resolved = scope.resolve(value) if isinstance(value, str) else str(value)
                found[name] = resolved if isinstance(resolved, (str, Partial, Unknown)) \
                    else Unknown(f"env.{name}")
    return found


class _Expressions:
    """Puts each ``${{ ... }}`` of a line in: its value when known, else a shell variable
    that stands for it."""

    def __init__(self, blocks: tuple[Any, ...]) -> None:
        self.scope = Scope(blocks, None)
        self.count = 0

    def __call__(self, line: str) -> tuple[str, dict[str, Text]]:
        names: dict[str, Text] = {}

        def put(match) -> str:
            value = self.scope.resolve(match[0])
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if isinstance(value, str):
                return str(value)
            self.count += 1
            name = f"__github_expression_{self.count}"
            names[name] = value if isinstance(value, (Partial, Unknown)) \
                else Unknown(" ".join(match[1].split()))
            return "${" + name + "}"
        return EXPRESSION.sub(put, line), names


def _working_directory(step: dict, job: dict, document: dict) -> str | None:
    for holder, path in ((step, ()), (job, ("defaults", "run")), (document, ("defaults", "run"))):
        value: Any = holder
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        value = value.get("working-directory") if isinstance(value, dict) else None
        if value is not None:
            return str(value) if isinstance(value, str) and "${{" not in value else None
    return None


def _span(file: SourceFile | None, run: str, offset: int) -> Span:
    """Where a character of a step's ``run`` is written (its start, for a folded or quoted
    scalar whose characters cannot be traced)."""
    positions = scalar_positions(file, run)
    if positions and offset < len(positions):
        (line, column), _ = positions[offset]
        return Span(file.path, line, column)
    return span_of(run) or Span(file.path if file else "", 1)
