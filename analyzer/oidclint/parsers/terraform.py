"""Terraform (``.tf``) files to OIDC providers, roles, permission policies, EKS clusters and
the Kubernetes ServiceAccounts that assume roles.

Each folder is one module (``scope`` is its path, ``"."`` for the scan root). Expressions are
evaluated by ``oidclint.hcl``; whatever cannot be known stays ``Unknown``. A file that does
not parse becomes a ``Diagnostic`` and the rest of the scan goes on.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Collection

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from oidclint.budget import Budget, BudgetExceeded
from oidclint.cache import Cache, digest, make_key, note_listing, note_read, recording
from oidclint.discovery import discover, kind_of
from oidclint.hcl import outline
from oidclint.hcl.configuration import Configuration
from oidclint.hcl.sources import local_folder, module_sources
from oidclint.hcl.module import Instance, Module
from oidclint.hcl.policy_text import PolicyTextError
from oidclint.hcl.providers import account_scope
from oidclint.hcl.resources import DEFAULT_NAMESPACE, eks_issuer, role_name
from oidclint.hcl.instances import Scoped
from oidclint.hcl.json_syntax import JsonSyntaxError, parse_json_file
from oidclint.hcl.syntax import Block, load_parser, parse_file
from oidclint.hcl.values import (
    MISSING, Encoded, EvalError, ResourceObject, to_number, to_text, with_ref, with_span,
)
from oidclint.iam.policy import document_from_options, document_from_value, grants_web_identity
from oidclint.limits import TooLarge, allowance
from oidclint.model import (
    Cluster, Diagnostic, Inventory, Level, OidcProvider, PermissionPolicy, PolicyDocument,
    Related, Role,
)
from oidclint.parsers.kubernetes import irsa_annotations, service_account_workload
from oidclint.parsers.terraform_cognito import COLLECTORS as COGNITO_COLLECTORS
from oidclint.parsers.terraform_unread import unread_call
from oidclint.parsers.tfvars import root_variables
from oidclint.pool import Pool
from oidclint.source import LList, OneOf, Partial, SourceFile, Span, Str, Unknown


def parse_terraform(files: list[SourceFile], var_files: list[SourceFile] = (),
                    budget: float | None = None, prune: bool = False,
                    cache: Cache | None = None, pool: Pool | None = None) -> Inventory:
    """What ``start_terraform`` starts, once it is done."""
    return start_terraform(files, var_files, budget, prune, cache, pool)()


def start_terraform(files: list[SourceFile], var_files: list[SourceFile] = (),
                    budget: float | None = None, prune: bool = False,
                    cache: Cache | None = None,
                    pool: Pool | None = None,
                    unread: Collection[str] = ()) -> Callable[[], Inventory]:
    """Starts evaluating the root modules among ``files`` (on the ``pool``'s workers) and
    returns the function that waits for them: providers, roles and policies of every root
    module among ``files`` (``.tf``, ``.tf.json`` and ``.tfvars`` files), each called module
    evaluated per call instance.
    ``budget`` is the time allowed per file (parsing) and per file of a root module
    (evaluating it). With ``prune``, resource and data blocks that cannot matter are not
    parsed (``oidclint.hcl.outline``).
    ``unread`` are files of the scan that could not be read: a module folder that held one of
    them is not known whole, so what its code does not declare may be in it.

    A root module is a folder no other folder calls as a local module (module sources are
    read from the text, as the prefilter does). Each root's result stands on its own, so it
    can be taken from the ``cache`` or computed by another process of the ``pool``; roots are
    merged in path order whatever computed them. Within a group of roots evaluated together,
    folders are parsed when a root first needs them and let go once no root left needs
    them, so memory follows the largest module tree, not the whole scan.
    """
    inventory = Inventory()
    root = next((r for r in map(_scan_root, files) if r is not None), None)
    scanned: dict[str, list[SourceFile]] = {}
    for file in sorted(files, key=lambda f: f.path):
        inventory.files.append(file.path)
        if file.kind != "tfvars":
            scanned.setdefault(posixpath.dirname(file.path) or ".", []).append(file)
    calls = {folder: local_calls(folder, members) for folder, members in scanned.items()}
    incomplete = {posixpath.dirname(path) or "." for path in unread
                  if kind_of(posixpath.basename(path)) == "terraform"}
    called = {target for folder, targets in calls.items() for target in targets
              if target != folder}
    roots = [folder for folder in scanned if folder not in called]
    tfvars = [f for f in files if f.kind == "tfvars"]
    results: dict[str, RootResult] = {}
    keys: dict[str, str] = {}
    if cache is not None and cache.enabled:
        inputs = [(f.path, str(f.absolute), digest(f.text)) for f in [*tfvars, *var_files]]
        # Once per file: a shared module's files are part of the key of every root using it.
        hashes = {f.path: digest(f.text) for members in scanned.values() for f in members}
        for folder in roots:
            tree = sorted(_tree(folder, calls))
            keys[folder] = make_key("terraform", str(root), folder, prune, inputs, [
                (f.path, hashes[f.path]) for needed in tree for f in scanned[needed]],
                sorted(incomplete.intersection(tree)))
            if (hit := cache.get(keys[folder])) is not None:
                results[folder] = hit
                inventory.cached += [f.path for needed in _tree(folder, calls)
                                     for f in scanned[needed]]
    pending = [folder for folder in roots if folder not in results]
    if pending or tfvars or var_files:
        load_parser(cache)  # before the workers fork, so that they share it
    variables = root_variables(tfvars, list(var_files), inventory.diagnostics)
    # Neighbouring roots tend to share modules: each group parses a shared one once.
    groups = pool.split(pending) if pool else ([pending] if pending else [])
    tasks = []
    for group in groups:
        used = {folder for r in group for folder in _tree(r, calls)}
        tasks.append(RootsTask(group, {f: scanned[f] for f in used},
                               {f: calls[f] for f in used}, variables, root, budget, prune,
                               cache if keys else None,
                               {r: keys[r] for r in group if r in keys},
                               incomplete & used))
    waiting = pool.submit(evaluate_roots, tasks) if pool else \
        (lambda: [evaluate_roots(task) for task in tasks])

    def finish() -> Inventory:
        for group, (group_results, written) in zip(groups, waiting()):
            if written:
                cache.stats.written += written
            results.update(zip(group, group_results))
        notes: list[Diagnostic] = []
        for folder in roots:
            inventory.extend(results[folder].inventory)
            inventory.dependencies.update(results[folder].deps)
            notes += results[folder].notes
        inventory.diagnostics += notes
        inventory.diagnostics = unique(inventory.diagnostics)
        return inventory
    return finish


def unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic once (a folder several roots use reports its syntax error once)."""
    seen, kept = set(), []
    for diagnostic in diagnostics:
        key = (diagnostic.path, diagnostic.message, diagnostic.level, diagnostic.span)
        if key not in seen:
            seen.add(key)
            kept.append(diagnostic)
    return kept


@dataclass
class RootResult:
    """What one root module's tree produced, as it is cached."""

    inventory: Inventory
    notes: list[Diagnostic]
    """What could not be followed (reported after every root's own diagnostics)."""
    deps: dict[str, str | None]
    """Files read beyond the scanned ones, with their hashes (``oidclint.cache``)."""


@dataclass
class RootsTask:
    """Root modules evaluated together, with every scanned folder their trees use."""

    roots: list[str]
    scanned: dict[str, list[SourceFile]]
    calls: dict[str, set[str]]
    variables: dict
    root: Path | None
    budget: float | None
    prune: bool
    cache: Cache | None = None
    """Where the process that evaluates the roots keeps their results, under ``keys``."""
    keys: dict[str, str] = field(default_factory=dict)
    """Root -> its cache key."""
    incomplete: set[str] = field(default_factory=set)
    """Folders with a file that could not be read: their modules are not known whole."""


def evaluate_roots(task: RootsTask) -> tuple[list[RootResult], int]:
    """Each root of ``task`` evaluated (folders shared by several are parsed once), and how
    many results were written to the cache (here rather than by the scan's own process,
    which would do it alone once the workers are done)."""
    from_disk = _loader(task.root)
    parsed: dict[str, tuple[list[Diagnostic], dict[str, str | None], bool]] = {}
    """Folder -> what parsing it reported, read and whether it finished."""

    def load(folder: str, at: Span | None) -> list[Block] | None:
        diagnostics: list[Diagnostic] = []
        with recording() as reads:
            members = task.scanned.get(folder)
            if members is None or at is not None:
                blocks, complete = from_disk(folder, at, diagnostics), True
            else:
                if task.prune:
                    members = outline.prune(members, _COLLECTED,
                                            root=folder in task.roots)
                blocks, complete = _parsed(members, task.budget, diagnostics)
        if any(d.level != Level.NOTE for d in diagnostics):
            configuration.incomplete.add(folder)  # a file of it not read: see Module.undeclared
        if at is None:
            parsed[folder] = diagnostics, reads.seen, complete
        else:  # parsed again at every call: reported with the root that calls it
            own_diagnostics.extend(diagnostics)
            own_reads.update(reads.seen)
        return blocks

    configuration = Configuration({}, task.root, load, task.variables,
                                  incomplete=set(task.incomplete))
    users: dict[str, int] = {}
    for folder in task.roots:
        for needed in _tree(folder, task.calls):
            users[needed] = users.get(needed, 0) + 1
    results, written = [], 0
    for folder in task.roots:
        inventory, notes_before = Inventory(), len(configuration.notes)
        problems_before = len(configuration.problems)
        own_diagnostics: list[Diagnostic] = []
        own_reads: dict[str, str | None] = {}
        configuration.used = set()
        complete = True
        budget = Budget(task.budget * len(task.scanned[folder]) if task.budget else None)
        with recording() as reads:
            try:
                with budget.running(), allowance():
                    module = configuration.root_module(folder)
                    if module is not None:
                        _collect(module, inventory)
            except BudgetExceeded as exc:
                if not budget.owns(exc):
                    raise
                complete = False
                inventory.diagnostics.append(Diagnostic(
                    folder, f"evaluating the module {exc}", Level.ERROR))
            except TooLarge as exc:  # raised outside any one value: the module is not read
                inventory.diagnostics.append(Diagnostic(
                    folder, f"evaluating the module: {exc}; not evaluated"))
        deps = {**reads.seen, **own_reads}
        diagnostics = []
        for used in sorted(configuration.used):
            if used in parsed:
                folder_diagnostics, folder_reads, folder_complete = parsed[used]
                diagnostics += folder_diagnostics
                deps.update(folder_reads)
                complete = complete and folder_complete
        inventory.diagnostics[:0] = diagnostics + own_diagnostics
        inventory.timed_out = not complete
        notes = [Diagnostic(span.path, message, Level.NOTE, span=span)
                 for span, message in configuration.notes[notes_before:]]
        notes += [Diagnostic(span.path, message, span=span)
                  for span, message in configuration.problems[problems_before:]]
        results.append(RootResult(inventory, notes, deps))
        if task.cache is not None and folder in task.keys and complete:
            written += task.cache.put(task.keys[folder], results[-1], deps, counted=False)
        for needed in _tree(folder, task.calls):
            users[needed] -= 1
            if not users[needed]:
                configuration.forget(needed)
    return results, written


def local_calls(folder: str, members: list[SourceFile]) -> set[str]:
    """The folders a folder's local module calls name (``source = "./..."``)."""
    return {target for file in members for source in module_sources(file.text)
            if (target := local_folder(folder, source)) is not None}


def _tree(folder: str, calls: dict[str, set[str]]) -> set[str]:
    """A folder and every scanned folder it calls, transitively."""
    reached, stack = set(), [folder]
    while stack:
        current = stack.pop()
        if current not in reached and current in calls:
            reached.add(current)
            stack.extend(calls[current])
    return reached


def _parsed(members: list[SourceFile], budget: float | None,
            diagnostics: list[Diagnostic]) -> tuple[list[Block], bool]:
    """The blocks of a folder's files, and whether every file was read within the budget."""
    blocks: list[Block] = []
    complete = True
    for file in members:
        limit = Budget(budget)
        try:
            with limit.running():
                blocks.extend(_blocks(file, diagnostics))
        except BudgetExceeded as exc:
            if not limit.owns(exc):
                raise  # the module's own budget: reported with the module
            complete = False
            diagnostics.append(Diagnostic(file.path, str(exc), Level.ERROR))
    return blocks, complete


def _blocks(file: SourceFile, diagnostics: list[Diagnostic],
            at: Span | None = None) -> list[Block]:
    try:
        if file.path.endswith(".json"):
            return parse_json_file(file.text, file.path)
        return parse_file(file.text, at.path if at else file.path, at=at)
    except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
        diagnostics.append(syntax_error(file, exc))
        return []


def _loader(root: Path | None):
    """Reads the configuration files of a module folder the scan did not include (a local
    module outside the scanned paths, one ``terraform init`` installed), inside the root."""
    def load(folder: str, at: Span | None,
             diagnostics: list[Diagnostic]) -> list[Block] | None:
        if root is None:
            return None
        directory = root / folder
        note_listing(directory)  # a file added to it, or the folder appearing, counts
        try:
            if not directory.resolve().is_relative_to(root.resolve()) or not directory.is_dir():
                return None
            paths = sorted(p for p in directory.iterdir()
                           if p.name.endswith((".tf", ".tf.json")))
        except OSError:
            return None
        found = discover(paths, root) if paths else None
        if found is not None:
            diagnostics.extend(found.diagnostics)
        if found is None or not found.files:
            return None
        blocks: list[Block] = []
        for file in found.files:
            note_read(file.absolute)
            blocks.extend(_blocks(file, diagnostics, at))
        return blocks
    return load


def syntax_error(file: SourceFile, exc: BaseException) -> Diagnostic:
    """``HCL syntax error: line L, column C: <reason>`` for a file that does not parse."""
    line, column = 1, 1
    if isinstance(exc, JsonSyntaxError):
        return Diagnostic(file.path, f"Terraform JSON syntax error: line {exc.line}, column "
                                     f"{exc.column}: {exc.reason}",
                          span=Span(file.path, exc.line, exc.column))
    if isinstance(exc, UnexpectedInput):
        where = getattr(exc, "line", -1), getattr(exc, "column", -1)
        if isinstance(where[0], int) and where[0] > 0:
            line, column = where[0], max(where[1], 1)
        else:  # the end of the file
            line = file.text.count("\n") + 1
            column = len(file.text.rsplit("\n", 1)[-1]) + 1
    if isinstance(exc, UnexpectedToken):
        reason = ("unexpected end of file" if exc.token.type == "$END"
                  else f"unexpected {_token_text(exc.token)}")
    elif isinstance(exc, UnexpectedCharacters):
        reason = f"unexpected character {exc.char!r}"
    elif isinstance(exc, UnexpectedEOF):
        reason = "unexpected end of file"
    elif isinstance(exc, RecursionError):
        reason = "nested too deeply to parse"
    else:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    return Diagnostic(file.path, f"HCL syntax error: line {line}, column {column}: {reason}",
                      span=Span(file.path, line, column))


def _token_text(token: Any) -> str:
    text = str(token).strip()
    if not text:
        return "new line" if "\n" in str(token) else token.type
    return repr(text[:40])


def _scan_root(file: SourceFile) -> Path | None:
    """The directory the scan's relative paths start from, for ``file()``."""
    try:
        parts = PurePosixPath(file.path).parts
        absolute = Path(file.absolute)
        if not absolute.is_absolute() or tuple(absolute.parts[-len(parts):]) != parts:
            return None
        return Path(*absolute.parts[: -len(parts)])
    except (TypeError, ValueError):
        return None


def _collect(module: Module, inventory: Inventory) -> None:
    """Everything a module instance declares, then what its module calls declare."""
    for address, block in module.resources.items():
        collect = (_COLLECTORS if block.type == "resource" else _DATA_COLLECTORS).get(
            block.labels[0])
        if collect is None:
            continue
        try:
            for instance in module.each_instance(address):
                before = len(inventory.roles), len(inventory.providers)
                collect(module, instance, inventory)
                _add_origins(module, inventory, before)
        except TooLarge as exc:
            inventory.diagnostics.append(Diagnostic(
                block.path, f"{module.address}{address}: {exc}; not evaluated", span=block.span))
        except Exception as exc:  # noqa: BLE001 - one odd resource must not end the scan
            inventory.diagnostics.append(Diagnostic(
                block.path, f"could not evaluate {module.address}{address}: "
                            f"{type(exc).__name__}: {exc}", span=block.span))
    for name in module.module_calls:
        for call, child in module.children(name):
            if child is not None:
                _collect(child, inventory)
            else:
                inventory.unread_calls.append(unread_call(module, name, call))
    inventory.roles_elsewhere.extend(module.roles_elsewhere)
    for span, message in module.warnings:
        inventory.diagnostics.append(Diagnostic(span.path, message, Level.NOTE, span=span))
    for span, message in module.problems:
        inventory.diagnostics.append(Diagnostic(span.path, message, Level.WARNING, span=span))


def _add_origins(module: Module, inventory: Inventory, before: tuple[int, int]) -> None:
    """The ``module`` blocks that made a child module's resources, outermost last."""
    if not module.calls:
        return
    origins, address = [], ""
    for call in module.calls:
        name = call.labels[0] if call.labels else "?"
        address += f"module.{name}"
        origins.append(Related(call.span, f"{address}: the module call that sets its inputs"))
        address += "."
    origins.reverse()
    for item in (*inventory.roles[before[0]:], *inventory.providers[before[1]:]):
        item.origins.extend(origins)


def _provider(module: Module, instance: Instance, inventory: Inventory) -> None:
    block = instance.block
    url_attribute = block.attributes.get("url")
    url: Any = Unknown(f"{instance.address}.url (not set)", block.span, instance.address)
    if url_attribute is not None:
        url = with_span(instance.argument("url"), url_attribute.value_span)
    inventory.providers.append(OidcProvider(
        address=instance.address,
        url=url,
        client_ids=_list_argument(instance, "client_id_list"),
        thumbprints=_list_argument(instance, "thumbprint_list"),
        span=block.span,
        scope=module.scope,
        account=account_scope(module, block),
    ))


def _role(module: Module, instance: Instance, inventory: Inventory) -> None:
    block = instance.block
    inventory.roles.append(Role(
        address=instance.address,
        name=role_name(instance, block.span),
        trust=_document(module, block, "assume_role_policy"),
        span=block.span,
        scope=module.scope,
        max_session_duration=_whole_number(instance.argument("max_session_duration")),
    ))
    role = Str(instance.address, block.span, instance.address)
    arns = instance.argument("managed_policy_arns")
    if arns is not MISSING and arns is not None:
        for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
            inventory.policies.append(PermissionPolicy(
                address=f"{instance.address}.managed_policy_arns[{index}]",
                roles=[role], managed_arn=arn,
                span=getattr(arn, "span", None) or getattr(arns, "span", None) or block.span,
                scope=module.scope,
            ))
    for index, inline in enumerate(block.blocks_of("inline_policy")):
        if "policy" not in inline.attributes:
            continue  # an empty inline_policy block removes inline policies
        inventory.policies.append(PermissionPolicy(
            address=f"{instance.address}.inline_policy[{index}]",
            roles=[role], document=_document(module, inline, "policy"), span=inline.span,
            scope=module.scope,
        ))


def _role_policy_attachment(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=_roles(instance.argument("role")),
        managed_arn=_optional(instance.argument("policy_arn")),
        span=instance.block.span,
        scope=module.scope,
    ))


