"""One scan: discover files, parse them, build the graph, run the rules, collect a report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

from oidclint import __version__
from oidclint.discovery import discover, kind_of
from oidclint.graph import TrustGraph
from oidclint.model import Diagnostic, Finding, Inventory, Level, Report
from oidclint.parsers.cloudformation import parse_cloudformation
from oidclint.parsers.github_actions import parse_workflows
from oidclint.parsers.gitlab_ci import parse_gitlab_ci
from oidclint.parsers.kubernetes import parse_kubernetes
from oidclint.parsers.located import LoadError, load_documents
from oidclint.parsers.terraform import parse_terraform
from oidclint.repository import detect_repository
from oidclint.rule import Rule


def all_rules() -> list[Rule]:
    from oidclint_rules import ALL_RULES

    return [rule() for rule in ALL_RULES]


def is_workflow(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return (folder == ".github/workflows" or folder.endswith("/.github/workflows")) and \
        name.endswith((".yml", ".yaml"))


def is_gitlab_ci(path: str) -> bool:
    return path.rpartition("/")[2] == ".gitlab-ci.yml"


def parse(files, *, default_branch: str | None = None, var_files=()) -> Inventory:
    """Every file through the parser for its kind; the results as one inventory."""
    inventory = Inventory()
    terraform = [f for f in files if f.kind in ("terraform", "tfvars")]
    found = parse_terraform(terraform, list(var_files))
    _default_scope(found, lambda path: path.rsplit("/", 1)[0] if "/" in path else ".")
    inventory.extend(found)
    structured = [f for f in files if f.kind == "structured"]
    inventory.extend(parse_workflows([f for f in structured if is_workflow(f.path)],
                                     default_branch=default_branch))
    by_path = {f.path: f for f in structured}
    namespaces = kustomize_namespaces(structured)
    for file in structured:
        if is_workflow(file.path):
            continue
        if is_gitlab_ci(file.path):
            inventory.extend(parse_gitlab_ci(file, by_path))
            continue
        template = parse_cloudformation(file) if "Resources" in file.text else None
        if template is not None:
            _default_scope(template, lambda path: path)
            inventory.extend(template)
        elif "ServiceAccount" in file.text or "ClusterConfig" in file.text:
            folder = file.path.rpartition("/")[0]
            manifests = parse_kubernetes(file, kustomize_namespace=namespaces.get(folder))
            if manifests is not None:
                inventory.extend(manifests)
    return inventory


def kustomize_namespaces(files) -> dict[str, str]:
    """Folder to the ``namespace`` its kustomization.yaml sets for the manifests in it."""
    found = {}
    for file in files:
        folder, _, name = file.path.rpartition("/")
        if name not in ("kustomization.yaml", "kustomization.yml"):
            continue
        try:
            documents = load_documents(file.text, file.path)
        except LoadError:
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


def build_graph(paths: Sequence[str | Path], *, root: str | Path | None = None,
                repository: str | None = None, default_branch: str | None = None,
                immutable_repositories: Sequence[str] = (),
                var_files: Sequence[str | Path] = ()) -> tuple[TrustGraph, int, Path]:
    """Discover, parse and link: the graph of a tree, with the number of files read and the
    root paths are relative to. Diagnostics are in ``graph.inventory.diagnostics``.
    ``var_files`` are Terraform variable files applied to every root module, like
    ``terraform plan -var-file``."""
    found = discover([Path(p) for p in paths], Path(root) if root else None)
    given = discover([Path(p) for p in var_files], found.root) if var_files else None
    for path in var_files:
        if kind_of(Path(path).name) != "tfvars":
            found.diagnostics.append(Diagnostic(
                str(path), "--var-file: not a .tfvars or .tfvars.json file; not read",
                Level.ERROR))
    inventory = parse(found.files, default_branch=default_branch,
                      var_files=given.files if given else ())
    inventory.diagnostics[:0] = found.diagnostics + (given.diagnostics if given else [])
    _document_problems(inventory)
    repository = detect_repository(found.root, repository)
    if repository is None and any(w.kind in ("github-actions", "gitlab-ci")
                                  for w in inventory.workloads):
        inventory.diagnostics.append(Diagnostic(
            "", "the repository is unknown (no --repository, no git remote `origin`, no "
            "GITHUB_REPOSITORY): CI job subjects cannot be checked against trusts",
            Level.NOTE))
    graph = TrustGraph(inventory, repository, frozenset(immutable_repositories))
    return graph, len(found.files), found.root


def scan(paths: Sequence[str | Path], *, root: str | Path | None = None,
         rules: Sequence[Rule] | None = None, repository: str | None = None,
         default_branch: str | None = None,
         immutable_repositories: Sequence[str] = (),
         var_files: Sequence[str | Path] = ()) -> Report:
    """Scan files and folders; the public entry point behind ``oidclint scan``."""
    started = time.perf_counter()
    graph, files_scanned, found_root = build_graph(
        paths, root=root, repository=repository, default_branch=default_branch,
        immutable_repositories=immutable_repositories, var_files=var_files)
    rules = list(rules) if rules is not None else all_rules()
    findings, problems = run_rules(graph, rules)
    diagnostics = graph.inventory.diagnostics + problems
    return Report(
        root=str(found_root),
        findings=findings,
        diagnostics=sorted(diagnostics, key=lambda d: (d.path, d.message)),
        files_scanned=files_scanned,
        rules=[rule.info() for rule in rules],
        version=__version__,
        duration=time.perf_counter() - started,
        unresolved=[f"{w.name}: {w.role}" for w in graph.unresolved_links()],
    )
