"""GitHub Actions workflows to workloads: the jobs that assume an AWS role with OIDC.

A workload is one step of ``aws-actions/configure-aws-credentials`` (any ref, or a fork of
it) that asks for ``role-to-assume`` with GitHub's OIDC token. Its contexts are the subjects
the job's token can carry, one per way the job runs, following GitHub's subject rules:
https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims

All workflows of a repository are read together, so a job reached through a local reusable
workflow (job-level ``uses: ./.github/workflows/x.yml``) runs with its caller's triggers,
permissions and inputs:
https://docs.github.com/en/actions/reference/workflows-and-actions/reusable-workflows

A reusable workflow of another repository (``uses: owner/repo/.github/workflows/x.yml@ref``)
runs the same way; its jobs' tokens carry the caller's ``sub`` and name the called file in
``job_workflow_ref`` (``owner/repo/.github/workflows/x.yml@<ref>``):
https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-with-reusable-workflows
It is followed when the scan holds that repository's workflows, in a folder named after it
(``repo/`` or ``owner/repo/``, a monorepo of workflows); otherwise what the role its jobs
assume is stays unknown, and a call granted ``id-token: write`` gets a note saying so.

The local composite actions of the repository (``action.yml`` or ``action.yaml`` with
``runs.using: composite``) are read with them: a step ``uses: ./path`` runs the action's steps
in the job, with the action's ``inputs`` (the step's ``with:``, else their defaults):
https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#runs-for-composite-actions

Workflow syntax: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
Action inputs: https://github.com/aws-actions/configure-aws-credentials#readme
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

from oidclint.iam.claims import job_workflow_refs
from oidclint.limits import TooLarge
from oidclint.model import Diagnostic, Inventory, JobWorkflow, Level, TokenContext, Workload
from oidclint.readers import is_action
from oidclint.readers.workloads.github_conditions import Guard, guards_of, restrict
from oidclint.readers.workloads.github_environments import dispatch_choice, encode, environment_contexts
from oidclint.readers.workloads.github_expressions import Scope, lookup, text_of
from oidclint.readers.workloads import github_azure_login, github_google_auth
from oidclint.readers.workloads.github_permissions import permission_entries
from oidclint.readers.workloads.github_matrix import matrix_combinations, narrowed, shared_values
from oidclint.readers.workloads.github_run_steps import run_step_commands
from oidclint.located.documents import YAML_1_2_CORE, LoadError, load_documents
from oidclint.source import Partial, SourceFile, Span, Str, Text, Unknown, fill_ins, span_of

KIND = "github-actions"
ISSUER = "token.actions.githubusercontent.com"
ACTION = re.compile(r"^[\w.-]+/configure-aws-credentials(?:/[^@]*)?@\S+$", re.IGNORECASE)
"""``aws-actions/configure-aws-credentials@<tag, branch or SHA>``, or a fork of it."""
MAX_NESTING = 10
"""Reusable workflows nest at most a few levels deep on GitHub; deeper is a loop or an error."""

REMOTE_WORKFLOW = re.compile(
    r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)/(?P<path>\.github/workflows/[^@]+)"
    r"@(?P<ref>\S+)$")
"""``owner/repo/.github/workflows/<file>@<ref>``: a reusable workflow of another repository:
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_iduses"""

_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")
_DIGITS = re.compile(r"^\s*([0-9]{1,9})\s*$")

# Events whose runs check out the default branch (GITHUB_REF is the default branch):
# https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows
DEFAULT_BRANCH_EVENTS = frozenset({
    "branch_protection_rule", "check_run", "check_suite", "delete", "discussion",
    "discussion_comment", "fork", "gollum", "issue_comment", "issues", "label", "milestone",
    "project", "project_card", "project_column", "public", "repository_dispatch", "schedule",
    "status", "watch", "workflow_run",
})

Note = Callable[[str, Span | None], None]


def parse_workflows(files: list[SourceFile], default_branch: str | None = None) -> Inventory:
    """The workloads of every workflow among ``files`` (all of ``.github/workflows/``)."""
    return WorkflowSet(files, default_branch).read()


@dataclass(slots=True)
class Workflow:
    path: str
    document: dict

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def triggers(self) -> Any:
        # Read with the YAML 1.2 core schema, as GitHub reads it: the bare key `on` is the
        # string "on" (YAML 1.1 would make it the boolean true).
        return self.document.get("on")


@dataclass(slots=True)
class LocalAction:
    """A composite action of the repository (``action.yml`` in its folder)."""

    path: str
    document: dict

    @property
    def steps(self) -> Any:
        runs = self.document.get("runs")
        return runs.get("steps") if isinstance(runs, dict) else None

    @property
    def composite(self) -> bool:
        runs = self.document.get("runs")
        using = runs.get("using") if isinstance(runs, dict) else None
        return isinstance(using, str) and using.strip().lower() == "composite"


@dataclass(frozen=True, slots=True)
class CredentialStep:
    """A configure-aws-credentials step as the job runs it: directly, or inside the local
    composite actions ``via`` (outermost first) that the job's step ``number`` uses."""

    number: int
    via: tuple[str, ...]
    inputs: dict
    scope: "Scope"
    guards: tuple[Guard, ...] = ()
    """The ``if:`` conditions on the way to the step, the outermost first."""
    read: "StepReader" = None  # type: ignore[assignment]
    """What makes the step's workload (``STEP_READERS``)."""


