"""One scan: discover files, parse them, build the graph, run the rules, collect a report."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from oidclint import __version__
from oidclint.baseline import Baseline, read_baseline
from oidclint.budget import BudgetExceeded, time_budget
from oidclint.cache import Cache, digest, make_key
from oidclint.config import Config, ConfigError
from oidclint import discovery
from oidclint.discovery import Exclusion, discover, kind_of, read_text
from oidclint.graph import TrustGraph
from oidclint.hcl.syntax import load_parser
from oidclint.model import Diagnostic, Finding, Inventory, Level, Report, RuleInfo
from oidclint.source import SourceFile
from oidclint.parsers.cloudformation import parse_cloudformation
from oidclint.parsers.github_actions import parse_workflows
from oidclint.parsers.gitlab_ci import parse_gitlab_ci
from oidclint.parsers.kubernetes import parse_kubernetes
from oidclint.parsers.located import LoadError, load_documents
from oidclint.parsers.terraform import parse_terraform
from oidclint.parsers.terraform_plan import is_plan, link_sources, parse_plan
from oidclint.repository import detect_repository
from oidclint.prefilter import Prefilter, Restoring, Selection
from oidclint.pool import Pool, workers_for
from oidclint.progress import Tick, progress
from oidclint.reporters import fingerprint
from oidclint.rule import Rule
from oidclint.suppressions import apply as apply_suppressions
from oidclint.suppressions import comment_directives


def all_rules() -> list[Rule]:
    from oidclint_rules import ALL_RULES

    return [rule() for rule in ALL_RULES]


def is_workflow(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return (folder == ".github/workflows" or folder.endswith("/.github/workflows")) and \
        name.endswith((".yml", ".yaml"))


def is_gitlab_ci(path: str) -> bool:
    return path.rpartition("/")[2] == ".gitlab-ci.yml"


def parse(files, *, default_branch: str | None = None, var_files=(),
          tick: Tick = lambda path: None, budget: float | None = None,
          context=None, prune: bool = False, cache: Cache | None = None,
          pool: Pool | None = None) -> Inventory:
    """Every file through the parser for its kind; the results as one inventory.
    ``tick`` is called once per file, for a progress display; ``budget`` is the time one
    file may take (``None``: no limit); ``context`` holds every YAML and JSON file of the
    scan by path, for GitLab includes and kustomizations (default: those of ``files``);
    ``prune`` leaves out Terraform blocks that cannot matter (``oidclint.hcl.outline``);
    results are taken from and kept in ``cache``, and computed by the ``pool``'s workers."""
    inventory = Inventory()
    structured = [f for f in files if f.kind == "structured"]
    workflows = [f for f in structured if is_workflow(f.path)]
    by_path = context if context is not None else {f.path: f for f in structured}
    namespaces = kustomize_namespaces(list(by_path.values()), inventory.diagnostics)
    # Templates, manifests and plans stand alone: the workers (or the cache) take them
    # while this process reads Terraform, workflows and GitLab CI files.
    alone = [f for f in structured if not is_workflow(f.path) and not is_gitlab_ci(f.path)]
    tasks = [StructuredTask(f, namespaces.get(f.path.rpartition("/")[0]), budget)
             for f in alone]
    results: dict[str, StructuredResult] = {}
    keys: dict[str, str] = {}
    if cache is not None and cache.enabled:
        for task in tasks:
            keys[task.file.path] = make_key("structured", task.file.path,
                                            str(task.file.absolute), digest(task.file.text),
                                            task.namespace)
            if (hit := cache.get(keys[task.file.path])) is not None:
                results[task.file.path] = hit
                inventory.cached.append(task.file.path)
    pending = [t for t in tasks if t.file.path not in results]
    chunks = _chunks(pending, pool.workers if pool else 1)
    waiting = pool.submit(parse_structured, chunks) if pool else \
        (lambda: [parse_structured(chunk) for chunk in chunks])
    terraform = [f for f in files if f.kind in ("terraform", "tfvars")]
    found = parse_terraform(terraform, list(var_files), budget, prune, cache, pool)
    for file in terraform:
        tick(file.path)
    _default_scope(found, lambda path: path.rsplit("/", 1)[0] if "/" in path else ".")
    inventory.extend(found)
    # Workflows are read together (a job may call a reusable workflow of another file).
    with _budget(budget and budget * len(workflows), "the workflows", inventory):
        inventory.extend(parse_workflows(workflows, default_branch=default_branch))
    for file in workflows:
        tick(file.path)
    for chunk, chunk_results in zip(chunks, waiting()):
        for task, result in zip(chunk, chunk_results):
            results[task.file.path] = result
            if task.file.path in keys and result.complete:
                cache.put(keys[task.file.path], result)
    plans: list[Inventory] = []
    for file in structured:
        if is_workflow(file.path):
            continue
        tick(file.path)
        if is_gitlab_ci(file.path):
            with _budget(budget, file.path, inventory):
                inventory.extend(parse_gitlab_ci(file, by_path))
            continue
        result = results[file.path]
        inventory.extend(result.inventory)
        if result.plan:
            plans.append(result.inventory)
    for plan in plans:
        link_sources(plan, inventory)
    return inventory