def _role_policy_attachments(module: Module, instance: Instance, inventory: Inventory) -> None:
    """``aws_iam_role_policy_attachments_exclusive``: every ARN of ``policy_arns`` attached to
    ``role_name`` (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/
    iam_role_policy_attachments_exclusive)."""
    arns = instance.argument("policy_arns")
    if arns is MISSING or arns is None:
        return
    for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
        inventory.policies.append(PermissionPolicy(
            address=f"{instance.address}.policy_arns[{index}]",
            roles=_roles(instance.argument("role_name")), managed_arn=arn,
            span=getattr(arn, "span", None) or instance.block.span, scope=module.scope,
        ))


def _role_policy(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=_roles(instance.argument("role")),
        document=_document(module, instance.block, "policy"),
        span=instance.block.span,
        scope=module.scope,
    ))


def _policy(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=[],
        document=_document(module, instance.block, "policy"),
        span=instance.block.span,
        scope=module.scope,
    ))


def _policy_attachment(module: Module, instance: Instance, inventory: Inventory) -> None:
    roles = instance.argument("roles")
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=[] if roles is MISSING or roles is None else _roles_list(roles),
        managed_arn=_optional(instance.argument("policy_arn")),
        span=instance.block.span,
        scope=module.scope,
    ))


def _eks_cluster(module: Module, instance: Instance, inventory: Inventory) -> None:
    """An ``aws_eks_cluster``, created here or looked up by name (``data``): either way its
    issuer is an EKS issuer (https://registry.terraform.io/providers/hashicorp/aws/latest/
    docs/resources/eks_cluster, .../docs/data-sources/eks_cluster)."""
    block = instance.block
    name = instance.argument("name")
    inventory.clusters.append(Cluster(
        address=instance.address,
        name=(Unknown(f"{instance.address}.name (not set)", block.span, instance.address)
              if name is MISSING or name is None
              else with_ref(_text(name, block.span), instance.address)),
        issuer=eks_issuer(instance, block.span),
        span=block.span,
        scope=module.scope,
    ))