@dataclass(frozen=True, slots=True)
class IdTokenGrant:
    """Whether a job's GITHUB_TOKEN may request an OIDC token, and the block that decided it."""

    granted: bool | None
    span: Span | None
    declared: bool = True
    """False for the default permissions of a job that declares none."""


@dataclass(frozen=True, slots=True)
class Caller:
    """What a job reached through a reusable workflow inherits from the job that called it."""

    name: str
    contexts: tuple[TokenContext, ...]
    grant: IdTokenGrant
    inputs: dict[str, Any]
    """Input name (lower case) to the value the caller passes, resolved in the caller."""
    chain: tuple[str, ...]
    """Paths of the workflows on the call stack, the outermost first."""
    runs: bool = True
    """False when the calling jobs' ``if:`` conditions rule out every way they run."""
    job_workflow: JobWorkflow | None = None
    """The called file as the token's ``job_workflow_ref`` names it."""


class WorkflowSet:
    """Every workflow of one repository, read into workloads."""

    def __init__(self, files: list[SourceFile], default_branch: str | None) -> None:
        self.default_branch = default_branch
        self.inventory = Inventory()
        self.workflows: dict[str, Workflow] = {}
        self.actions: dict[str, LocalAction] = {}
        self.unreadable: set[str] = set()
        self.sources = {file.path: file for file in files}
        for file in files:
            self._load(file)

    def _load(self, file: SourceFile) -> None:
        self.inventory.files.append(file.path)
        try:
            documents = load_documents(file.text, file.path, schema=YAML_1_2_CORE)
        except LoadError as exc:
            self.unreadable.add(file.path)
            reason = str(exc)
            position = _SYNTAX_POSITION.match(reason)
            span = Span(file.path, int(position[1]), int(position[2])) if position else None
            self.inventory.diagnostics.append(
                Diagnostic(file.path, f"YAML syntax error: {reason}", span=span))
            return
        document = documents[0] if documents else None
        if document is None:
            return
        if not isinstance(document, dict):
            self.unreadable.add(file.path)
            self._note(file.path, "not a workflow: the top level is not a mapping",
                       span_of(document))
            return
        if is_action(file.path):
            self.actions[file.path] = LocalAction(file.path, document)
        else:
            self.workflows[file.path] = Workflow(file.path, document)

    def read(self) -> Inventory:
        for workflow in self.workflows.values():
            # Steps that create a role from a policy file of the repository.
            run_step_commands(workflow.path, workflow.document, self.sources.get(workflow.path),
                              self.inventory)
            events = event_names(workflow.triggers)
            if events == ["workflow_call"]:
                continue  # runs only through its callers
            self._jobs(workflow, None)
        return self.inventory

    def _note(self, path: str, message: str, span: Span | None) -> None:
        diagnostic = Diagnostic(path, message, Level.NOTE, span)
        if diagnostic not in self.inventory.diagnostics:
            self.inventory.diagnostics.append(diagnostic)

    def _noter(self, workflow: Workflow) -> Note:
        return lambda message, span: self._note(workflow.path, message, span)

    # -- jobs ------------------------------------------------------------------------------

    def _jobs(self, workflow: Workflow, caller: Caller | None) -> None:
        jobs = workflow.document.get("jobs")
        if jobs is None:
            return
        if not isinstance(jobs, dict):
            self._note(workflow.path, "`jobs` is not a mapping", span_of(jobs))
            return
        for job_id, job in jobs.items():
            if not isinstance(job_id, str):
                self._note(workflow.path, f"job id {job_id!r} is not a string", span_of(job))
                continue
            if not isinstance(job, dict):
                self._note(workflow.path, f"job {job_id} is not a mapping",
                           span_of(job) or span_of(job_id))
                continue
            key_span = span_of(job_id) or span_of(job) or Span(workflow.path, 1)
            try:
                if job.get("uses") is not None:
                    self._call(workflow, str(job_id), job, key_span, caller)
                else:
                    self._steps(workflow, str(job_id), job, key_span, caller)
            except TooLarge as exc:  # an expression repeating a long value: this job only
                diagnostic = Diagnostic(workflow.path, f"job {job_id}: {exc}; not read",
                                        span=key_span)
                if diagnostic not in self.inventory.diagnostics:
                    self.inventory.diagnostics.append(diagnostic)

    def _steps(self, workflow: Workflow, job_id: str, job: dict, key_span: Span,
               caller: Caller | None) -> None:
        steps = job.get("steps")
        if steps is None:
            return
        if not isinstance(steps, list):
            self._note(workflow.path, f"`steps` of job {job_id} is not a list", span_of(steps))
            return
        note = self._noter(workflow)
        envs = (job.get("env"), workflow.document.get("env"))
        inputs = caller.inputs if caller else None
        combinations = matrix_combinations(job)
        # Each matrix combination is a way the job runs: its own role, environment ...
        shapes = ([(None, job)] if combinations is None
                  else [(c, narrowed(job, c)) for c in combinations])
        runs = []
        for combination, shaped in shapes:
            found = sorted(self._credential_steps(repository_root(workflow.path), steps, envs,
                                                  inputs, note, (), combination),
                           key=lambda found: found.number)
            runs += [(combination, step) for step in found]
        if not runs:
            return
        job_guards = guards_of(job, f"job {job_id}", Scope((), inputs))
        grant = job_grant(workflow, job, key_span, caller.grant if caller else None, note)
        # A called workflow's permissions are capped by its caller's: not edited here.
        entries = (permission_entries(self.sources[workflow.path].text, job)
                   if caller is None and workflow.path in self.sources else None)
        name = f"{workflow.file_name} job {job_id}"
        if caller is not None:
            name = f"{caller.name} → {name}"
        # The combinations that give a step the same role are one workload, whose ways to
        # run are theirs together.
        grouped: dict[tuple, tuple[CredentialStep, Workload, list]] = {}
        for combination, step in runs:
            workload = step.read(step.inputs, step.scope, note, name, key_span)
            if workload is None:
                continue
            shaped = job if combination is None else narrowed(job, combination)
            contexts = self._contexts(workflow, shaped, caller, job_guards + step.guards)
            key = (step.number, step.via, str(workload.role))
            if key in grouped:
                _, first, combos = grouped[key]
                known = {(c.label, str(c.subject)) for c in first.contexts}
                first.contexts += [c for c in contexts if (c.label, str(c.subject)) not in known]
                combos.append(combination)
                continue
            workload.contexts = contexts
            workload.logical = (f"jobs.{job_id}", "object")
            workload.id_token_permission = grant.granted
            workload.permission_span = grant.span
            workload.permission_entries = entries
            workload.job_workflow = (caller.job_workflow if caller and caller.job_workflow
                                     else own_workflow(workflow))
            grouped[key] = (step, workload, [combination])
        numbers = {step.number for step, _, _ in grouped.values()}
        per_step = Counter(step.number for step, _, _ in grouped.values())
        for step, workload, combos in grouped.values():
            if len(numbers) > 1:
                workload.name = f"{name} step {step.number}"
            if per_step[step.number] > 1:
                workload.name += f" (matrix {shared_values(combos)})"
            workload.name += "".join(f" → {uses}" for uses in step.via)
            self.inventory.workloads.append(workload)

    # -- composite actions -------------------------------------------------------------------

    def _credential_steps(self, root: str, steps: Any, envs: tuple, inputs: dict | None,
                          note: Note, chain: tuple[str, ...],
                          matrix: dict | None = None) -> Iterator[CredentialStep]:
        """The configure-aws-credentials steps among ``steps`` (of a workflow or a local
        action of the repository at ``root``), with the scope their inputs are resolved in,
        and those of the
        local composite actions they use, followed ``MAX_NESTING`` deep. A composite action's
        steps see its own inputs and the env of the step that uses it, the job and the
        workflow."""
        if not isinstance(steps, list):
            return
        where = f" of {chain[-1]}" if chain else ""
        for number, step, given, read in credential_steps(steps, note):
            scope = Scope((step.get("env"), *envs), inputs, matrix)
            yield CredentialStep(number, (), given, scope,
                                 guards_of(step, f"step {number}{where}", scope), read)
        for number, step, uses in local_action_steps(steps):
            action = self._action(root, uses, note, chain)
            if action is None:
                continue
            outer = Scope((step.get("env"), *envs), inputs, matrix)
            guards = guards_of(step, f"step {number}{where}", outer)
            passed = declared_defaults(action.document.get("inputs"))
            given = step.get("with")
            if isinstance(given, dict):
                passed.update({k.lower(): outer.resolve(v) for k, v in given.items()
                               if isinstance(k, str)})
            for found in self._credential_steps(root, action.steps,
                                                (step.get("env"), *envs), passed, note,
                                                chain + (action.path,)):
                yield CredentialStep(number, (uses, *found.via), found.inputs, found.scope,
                                     guards + found.guards, found.read)

    def _action(self, root: str, uses: str, note: Note,
                chain: tuple[str, ...]) -> LocalAction | None:
        """The composite action ``uses: ./dir`` names, when the scan holds it."""
        folder = posixpath.normpath(root + uses)
        prefix = "" if folder == "." else f"{folder}/"  # `uses: ./` is the repository's root
        action = next((self.actions[f] for f in (f"{prefix}action.yml", f"{prefix}action.yaml")
                       if f in self.actions), None)
        if action is None:
            if not any(f.startswith(f"{prefix}action.y") for f in self.unreadable):
                note(f"local action {uses} is not among the scanned files", span_of(uses))
            return None
        if not action.composite:
            return None  # a JavaScript or Docker action: its steps are not YAML
        if action.path in chain or len(chain) >= MAX_NESTING:
            note(f"local action {uses} uses itself (a loop) or nests too deeply: not followed",
                 span_of(uses))
            return None
        return action

    def _contexts(self, workflow: Workflow, job: dict, caller: Caller | None,
                  guards: tuple[Guard, ...]) -> list[TokenContext]:
        """The ways a step runs: its job's triggers (or its caller's) where its ``if:``
        conditions may hold; the job's environment when it names one."""
        note = self._noter(workflow)
        if caller is not None and not caller.runs:
            return []
        ways = (list(caller.contexts) if caller is not None
                else trigger_contexts(workflow.triggers, self.default_branch, note))
        runs = restrict(ways, guards, workflow.triggers, self.default_branch)
        if ways and not runs:
            return []  # its conditions are false in every way the job runs
        # Events whose every run the conditions rule out name no environment either.
        ruled_out = {c.event for c in ways} - {c.event for c in runs}
        events = [e for e in event_names(workflow.triggers) if e not in ruled_out]
        scope = Scope((), caller.inputs if caller else None)
        environments = environment_contexts(job, workflow.triggers, events, scope, note)
        if environments is None:
            return runs
        guard = runs[0].guard if runs and all(c.guard for c in runs) else None
        return [replace(e, guard=guard) for e in environments]

    # -- reusable workflows ------------------------------------------------------------------

    def _call(self, workflow: Workflow, job_id: str, job: dict, key_span: Span,
              caller: Caller | None) -> None:
        uses = job.get("uses")
        if not isinstance(uses, str):
            self._note(workflow.path, f"`uses` of job {job_id} is not a string", span_of(uses))
            return
        outer = caller.job_workflow if caller and caller.job_workflow else own_workflow(workflow)
        remote = REMOTE_WORKFLOW.match(uses.strip())
        if remote:
            called = JobWorkflow(remote["path"], f"{remote['owner']}/{remote['repo']}",
                                 remote["ref"], outer.run, called=True)
            target, copies = self._remote_callee(workflow.path, called, uses)
        elif uses.strip().startswith("./"):
            target = self._callee(workflow.path, uses.strip())
            if target is not None:  # the same repository, at the caller's commit
                called = replace(outer, path=repository_path(target.path), called=True)
        else:
            return  # not a reusable workflow reference GitHub accepts
        chain = caller.chain if caller else (workflow.path,)
        if target is None:
            if remote and not copies:
                self._unscanned_call(workflow, job_id, job, key_span, caller, called, uses)
            return
        if target.path in chain or len(chain) >= MAX_NESTING:
            self._note(workflow.path, f"reusable workflow {uses} calls itself (a loop) or nests "
                       "too deeply: not followed", span_of(uses))
            return
        if "workflow_call" not in event_names(target.triggers):
            self._note(workflow.path, f"{uses} is not a reusable workflow (no `on: "
                       "workflow_call`)", span_of(uses))
        note = self._noter(workflow)
        name = f"{workflow.file_name} job {job_id}"
        ways = (list(caller.contexts) if caller
                else trigger_contexts(workflow.triggers, self.default_branch, note))
        contexts = restrict(ways, guards_of(job, f"job {job_id}", Scope(
            (), caller.inputs if caller else None)), workflow.triggers, self.default_branch)
        runs = (caller is None or caller.runs) and not (ways and not contexts)
        grant = job_grant(workflow, job, key_span, caller.grant if caller else None, note)
        inputs = input_defaults(target)
        passed = job.get("with")
        if isinstance(passed, dict):
            # The `env` context is not available in jobs.<id>.with.
            scope = Scope((), caller.inputs if caller else None)
            events = event_names(workflow.triggers)
            for key, value in passed.items():
                if isinstance(key, str):
                    choice = None if caller else dispatch_choice(value, workflow.triggers, events)
                    inputs[key.lower()] = choice or scope.resolve(value)
        elif passed is not None:
            note(f"`with` of job {job_id} is not a mapping", span_of(passed))
        self._jobs(target, Caller(
            name=f"{caller.name} → {name}" if caller else name,
            contexts=tuple(contexts), grant=grant, inputs=inputs,
            chain=chain + (target.path,), runs=runs, job_workflow=called))

    def _remote_callee(self, caller_path: str, called: JobWorkflow,
                       uses: str) -> tuple[Workflow | None, int]:
        """The called workflow of another repository, when the scan holds that repository in
        a folder named after it (``<repo>/`` or ``<owner>/<repo>/``); the nearest to the
        caller when several are; none when that leaves more than one. With how many copies
        the scan holds."""
        name = called.repository.split("/")[1]
        found = [w for w in self.workflows.values()
                 if repository_path(w.path) == called.path
                 and _names_repository(repository_root(w.path), name)]
        if len(found) > 1:
            nearest = max(_shared_folders(caller_path, w.path) for w in found)
            found = [w for w in found if _shared_folders(caller_path, w.path) == nearest]
        if len(found) > 1:
            self._note(caller_path, f"reusable workflow {uses} is in several folders of the "
                       "scan (" + ", ".join(sorted(w.path for w in found)) + "); not followed",
                       span_of(uses))
            return None, len(found)
        return (found[0], 1) if found else (None, 0)

    def _unscanned_call(self, workflow: Workflow, job_id: str, job: dict, key_span: Span,
                        caller: Caller | None, called: JobWorkflow, uses: str) -> None:
        """What is known of a call to a reusable workflow the scan does not hold, when the
        call lets it request OIDC tokens: which file its tokens name, and the caller's runs.
        Whatever role it assumes is not known, so nothing is linked."""
        note = self._noter(workflow)
        grant = job_grant(workflow, job, key_span, caller.grant if caller else None, note)
        if grant.granted is not True or not grant.declared:
            return
        ways = (list(caller.contexts) if caller
                else trigger_contexts(workflow.triggers, self.default_branch, note))
        runs = ", ".join(dict.fromkeys(c.label for c in ways)) or "no run"
        refs = " or ".join(f"`{v}`" for v in job_workflow_refs(called, None) or ())
        self._note(workflow.path, f"job {job_id} calls {uses.strip()} with `id-token: write`; "
                   "that workflow is not among the scanned files, so the role it assumes is "
                   f"not known and not linked. Its tokens carry `job_workflow_ref` {refs} and "
                   f"this caller's subject ({runs}).", span_of(uses))

    def _callee(self, caller_path: str, uses: str) -> Workflow | None:
        path = posixpath.normpath(repository_root(caller_path) + uses)
        target = self.workflows.get(path)
        if target is None and path not in self.unreadable:
            self._note(caller_path, f"reusable workflow {uses} is not among the scanned "
                       "workflows", span_of(uses))
        return target


