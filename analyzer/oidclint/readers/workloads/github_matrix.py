"""The combinations a GitHub Actions job's ``strategy.matrix`` runs it with.

Each list-valued key multiplies the combinations; an ``exclude`` entry removes those that
match all its pairs; an ``include`` entry is added to every combination it overwrites no
original value of, and becomes a combination of its own when it fits none (the values an
``include`` added may be overwritten by a later one). At most 256 jobs run per matrix:
https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstrategymatrix
"""

from __future__ import annotations

import itertools
from typing import Any

MAX_COMBINATIONS = 256
"""GitHub's limit of jobs one matrix generates in a workflow run."""

_SPECIAL = ("include", "exclude")


def matrix_combinations(job: dict) -> list[dict[str, Any]] | None:
    """Each combination (key to value) the job runs with; ``None`` when it has no matrix
    or the matrix is not written out (an expression, ``fromJSON(...)``, too many)."""
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if matrix is None:
        return None
    if not isinstance(matrix, dict):
        return None  # `matrix: ${{ fromJSON(...) }}`
    axes = {k: v for k, v in matrix.items() if isinstance(k, str) and k not in _SPECIAL}
    if any(not isinstance(v, list) or not v or any(_expression(x) for x in v)
           for v in axes.values()):
        return None
    size = 1
    for values in axes.values():
        size *= len(values)
        if size > MAX_COMBINATIONS:
            return None
    combinations = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    if not axes:
        combinations = []
    excluded = _entries(matrix.get("exclude"))
    include = _entries(matrix.get("include"))
    if excluded is None or include is None:
        return None
    combinations = [c for c in combinations
                    if not any(all(c.get(k) == v for k, v in e.items()) for e in excluded)]
    originals = [dict(c) for c in combinations]
    for entry in include:
        fits = [i for i, original in enumerate(originals)
                if all(original.get(k, v) == v for k, v in entry.items() if k in axes)]
        if fits:
            for i in fits:
                combinations[i].update(entry)
        else:  # a combination of its own, which later entries do not join
            combinations.append(dict(entry))
    if not combinations or len(combinations) > MAX_COMBINATIONS:
        return None
    return combinations


def _entries(value: Any) -> list[dict[str, Any]] | None:
    """The mappings of an ``include`` or ``exclude`` list; ``None`` when not written out."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        return None
    if any(_expression(v) for e in value for v in e.values()):
        return None
    return [{str(k): v for k, v in e.items()} for e in value]


def _expression(value: Any) -> bool:
    return isinstance(value, str) and "${{" in value


def narrowed(job: dict, combination: dict[str, Any]) -> dict:
    """The job as one combination runs it: its matrix lists that combination's values only
    (so an environment named by ``matrix.<key>`` is that combination's)."""
    strategy = job.get("strategy")
    return {**job, "strategy": {**(strategy if isinstance(strategy, dict) else {}),
                                "matrix": {k: [v] for k, v in combination.items()}}}


def shared_values(combinations: list[dict[str, Any] | None]) -> str:
    """``account=prod, region=eu-west-1``: the values the combinations all have."""
    known = [c for c in combinations if c]
    if not known:
        return "any"
    first = known[0]
    same = {k: v for k, v in first.items()
            if all(k in c and c[k] == v for c in known[1:]) and not isinstance(v, (dict, list))}
    return ", ".join(f"{k}={v}" for k, v in same.items()) or "several"
