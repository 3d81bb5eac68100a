"""One scan: discover files, choose those that can matter, parse them (``oidclint.parsing``),
build the graph, run the rules, collect a report.

The parsers, the graph and the rules are imported when a scan first needs them: a scan
answered from the cache never loads them."""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from oidclint import __version__, discovery
from oidclint.baseline import Baseline, configured_baseline
from oidclint.cache import Cache, make_key
from oidclint.config import Config, ConfigError, effects, exclusion_effect
from oidclint.dependencies import digest, recording
from oidclint.discovery import Discovery, Exclusion, discover, find_root, kind_of, relative
from oidclint.file_index import FileIndex
from oidclint.findings import fingerprint
from oidclint.model import PLATFORMS, Diagnostic, Inventory, Level, Report, RuleInfo
from oidclint.pool import Pool, available_cores, workers_for
from oidclint.prefilter import Prefilter, Restoring, Selection
from oidclint.reading import inside, read_text
from oidclint.progress import progress
from oidclint.repository import detect_repository
from oidclint.rule import Rule
from oidclint.rule_runner import run_rules
from oidclint.suppressions import apply as apply_suppressions
from oidclint.suppressions import comment_directives

if TYPE_CHECKING:
    from oidclint.graph import TrustGraph


def all_rules() -> list[Rule]:
    from oidclint_rules import ALL_RULES

    return [rule() for rule in ALL_RULES]


@dataclass
class Prepared:
    """A scan before parsing: its settings, the files found and which of them matter."""

    config: Config
    found: Discovery
    given: Discovery | None
    """The ``--var-file`` and ``var-files`` files."""
    chosen: Selection
    sieve: Prefilter | None
    repository: str | None
    excluded: int = 0
    platform: str | None = None
    """Where the repository is hosted (``oidclint.repository``): its name is for the
    subjects of that platform's jobs only."""
    """Files the configuration's ``exclude`` left out."""

    @property
    def config_shown(self) -> str:
        """The configuration file's name in reports."""
        path = self.config.path
        return relative(Path(os.path.abspath(path)), self.found.root) if path else ""

    @property
    def read_diagnostics(self) -> list[Diagnostic]:
        """Files that could not be read, and files that changed while being scanned."""
        return (self.found.diagnostics + (self.given.diagnostics if self.given else [])
                + [Diagnostic(path, why) for path, why in
                   (self.sieve.problems if self.sieve else ())])


def prepare(paths: Sequence[str | Path], config: Config | None = None, *,
            root: str | Path | None = None, repository: str | None = None,
            default_branch: str | None = None, immutable_repositories: Sequence[str] = (),
            var_files: Sequence[str | Path] = (), prefilter: bool = True,
            cache: Cache | None = None, jobs: int | None = None,
            own_files: Sequence[str | Path] = ()) -> Prepared:
    """Discover the files and choose those worth parsing (see ``build_graph``). The files
    oidclint itself reads or writes (``own_files``: the baseline, the report; and the
    configuration's baseline) are not scanned files."""
    config = _with_flags(config, repository, default_branch, immutable_repositories)
    # A Config built in code has no file: its patterns, like its var-files, are relative to
    # the working folder rather than silently ignored.
    exclude = Exclusion(config.exclude, config.folder or Path.cwd()) if config.exclude \
        else None
    own = {os.path.abspath(p) for p in [*own_files, config.baseline_path] if p is not None}

    def skipped(path: Path, is_dir: bool = False) -> bool:
        return not is_dir and os.path.abspath(path) in own or \
            exclude is not None and exclude(path, is_dir=is_dir)
    max_bytes = config.max_file_size
    targets = [Path(p) for p in paths]
    scan_root = (Path(root) if root else find_root(targets)).resolve()
    index = FileIndex.load(cache, str(scan_root)) if prefilter and cache is not None \
        and cache.enabled else None
    # The prefilter takes each file's facts as it is read and lets go of texts that may not
    # matter, so memory follows what is parsed, not the size of the tree; with an index,
    # files unchanged since the last scan are not read at all.
    sieve = Prefilter(lambda file: _read_again(file.absolute, scan_root, max_bytes), index,
                      scan_root) \
        if prefilter else None
    # A tree met for the first time (no index) is read by worker processes too.
    share = sieve is not None and jobs != 1 and (index is None or not index.entries)
    with Pool((jobs or available_cores()) if share else 1) as pool:
        found = discover(targets, scan_root, max_bytes=max_bytes,
                         exclude=skipped if own or exclude else None,
                         observe=sieve.observe if sieve else None,
                         known=sieve.known if sieve else None,
                         delegate=sieve.shared(pool, lambda: _get_ready(cache))
                         if share else None)
    var_paths = [config.folder / v if config.folder else Path(v) for v in config.var_files]
    given = _variables_files(var_paths, [Path(p) for p in var_files], config, found.root)
    var_paths += [Path(p) for p in var_files]
    for path in var_paths:
        if kind_of(path.name) != "tfvars":
            found.diagnostics.append(Diagnostic(
                str(path), "--var-file: not a .tfvars or .tfvars.json file; not read",
                Level.ERROR))
    chosen = sieve.select(found.files) if sieve else Selection(keep=found.files)
    if index is not None:
        index.save(cache)
    repository, platform = detect_repository(found.root, config.repository)
    return Prepared(config, found, given, chosen, sieve, repository,
                    len(exclude.excluded) if exclude else 0, platform)