def repository_path(path: str) -> str:
    """A workflow's path inside its repository: ``.github/workflows/deploy.yml``."""
    return path[len(repository_root(path)):]


def own_workflow(workflow: Workflow) -> JobWorkflow:
    """A workflow run for its own triggers: it names itself in ``job_workflow_ref``, at the
    run's ref, and its ``name`` is the ``workflow`` claim (its path when it has none,
    as for ``github.workflow``; a name the scan cannot read is left unknown).
    https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#github-context
    """
    name = workflow.document.get("name")
    run = (str(name) if isinstance(name, str) and "${{" not in name
           else repository_path(workflow.path) if name is None else None)
    return JobWorkflow(repository_path(workflow.path), run=run)


def _names_repository(root: str, name: str) -> bool:
    """Whether a folder of the scan (a repository root ``a/b/``) is named after the
    repository ``name`` (GitHub names ignore case); the scanned root itself is not."""
    return bool(root) and root.rstrip("/").rsplit("/", 1)[-1].casefold() == name.casefold()


def _shared_folders(a: str, b: str) -> int:
    """How many leading folders two paths share."""
    common = posixpath.commonpath([posixpath.dirname(a), posixpath.dirname(b)])
    return len([f for f in common.split("/") if f])


def repository_root(path: str) -> str:
    """The repository root (``""`` or ``sub/dir/``) of a workflow: local paths (``uses:
    ./...``) are relative to it, where ``.github/workflows`` lives."""
    marker = path.rfind(".github/workflows/")
    return path[:marker] if marker > 0 else ""


