"""Baselines: adopt oidclint on a repository with existing findings without a red build.

``--write-baseline FILE`` records the current findings (the JSON report); ``--baseline FILE``
then reports only findings that are not in it. Findings are matched by their stable
fingerprint (rule, file, resource, evidence; never line numbers), so moving code does not
bring old findings back. An earlier SARIF log works as a baseline too (its
``partialFingerprints``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from oidclint.config import ConfigError
from oidclint.reading import Refused, read_text
from oidclint.reporters import FINGERPRINT_KEY


MAX_BASELINE_BYTES = 32 * 1024 * 1024
"""A baseline is read up to this size."""


class BaselineError(ConfigError):
    """A baseline file that cannot be read; the message names the file. A ``ConfigError``,
    since the configuration's ``baseline`` names one: ``oidclint.scan`` callers catch one
    exception for a setup they cannot use."""


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]
    path: Path | None = None


def read_baseline(path: Path) -> Baseline:
    """The fingerprints of an oidclint JSON report or SARIF log."""
    try:
        # An empty file or ``/dev/null`` holds nothing: every finding is shown. Anything else
        # that is not a regular file (``/dev/zero``, a FIFO) is refused, never read.
        text = "" if _empty_device(path) else read_text(path, limit=MAX_BASELINE_BYTES)
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
