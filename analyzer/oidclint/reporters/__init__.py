"""Reporters: turn a ``Report`` into text, JSON, SARIF, GitHub workflow commands or Markdown.

Every reporter module has ``render(report, *, color=False) -> str``. ``FORMATS`` maps a format
name to a function with that signature; the modules are imported on first use so that
``oidclint --help`` does not pay for rich or sarif-om.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from typing import Callable

from oidclint.model import Diagnostic, Finding, Report

Render = Callable[..., str]

FINGERPRINT_KEY = "oidclintFinding/v1"
"""The ``partialFingerprints`` key in SARIF; bump the version when ``fingerprint`` changes."""

_DIGITS = re.compile(r"\d+")


def fingerprint(finding: Finding) -> str:
    """A stable identity for a finding: the same problem keeps it across unrelated edits.

    Built from the rule, the file, the resource address and an evidence key (the rule's own
    ``evidence["fingerprint"]``, else the message with its digits removed), never from line
    numbers: code scanning matches alerts across commits with it, so an edit above the
    finding must not turn it into a new alert.
    """
    key = finding.evidence.get("fingerprint")
    if key is None:
        key = _DIGITS.sub("", finding.message)
    parts = (finding.rule_id, finding.span.path, finding.address or "", str(key))
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


# Escape sequences (CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL|ST``, two-byte ``ESC x``),
# then any other C0/C1 control, and the bidirectional overrides of "Trojan Source"
# (CVE-2021-42574) that make text read differently than it is. An OSC without its terminator
# loses only its ``ESC ]``: taking everything up to the end would hide the rest of a message.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, newlines: bool = True) -> str:
    """Text from a scanned file made safe for a terminal or a CI log.

    A path or value can carry escape sequences that recolour a terminal, move its cursor or
    hide what follows; they are removed. Tabs become spaces; newlines are kept only when
    ``newlines`` is true (messages), else they become spaces (paths, titles).
    """
    text = _ESCAPES.sub("", text).replace("\r\n", "\n").replace("\t", " ")
    text = _CONTROLS.sub("", text)
    return text if newlines else text.replace("\n", " ")


def sorted_findings(report: Report) -> list[Finding]:
    """The findings in the order every reporter shows them: by file, position, rule."""
    return sorted(report.findings, key=lambda f: f.sort_key)


def sorted_diagnostics(report: Report) -> list[Diagnostic]:
    """The diagnostics by file, then position (file-wide ones first), then message."""
    return sorted(
        report.diagnostics,
        key=lambda d: (d.path, (d.span.line, d.span.column) if d.span else (0, 0), d.message),
    )


def _lazy(module: str) -> Render:
    def render(report: Report, *, color: bool = False) -> str:
        return importlib.import_module(f"{__name__}.{module}").render(report, color=color)

    render.__name__ = f"render_{module}"
    render.__qualname__ = render.__name__
    return render


FORMATS: dict[str, Render] = {
    "text": _lazy("text"),
    "json": _lazy("json_report"),
    "sarif": _lazy("sarif"),
    "github": _lazy("github"),
    "markdown": _lazy("markdown"),
}
