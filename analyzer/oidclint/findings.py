"""What a finding is to everything that keeps or shows it: its stable fingerprint (the
engine deduplicates by it, the baseline stores it, SARIF carries it) and how text from a
scanned tree is shown inertly. Below the reporters, so the engine, the baseline and the
graph use them without importing any output format."""

from __future__ import annotations

import hashlib
import re

from oidclint.model import Finding

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
