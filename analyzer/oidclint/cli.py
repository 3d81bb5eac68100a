"""The ``oidclint`` command line.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or
internal error. Diagnostics go to stderr, results to stdout or ``--output``.
"""

from __future__ import annotations

import enum
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Static analysis of OIDC web identity federation in Terraform and CloudFormation.",
)


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _use_color(output: Optional[Path]) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def scan(
    paths: Optional[List[Path]] = typer.Argument(None, help="Files or folders to scan (default: .)."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write results to FILE."),
    fail_on: FailOn = typer.Option(
        FailOn.warning, "--fail-on", help="Exit 1 when a finding is at or above this level."
    ),
) -> None:
    """Scan infrastructure code for broken or overly broad OIDC trust."""
    from oidclint.engine import scan as run_scan
    from oidclint.reporters import FORMATS

    try:
        report = run_scan(paths or [Path(".")])
        rendered = FORMATS[format.value](report, color=_use_color(output) and format == Format.text)
    except Exception as exc:  # an internal error is exit 2, never a silent pass
        typer.echo(f"oidclint: internal error: {exc!r}", err=True)
        raise typer.Exit(2)
    from oidclint.reporters import printable

    for diagnostic in report.diagnostics:
        where = diagnostic.path or "<scan>"
        if diagnostic.span is not None:
            where += f":{diagnostic.span.line}"
        typer.echo(printable(f"oidclint: {where}: {diagnostic.message}", newlines=False), err=True)
    if output:
        _write_atomically(output, rendered)
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()
    if fail_on != FailOn.never:
        from oidclint.model import Level

        threshold = Level(fail_on.value).rank
        if any(f.level.rank >= threshold for f in report.findings):
            raise typer.Exit(1)


@app.command()
def rules(rule_id: Optional[str] = typer.Argument(None, metavar="[ID]")) -> None:
    """List the rules, or show one rule's documentation."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.table import Table

    from oidclint.engine import all_rules

    console = Console(no_color="NO_COLOR" in os.environ)
    catalog = [rule.info() for rule in all_rules()]
    if rule_id:
        wanted = rule_id.upper()
        match = [r for r in catalog if r.id == wanted or r.name == rule_id.lower()]
        if not match:
            typer.echo(f"oidclint: no rule {rule_id!r}; `oidclint rules` lists them", err=True)
            raise typer.Exit(2)
        info = match[0]
        console.print(f"{info.id} {info.name} ({info.level.value})", highlight=False)
        console.print(Markdown(info.docs))
        return
    table = Table("ID", "Name", "Level", "Fires when", box=None, highlight=False)
    for info in catalog:
        table.add_row(info.id, info.name, info.level.value, info.summary)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