# -- steps ------------------------------------------------------------------------------------

def credential_steps(steps: list, note: Note
                     ) -> Iterator[tuple[int, dict, dict, "StepReader"]]:
    """(1-based position, step, inputs with lower-case names, what reads it) of each step of
    an action that authenticates with the job's token (``STEP_READERS``); action input names
    are case-insensitive."""
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        uses = step.get("uses")
        if not isinstance(uses, str):
            continue
        found = next((reader for reader in STEP_READERS if reader[0].match(uses.strip())),
                     None)
        if found is None:
            continue
        inputs = step.get("with")
        if inputs is None:
            continue
        if not isinstance(inputs, dict):
            note(f"`with` of {found[1]} is not a mapping", span_of(inputs))
            continue
        yield number, step, {k.lower(): v for k, v in inputs.items() if isinstance(k, str)}, \
            found[2]


def local_action_steps(steps: list) -> Iterator[tuple[int, dict, str]]:
    """(1-based position, step, path) of each step that uses an action of the repository
    (``uses: ./path/to/folder``)."""
    for number, step in enumerate(steps, start=1):
        if isinstance(step, dict) and isinstance(step.get("uses"), str) \
                and step["uses"].strip().startswith("./"):
            yield number, step, step["uses"].strip()


def assume_role_step(inputs: dict, scope: Scope, note: Note, name: str,
                     span: Span) -> Workload | None:
    """The workload of one configure-aws-credentials step; ``None`` when it does not use
    GitHub's OIDC token (no role, access keys, or a token file).

    https://github.com/aws-actions/configure-aws-credentials#credential-lookup-order
    """
    if _given(inputs.get("aws-access-key-id")) or _given(inputs.get("web-identity-token-file")):
        return None
    raw = _input_text(inputs.get("role-to-assume"))
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        note("`role-to-assume` is not a string", span_of(raw))
        return None
    role = _text(scope.resolve(raw))
    if role is None or role == "":
        return None
    return Workload(
        kind=KIND, name=name, span=span,
        role=role, role_span=span_of(raw),
        audience=_text_input(inputs, "audience", scope, note),
        session_name=_text_input(inputs, "role-session-name", scope, note),
        duration=_duration(inputs.get("role-duration-seconds"), scope, note),
        issuer=Str(ISSUER),
        # With role-chaining the step assumes the role with the credentials already in the
        # environment (sts:AssumeRole), not with an OIDC token.
        role_chaining=_flag(inputs.get("role-chaining"), scope),
    )


