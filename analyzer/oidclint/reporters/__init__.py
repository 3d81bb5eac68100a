"""Reporters: turn a ``Report`` into text, JSON, SARIF, GitHub workflow commands or Markdown.

Every reporter module has ``render(report, *, color=False) -> str``. ``FORMATS`` maps a format
name to a function with that signature; the modules are imported on first use so that
``oidclint --help`` does not pay for rich or sarif-om.
"""

from __future__ import annotations

import importlib
from typing import Callable
from urllib.parse import quote

from oidclint.model import Diagnostic, Finding, Report

Render = Callable[..., str]
INFORMATION_URI = "https://github.com/oidclint/oidclint"
HELP_URI = INFORMATION_URI + "/blob/main/docs/rules/{id}.md"


def rule_help_uri(rule_id: str) -> str:
    """Where a rule's documentation is read: every format links each finding to it."""
    return HELP_URI.format(id=quote(rule_id, safe=""))


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
