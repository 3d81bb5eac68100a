"""Which files can contribute to a finding, decided from their text alone, before parsing.

Parsing is most of the cost of a scan (python-hcl2 reads about 0.3 MB/s), and in a large
tree only a few modules deal with web identity. A Terraform folder is parsed when it, or a
module it calls or is called by (transitively), mentions web identity or what links to it:

- OIDC providers, ``Federated`` principals, ``AssumeRoleWithWebIdentity``, EKS clusters,
  Kubernetes ServiceAccounts, ``oidc`` in any spelling, in the folder's files or in a file
  they read with ``file()`` or ``templatefile()`` (a ``trust.json.tpl``, whatever its name);
- a registry module with a built-in model (``terraform-aws-modules/iam``, ``oidc-github``);
- an IAM role or policy, or a module call, together with a role name that a workload (a
  workflow, a GitLab CI job, a manifest) names.

Every folder of a kept folder's module tree is kept, so evaluation sees the same inputs as a
full scan. CloudFormation templates, plans and standalone policy files follow the same
markers; workflows, GitLab CI files, manifests and kustomizations are always read (they are
small, and they say which roles matter); shell scripts and Makefiles only when they give a
role the trust policy of a file (``aws iam create-role --assume-role-policy-document``). A test runs every fixture and sample stack with and without the prefilter and
requires the same report.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection

from oidclint.dependencies import digest, note_read
from oidclint.file_index import FileIndex, Known, signature
from oidclint.hcl.registry import is_trust_input, known_module, web_identity_hint
from oidclint.hcl.sources import files_read, local_folder, module_sources
from oidclint.markers import WEB_IDENTITY, mentions
from oidclint.readers import is_action
from oidclint.readers.helm import is_helmfile
from oidclint.readers.terragrunt.sources import is_stack_file, is_unit_file, written_sources
from oidclint.readers.workloads.ci_pipelines import pipeline_kind
from oidclint.reading import read_text
from oidclint.source import SourceFile

if TYPE_CHECKING:
    from oidclint.pool import Pool

SCRIPT_MARKERS = ("assume-role-policy-document", "update-assume-role-policy",
                  "put-role-policy", "attach-role-policy", "create-policy")
"""What a shell script or Makefile must mention to matter (``readers.policies.iam_cli.MARKERS``)."""
VALUES_SOURCES = ("ConfigMap", "Secret", "configMapGenerator", "secretGenerator")
"""What a file that may define the values of a Flux ``valuesFrom`` mentions."""
_IAM = ("aws_iam_", "aws::iam::", "aws::serverless::")
_ROLE_NAME = re.compile(
    r"arn:aws[\w-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)"
    r"|role-to-assume:\s*['\"]?([\w+=,.@-]+)['\"]?\s*$"
    r"|eks\.amazonaws\.com/role-arn:\s*['\"]?(?:arn:[^\s'\"]*/)?([\w+=,.@-]+)", re.M)


@dataclass
class Selection:
    keep: list[SourceFile] = field(default_factory=list)
    skipped: list[SourceFile] = field(default_factory=list)


@dataclass(frozen=True)
class Facts:
    """What the prefilter needs of a file, so its text need not be held."""

    web_identity: bool
    iam: bool
    sources: tuple[str, ...] = ()
    """``source`` of the module calls of a Terraform file."""
    names: tuple[str, ...] = ()
    """Role names the file names literally (workflows, manifests, Kubernetes resources)."""
    directives: bool = False
    """The file holds ``oidclint:`` comments (suppressions are checked in every file)."""
    reads: tuple[str, ...] = ()
    """Files a Terraform file reads (``file()``, ``templatefile()``), as globs relative to
    its folder (``oidclint.hcl.sources.files_read``)."""
    values_from: bool = False
    """A Flux HelmRelease of the file may take values from ConfigMaps and Secrets."""
    value_files: bool = False
    """An Argo CD Application of the file may name values files, or install a chart of the
    tree whose own ``values.yaml`` sets its ServiceAccount."""
    values_source: bool = False
    """The file may define a ConfigMap or Secret (a manifest, a kustomize generator)."""
    trust_inputs: tuple[str, ...] = ()
    """Arguments of a Terraform file with module calls whose names suggest web identity
    trust (``subjects``, ``oidc_providers`` ...: ``oidclint.hcl.registry.web_identity_hint``):
    a module it calls that is not read gets a note."""


class Prefilter:
    """Sees every file as discovery reads it, keeps its facts and drops the text of files
    that may not matter, so a large tree is never held in memory at once; ``select`` then
    decides and reads back the texts it needs.

    With an ``index`` (``oidclint.file_index``), a file unchanged since the last scan is not
    read at all: its facts and content hash come from the index."""

    def __init__(self, read: Callable[[SourceFile], str] | None = None,
                 index: FileIndex | None = None, root: Path | None = None) -> None:
        self.facts: dict[str, Facts] = {}
        self.digests: dict[str, str] = {}
        """Content hash of every file seen."""
        self.dropped: set[str] = set()
        """Files whose text was let go after their facts were taken."""
        self.read = read or (lambda file: read_text(file.absolute))
        """Reads a file's text again; raises ``OSError`` or ``ValueError``."""
        self.problems: list[tuple[str, str]] = []
        """Files that could not be read again: (path, reason)."""
        self.index = index
        self._known: dict[str, Known] = {}
        self.names: set[str] = set()
        """Role names that workloads name literally, in the files seen so far."""
        self._checked: dict[str, tuple[frozenset[str], bool]] = {}
        self.root = root.resolve() if root is not None else None
        """The scan root: files read through ``file()`` are looked at only inside it."""
        self._templates: dict[str, bool] = {}
        """Root-relative glob -> whether a file it names mentions web identity."""

    def known(self, file: SourceFile, info: os.stat_result) -> SourceFile | None:
        """``file`` (not read yet) without its text when the index knows it unchanged and its
        text is not needed; ``None`` when discovery must read it."""
        known = self.index.lookup(file.path, info) if self.index is not None else None
        if known is None or _keeps_text(file, known.facts):
            return None
        self.facts[file.path] = known.facts
        self.names.update(known.facts.names)
        self.digests[file.path] = known.digest
        self._known[file.path] = known
        self.dropped.add(file.path)
        return file

    def observe(self, file: SourceFile, info: os.stat_result | None = None) -> SourceFile:
        lowered = file.text.lower()
        names = tuple(sorted(_role_names(file.text))) if (
            file.kind == "structured" or "kubernetes_service_account" in file.text) else ()
        terraform = file.kind == "terraform"
        # A script matters only when it gives a role the trust policy of a file.
        markers = SCRIPT_MARKERS if file.kind == "script" else WEB_IDENTITY
        sources = tuple(module_sources(file.text)) if terraform else \
            _unit_sources(file) if file.kind == "terragrunt" else ()
        structured = file.kind == "structured"
        facts = Facts(mentions(lowered, markers),
                      file.kind != "script" and mentions(lowered, _IAM),
                      sources, names, "oidclint:" in file.text,
                      tuple(files_read(file.text)) if terraform else (),
                      structured and "valuesFrom" in file.text,
                      structured and _names_values_files(file.text),
                      structured and mentions(file.text, VALUES_SOURCES),
                      # Only a module whose code may not be in the tree can need the note.
                      _trust_inputs(file.text) if terraform and any(
                          not s.startswith(("./", "../")) for s in sources) else ())
        self.facts[file.path] = facts
        self.digests[file.path] = digest(file.text)
        if (facts.iam or facts.sources) and not facts.web_identity and self.names:
            # Checked now, while the text is at hand, against the role names seen so far
            # (discovery reads workflows and manifests first); ``_matters`` reads the file
            # again only for a name found later.
            checked = frozenset(self.names)
            self._checked[file.path] = checked, _names_one_of(file.text, checked)
        self.names.update(names)
        if self.index is not None and info is not None:
            known = Known(signature(info), self.digests[file.path], facts)
            self._known[file.path] = known
            self.index.record(file.path, known)
        if _keeps_text(file, facts):
            return file
        self.dropped.add(file.path)
        return replace(file, text="")

    def shared(self, pool: "Pool", meanwhile: Callable[[], object] | None = None):
        """A ``discover`` delegate that has the ``pool``'s workers read and classify the
        Terraform files of a large tree (this process has read the YAML and JSON ones, so the
        role names are known), and takes in what they learnt; ``meanwhile`` is called while
        they work."""
        def delegate(candidates: list, root: Path, max_bytes: int) -> list | None:
            if pool.workers <= 1 or len(candidates) < SHARE_MIN_FILES:
                return None
            names = frozenset(self.names)
            waiting = pool.submit(classify, [ShareTask(chunk, root, max_bytes, names)
                                             for chunk in pool.split(candidates)])
            if meanwhile is not None:
                meanwhile()
            results = waiting()
            for result in results:
                self.facts.update(result.facts)
                self.digests.update(result.digests)
                self.dropped |= result.dropped
                self._checked.update(result.checked)
                for path, known in result.known.items():
                    self._known[path] = known
                    if self.index is not None:
                        self.index.record(path, known)
                    self.names.update(known.facts.names)
            return [(result.files, result.diagnostics) for result in results]
        return delegate

    def select(self, files: list[SourceFile]) -> Selection:
        """The files worth parsing (``restore`` reads back the texts let go); the rest
        cannot change findings."""
        for file in files:
            if file.path not in self.facts:
                self.observe(file)
        names = set(self.names)
        names_key = digest("\n".join(sorted(names)))
        matters = {file.path: self._matters(file, names, names_key) for file in files}
        folders: dict[str, list[SourceFile]] = {}
        for file in files:
            if file.kind in ("terraform", "tfvars") or is_unit_file(file.path):
                folders.setdefault(posixpath.dirname(file.path) or ".", []).append(file)
        kept_folders = self._terraform_folders(folders, matters)
        # The ConfigMaps and Secrets a HelmRelease may take values from are read when one does.
        values_from = any(self.facts[file.path].values_from for file in files)
        selection = Selection()
        for file in files:
            if file.kind in ("terraform", "tfvars"):
                wanted = (posixpath.dirname(file.path) or ".") in kept_folders
            elif file.kind == "terragrunt":
                # A unit whose module is not known from its text may deploy any; the files
                # units include are read when a unit is (``oidclint.readers.terragrunt``).
                folder = posixpath.dirname(file.path) or "."
                wanted = is_stack_file(file.path) or is_unit_file(file.path) and (
                    folder in kept_folders or any(local_folder(folder, source) not in folders
                                                  for source in self.facts[file.path].sources))
            else:
                facts = self.facts[file.path]
                # A release may name what sets its ServiceAccount in another file.
                wanted = matters[file.path] or _always_read(file.path) or facts.values_from \
                    or facts.value_files or values_from and facts.values_source
            (selection.keep if wanted else selection.skipped).append(file)
        return selection

    def restore(self, files: list[SourceFile]) -> list[SourceFile]:
        """``files`` with the texts that were let go read back (a file that can no longer be
        read is left out, and noted in ``problems``)."""
        restored = []
        for file in files:
            if not file.text and file.path in self.dropped:
                text = self.text_of(file)
                if text is None:
                    continue
                file = replace(file, text=text)
            restored.append(file)
        return restored

    def _matters(self, file: SourceFile, names: set[str], names_key: str) -> bool:
        facts = self.facts[file.path]
        if facts.web_identity or facts.reads and self._reads_web_identity(file, facts.reads):
            return True
        # A module call may create a role too (one whose code the scan cannot read).
        if not ((facts.iam or facts.sources) and names):
            return False
        known = self._known.get(file.path)
        if known is not None and known.names is not None and known.names[0] == names_key:
            return known.names[1]
        checked, found = self._checked.get(file.path, (frozenset(), False))
        if not found and names - checked:
            text = file.text or (self.text_of(file) if file.path in self.dropped else "") or ""
            found = _names_one_of(text, names - checked)
        if known is not None and self.index is not None:
            self._known[file.path] = replace(known, names=(names_key, found))
            self.index.record(file.path, self._known[file.path])
        return found

    def _reads_web_identity(self, file: SourceFile, reads: tuple[str, ...]) -> bool:
        """Whether a file the Terraform file reads (a template of a trust policy) mentions
        web identity. Read here each scan, not indexed: the template may change alone."""
        if self.root is None:
            return False
        folder = posixpath.dirname(file.path)
        for pattern in reads:
            relative = posixpath.normpath(posixpath.join(folder, pattern))
            if relative == ".." or relative.startswith("../") or posixpath.isabs(relative):
                continue  # outside the scanned tree: never read
            if relative not in self._templates:
                self._templates[relative] = self._mentions_web_identity(relative)
            if self._templates[relative]:
                return True
        return False

    def _mentions_web_identity(self, relative: str) -> bool:
        assert self.root is not None
        try:
            targets = sorted(self.root.glob(relative))[:MAX_TEMPLATES] if "*" in relative \
                else [self.root / relative]
        except (OSError, ValueError):
            return False
        for target in targets:
            try:
                text = read_text(target, root=self.root, limit=MAX_TEMPLATE_BYTES)
            except (OSError, ValueError):
                continue  # evaluation reports what it cannot read
            if mentions(text.lower(), WEB_IDENTITY):
                return True
        return False

    def text_of(self, file: SourceFile) -> str | None:
        """A dropped text read back; ``None`` (and a problem noted) if that now fails."""
        try:
            return self.read(file)
        except (OSError, ValueError) as exc:
            self.problems.append((file.path, f"changed while being scanned; not read ({exc})"))
            return None

    def _terraform_folders(self, folders: dict[str, list[SourceFile]],
                           matters: dict[str, bool]) -> set[str]:
        """Folders that matter, the modules that call them (up to the roots, which evaluate
        them) and everything those call (whose outputs they may use)."""
        calls: dict[str, set[str]] = {}
        callers: dict[str, set[str]] = {}
        relevant = set()
        for folder, members in folders.items():
            for file in members:
                if matters[file.path]:
                    relevant.add(folder)
                for source in self.facts[file.path].sources:
                    target = local_folder(folder, source)
                    if target is not None:
                        calls.setdefault(folder, set()).add(target)
                        callers.setdefault(target, set()).add(folder)
                    elif "/iam/" in source.lower() or known_module(source) \
                            or web_identity_hint(
                                source, self.facts[file.path].trust_inputs) is not None:
                        # A model to evaluate, or a note to give on a module not read.
                        relevant.add(folder)
        return _reach(_reach(relevant, callers), calls)