def google_auth_step(inputs: dict, scope: Scope, note: Note, name: str,
                     span: Span) -> Workload | None:
    """The workload of one google-github-actions/auth step (``github_google_auth``)."""
    return github_google_auth.google_auth_step(
        lambda key: _text_input(inputs, key, scope, note), name, span)


def azure_login_step(inputs: dict, scope: Scope, note: Note, name: str,
                     span: Span) -> Workload | None:
    """The workload of one azure/login step (``github_azure_login``)."""
    return github_azure_login.azure_login_step(
        lambda key: _text_input(inputs, key, scope, note), name, span)


StepReader = Callable[[dict, Scope, Note, str, Span], "Workload | None"]
STEP_READERS: tuple[tuple[re.Pattern, str, StepReader], ...] = (
    (ACTION, "configure-aws-credentials", assume_role_step),
    (github_google_auth.ACTION, "google-github-actions/auth", google_auth_step),
    (github_azure_login.ACTION, "azure/login", azure_login_step),
)
"""The actions whose steps authenticate with the job's OIDC token, as messages name them,
and what reads each."""


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _text(value: Any) -> Text | None:
    if isinstance(value, (str, Partial, Unknown)):
        return fill_ins(value)  # an `<ACCOUNT_ID>` left for the user decides nothing
    return None


