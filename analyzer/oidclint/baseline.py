"""Baselines: adopt oidclint on a repository with existing findings without a red build.

``--write-baseline FILE`` records the current findings (the JSON report); ``--baseline FILE``
then reports only findings that are not in it. Findings are matched by their stable
fingerprint (rule, file, resource, evidence; never line numbers), so moving code does not
bring old findings back. An earlier SARIF log works as a baseline too (its
``partialFingerprints``).

A baseline is read like any file a pull request may have replaced: only a regular file (not
``/dev/zero``, not a FIFO), at most ``MAX_BASELINE_BYTES``; one named by a configuration file
must also lie inside that file's repository, links followed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from oidclint.config import Config, ConfigError
from oidclint.discovery import find_root
from oidclint.findings import FINGERPRINT_KEY
from oidclint.reading import Refused, read_text
from oidclint.reading import inside as within

MAX_BASELINE_BYTES = 32 * 1024 * 1024
"""Some 30,000 findings as a JSON report (SARIF logs take more per finding); reading that
much takes about half a second and 100 MB."""


class BaselineError(ConfigError):
    """A baseline file that cannot be read; the message names the file. A ``ConfigError``,
    since the configuration's ``baseline`` names one: ``oidclint.scan`` callers catch one
    exception for a setup they cannot use."""


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]
    path: Path | None = None


def configured_baseline(config: Config) -> Baseline | None:
    """The baseline a configuration names, if any. One named by a file must be inside the
    file's repository (its git work tree, else its folder): a pull request that edits the
    file cannot point the scan at ``/dev/zero`` or at a file elsewhere on the machine."""
    path = config.baseline_path
    if path is None:
        return None
    if config.path is None:
        return read_baseline(path)
    try:
        return read_baseline(path, inside=find_root([config.folder]))
    except BaselineError as exc:  # say which file named it
        raise BaselineError(f"{config.path}: `baseline`: {exc}") from None


def read_baseline(path: Path, *, inside: Path | None = None) -> Baseline:
    """The fingerprints of an oidclint JSON report or SARIF log; ``inside``: the folder it
    must be in (links followed)."""
    root = inside.resolve() if inside is not None else None
    if root is not None and not within(os.path.realpath(path), root):
        raise BaselineError(f"{path}: the baseline is outside the repository ({inside}); "
                            "not read")
    try:
        # An empty file or ``/dev/null`` holds nothing: every finding is shown. Anything else
        # that is not a regular file (``/dev/zero``, a FIFO) is refused, never read.
        text = "" if _empty_device(path) else read_text(path, root=root,
                                                         limit=MAX_BASELINE_BYTES)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except Refused as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: the baseline is not JSON: {exc}") from None
    try:
        document = json.loads(text) if text.strip() else {"findings": []}
    except ValueError as exc:
        raise BaselineError(f"{path}: the baseline is not JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("runs"), list):
        found = [result["partialFingerprints"].get(FINGERPRINT_KEY)
                 for run in document["runs"] if isinstance(run, dict)
                 for result in run.get("results") or [] if isinstance(result, dict)
                 and isinstance(result.get("partialFingerprints"), dict)]
    elif isinstance(document, dict) and isinstance(document.get("findings"), list):
        found = [f.get("fingerprint") for f in document["findings"] if isinstance(f, dict)]
    else:
        raise BaselineError(f"{path}: not an oidclint JSON report or SARIF log")
    return Baseline(frozenset(f for f in found if isinstance(f, str)), path)


def _empty_device(path: Path) -> bool:
    """``/dev/null`` (or what it links to): the README's way to see every finding."""
    try:
        return os.path.samefile(path, os.devnull)
    except OSError:
        return False