def _service_account(module: Module, instance: Instance, inventory: Inventory) -> None:
    """A ``kubernetes_service_account(_v1)`` whose annotations give it an IAM role (IRSA).

    The provider defaults ``metadata.namespace`` to ``default`` (https://registry.terraform.io/
    providers/hashicorp/kubernetes/latest/docs/resources/service_account_v1).
    """
    metadata = next(iter(instance.block.blocks_of("metadata")), None)
    if metadata is None:
        return
    role, audience = irsa_annotations(module.argument(metadata, "annotations"))
    if role is None:
        return
    name_attribute = metadata.attributes.get("name")
    span = name_attribute.value_span if name_attribute is not None else metadata.span
    name = module.argument(metadata, "name")
    if name is MISSING or name is None:
        name = Unknown(f"{instance.address}.metadata.name (generated)", span, instance.address)
    namespace = module.argument(metadata, "namespace")
    if namespace is MISSING or namespace is None:
        namespace = Str(DEFAULT_NAMESPACE, metadata.span)
    clusters = [module.address + address for address, block in module.resources.items()
                if block.labels[0] == "aws_eks_cluster"]
    inventory.workloads.append(service_account_workload(
        _text(name, span), _text(namespace, span), span, role, audience=audience,
        cluster=clusters[0] if len(clusters) == 1 else None, scope=module.scope))