def _input_text(raw: Any) -> Any:
    """An action input as the action reads it: a YAML number or boolean is its text."""
    if isinstance(raw, (bool, int, float)):
        return Str(text_of(raw))
    return raw


def _text_input(inputs: dict, name: str, scope: Scope, note: Note) -> Text | None:
    raw = _input_text(inputs.get(name))
    if raw is None or raw == "":
        return None  # the action's default applies
    if not isinstance(raw, str):
        note(f"`{name}` is not a string", span_of(raw))
        return None
    return _text(scope.resolve(raw))


def _duration(raw: Any, scope: Scope, note: Note) -> int | Unknown | None:
    if raw is None or raw == "":
        return None
    value = scope.resolve(raw)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Partial):
        return Unknown(str(value), span_of(raw))
    if isinstance(value, str) and _DIGITS.match(value):
        return int(_DIGITS.match(value)[1])
    note("`role-duration-seconds` is not a whole number of seconds", span_of(raw))
    return None


def _flag(raw: Any, scope: Scope) -> bool:
    value = scope.resolve(raw)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def input_defaults(workflow: Workflow) -> dict[str, Any]:
    """The defaults of a reusable workflow's ``on.workflow_call.inputs``."""
    triggers = workflow.triggers
    call = triggers.get("workflow_call") if isinstance(triggers, dict) else None
    return declared_defaults(call.get("inputs") if isinstance(call, dict) else None)


def declared_defaults(declared: Any) -> dict[str, Any]:
    """Input name (lower case) to its ``default``, for the ``inputs`` a reusable workflow or
    an action declares."""
    if not isinstance(declared, dict):
        return {}
    plain = Scope((), None)
    return {name.lower(): plain.resolve(spec["default"]) for name, spec in declared.items()
            if isinstance(name, str) and isinstance(spec, dict) and spec.get("default") is not None}


# -- permissions -----------------------------------------------------------------------------

