"""The ``oidclint`` command line.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or
internal error (a rule that raised, too: the report is still written; or a file ``--fix``
or ``--diff`` had fixes for that changed since it was read, or cannot be written); 3 (only with
``--fail-on-incomplete``) no failing finding, but something could not be read or understood,
or a rule ran out of time. ``explain`` and ``graph`` exit 3 when they run out of time.
Diagnostics go to stderr, results to stdout or ``--output``.
"""

from __future__ import annotations

import enum
import os
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # Plain help and tracebacks: rich's help formatter alone costs a third of a second at
    # every start, which a pre-commit hook pays on every commit.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Static analysis of OIDC web identity federation in Terraform and CloudFormation.",
)


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    markdown = "markdown"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so a reader never sees half a report. The file
    gets the permissions a plain write would give it: those it had, or the umask's."""
    from oidclint.writing import replace_file

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    replace_file(path, text.encode("utf-8"), mode)


def _umask() -> int:
    """The process's umask (reading it means setting it: set back at once)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def _print_diagnostics(diagnostics) -> None:
    """Files that could not be read, and why: always on stderr, never lost."""
    from oidclint.findings import printable

    for diagnostic in diagnostics:
        where = diagnostic.path or "<scan>"
        if diagnostic.span is not None:
            where += f":{diagnostic.span.line}"
        typer.echo(printable(f"oidclint: {where}: {diagnostic.message}", newlines=False), err=True)


def _use_color(output: Optional[Path]) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def scan(
    paths: Optional[List[Path]] = typer.Argument(
        None, exists=True, help="Files or folders to scan (default: .)."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write results to FILE."),
    fail_on: FailOn = typer.Option(
        FailOn.warning, "--fail-on", help="Exit 1 when a finding is at or above this level."
    ),
    repository: Optional[str] = typer.Option(
        None, "--repository", metavar="OWNER/NAME",
        help="Repository of CI workflows (default: git remote origin, else GITHUB_REPOSITORY).",
    ),
    default_branch: Optional[str] = typer.Option(
        None, "--default-branch", help="Branch that scheduled workflows run on."
    ),
    immutable_subjects: Optional[List[str]] = typer.Option(
        None, "--immutable-subjects", metavar="OWNER/NAME",
        help="A GitHub repository that issues immutable owner@id/name@id subjects (repeatable).",
    ),
    var_file: Optional[List[Path]] = typer.Option(
        None, "--var-file", metavar="FILE",
        help="Terraform variables file applied to every root module, after the "
             "auto-loaded ones (repeatable; later files win).",
    ),
    config: Optional[Path] = typer.Option(
        None, "--config", metavar="FILE",
        help="Configuration file (default: .oidclint.toml or [tool.oidclint] in "
             "pyproject.toml, found walking up to the repository root).",
    ),
    baseline: Optional[Path] = typer.Option(
        None, "--baseline", metavar="FILE",
        help="Report only findings not in this earlier JSON or SARIF report.",
    ),
    write_baseline: Optional[Path] = typer.Option(
        None, "--write-baseline", metavar="FILE",
        help="Record the current findings in FILE as the baseline for later scans.",
    ),
    fail_on_incomplete: bool = typer.Option(
        False, "--fail-on-incomplete",
        help="Exit 3 when a file could not be read or understood (and no finding fails).",
    ),
    time_budget: Optional[float] = typer.Option(
        None, "--time-budget", metavar="SECONDS",
        callback=lambda value: _within(value, 0, MAX_TIME_BUDGET),
        help="Seconds one file may take to parse before it is reported as not read "
             "(default: the configuration's, else 10; a configuration file may set at "
             "most 30).",
    ),
    max_file_size: Optional[int] = typer.Option(
        None, "--max-file-size", metavar="BYTES",
        callback=lambda value: _within(value, 0, None),
        help="Larger files are reported as not read (default: the configuration's, else "
             "5 MiB; a configuration file may set at most 16 MiB).",
    ),
    no_prefilter: bool = typer.Option(
        False, "--no-prefilter",
        help="Parse every file, not only those that can matter (slower; same findings).",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Neither read nor write the parse cache.",
    ),
    cache_dir: Optional[Path] = typer.Option(
        None, "--cache-dir", metavar="DIR",
        help="Parse cache folder (default: OIDCLINT_CACHE_DIR, else the user cache folder).",
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, metavar="N",
        help="Parsing processes (default 0: the available cores, for trees large enough "
             "to gain from them; 1: none).",
    ),
    fix: bool = typer.Option(
        False, "--fix",
        help="Apply the automatic fixes of the reported findings, then report what is left.",
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Print the automatic fixes as a unified diff; write nothing.",
    ),
) -> None:
    """Scan infrastructure code for broken or overly broad OIDC trust."""
    from oidclint.baseline import BaselineError, read_baseline
    from oidclint.cache import Cache, default_directory
    from oidclint.config import ConfigError, with_limits
    from oidclint.engine import scan as run_scan
    from oidclint.findings import printable
    from oidclint.progress import progress_wanted
    from oidclint.reporters import FORMATS

    targets = paths or [Path(".")]
    if (fix or diff) and write_baseline:
        typer.echo("oidclint: --fix and --diff do not go with --write-baseline", err=True)
        raise typer.Exit(2)
    not_fixed: list[str] = []
    try:
        settings = with_limits(_configuration(config, targets), time_budget=time_budget,
                               max_file_size=max_file_size)
        known = read_baseline(baseline) if baseline and not write_baseline else None
        cache = None if no_cache else Cache(cache_dir or default_directory())

        def run():
            return run_scan(targets, settings, repository=repository,
                            default_branch=default_branch,
                            immutable_repositories=immutable_subjects or (),
                            var_files=var_file or (), baseline=known,
                            use_baseline=not write_baseline,
                            show_progress=progress_wanted(), prefilter=not no_prefilter,
                            cache=cache, jobs=jobs or None,
                            own_files=[f for f in (baseline, write_baseline, output) if f])

        report = run()
        if write_baseline:
            _write_atomically(write_baseline, FORMATS["json"](report))
            report.baselined, report.findings = len(report.findings), []
        rendered = None
        if fix or diff:
            report, rendered, not_fixed = _apply_fixes(report, run, write=not diff)
        if rendered is None:
            rendered = FORMATS[format.value](report,
                                             color=_use_color(output) and format == Format.text)
    except (ConfigError, BaselineError) as exc:
        typer.echo(f"oidclint: {exc}", err=True)
        raise typer.Exit(2)
    except Exception as exc:  # an internal error is exit 2, never a silent pass
        typer.echo(f"oidclint: internal error: {exc!r}", err=True)
        raise typer.Exit(2)
    _print_diagnostics(report.diagnostics)
    if output:
        _write_atomically(output, rendered)
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()
    for reason in not_fixed:
        typer.echo(printable(f"oidclint: {reason}", newlines=False), err=True)
    if report.internal_errors or not_fixed:
        raise typer.Exit(2)
    if fail_on != FailOn.never:
        from oidclint.model import Level

        threshold = Level(fail_on.value).rank
        if any(f.level.rank >= threshold for f in report.active):
            raise typer.Exit(1)
    if fail_on_incomplete and report.incomplete:
        raise typer.Exit(3)


def _apply_fixes(report, run, *, write: bool):
    """The report to show, the output when it is a diff (``None``: the report), and why
    files were not fixed. After writing, the tree is scanned again: what is left is shown."""
    from oidclint import fixing

    fixes = fixing.plan(report)
    if not write:
        return report, fixes.diff(), fixes.refused
    written = fixing.write(fixes)
    if written:
        edits = sum(len(f.edits) for f in written)
        typer.echo(f"oidclint: applied {edits} fix{'es' if edits != 1 else ''} in "
                   f"{len(written)} file{'s' if len(written) != 1 else ''}", err=True)
        report = run()
    return report, None, fixes.refused


MAX_TIME_BUDGET = 86_400
"""A day: the most the interval timer behind the budget is asked to count."""


def _within(value, above: float, most: float | None):
    """A limit flag's value, checked: above ``above`` and at most ``most``."""
    if value is not None and not (value > above and (most is None or value <= most)):
        bound = f" and at most {most:,}" if most is not None else ""
        raise typer.BadParameter(f"must be above {above}{bound}, not {value:g}")
    return value


