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
    # surrogatepass: a file name that is not UTF-8 (or a ``\ud800`` escape in a JSON value)
    # hashes like any other; other text hashes as it always did.
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


# Shown as escapes rather than as themselves: C0 and C1 controls and DEL (every terminal
# escape sequence, CSI, OSC ..., starts with one), the bidirectional overrides and isolates of
# "Trojan Source" (CVE-2021-42574) that make text read differently than it is, the line and
# paragraph separators, and lone surrogates: the bytes of a file name that are not UTF-8
# (``os.fsdecode`` keeps byte 0xFF as U+DCFF), or a ``\ud800`` escape in a JSON value.
_SHOWN_ESCAPED = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    code = ord(character)
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name: the byte itself
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = True) -> str:
    """Text from a scanned tree (a path, a value quoted in a message, a source line) shown
    faithfully and inertly on a terminal, in a CI log or a web page.

    Nothing is removed: whatever could act on a terminal or change how the text reads is
    written as a Python-style escape instead (``\\x1b[31m``, ``\\u202e``, ``\\xff`` for a
    byte of a file name that is not UTF-8). Removing it would make a name look like another
    one, which may exist. Line breaks and tabs are kept when ``newlines`` is true
    (messages), and escaped too (``\\n``) when it is false (paths, titles, table cells).
    """
    if newlines:
        text = text.replace("\r\n", "\n")
    return _SHOWN_ESCAPED.sub(
        lambda match: match.group() if newlines and match.group() in "\n\t"
        else _escape(match.group()), text)


def name_bytes(path: str) -> bytes:
    """A path as the bytes the file system holds: what ``os.fsdecode`` made of it, undone."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no undecodable byte stands for
        return path.encode("utf-8", "surrogatepass")


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