def _read_again(path: Path, root: Path, max_bytes: int | None) -> str:
    """A file discovery read, read again: inside the root still, when it was found there
    (a path given on the command line may lie elsewhere)."""
    confined = root if inside(str(path), root) else None
    return read_text(path, root=confined, limit=max_bytes or discovery.MAX_FILE_BYTES)


def _variables_files(configured: list[Path], named: list[Path], config: Config,
                     root: Path) -> Discovery | None:
    """The ``var-files`` of the configuration and the ``--var-file`` files. The command line
    may name a file anywhere; a configuration file inside the scanned tree (which a pull
    request may change) only files inside it."""
    if not configured and not named:
        return None
    confined = config.path is not None and inside(os.path.abspath(config.path), root)
    given = discover(configured, root, confined=confined) if configured else Discovery(root)
    if named:
        more = discover(named, root, confined=False)
        given.files = sorted(given.files + more.files, key=lambda f: f.path)
        given.diagnostics += more.diagnostics
    return given


def _get_ready(cache: Cache | None) -> None:
    """What parsing a tree met for the first time will need, made ready while the workers
    read it: the parsers' modules and the Terraform parser, which the parsing workers, forked
    later, then share. (networkx is imported later, while those workers parse.)"""
    from oidclint.hcl.syntax import PARSER_TABLES, load_parser

    importlib.import_module("oidclint.parsing")
    load_parser(cache.slot(PARSER_TABLES) if cache else None)


def build_graph(paths: Sequence[str | Path], config: Config | None = None, *,
                root: str | Path | None = None, repository: str | None = None,
                default_branch: str | None = None,
                immutable_repositories: Sequence[str] = (),
                var_files: Sequence[str | Path] = (),
                show_progress: bool = False,
                prefilter: bool = True, cache: Cache | None = None,
                jobs: int | None = None) -> tuple[TrustGraph, int, Path]:
    """Discover, parse and link: the graph of a tree, with the number of files read and the
    root paths are relative to. Diagnostics are in ``graph.inventory.diagnostics``.

    ``config`` is the project configuration (none: the defaults); the keyword arguments are
    the command line's flags and win over it. ``var_files`` are Terraform variable files
    applied to every root module, like ``terraform plan -var-file``. ``cache`` keeps what
    parsing produced between scans; ``jobs`` is the number of parsing processes (``None``:
    the available cores when there is enough to parse)."""
    prepared = prepare(paths, config, root=root, repository=repository,
                       default_branch=default_branch,
                       immutable_repositories=immutable_repositories, var_files=var_files,
                       prefilter=prefilter, cache=cache, jobs=jobs)
    graph = _graph(prepared, show_progress=show_progress, cache=cache, jobs=jobs)
    if cache is not None:
        cache.trim()
    return graph, len(prepared.found.files), prepared.found.root