def job_grant(workflow: Workflow, job: dict, key_span: Span, cap: IdTokenGrant | None,
              note: Note) -> IdTokenGrant:
    """Whether the job's token may request an OIDC token.

    Job-level ``permissions`` replace workflow-level ones; naming any scope sets the others
    to none, and neither default (permissive or restricted) includes ``id-token``:
    https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#permissions
    https://docs.github.com/en/actions/reference/github_token-reference
    A reusable workflow's permissions can only lower its caller's
    (https://docs.github.com/en/actions/reference/workflows-and-actions/reusable-workflows),
    except that a reusable workflow of the caller's own organisation may ask for `id-token:
    write` when the caller declares no permissions; only one of another organisation needs
    the caller to grant it (https://github.blog/changelog/2023-06-15-github-actions-securing-
    openid-connect-oidc-token-permissions-in-reusable-workflows/). Local reusable workflows
    are of the caller's own repository.
    """
    own = None
    for holder in (job, workflow.document):
        block = holder.get("permissions")
        if block is not None:
            own = permission_block(block, _key_span(holder, "permissions"), note)
            break
    if own is None:
        return cap if cap is not None else IdTokenGrant(False, key_span, declared=False)
    if cap is None or not cap.declared:
        return own
    if own.granted is False:
        return own
    if cap.granted is False:
        return cap
    if own.granted and cap.granted:
        return own
    return IdTokenGrant(None, own.span)


def permission_block(block: Any, key_span: Span | None, note: Note) -> IdTokenGrant:
    """What one ``permissions`` block says of ``id-token``; the span is its key's."""
    span = key_span or span_of(block)
    if isinstance(block, str):
        if block.strip() == "write-all":
            return IdTokenGrant(True, span)
        if block.strip() == "read-all":  # id-token has no read level that issues tokens
            return IdTokenGrant(False, span)
        note(f"`permissions: {block}` is neither read-all, write-all nor a mapping", span)
        return IdTokenGrant(None, span)
    if isinstance(block, dict):
        key = lookup(block, "id-token")
        value = block.get(key) if key is not None else None
        if value is not None and not isinstance(value, str):
            note("`id-token` permission is neither write, read nor none; read as not write",
                 span_of(value) or span)
        return IdTokenGrant(isinstance(value, str) and value.strip() == "write", span)
    note("`permissions` is neither read-all, write-all nor a mapping", span)
    return IdTokenGrant(None, span)


def _key_span(mapping: dict, name: str) -> Span | None:
    return next((span_of(k) for k in mapping if isinstance(k, str) and k == name), None)


# -- token contexts --------------------------------------------------------------------------

def event_names(triggers: Any) -> list[str]:
    return [str(name) for name, _, _ in _events(triggers)]


def _events(triggers: Any) -> list[tuple[str, Any, Span | None]]:
    """(event, its configuration, where it is written) of a workflow's ``on``."""
    if isinstance(triggers, str):
        return [(triggers, None, span_of(triggers))]
    if isinstance(triggers, list):
        return [(e, None, span_of(e)) for e in triggers if isinstance(e, str)]
    if isinstance(triggers, dict):
        return [(e, config, span_of(e)) for e, config in triggers.items() if isinstance(e, str)]
    return []


def trigger_contexts(triggers: Any, default_branch: str | None,
                     note: Note) -> list[TokenContext]:
    """One context per ref (or pull request) each trigger of ``on`` runs the job for."""
    if not isinstance(triggers, (str, list, dict)):
        note("`on` is missing or is neither an event, a list nor a mapping", span_of(triggers))
        return []
    contexts: dict[tuple[str, str], TokenContext] = {}
    for event, config, span in _events(triggers):
        span = span or span_of(triggers)
        for context in _event_contexts(str(event), config, span, default_branch, note):
            context.event = str(event)
            contexts.setdefault((context.label, str(context.subject)), context)
    return list(contexts.values())