def _configuration_or_exit(paths: List[Path]):
    """The configuration found above the paths; exit 2 with the reason when it is unusable."""
    from oidclint.config import ConfigError

    try:
        return _configuration(None, paths)
    except ConfigError as exc:
        typer.echo(f"oidclint: {exc}", err=True)
        raise typer.Exit(2)


def _configuration(given: Optional[Path], paths: List[Path]):
    """The configuration named by ``--config``, else the one found above the first path."""
    from oidclint.config import ConfigError, find_config, load_config

    if given is not None:
        if not given.is_file():
            raise ConfigError(f"{given}: no such configuration file")
        return load_config(given)
    found = find_config(paths[0])
    return load_config(found) if found else None


class GraphFormat(str, enum.Enum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


@app.command()
def graph(
    paths: Optional[List[Path]] = typer.Argument(
        None, exists=True, help="Files or folders (default: .)."),
    format: GraphFormat = typer.Option(GraphFormat.mermaid, "--format", "-f"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE."),
    repository: Optional[str] = typer.Option(None, "--repository", metavar="OWNER/NAME"),
) -> None:
    """Print the linked graph: providers, roles, workloads and what links them."""
    from oidclint.engine import build_graph
    from oidclint.reporters import graph as drawing

    targets = paths or [Path(".")]
    settings = _configuration_or_exit(targets)
    built, _, _ = build_graph(targets, settings, repository=repository)
    _print_diagnostics(built.inventory.diagnostics)
    render = {"mermaid": drawing.to_mermaid, "dot": drawing.to_dot,
              "json": drawing.to_json}[format.value]
    with _command_budget("drawing the graph", settings):
        text = render(drawing.linked_view(built))
    if output:
        _write_atomically(output, text)
    else:
        sys.stdout.write(text)


@app.command()
def explain(
    role: Optional[str] = typer.Argument(None, help="Role address, name or ARN."),
    claim: Optional[List[str]] = typer.Option(
        None, "--claim", metavar="KEY=VALUE", help="A token claim, e.g. sub=repo:acme/api:pull_request."
    ),
    workload: Optional[str] = typer.Option(
        None, "--workload", metavar="PATH:JOB", help="Explain for what a workload presents."
    ),
    path: List[Path] = typer.Option([Path(".")], "--path", exists=True,
                                    help="What to scan (default: .)."),
    repository: Optional[str] = typer.Option(None, "--repository", metavar="OWNER/NAME"),
    narrowed: bool = typer.Option(
        False, "--narrowed", help="Evaluate the narrowest trust for ROLE's linked workloads "
        "(what `fix --narrow` proposes) for each way they run and for tokens of others."),
) -> None:
    """Evaluate a role's trust for given claims (or a workload's token), condition by condition;
    exit 1 when AWS would refuse it."""
    from oidclint.engine import build_graph
    from oidclint.explain import Request, explain_role, explain_workload, find_workloads
    from oidclint.findings import printable

    if not role and not workload:
        typer.echo("oidclint: name a ROLE (with --claim) or a --workload", err=True)
        raise typer.Exit(2)
    settings = _configuration_or_exit(path)
    built, _, _ = build_graph(path, settings, repository=repository)
    _print_diagnostics(built.inventory.diagnostics)
    if workload:
        matches = find_workloads(built, workload)
        if not matches:
            typer.echo(f"oidclint: no workload {workload!r} in the scan", err=True)
            raise typer.Exit(2)
        refused = False
        with _command_budget("the explanation", settings):
            for match in matches:  # each one as soon as it is known
                explained = explain_workload(built, match)
                sys.stdout.write(printable(explained.text))
                refused = refused or explained.refused
        if refused:
            raise typer.Exit(1)
        return
    if narrowed:
        _explain_narrowed(built, role, settings)
        return
    claims = {}
    for item in claim or []:
        key, sep, value = item.partition("=")
        if not sep:
            typer.echo(f"oidclint: --claim takes KEY=VALUE, got {item!r}", err=True)
            raise typer.Exit(2)
        claims[key] = value
    def answer(match):
        explained = explain_role(built, match, Request(claims))
        return printable(explained.text), explained.refused
    _answer_each_role(built, role, settings, "the explanation", answer)


def _answer_each_role(built, role: str, settings, what: str, answer) -> None:
    """Print ``answer(role)`` (its text, and whether it fails) for each role the scan
    defines by that address, name or ARN, under the command's budget; exit 2 when there is
    none, 1 when an answer fails."""
    from oidclint.explain import find_roles

    roles = find_roles(built, role)
    if not roles:
        typer.echo(f"oidclint: no role {role!r} in the scan", err=True)
        raise typer.Exit(2)
    failed = False
    with _command_budget(what, settings):
        for match in roles:  # each one as soon as it is known
            text, fails = answer(match)
            sys.stdout.write(text)
            failed = failed or fails
    if failed:
        raise typer.Exit(1)


def _explain_narrowed(built, role: str, settings) -> None:
    """``explain ROLE --narrowed``; exit 1 when nothing can be proposed, as ``fix --narrow``."""
    from oidclint.proposal import explain_narrowed

    def answer(match):
        made = explain_narrowed(built, match)
        return made.text, not made.proposed
    _answer_each_role(built, role, settings, "the explanation", answer)


@app.command()
def fix(
    paths: Optional[List[Path]] = typer.Argument(
        None, exists=True, help="Files or folders (default: .)."),
    narrow: Optional[str] = typer.Option(
        None, "--narrow", metavar="ROLE",
        help="Propose the narrowest trust that admits every workload linked to ROLE "
             "(address, name or ARN), with its proof. Writes nothing."),
    repository: Optional[str] = typer.Option(None, "--repository", metavar="OWNER/NAME"),
    default_branch: Optional[str] = typer.Option(
        None, "--default-branch", help="Branch that scheduled workflows run on."),
) -> None:
    """Propose a least-privilege trust for a role (--narrow); exit 1 when none can be
    proposed (a linked workload's subject is not fully known, or none is linked)."""
    from oidclint.engine import build_graph
    from oidclint.proposal import propose

    if not narrow:
        typer.echo("oidclint: name the role to narrow: fix --narrow ROLE [PATH ...]", err=True)
        raise typer.Exit(2)
    targets = paths or [Path(".")]
    settings = _configuration_or_exit(targets)
    built, _, root = build_graph(targets, settings, repository=repository,
                                 default_branch=default_branch)
    _print_diagnostics(built.inventory.diagnostics)

    def answer(role):
        made = propose(built, role, root)
        return made.text, not made.proposed
    _answer_each_role(built, narrow, settings, "the proposal", answer)


@contextmanager
def _command_budget(what: str, settings):
    """Run the rest of ``explain`` or ``graph`` under the rule phase's overall budget (three
    times the per-file ``time-budget``): past it, say so and exit 3."""
    from oidclint.budget import Budget
    from oidclint.config import Config
    from oidclint.rule_runner import PHASE_BUDGET_FACTOR

    seconds = (settings or Config()).time_budget
    budget = Budget(seconds * PHASE_BUDGET_FACTOR if seconds else None)
    with budget.stopping():
        yield
    if budget.exceeded:
        sys.stdout.flush()
        typer.echo(f"oidclint: {what} took longer than its {budget.exceeded.seconds:g} s "
                   "time budget and was stopped; it is incomplete", err=True)
        raise typer.Exit(3)


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
    header = ("ID", "Name", "Level", "Fires when")
    rows = [(info.id, info.name, info.level.value, info.summary) for info in catalog]
    if not sys.stdout.isatty():  # a file or a pager: one line a rule, however long
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths)]
            sys.stdout.write("  ".join([*cells, row[3]]) + "\n")
        return
    table = Table(*header, box=None, highlight=False)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def main() -> None:
    """The command, then an exit that skips tearing down the interpreter. Freeing a large
    scan's objects one by one takes a quarter of a second nobody needs (mypy exits the same
    way); what the command printed is flushed first, and the files it wrote are already
    closed. (The console script, ``oidclint.__main__``, calls it.)"""
    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"), as Python itself reports it
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