def _graph(prepared: Prepared, *, show_progress: bool, cache: Cache | None,
           jobs: int | None) -> TrustGraph:
    from oidclint.hcl.syntax import PARSER_TABLES, load_parser
    from oidclint.parsing import parse

    config, found, chosen, sieve = (prepared.config, prepared.found, prepared.chosen,
                                    prepared.sieve)
    keep = sieve.restore(chosen.keep) if sieve else chosen.keep
    context = Restoring([f for f in found.files if f.kind == "structured"], sieve) \
        if sieve else None
    # Workers start before the progress bar's thread does (see oidclint.pool).
    with Pool(workers_for(jobs, sum(len(f.text) for f in keep))) as pool:
        if pool.workers > 1 and any(f.kind == "terraform" for f in keep):
            load_parser(cache.slot(PARSER_TABLES) if cache else None)
        pool.start()
        with progress(len(keep), enabled=show_progress) as tick:
            inventory = parse(keep, default_branch=config.default_branch,
                              var_files=prepared.given.files if prepared.given else (),
                              unread=[d.path for d in found.diagnostics],
                              tick=tick, budget=config.time_budget, context=context,
                              prune=sieve is not None, cache=cache, pool=pool,
                              # imported (networkx: a quarter of a second) while the
                              # workers parse
                              meanwhile=lambda: importlib.import_module("oidclint.graph"))
    if cache is not None and cache.problem:
        inventory.diagnostics.append(Diagnostic(
            "", f"the parse cache is not used: {cache.problem}", Level.NOTE))
    inventory.skipped = [f.path for f in chosen.skipped]
    inventory.diagnostics[:0] = found.diagnostics + (
        prepared.given.diagnostics if prepared.given else [])
    inventory.diagnostics += [Diagnostic(path, why) for path, why in
                              (sieve.problems if sieve else ())]
    inventory.suppressions.extend(comment_directives(keep + chosen.skipped))
    _document_problems(inventory)
    _values_too_long(inventory)
    if prepared.repository is None and any(w.kind in ("github-actions", "gitlab-ci")
                                           for w in inventory.workloads):
        inventory.diagnostics.append(Diagnostic(
            "", "the repository is unknown (no --repository, no git remote `origin`, no "
            "GITHUB_REPOSITORY): CI job subjects cannot be checked against trusts",
            Level.NOTE))
    elsewhere = sorted({w.kind for w in inventory.workloads
                        if PLATFORMS.get(w.kind, prepared.platform) != prepared.platform})
    if prepared.repository is not None and prepared.platform is not None and elsewhere:
        hosts = {"github": "GitHub", "gitlab": "GitLab"}
        other = "gitlab" if prepared.platform == "github" else "github"
        inventory.diagnostics.append(Diagnostic(
            "", f"the repository is {prepared.repository} on {hosts[prepared.platform]}: the "
            f"{hosts[other]} project its {hosts[other]} jobs run in is not known, so their "
            f"subjects are not checked against trusts (--repository "
            f"{other}.com/<path> names it)", Level.NOTE))
    from oidclint.graph import TrustGraph

    graph = TrustGraph(inventory, prepared.repository,
                       frozenset(config.immutable_subjects), config, prepared.platform)
    graph.root = str(prepared.found.root)
    return graph


def _document_problems(inventory: Inventory) -> None:
    """Policies that could not be read as policies (not JSON, a Statement that is not a list)
    are reported, never silently taken as empty."""
    documents = [(role.address, role.trust) for role in inventory.roles]
    documents += [(policy.address, policy.document) for policy in inventory.policies]
    for address, document in documents:
        for span, message in document.problems if document is not None else ():
            where = span or document.span
            inventory.diagnostics.append(Diagnostic(
                where.path if where else "", f"{address}: {message}", Level.WARNING, span=where))