_COLLECTORS = {
    "aws_iam_openid_connect_provider": _provider,
    "aws_iam_role": _role,
    "aws_iam_role_policy_attachment": _role_policy_attachment,
    "aws_iam_role_policy_attachments_exclusive": _role_policy_attachments,
    "aws_iam_role_policy": _role_policy,
    "aws_iam_policy": _policy,
    "aws_iam_policy_attachment": _policy_attachment,
    "aws_eks_cluster": _eks_cluster,
    "kubernetes_service_account": _service_account,
    "kubernetes_service_account_v1": _service_account,
    **COGNITO_COLLECTORS,
}
"""Resource types read, and what each becomes."""
def _trust_document(module: Module, instance: Instance, inventory: Inventory) -> None:
    """A ``data "aws_iam_policy_document"`` that is a web identity trust, as the trust of the
    role it is written for: passed to a module the scan cannot read, or out as an output, it
    is checked all the same. When a role of the scan uses it, it is dropped again
    (``oidclint.parsers.policy_file.link_policy_files``): the role's findings are enough."""
    if instance.local_address in _documents_in_use(module):
        return  # a role's trust, or part of another document: checked there
    span = instance.block.span
    encoded = module.policy_document_json(instance, span)
    if not isinstance(encoded, Encoded):
        return
    document = document_from_value(encoded.decoded, span)
    if not grants_web_identity(document):
        return
    inventory.roles.append(Role(
        address=instance.address,
        name=Unknown(f"the role {instance.address} is written for"),
        trust=document, span=span, scope=module.scope, standalone=True))


