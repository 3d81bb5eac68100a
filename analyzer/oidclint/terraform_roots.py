"""Terraform root modules evaluated for a scan: which folders are roots, each root's module
tree evaluated (in worker processes, under time budgets, its result kept in the cache), and
their inventories merged in path order.

The reading itself is ``oidclint.readers.terraform.reader``: ``file_blocks`` for a file's blocks,
``collect_module`` for what an evaluated module holds.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection

from oidclint.budget import Budget
from oidclint.cache import Cache, make_key
from oidclint.dependencies import digest, note_listing, note_read, recording
from oidclint.discovery import discover, kind_of
from oidclint.hcl import outline
from oidclint.hcl.configuration import Configuration, role_glob
from oidclint.hcl.registry import ROLE_NAME_INPUTS
from oidclint.hcl.sources import local_folder, module_sources
from oidclint.hcl.syntax import PARSER_TABLES, Block, load_parser
from oidclint.hcl.values import with_ref
from oidclint.limits import TooLarge, allowance
from oidclint.model import Diagnostic, Inventory, Level, TerragruntUnit
from oidclint.readers.terraform.reader import COLLECTED, collect_module, file_blocks
from oidclint.readers.terraform.tfvars import root_variables
from oidclint.readers.terragrunt.config import Files
from oidclint.readers.terragrunt.unit import Unit, deployed_by, read_unit
from oidclint.readers.terragrunt.sources import is_stack_file, is_unit_file
from oidclint.readers.terragrunt.stack import Stack, StackUnit, read_stack
from oidclint.pool import Pool
from oidclint.source import LDict, LList, SourceFile, Span, Str


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
    root = next((f.scan_root for f in files if f.scan_root is not None), None)
    scanned: dict[str, list[SourceFile]] = {}
    for file in sorted(files, key=lambda f: f.path):
        inventory.files.append(file.path)
        if file.kind not in ("tfvars", "terragrunt"):
            scanned.setdefault(posixpath.dirname(file.path) or ".", []).append(file)
    calls = {folder: local_calls(folder, members) for folder, members in scanned.items()}
    incomplete = {posixpath.dirname(path) or "." for path in unread
                  if kind_of(posixpath.basename(path)) == "terraform"}
    called = {target for folder, targets in calls.items() for target in targets
              if target != folder}
    units = read_units([f for f in files if f.kind == "terragrunt"], root, cache,
                       inventory, budget)
    # A module folder a unit deploys is evaluated with each unit's inputs, not on its own.
    deployed = {unit.module for unit in units.values()}
    roots = [folder for folder in scanned if folder not in called and folder not in deployed]
    for path, unit in units.items():
        calls[path] = {unit.module} if unit.module is not None else set()
        roots.append(path)
        inventory.units.append(TerragruntUnit(path, unit.deploys, unit.span))
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
                (f.path, hashes[f.path]) for needed in tree for f in scanned.get(needed, ())],
                sorted(incomplete.intersection(tree)),
                units[folder].read if folder in units else None)
            if (hit := cache.get(keys[folder])) is not None:
                results[folder] = hit
                inventory.cached += [f.path for needed in _tree(folder, calls)
                                     for f in scanned.get(needed, [])]
    pending = [folder for folder in roots if folder not in results]
    if pending or tfvars or var_files:
        # Before the workers fork, so that they share it.
        load_parser(cache.slot(PARSER_TABLES) if cache else None)
    variables = root_variables(tfvars, list(var_files), inventory.diagnostics)
    # Neighbouring roots tend to share modules: each group parses a shared one once.
    groups = pool.split(pending) if pool else ([pending] if pending else [])
    tasks = []
    for group in groups:
        used = {folder for r in group for folder in _tree(r, calls)}
        tasks.append(RootsTask(group, {f: scanned[f] for f in used if f in scanned},
                               {f: calls[f] for f in used}, variables, root, budget, prune,
                               cache if keys else None,
                               {r: keys[r] for r in group if r in keys},
                               incomplete & used, {r: units[r] for r in group if r in units}))
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
    units: dict[str, Unit] = field(default_factory=dict)
    """Roots that are Terragrunt units (by the path of their ``terragrunt.hcl``)."""


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
                    members = outline.prune(members, COLLECTED,
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
        unit = task.units.get(folder)
        module_folder = unit.module if unit is not None else folder
        budget = Budget(task.budget * max(len(task.scanned.get(module_folder, ())), 1)
                        if task.budget else None)
        with recording() as reads:
            try:
                with budget.stopping(), allowance():
                    if unit is None:
                        module = configuration.root_module(folder)
                    elif unit.model is not None:
                        module = configuration.modelled_root(
                            unit.folder, unit.model.folder, unit.source_span,
                            unit.inputs.overridden(task.variables.get("*")))
                    else:
                        module = configuration.root_module(
                            unit.module, scope=unit.folder,
                            inputs=unit.inputs.overridden(task.variables.get(
                                unit.module, task.variables.get("*"))))
                    if module is not None:
                        collect_module(module, inventory)
                        if unit is not None:
                            deployed_by(unit, inventory)
            except TooLarge as exc:  # raised outside any one value: the module is not read
                inventory.diagnostics.append(Diagnostic(
                    folder, f"evaluating the module: {exc}; not evaluated"))
            if budget.exceeded:
                complete = False
                inventory.diagnostics.append(Diagnostic(
                    folder, f"evaluating the module {budget.exceeded}", Level.ERROR))
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


def read_units(files: list[SourceFile], root: Path | None, cache: Cache | None,
               inventory: Inventory, budget: float | None = None) -> dict[str, Unit]:
    """The Terragrunt units among ``files`` that deploy a module of the tree, by the path
    of their ``terragrunt.hcl``, and the units the stack files among them generate, by
    their generated path; what reading them reported goes to ``inventory``; each is read
    within the time ``budget`` of a file (the files it includes count with it). A
    ``terragrunt.hcl`` that units include, or that a stack copies, is theirs, not a unit
    of its own. Each unit is read once per change of it or of a file it read (from the
    ``cache``)."""
    stack_files = [f for f in files if is_stack_file(f.path)]
    candidates = [f for f in files if is_unit_file(f.path)]
    if not candidates and not stack_files:
        return {}
    if root is None:
        inventory.diagnostics.extend(Diagnostic(f.path, "the scan root is not known: the "
                                                "Terragrunt configuration is not read")
                                     for f in [*candidates, *stack_files])
        return {}
    reader = Files(root, {f.path: f.text for f in files if f.text})
    stacks = _read_stacks(reader, stack_files, cache, inventory, budget)
    # A stack's copy of a unit is read from the unit it copies; the unit and the copy
    # already generated in the tree are not units of their own.
    taken = {path for stack in stacks for path in (*stack.sources, *stack.generated)}
    reader.outputs_of = AppliedOutputs(reader, root, {
        posixpath.dirname(f.path) or ".": f.path for f in candidates if f.path not in taken},
        {posixpath.dirname(u.path): u for stack in stacks for u in stack.units})
    units: dict[str, Unit] = {}
    for file in candidates:
        if file.path in taken:
            continue
        unit = _read_unit(reader, file.path, file.text, cache, inventory, budget)
        if unit is not None:
            units[file.path] = unit
    for stack in stacks:
        for generated in stack.units:
            unit = _read_unit(reader, generated.source, None, cache, inventory, budget,
                              generated)
            if unit is not None:
                # Its values are the stack's: a change of the stack file changes the unit.
                unit.read = sorted({**stack.read, **dict(unit.read)}.items())
                units[unit.path] = unit
    included = {path for unit in units.values() for path in unit.includes}
    found = {}
    for path, unit in units.items():
        if path in included:
            continue
        inventory.diagnostics.extend(unit.diagnostics)
        if unit.deploys is not None:
            found[path] = unit
        elif unit.source is not None:
            # Code not read may create a role: one named by an input is defined elsewhere,
            # as a module call's is (``oidclint.hcl.configuration``).
            inventory.roles_elsewhere.extend(
                glob for name in ROLE_NAME_INPUTS if name in dict.keys(unit.inputs)
                and (glob := role_glob(unit.inputs[name])) is not None)
    return found


class AppliedOutputs:
    """The outputs of a unit of the scan as applying it gives them: its module evaluated
    with its inputs (``dependency`` blocks read them, ``oidclint.readers.terragrunt``).
    Each unit's once; a unit whose outputs are being evaluated (a cycle), or whose code is
    not here, gives ``None`` and the dependency falls back to its ``mock_outputs``."""

    def __init__(self, reader: Files, root: Path, units: dict[str, str],
                 generated: dict[str, StackUnit]) -> None:
        self.reader = reader
        self.units = units
        """Folder of a unit of the tree -> its ``terragrunt.hcl``."""
        self.generated = generated
        """Folder a stack generates a unit in -> that unit."""
        self.known: dict[str, tuple[LDict | None, list[str]]] = {}
        """Folder -> its outputs, and the files read for them (told again to each unit
        that reads them, whose result depends on them too)."""
        self.busy: set[str] = set()
        load = _loader(root)
        self.configuration = Configuration({}, root, lambda folder, at: load(folder, at, []),
                                           {})

    def __call__(self, folder: str, span: Span) -> LDict | None:
        if folder in self.known:
            found, read = self.known[folder]
            for path in read:
                note_read(path)
            return found
        if folder in self.busy or (folder not in self.units and folder not in self.generated):
            return None
        self.busy.add(folder)
        try:
            with recording() as reads:
                found = self._evaluated(folder, span)
        finally:
            self.busy.discard(folder)
        self.known[folder] = found, list(reads.seen)
        for path in reads.seen:
            note_read(path)
        return found

    def _evaluated(self, folder: str, span: Span) -> LDict | None:
        generated = self.generated.get(folder)
        unit = read_unit(self.reader, self.units[folder]) if generated is None else \
            read_unit(self.reader, generated.source, at=generated.path,
                      values=generated.values)
        if unit.model is not None:
            module = self.configuration.modelled_root(unit.folder, unit.model.folder,
                                                      unit.source_span, unit.inputs)
        elif unit.module is not None:
            module = self.configuration.root_module(unit.module, scope=unit.folder,
                                                    inputs=unit.inputs)
        else:
            return None
        return None if module is None else LDict(
            {Str(name, span): _foreign(module.output(name, span)) for name in module.outputs},
            span=span)


def _foreign(value: Any) -> Any:
    """A value another root module computed: what it refers to (``aws_iam_role.x``) is of
    that module, not of the one it is handed to, so it no longer names it."""
    if isinstance(value, dict):
        return LDict({key: _foreign(item) for key, item in value.items()},
                     span=getattr(value, "span", None))
    if isinstance(value, list) and not isinstance(value, str):
        return LList([_foreign(item) for item in value], span=getattr(value, "span", None))
    return with_ref(value, None)


def _read_stacks(reader: Files, files: list[SourceFile], cache: Cache | None,
                 inventory: Inventory, budget: float | None) -> list[Stack]:
    """The stacks of the tree: every stack file but those another one generates (a nested
    stack is read with the values its parent gives it)."""
    stacks = []
    for file in files:
        limit = Budget(budget)
        with recording() as reads, limit.stopping(), allowance():
            stack = read_stack(reader, file.path)
        if limit.exceeded:
            inventory.timed_out = True
            inventory.diagnostics.append(Diagnostic(
                file.path, f"reading the Terragrunt stack {limit.exceeded}", Level.ERROR))
            continue
        stack.read = dict(reads.seen)
        stacks.append(stack)
        inventory.dependencies.update(reads.seen)
    nested = {path for stack in stacks for path in (*stack.sources, *stack.generated)
              if path != stack.path}
    kept = [stack for stack in stacks if stack.path not in nested]
    for stack in kept:
        inventory.diagnostics.extend(stack.diagnostics)
    return kept


def _read_unit(reader: Files, path: str, text: str | None, cache: Cache | None,
               inventory: Inventory, budget: float | None,
               generated: StackUnit | None = None) -> Unit | None:
    """One unit (``generated``: one a stack generates from the ``terragrunt.hcl`` at
    ``path``), from the ``cache`` when it and what it read are unchanged."""
    key = None
    if cache is not None and cache.enabled and generated is None:
        key = make_key("terragrunt unit", str(reader.root), path, digest(text or ""))
    unit = cache.get(key) if key is not None else None
    if isinstance(unit, Unit):
        inventory.dependencies.update(unit.read)
        return unit
    limit = Budget(budget)
    with recording() as reads, limit.stopping(), allowance():
        unit = read_unit(reader, path) if generated is None else read_unit(
            reader, path, at=generated.path, values=generated.values,
            stacks=generated.origins)
    if limit.exceeded:
        inventory.timed_out = True
        inventory.diagnostics.append(Diagnostic(
            path, f"reading the Terragrunt unit {limit.exceeded}", Level.ERROR))
        return None
    unit.read = sorted(reads.seen.items())
    if key is not None:
        cache.put(key, unit, reads.seen)
    inventory.dependencies.update(unit.read)  # a scan's result depends on them too
    return unit


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
        with limit.stopping():  # the module's own budget passes: reported with the module
            blocks.extend(file_blocks(file, diagnostics))
        if limit.exceeded:
            complete = False
            diagnostics.append(Diagnostic(file.path, str(limit.exceeded), Level.ERROR))
    return blocks, complete


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
            blocks.extend(file_blocks(file, diagnostics, at))
        return blocks
    return load