def _values_too_long(inventory: Inventory) -> None:
    """Condition values and workload subjects too long to analyse are reported: the rules
    take them as unknown (``oidclint.iam.patterns.too_long``)."""
    from oidclint.iam.patterns import MAX_PATTERN_LENGTH, too_long
    from oidclint.source import span_of

    limit = f"longer than oidclint analyses ({MAX_PATTERN_LENGTH:,} characters"
    for role in inventory.roles:
        for statement in role.trust.statements if role.trust else []:
            for condition in statement.conditions:
                for value in condition.values:
                    if too_long(value):
                        where = span_of(value) or condition.span or statement.span
                        inventory.diagnostics.append(Diagnostic(
                            where.path if where else "",
                            f"{role.address}: a `{condition.key}` value of "
                            f"{len(str(value)):,} characters is {limit}, the most a role trust "
                            "policy can hold); not checked", Level.WARNING, span=where))
    for workload in inventory.workloads:
        for context in workload.contexts:
            if too_long(context.subject):
                where = context.span or workload.span
                inventory.diagnostics.append(Diagnostic(
                    where.path if where else "",
                    f"{workload.name}: the subject of {context.label} is {limit}); "
                    "not checked",
                    Level.WARNING, span=where))


def _with_flags(config: Config | None, repository: str | None, default_branch: str | None,
                immutable_repositories: Sequence[str]) -> Config:
    config = replace(config) if config is not None else Config()
    config.repository = repository or config.repository
    config.default_branch = default_branch or config.default_branch
    config.immutable_subjects = [*config.immutable_subjects, *immutable_repositories]
    return config


def scan(paths: Sequence[str | Path], config: Config | None = None, *,
         root: str | Path | None = None, rules: Sequence[Rule] | None = None,
         repository: str | None = None, default_branch: str | None = None,
         immutable_repositories: Sequence[str] = (), var_files: Sequence[str | Path] = (),
         baseline: Baseline | None = None, use_baseline: bool = True,
         show_progress: bool = False, prefilter: bool = True, cache: Cache | None = None,
         jobs: int | None = None, own_files: Sequence[str | Path] = ()) -> Report:
    """Scan files and folders; the entry point behind ``oidclint scan`` and
    ``oidclint.scan``. Findings the baseline holds (``baseline``, else the configuration's,
    unless ``use_baseline`` is false) are left out and counted; its file, and ``own_files``,
    are not scanned.

    With a ``cache`` (and the prefilter), a scan whose inputs are those of an earlier one
    (the files that can matter, byte for byte; the settings; files read on the way) gives
    that scan's report without parsing: see ``_memo_key``."""
    started = time.perf_counter()
    prepared = prepare(paths, config, root=root, repository=repository,
                       default_branch=default_branch,
                       immutable_repositories=immutable_repositories, var_files=var_files,
                       prefilter=prefilter, cache=cache, jobs=jobs,
                       own_files=[*own_files, *([baseline.path] if baseline else [])])
    config = prepared.config
    if baseline is None and use_baseline:
        baseline = configured_baseline(config)
    memo = None
    if cache is not None and cache.enabled and prepared.sieve is not None and rules is None:
        memo = _memo_key(prepared, baseline if use_baseline else None)
        earlier = cache.get(memo)
        if isinstance(earlier, Report):
            return _counted(earlier, prepared, started, from_cache=True)
    with recording() as reads:  # files read beyond the chosen ones (GitLab includes)
        graph = _graph(prepared, show_progress=show_progress, cache=cache, jobs=jobs)
    every = [rule.info() for rule in all_rules()]
    # What the configuration file turns off is said with the results (when the rules are
    # chosen by the caller, they are not the file's doing).
    turned_off = effects(config, every if rules is None else [], prepared.config_shown)
    rules = chosen_rules(config) if rules is None else list(rules)
    findings, problems = run_rules(graph, rules, config.time_budget)
    problems[:0] = turned_off
    infos = [_configured(rule.info(), config) for rule in rules]
    names = {info.id: info.name for info in infos}
    for finding in findings:
        finding.level = config.level_of(finding.rule_id, names[finding.rule_id]) or finding.level
    # Every rule oidclint has, not just the ones that ran: a suppression of a disabled rule is
    # unused, not "no such rule".
    catalog = {info.id: info.name for info in every} | names
    problems += apply_suppressions(findings, graph.inventory.suppressions, catalog,
                                   graph.inventory)
    baselined = 0
    if baseline is not None and use_baseline:
        kept = [f for f in findings if fingerprint(f) not in baseline.fingerprints]
        baselined, findings = len(findings) - len(kept), kept
    diagnostics = graph.inventory.diagnostics + problems
    report = Report(
        root=str(prepared.found.root),
        findings=findings,
        diagnostics=sorted(diagnostics, key=lambda d: (d.path, d.message)),
        files_scanned=0,
        rules=infos,
        version=__version__,
        unresolved=[f"{w.name}: {w.role}" for w in graph.unresolved_links()],
        baselined=baselined,
    )
    read = {**graph.inventory.dependencies, **reads.seen}
    # A file the prefilter passed over but a reader read anyway (a Terragrunt include, a
    # values file a release names) was parsed all the same.
    read_along = {os.path.abspath(path) for path in read}
    report.files_skipped = sum(1 for file in prepared.chosen.skipped
                               if os.path.abspath(file.absolute) not in read_along)
    if memo is not None and not graph.inventory.timed_out:
        cache.put(memo, report, read)
    if cache is not None:
        cache.trim()
    return _counted(report, prepared, started, cached=len(set(graph.inventory.cached)))