_BUILT_FROM_DOCUMENTS = {
    ("resource", "aws_iam_role"): ("assume_role_policy",),
    ("data", "aws_iam_policy_document"): ("source_policy_documents", "override_policy_documents",
                                          "source_json", "override_json"),
}


def _documents_in_use(module: Module) -> set[str]:
    """The policy documents of a module that a role's ``assume_role_policy`` or another
    document is built from, whatever their instances (a role with ``count = 0`` still makes
    its document no trust of its own)."""
    key = ("documents in use",)
    if key not in module._values:
        used: set[str] = set()
        for block in module.resources.values():
            for name in _BUILT_FROM_DOCUMENTS.get((block.type, block.labels[0]), ()):
                attribute = block.attributes.get(name)
                if attribute is not None:
                    used |= _document_references(attribute.value)
        module._values[key] = used
    return module._values[key]


def _document_references(value: Any) -> set[str]:
    """``data.aws_iam_policy_document.NAME`` for each document an expression names."""
    words = [str(token) for token in value.scan_values(
        lambda v: isinstance(v, Token) and v.type == "NAME")] if isinstance(value, Tree) \
        else str(value).replace("[", ".").split(".")
    return {f"data.aws_iam_policy_document.{after}"
            for before, after in zip(words, words[1:]) if before == "aws_iam_policy_document"}