@dataclass
class StructuredTask:
    file: SourceFile
    namespace: str | None
    """The kustomization's namespace for manifests of the file's folder."""
    budget: float | None


@dataclass
class StructuredResult:
    """What a template, manifest or plan produced, as it is cached."""

    inventory: Inventory
    plan: bool
    complete: bool


def parse_structured(tasks: list[StructuredTask]) -> list[StructuredResult]:
    """Templates, manifests and plans, each on its own (in a worker, or here)."""
    results = []
    for task in tasks:
        inventory, plan = Inventory(), False
        with _budget(task.budget, task.file.path, inventory) as outcome:
            found, plan = _structured(task.file, task.namespace)
            inventory.extend(found)
        results.append(StructuredResult(inventory, plan, outcome.complete))
    return results


def _chunks(tasks: list, workers: int) -> list[list]:
    """A few chunks per worker, so one large file does not hold the others up."""
    if not tasks:
        return []
    count = min(len(tasks), workers * 4) if workers > 1 else 1
    size = -(-len(tasks) // count)
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


@dataclass
class _Outcome:
    complete: bool = True


@contextmanager
def _budget(seconds: float | None, path: str, inventory: Inventory):
    """Run a parse under the time budget; when it runs out, the file is reported as not read
    (and the outcome is not ``complete``) and the scan goes on."""
    outcome = _Outcome()
    try:
        with time_budget(seconds):
            yield outcome
    except BudgetExceeded as exc:
        outcome.complete = False
        inventory.diagnostics.append(Diagnostic(path, str(exc), Level.ERROR))


def _structured(file, namespace: str | None) -> tuple[Inventory, bool]:
    """A template, manifests or a plan (and whether it is a plan); other YAML and JSON
    files give nothing."""
    plan = _plan(file)
    if plan is not None:
        return plan, True
    template = parse_cloudformation(file) if "Resources" in file.text else None
    if template is not None:
        _default_scope(template, lambda path: path)
        return template, False
    if "ServiceAccount" in file.text or "ClusterConfig" in file.text:
        manifests = parse_kubernetes(file, kustomize_namespace=namespace)
        if manifests is not None:
            return manifests, False
    return Inventory(), False


def _plan(file) -> Inventory | None:
    """``terraform show -json`` output, recognised by its top-level keys."""
    if not file.path.endswith(".json") or '"format_version"' not in file.text or not (
            '"planned_values"' in file.text or '"resource_changes"' in file.text):
        return None
    try:
        documents = load_documents(file.text, file.path, json_mode=True)
    except LoadError as exc:  # shaped like a plan but broken: say so, it is nobody else's
        broken = Inventory()
        broken.diagnostics.append(Diagnostic(file.path, f"JSON syntax error: {exc}"))
        return broken
    if not documents or not is_plan(documents[0]):
        return None
    return parse_plan(file, documents[0])


def kustomize_namespaces(files, diagnostics: list[Diagnostic] | None = None) -> dict[str, str]:
    """Folder to the ``namespace`` its kustomization.yaml sets for the manifests in it; a
    kustomization that cannot be read is reported (its manifests lose their namespace)."""
    found = {}
    for file in files:
        folder, _, name = file.path.rpartition("/")
        if name not in ("kustomization.yaml", "kustomization.yml"):
            continue
        try:
            documents = load_documents(file.text, file.path)
        except LoadError as exc:
            if diagnostics is not None:
                diagnostics.append(Diagnostic(file.path, f"YAML syntax error: {exc}"))
            continue
        document = documents[0] if documents else None
        if isinstance(document, dict) and isinstance(document.get("namespace"), str):
            found[folder] = str(document["namespace"])
    return found


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


def _default_scope(inventory: Inventory, scope_of) -> None:
    for item in (*inventory.providers, *inventory.roles, *inventory.policies):
        if not item.scope and item.span is not None:
            item.scope = scope_of(item.span.path)


def run_rules(graph: TrustGraph, rules: Iterable[Rule]) -> tuple[list[Finding], list[Diagnostic]]:
    findings: list[Finding] = []
    problems: list[Diagnostic] = []
    for rule in rules:
        try:
            findings.extend(rule.check(graph))
        except Exception as exc:  # a rule bug must not hide every other finding
            problems.append(Diagnostic("", f"rule {rule.id} failed: {exc!r}", Level.ERROR))
    unique = {(f.rule_id, f.span, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: f.sort_key), problems


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
    config = _with_flags(config, repository, default_branch, immutable_repositories)
    # A Config built in code has no file: its patterns, like its var-files, are relative to
    # the working folder rather than silently ignored.
    exclude = Exclusion(config.exclude, config.folder or Path.cwd()) if config.exclude \
        else None
    max_bytes = config.max_file_size
    # The prefilter takes each file's facts as it is read and lets go of texts that may not
    # matter, so memory follows what is parsed, not the size of the tree.
    sieve = Prefilter(lambda file: read_text(file.absolute, max_bytes or
                                             discovery.MAX_FILE_BYTES)) if prefilter else None
    found = discover([Path(p) for p in paths], Path(root) if root else None,
                     max_bytes=max_bytes, exclude=exclude,
                     observe=sieve.observe if sieve else None)
    var_paths = [config.folder / v if config.folder else Path(v) for v in config.var_files]
    var_paths += [Path(p) for p in var_files]
    given = discover(var_paths, found.root) if var_paths else None
    for path in var_paths:
        if kind_of(path.name) != "tfvars":
            found.diagnostics.append(Diagnostic(
                str(path), "--var-file: not a .tfvars or .tfvars.json file; not read",
                Level.ERROR))
    chosen = sieve.select(found.files) if sieve else Selection(keep=found.files)
    context = Restoring([f for f in found.files if f.kind == "structured"], sieve) \
        if sieve else None
    # Workers start before the progress bar's thread does (see oidclint.pool).
    with Pool(workers_for(jobs, sum(len(f.text) for f in chosen.keep))) as pool:
        if pool.workers > 1 and any(f.kind == "terraform" for f in chosen.keep):
            load_parser()
        pool.start()
        with progress(len(chosen.keep), enabled=show_progress) as tick:
            inventory = parse(chosen.keep, default_branch=config.default_branch,
                              var_files=given.files if given else (), tick=tick,
                              budget=config.time_budget, context=context, prune=prefilter,
                              cache=cache, pool=pool)
    if cache is not None:
        cache.trim()
        if cache.problem:
            inventory.diagnostics.append(Diagnostic(
                "", f"the parse cache is not used: {cache.problem}", Level.NOTE))
    inventory.skipped = [f.path for f in chosen.skipped]
    inventory.diagnostics[:0] = found.diagnostics + (given.diagnostics if given else [])
    inventory.diagnostics += [Diagnostic(path, why) for path, why in
                              (sieve.problems if sieve else ())]
    inventory.suppressions.extend(comment_directives(chosen.keep + chosen.skipped))
    _document_problems(inventory)
    repository = detect_repository(found.root, config.repository)
    if repository is None and any(w.kind in ("github-actions", "gitlab-ci")
                                  for w in inventory.workloads):
        inventory.diagnostics.append(Diagnostic(
            "", "the repository is unknown (no --repository, no git remote `origin`, no "
            "GITHUB_REPOSITORY): CI job subjects cannot be checked against trusts",
            Level.NOTE))
    graph = TrustGraph(inventory, repository, frozenset(config.immutable_subjects), config)
    return graph, len(found.files), found.root


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
         jobs: int | None = None) -> Report:
    """Scan files and folders; the entry point behind ``oidclint scan`` and
    ``oidclint.scan``. Findings the baseline holds (``baseline``, else the configuration's,
    unless ``use_baseline`` is false) are left out and counted."""
    started = time.perf_counter()
    graph, files_scanned, found_root = build_graph(
        paths, config, root=root, repository=repository, default_branch=default_branch,
        immutable_repositories=immutable_repositories, var_files=var_files,
        show_progress=show_progress, prefilter=prefilter, cache=cache, jobs=jobs)
    config = graph.config
    rules = chosen_rules(config) if rules is None else list(rules)
    findings, problems = run_rules(graph, rules)
    infos = [_configured(rule.info(), config) for rule in rules]
    names = {info.id: info.name for info in infos}
    for finding in findings:
        finding.level = config.level_of(finding.rule_id, names[finding.rule_id]) or finding.level
    # Every rule oidclint has, not just the ones that ran: a suppression of a disabled rule is
    # unused, not "no such rule".
    catalog = {rule.id: rule.name for rule in all_rules()} | names
    problems += apply_suppressions(findings, graph.inventory.suppressions, catalog,
                                   graph.inventory)
    baselined = 0
    if baseline is None and use_baseline and config.baseline_path is not None:
        baseline = read_baseline(config.baseline_path)
    if baseline is not None and use_baseline:
        kept = [f for f in findings if fingerprint(f) not in baseline.fingerprints]
        baselined, findings = len(findings) - len(kept), kept
    diagnostics = graph.inventory.diagnostics + problems
    return Report(
        root=str(found_root),
        findings=findings,
        diagnostics=sorted(diagnostics, key=lambda d: (d.path, d.message)),
        files_scanned=files_scanned,
        files_skipped=len(graph.inventory.skipped),
        files_cached=len(set(graph.inventory.cached)),
        rules=infos,
        version=__version__,
        duration=time.perf_counter() - started,
        unresolved=[f"{w.name}: {w.role}" for w in graph.unresolved_links()],
        baselined=baselined,
    )


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