def _memo_key(prepared: Prepared, baseline: Baseline | None) -> str:
    """Everything a report is made from when the prefilter is on: the settings, the
    repository, the hashes of the files that can matter and of those with suppression
    comments, the variable files, what could not be read, the baseline. Files read while
    evaluating (``file()``, installed modules) are the entry's dependencies."""
    sieve = prepared.sieve
    assert sieve is not None
    relevant = {f.path for f in prepared.chosen.keep}
    relevant |= {path for path, facts in sieve.facts.items() if facts.directives}
    given = prepared.given.files if prepared.given else []
    return make_key(
        "scan", str(prepared.found.root), repr(prepared.config), prepared.repository,
        prepared.platform,
        [(path, sieve.digests.get(path)) for path in sorted(relevant)],
        [(f.path, str(f.absolute), digest(f.text)) for f in given],
        [(d.path, d.message, d.level.value) for d in prepared.read_diagnostics],
        sorted(baseline.fingerprints) if baseline is not None else None)


def _counted(report: Report, prepared: Prepared, started: float, *, cached: int = 0,
             from_cache: bool = False) -> Report:
    """The run's own figures (files, time) on a report, computed or taken from the cache
    (the files not parsed are counted with the report, from what its readers read)."""
    report.files_scanned = len(prepared.found.files)
    report.files_cached = report.files_scanned - report.files_skipped if from_cache else cached
    report.duration = time.perf_counter() - started
    # Counted on every run, cached or not: excluded files are not part of the cache key.
    excluded = exclusion_effect(prepared.config, prepared.config_shown, prepared.excluded,
                                report.files_scanned)
    if excluded is not None:
        report.diagnostics = sorted([*report.diagnostics, excluded],
                                    key=lambda d: (d.path, d.message))
    return report


def chosen_rules(config: Config) -> list[Rule]:
    """Every rule the configuration does not disable; a disabled or re-levelled rule that
    does not exist is an error, not a silent no-op."""
    rules = all_rules()
    known = {r.id for r in rules} | {r.name for r in rules}
    for name in [*config.disable, *config.severity]:
        if name not in known:
            raise ConfigError(f"{config.path or 'configuration'}: no rule `{name}` "
                              "(`oidclint rules` lists them)")
    return [r for r in rules if not config.disables(r.id, r.name)]


def _configured(info: RuleInfo, config: Config) -> RuleInfo:
    level = config.level_of(info.id, info.name)
    return replace(info, level=level) if level else info