_DATA_COLLECTORS = {"aws_eks_cluster": _eks_cluster, "aws_iam_policy_document": _trust_document}
"""Data sources read: a cluster looked up is the issuer of the ServiceAccounts beside it; a
policy document may be the trust of a role the scan does not see."""
_COLLECTED = frozenset(_COLLECTORS)


def _document(module: Module, block: Scoped, name: str) -> PolicyDocument | None:
    """The policy an argument holds (``jsonencode``, policy document data source, JSON text)."""
    attribute = block.attributes.get(name)
    if attribute is None:
        return None
    span = attribute.value_span
    value = module.argument(block, name)
    if isinstance(value, OneOf):  # `local.dev ? jsonencode({...}) : jsonencode({...})`
        documents = [_located_policy(module, name, option, span) for option in value.options]
        problems = [problem for _, problem in documents if problem is not None]
        document = document_from_options([located for located, _ in documents],
                                         Unknown(value.origin, value.span or span), span)
        document.problems[:0] = problems
        return document
    located, problem = _located_policy(module, name, value, span)
    if problem is not None:
        return PolicyDocument(span=span, problems=[problem])
    return document_from_value(located, span)


def _located_policy(module: Module, name: str, value: Any,
                    span: Span) -> tuple[Any, tuple[Span, str] | None]:
    """A policy argument's value as a located JSON value, or why it is none."""
    rejected = _not_a_string(name, value)
    if rejected:
        return None, (span, rejected)
    try:
        return module.located_policy(value), None
    except PolicyTextError as exc:
        return None, (exc.span or span, str(exc))
    except RecursionError:
        return None, (span, "the policy is nested too deeply")