_ARGUMENT = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=(?!=)", re.MULTILINE)


def _names_values_files(text: str) -> bool:
    """Whether an Argo CD Application may take values from other files of the tree: its
    ``valueFiles``, or the ``values.yaml`` of a chart folder (a Helm source with a ``path``)."""
    return "valueFiles" in text or "argoproj.io" in text and "helm" in text and "path:" in text


def _trust_inputs(text: str) -> tuple[str, ...]:
    """The argument names of a file (of any block: the prefilter keeps more rather than
    less) that suggest a module call creates web identity trust."""
    return tuple(sorted(name for name in set(_ARGUMENT.findall(text)) if is_trust_input(name)))


_NOT_WRITTEN = ("",)
"""The sources of a unit whose module folder cannot be read from its text (no folder the
scan holds: the unit is read, as one deploying code outside it is, to say what it finds)."""


def _unit_sources(file: SourceFile) -> tuple[str, ...]:
    """The module folders a ``terragrunt.hcl`` deploys, as its text names them
    (``_NOT_WRITTEN`` when it does not); other Terragrunt files deploy nothing."""
    if not is_unit_file(file.path):
        return ()
    found = written_sources(file.text, posixpath.dirname(file.path) or ".")
    return _NOT_WRITTEN if found is None else tuple(found)


