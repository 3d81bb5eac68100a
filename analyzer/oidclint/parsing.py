"""Parsing a scan's files: each through the parser for its kind, Terraform root modules and
stand-alone templates, manifests and plans in worker processes or from the parse cache, and
the results merged in path order into one inventory.

The parsers of CloudFormation, workflows, GitLab CI and plans are imported when a file of
their kind is met: a Terraform-only tree does not pay for them."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Collection

from oidclint.budget import Budget
from oidclint.cache import Cache, make_key
from oidclint.dependencies import digest, recording
from oidclint.limits import TooLarge
from oidclint.model import Diagnostic, Inventory, Level
from oidclint.readers import is_action
from oidclint.readers.helm import is_helmfile
from oidclint.readers.helm.files import Tree
from oidclint.readers.workloads.ci_pipelines import reader_for
from oidclint.readers.workloads.kubernetes import HELM_KINDS, parse_kubernetes
from oidclint.located.documents import LoadError, load_documents
from oidclint.readers.policies.policy_file import link_policy_files, parse_policy_file
from oidclint.pool import Pool
from oidclint.progress import Tick
from oidclint.source import SourceFile, span_of
from oidclint.terraform_roots import start_terraform


def is_workflow(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return (folder == ".github/workflows" or folder.endswith("/.github/workflows")) and \
        name.endswith((".yml", ".yaml"))


def is_gitlab_ci(path: str) -> bool:
    return path.rpartition("/")[2] == ".gitlab-ci.yml"


def parse(files, *, default_branch: str | None = None, var_files=(),
          tick: Tick = lambda path: None, budget: float | None = None,
          context=None, prune: bool = False, cache: Cache | None = None,
          pool: Pool | None = None, meanwhile: Callable[[], object] | None = None,
          unread: Collection[str] = ()) -> Inventory:
    """Every file through the parser for its kind; the results as one inventory.
    ``tick`` is called once per file, for a progress display; ``budget`` is the time one
    file may take (``None``: no limit); ``context`` holds every YAML and JSON file of the
    scan by path, for GitLab includes and kustomizations (default: those of ``files``);
    ``prune`` leaves out Terraform blocks that cannot matter (``oidclint.hcl.outline``);
    results are taken from and kept in ``cache``, and computed by the ``pool``'s workers;
    ``meanwhile`` is called while they work; ``unread``: the files of the scan that could
    not be read (a module folder missing one of its files is not known whole)."""
    inventory = Inventory()
    structured = [f for f in files if f.kind == "structured"]
    workflows = [f for f in structured if is_workflow(f.path) or is_action(f.path)]
    by_path = context if context is not None else {f.path: f for f in structured}
    namespaces = kustomize_namespaces(list(by_path.values()), inventory.diagnostics)
    # Templates, manifests and plans stand alone: the workers (or the cache) take them
    # while this process reads Terraform, workflows and GitLab CI files.
    alone = [f for f in structured if not is_workflow(f.path) and not is_action(f.path)
             and not is_gitlab_ci(f.path)]
    tree = _helm_tree(alone, namespaces)
    tasks = [StructuredTask(f, namespaces.get(f.path.rpartition("/")[0]), budget,
                            tree=tree if _reads_values_from(f) else Tree(tree.root))
             for f in alone]
    results: dict[str, StructuredResult] = {}
    if cache is not None and cache.enabled:
        for task in tasks:
            task.cache = cache
            task.key = make_key("structured", task.file.path, str(task.file.absolute),
                                digest(task.file.text), task.namespace,
                                sorted(task.tree.values_objects.items()))
            if (hit := cache.get(task.key)) is not None:
                results[task.file.path] = hit
                inventory.cached.append(task.file.path)
    pending = [t for t in tasks if t.file.path not in results]
    chunks = pool.split(pending) if pool else ([pending] if pending else [])
    waiting = pool.submit(parse_structured, chunks) if pool else \
        (lambda: [parse_structured(chunk) for chunk in chunks])
    terraform = [f for f in files if f.kind in ("terraform", "tfvars", "terragrunt")]
    finish_terraform = start_terraform(terraform, list(var_files), budget, prune, cache, pool,
                                       unread=unread)
    # This process's own share while the workers parse: workflows (read together, a job may
    # call a reusable workflow of another file), GitLab CI files (their includes may name
    # any file of the scan), and ``meanwhile``.
    own = _workflows(workflows, default_branch, budget, cache)
    gitlab: dict[str, Inventory] = {}
    for file in structured:
        if is_gitlab_ci(file.path):
            gitlab[file.path] = Inventory()
            with _budget(budget, file.path, gitlab[file.path]):
                from oidclint.readers.workloads.gitlab_ci import parse_gitlab_ci

                gitlab[file.path].extend(parse_gitlab_ci(file, by_path))
    scripts = [f for f in files if f.kind == "script"]
    for file in scripts:
        from oidclint.readers.policies.iam_cli import parse_scripts

        found_in_script = Inventory()
        with _budget(budget, file.path, found_in_script):
            found_in_script.extend(parse_scripts([file]))
        inventory.extend(found_in_script)
    if meanwhile is not None:
        meanwhile()
    found = finish_terraform()
    for file in terraform:
        tick(file.path)
    _default_scope(found, lambda path: path.rsplit("/", 1)[0] if "/" in path else ".")
    inventory.extend(found)
    inventory.extend(own)
    for file in workflows:
        tick(file.path)
    for chunk, (chunk_results, written) in zip(chunks, waiting()):
        if written:
            cache.stats.written += written
        for task, result in zip(chunk, chunk_results):
            results[task.file.path] = result
    plans: list[Inventory] = []
    for file in structured:
        if is_workflow(file.path) or is_action(file.path):
            continue
        tick(file.path)
        if is_gitlab_ci(file.path):
            inventory.extend(gitlab[file.path])
            continue
        result = results[file.path]
        inventory.extend(result.inventory)
        if result.plan:
            plans.append(result.inventory)
    if plans:
        from oidclint.readers.terraform.plan import link_sources

        for plan in plans:
            link_sources(plan, inventory)
    for file in scripts:
        tick(file.path)
    link_policy_files(inventory)
    return inventory


def _helm_tree(files: list[SourceFile], namespaces: dict[str, str]) -> Tree:
    """Where the Helm readers read the values files releases name: the scan's root, and,
    when a Flux HelmRelease reads ``valuesFrom``, the ConfigMaps and Secrets of the files
    (the prefilter keeps those that may define one)."""
    root = next((f.scan_root for f in files if f.scan_root is not None), None)
    if not any(_reads_values_from(f) for f in files):
        return Tree(root)
    from oidclint.readers.helm.flux import values_objects

    return Tree(root, values_objects(files, namespaces))


def _reads_values_from(file: SourceFile) -> bool:
    return "valuesFrom" in file.text


def _workflows(workflows: list[SourceFile], default_branch: str | None,
               budget: float | None, cache: Cache | None) -> Inventory:
    """The workflows, read together (a job may call a reusable workflow of another file),
    from the cache when none of them changed."""
    key = None
    if cache is not None and cache.enabled and workflows:
        key = make_key("workflows", default_branch,
                       [(f.path, str(f.absolute), digest(f.text)) for f in workflows])
        if isinstance(hit := cache.get(key), Inventory):
            hit.cached = [f.path for f in workflows]
            return hit
    found = Inventory()
    with _budget(budget and budget * len(workflows), "the workflows", found):
        if workflows:
            from oidclint.readers.workloads.github_actions import parse_workflows

            found.extend(parse_workflows(workflows, default_branch=default_branch))
    if key is not None and not found.timed_out:
        cache.put(key, found)
    return found


@dataclass
class StructuredTask:
    file: SourceFile
    namespace: str | None
    """The kustomization's namespace for manifests of the file's folder."""
    budget: float | None
    tree: Tree = field(default_factory=Tree)
    """Where the values files and ``valuesFrom`` objects of Helm releases are read."""
    cache: Cache | None = None
    """Where the process that parses the file keeps its result, under ``key``."""
    key: str | None = None


@dataclass
class StructuredResult:
    """What a template, manifest or plan produced, as it is cached."""

    inventory: Inventory
    plan: bool


def parse_structured(tasks: list[StructuredTask]) -> tuple[list[StructuredResult], int]:
    """Templates, manifests and plans, each on its own (in a worker, or here), and how many
    results were written to the cache (here rather than by the scan's own process, which
    would do it alone once the workers are done)."""
    results, written = [], 0
    for task in tasks:
        inventory, plan = Inventory(), False
        # Values files a release names are read as it is parsed: its result depends on them.
        with recording() as reads, _budget(task.budget, task.file.path, inventory):
            found, plan = _structured(task.file, task.namespace, task.tree)
            inventory.extend(found)
        inventory.dependencies.update(reads.seen)
        results.append(StructuredResult(inventory, plan))
        if task.cache is not None and task.key is not None and not inventory.timed_out:
            written += task.cache.put(task.key, results[-1], reads.seen, counted=False)
    return results, written


@contextmanager
def _budget(seconds: float | None, path: str, inventory: Inventory):
    """Run a parse under the time budget; when it runs out, the file is reported as not read
    (and the inventory as ``timed_out``) and the scan goes on."""
    budget = Budget(seconds)
    try:
        with budget.stopping():
            yield
    except TooLarge as exc:  # a value over a size limit that its reader did not catch
        inventory.diagnostics.append(Diagnostic(path, f"{exc}; not read"))
    if budget.exceeded:
        inventory.timed_out = True
        inventory.diagnostics.append(Diagnostic(path, str(budget.exceeded), Level.ERROR))


def _structured(file, namespace: str | None, tree: Tree) -> tuple[Inventory, bool]:
    """A template, manifests, a helmfile or a plan (and whether it is a plan); other YAML
    and JSON files give nothing."""
    plan = _plan(file)
    if plan is not None:
        return plan, True
    if is_helmfile(file.path):
        from oidclint.readers.helm.helmfile import parse_helmfile

        return parse_helmfile(file, tree), False
    pipeline = reader_for(file.path)  # CircleCI, Buildkite, Bitbucket Pipelines
    if pipeline is not None:
        return pipeline(file), False
    if "deploymentTemplate.json" in file.text:
        from oidclint.readers.arm.reader import parse_arm

        arm = parse_arm(file)  # an Azure Resource Manager template (or compiled Bicep)
        if arm is not None:
            return arm, False
    template = None
    if "Resources" in file.text:
        from oidclint.readers.cloudformation.reader import parse_cloudformation

        template = parse_cloudformation(file)
    if template is not None:
        _default_scope(template, lambda path: path)
        return template, False
    if any(kind in file.text for kind in ("ServiceAccount", "ClusterConfig", *HELM_KINDS)):
        from oidclint.readers.helm.manifests import read_chart_object

        manifests = parse_kubernetes(file, kustomize_namespace=namespace,
                                     charts=partial(read_chart_object, tree=tree))
        if manifests is not None:
            return manifests, False
    policy = parse_policy_file(file)  # a standalone trust policy (trust-policy.json)
    if policy is not None:
        return policy, False
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
    from oidclint.readers.terraform.plan import is_plan, parse_plan, plan_in_a_list

    if documents and plan_in_a_list(documents[0]):
        wrapped = Inventory()
        wrapped.diagnostics.append(Diagnostic(
            file.path, "the top level is a list, not the plan object `terraform show -json` "
            "writes; not read", span=span_of(documents[0])))
        return wrapped
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


def _default_scope(inventory: Inventory, scope_of) -> None:
    for item in (*inventory.providers, *inventory.roles, *inventory.policies):
        if not item.scope and item.span is not None:
            item.scope = scope_of(item.span.path)