def _not_a_string(name: str, value: Any) -> str | None:
    """Why Terraform rejects a policy argument that is not a string, or ``None``.

    The AWS provider types ``assume_role_policy`` and ``policy`` as strings
    (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role), and
    Terraform converts only primitive values to strings: an object is refused at plan time
    (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types).
    """
    if isinstance(value, ResourceObject):
        if value.origin.startswith("data.aws_iam_policy_document."):
            return (f"`{name}` must be a JSON string; Terraform rejects the object "
                    f"`{value.origin}`: use `{value.origin}.json`")
        return f"`{name}` must be a JSON string; Terraform rejects the object `{value.origin}`"
    if isinstance(value, (dict, list)) and not isinstance(value, Encoded):
        kind = "an object" if isinstance(value, dict) else "a list"
        return f"`{name}` must be a JSON string; Terraform rejects {kind}: wrap it in jsonencode()"
    return None


def _list_argument(instance: Instance, name: str) -> Any:
    value = instance.argument(name)
    if value is MISSING or value is None:
        return LList([], span=instance.block.span)
    if isinstance(value, (Unknown, list)):
        return value
    return LList([value], span=getattr(value, "span", None))


def _roles(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return [value]


def _roles_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    return [value]


def _text(value: Any, span: Span) -> Any:
    """A string argument: numbers and booleans as Terraform converts them, others unknown."""
    try:
        return to_text(value, span)
    except EvalError as exc:
        return Unknown(f"not a string: {exc}", span)


def _optional(value: Any) -> Any:
    return None if value is MISSING else value


def _whole_number(value: Any) -> int | Unknown | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Partial):
        return Unknown(str(value), value.span)
    try:
        number = to_number(value)
    except EvalError:
        return Unknown(f"max_session_duration {value!r} is not a number",
                       getattr(value, "span", None))
    if isinstance(number, float) and not number.is_integer():
        return Unknown(f"max_session_duration {value!r} is not a whole number", None)
    return int(number)