MAX_TEMPLATES = 50
"""Files one ``file("${path.module}/${var.x}.json")`` glob may name that are looked at."""
MAX_TEMPLATE_BYTES = 1_000_000
"""As ``file()`` reads at most (``oidclint.hcl.module.MAX_FILE_BYTES``)."""

SHARE_MIN_FILES = 1000
"""Terraform files below which reading them in workers costs more than it saves."""


@dataclass
class ShareTask:
    """Terraform files a worker reads and classifies, knowing the role names read so far."""

    candidates: list
    root: Path
    max_bytes: int
    names: frozenset[str]


@dataclass
class ShareResult:
    """What a worker found: the files (texts let go where they cannot matter), what could
    not be read, and its prefilter's facts, hashes and index entries."""

    files: list[SourceFile]
    diagnostics: list
    facts: dict[str, Facts]
    digests: dict[str, str]
    dropped: set[str]
    checked: dict[str, tuple[frozenset[str], bool]]
    known: dict[str, Known]


def classify(task: ShareTask) -> ShareResult:
    """Reads and classifies files in a worker, as ``Prefilter.observe`` does here."""
    from oidclint.discovery import Discovery, read_candidates

    sieve = Prefilter(index=FileIndex(), root=task.root)
    sieve.names = set(task.names)
    found = Discovery(task.root)
    read_candidates(task.candidates, task.root, task.max_bytes, found, set(), sieve.observe)
    assert sieve.index is not None
    return ShareResult(found.files, found.diagnostics, sieve.facts, sieve.digests,
                       sieve.dropped, sieve._checked, sieve.index.updated)