def _event_contexts(event: str, config: Any, span: Span | None,
                    default_branch: str | None, note: Note) -> list[TokenContext]:
    if event == "schedule" and isinstance(config, list):
        config = None  # the documented form: a list of `cron` entries
    if config is not None and not isinstance(config, dict):
        note(f"`on.{event}` is not a mapping; read as the event without filters",
             span_of(config) or span)
    config = config if isinstance(config, dict) else {}
    if event == "workflow_call":
        return []  # the caller's contexts apply
    if event == "pull_request":
        # Whatever the branch filters:
        # https://docs.github.com/en/actions/reference/security/oidc#filtering-for-pull_request-events
        return [TokenContext("pull_request", "pull_request", span=span,
                             claims={"ref": "refs/pull/*/merge"})]
    if event == "push":
        return _push_contexts(config, span, note)
    if event == "pull_request_target":
        # Runs on the pull request's base branch, so the subject names that branch.
        if "branches" in config:
            return [_ref_context(f"pull_request_target into {f}", "refs/heads/", f, span)
                    for f in _positive_filters(config["branches"], note)]
        return [_ref_context("pull_request_target into any branch", "refs/heads/", "*", span,
                             pattern=True)]
    if event == "workflow_dispatch":
        # Run on the branch or the tag the person dispatching picks (`GITHUB_REF`: "Branch or
        # tag that received dispatch"); read as any branch, a tag being the rarer pick:
        # https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#workflow_dispatch
        return [replace(_ref_context("workflow_dispatch on any branch", "refs/heads/", "*",
                                     span, pattern=True),
                        instead=_ref_context("workflow_dispatch on any tag", "refs/tags/", "*",
                                             span, pattern=True))]
    if event == "release":
        return [_ref_context("release (any tag)", "refs/tags/", "*", span, pattern=True)]
    if event == "merge_group":
        return [_ref_context("merge_group", "refs/heads/", "gh-readonly-queue/*", span,
                             pattern=True)]
    if event in DEFAULT_BRANCH_EVENTS:
        if default_branch:
            return [_ref_context(f"{event} on {default_branch} (default branch)",
                                 "refs/heads/", default_branch, span)]
        return [_ref_context(f"{event} (default branch unknown)", "refs/heads/", "*", span,
                             pattern=True)]
    return [_ref_context(event, "refs/", "*", span, pattern=True)]


def _push_contexts(config: dict, span: Span | None, note: Note) -> list[TokenContext]:
    # Filtering only branches (or only tags) leaves the other kind of ref out:
    # https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#onpushbranchestagsbranches-ignoretags-ignore
    on_branches = "branches" in config or "branches-ignore" in config
    on_tags = "tags" in config or "tags-ignore" in config
    if not on_branches and not on_tags:
        return [_ref_context("push to any branch or tag", "refs/", "*", span, pattern=True,
                             every_ref=True)]
    contexts = []
    for kind, prefix, label in (("branches", "refs/heads/", "push to"),
                                ("tags", "refs/tags/", "push of tag")):
        if kind in config:
            contexts += [_ref_context(f"{label} {f}", prefix, f, span, every_ref=True)
                         for f in _positive_filters(config[kind], note)]
        elif f"{kind}-ignore" in config:
            anything = "any branch" if kind == "branches" else "any tag"
            contexts.append(_ref_context(f"{label} {anything}", prefix, "*", span, pattern=True,
                                         every_ref=True))
    return contexts


def _positive_filters(filters: Any, note: Note) -> list[Str]:
    """Branch or tag filters that admit refs; ``!`` ones only exclude (over-approximated)."""
    if not isinstance(filters, list):
        filters = [filters]
    # A number (`branches: [2024]`) is the name as written: where the workflow schema wants
    # a string, GitHub reads the scalar's text.
    names = [f if isinstance(f, str) else Str(text_of(f), span_of(filters))
             for f in filters if isinstance(f, (str, int, float)) and not isinstance(f, bool)]
    for odd in (f for f in filters if f is not None and not isinstance(f, (str, int, float))
                or isinstance(f, bool)):
        note("a branch or tag filter is neither a name nor a list of names; not read",
             span_of(odd) or span_of(filters))
    return [f for f in names if f and not f.startswith("!")]


def _ref_context(label: str, prefix: str, ref_filter: str, span: Span | None, *,
                 pattern: bool = False, every_ref: bool = False) -> TokenContext:
    glob, is_glob = (ref_filter, True) if pattern else filter_glob(ref_filter)
    ref = prefix + glob
    return TokenContext(label=label, subject=f"ref:{encode(ref)}", pattern=is_glob,
                        span=span_of(ref_filter) or span, claims={"ref": ref},
                        every_ref=every_ref and is_glob)


def filter_glob(ref_filter: str) -> tuple[str, bool]:
    """A branch or tag filter as an IAM glob, and whether it is one.

    GitHub's ``*`` stops at ``/`` and ``**`` does not; IAM's ``*`` crosses ``/``, so both
    become ``*``. ``x?`` and ``x+`` (zero-or-one, one-or-more of ``x``) and ``[...]``
    classes are widened to ``*`` and ``?``: the glob admits at least what the filter does.
    https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#filter-pattern-cheat-sheet
    """
    out: list[str] = []
    is_glob = False
    index = 0
    last_close = ref_filter.rfind("]")  # so a `[` with no `]` after it costs no search
    while index < len(ref_filter):
        char = ref_filter[index]
        index += 1
        if char == "\\" and index < len(ref_filter):
            out.append(ref_filter[index])
            index += 1
            continue
        if char in "*?+":
            if char == "?" and out:
                out.pop()
            if not out or out[-1] != "*":
                out.append("*")
            is_glob = True
        elif char == "[" and last_close >= index:
            index = ref_filter.index("]", index) + 1
            out.append("?")
            is_glob = True
        else:
            out.append(char)
    return "".join(out), is_glob