class Restoring(dict):
    """Files by path whose dropped texts are read back on access (a GitLab include may name
    any YAML file of the tree)."""

    def __init__(self, files: list[SourceFile], prefilter: Prefilter) -> None:
        super().__init__((f.path, f) for f in files)
        self.prefilter = prefilter

    def __getitem__(self, path: str) -> SourceFile:
        file = super().__getitem__(path)
        note_read(file.absolute)  # a GitLab include the prefilter skipped: a dependency
        if not file.text and path in self.prefilter.dropped:
            text = self.prefilter.text_of(file)
            file = replace(file, text=text or "")
            super().__setitem__(path, file)
        return file

    def get(self, path, default=None):
        return self[path] if path in self else default


def select(files: list[SourceFile]) -> Selection:
    """The files worth parsing among files read whole (see ``Prefilter`` for streaming)."""
    return Prefilter().select(files)


def _keeps_text(file: SourceFile, facts: Facts) -> bool:
    """Texts parsed whatever the selection decides (workflows, GitLab CI files, web identity
    YAML and JSON), and those with suppression comments."""
    return file.kind == "structured" and (facts.web_identity or _always_read(file.path)) \
        or facts.directives


def _always_read(path: str) -> bool:
    """Workflows, the actions their steps may use, GitLab CI files, other CI pipelines
    (CircleCI, Buildkite, Bitbucket), kustomizations and helmfiles: small, and they say what
    matters."""
    name = posixpath.basename(path)
    return "/.github/workflows/" in f"/{path}" or is_action(path) or name in (
        ".gitlab-ci.yml", "kustomization.yaml", "kustomization.yml") or \
        pipeline_kind(path) is not None or is_helmfile(path)


def _reach(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    reached, stack = set(), list(start)
    while stack:
        folder = stack.pop()
        if folder not in reached:
            reached.add(folder)
            stack.extend(edges.get(folder, ()))
    return reached


_NOT_NAME = str.maketrans({c: " " for c in map(chr, range(128))
                           if not (c.isalnum() or c in "_+=,.@-")})
"""Every ASCII character that cannot be part of an IAM role name
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), as a space."""


def _names_one_of(text: str, names: Collection[str]) -> bool:
    """The text names one of ``names`` as a whole word of role-name characters. One pass
    over the text in C (translate, split), whatever the number of names: a substring search
    per name made the files of a 5,000-module tree take seconds."""
    return bool(names) and not set(names).isdisjoint(text.translate(_NOT_NAME).split())


def _role_names(text: str) -> set[str]:
    """Role names a workload names literally (in an ARN or as a bare name)."""
    names = set()
    for match in _ROLE_NAME.finditer(text):
        name = next((g for g in match.groups() if g), None)
        if name and "$" not in name and "{" not in name:
            names.add(name)
    return names
