"""Find the files of a scan, read them safely, and say why any could not be read.

Nothing is executed and nothing is written. Symbolic links, to files and to folders, are
followed while they stay inside the scan root, into dot folders too; a link out of it is
reported and not followed, and a folder is entered once whatever the links to it, so link
loops end. A file reached under several names is read once, under its own name when the scan
reaches it without a link, else under the first (in path order) of the links that lead to
it. Every file is read through ``oidclint.reading``: FIFOs, devices and sockets are never
opened (reading one could block forever), and at most the size limit is read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from oidclint.model import Diagnostic, Level
from oidclint.reading import (
    BROKEN_LINK, MAX_FILE_BYTES, OUTSIDE, Refused, decode, inside, read_located, too_large,
)
from oidclint.source import SourceFile

Observer = Callable[[SourceFile, os.stat_result], "SourceFile | None"]

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".terraform", ".terragrunt-cache",
})
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
VARIABLES_SUFFIXES = (".tfvars", ".tfvars.json")
STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TERRAGRUNT_SUFFIX = ".hcl"
"""Terragrunt configuration: ``terragrunt.hcl`` units and the files they include or read
(``root.hcl``, ``env.hcl`` ...)."""
OTHER_HCL_SUFFIXES = (".lock.hcl", ".pkr.hcl", ".nomad.hcl")
"""HCL files of other tools (Terraform's dependency lock file, Packer, Nomad)."""
SCRIPT_SUFFIXES = (".sh", ".bash", ".mk")
SCRIPT_NAMES = ("makefile", "gnumakefile")
"""Shell scripts and Makefiles: read for the ``aws iam create-role`` commands that give a
role the trust policy of a file (the prefilter keeps only those that mention one)."""


def kind_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(TERRAFORM_SUFFIXES):
        return "terraform"
    if lower.endswith(VARIABLES_SUFFIXES):
        return "tfvars"
    if lower.endswith(STRUCTURED_SUFFIXES):
        return "structured"
    if lower.endswith(TERRAGRUNT_SUFFIX) and not lower.endswith(OTHER_HCL_SUFFIXES):
        return "terragrunt"
    if lower.endswith(SCRIPT_SUFFIXES) or lower in SCRIPT_NAMES:
        return "script"
    return None


@dataclass(slots=True)
class Discovery:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def find_root(paths: list[Path]) -> Path:
    """The folder paths in reports are relative to: the enclosing git work tree when there is
    one (code scanning wants repository-relative paths), else the scanned folder."""
    first = paths[0].resolve()
    start = first if first.is_dir() else first.parent
    common = Path(os.path.commonpath([str(p.resolve()) for p in paths])) if len(paths) > 1 else start
    if not common.is_dir():
        common = common.parent
    for candidate in (common, *common.parents):
        if (candidate / ".git").exists():
            return candidate
    return common


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


Excluded = Callable[..., bool]
"""Whether a path (``is_dir`` for a folder) is left out of the scan: an ``Exclusion``, or
one that also leaves out oidclint's own files."""


class Exclusion:
    """gitignore-style patterns (the configuration's ``exclude``), relative to ``base``.
    ``excluded`` keeps the files they left out that would have been read, so a scan can say
    how many (the patterns may come from a pull request)."""

    def __init__(self, patterns: list[str], base: Path) -> None:
        import pathspec

        self.base = base.resolve()
        self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)
        self.excluded: set[str] = set()

    def __call__(self, path: Path, is_dir: bool = False) -> bool:
        try:  # abspath folds `..` (a scan of ../infra) without following symbolic links
            name = Path(os.path.abspath(path)).relative_to(self.base).as_posix()
        except ValueError:
            try:
                name = path.resolve().relative_to(self.base).as_posix()
            except (ValueError, OSError):
                return False
        if name == "." or not self.spec.match_file(name + "/" if is_dir else name):
            return False
        self._count(path, is_dir)
        return True

    def _count(self, path: Path, is_dir: bool) -> None:
        """The files of a kind oidclint reads at ``path``, or under it (a listing, no read)."""
        if not is_dir:
            if kind_of(path.name):
                self.excluded.add(os.path.abspath(path))
            return
        for folder, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
            self.excluded.update(os.path.abspath(os.path.join(folder, name))
                                 for name in names if kind_of(name))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to read, as the walk reached it."""

    path: str
    """The path it was reached by (through any links)."""
    target: str | None
    """Its real path; ``None`` until a link, or a path given, is resolved."""
    link: bool = False
    """The file itself is a symbolic link."""
    direct: bool = True
    """Reached without following a link: its own name."""


Delegate = Callable[[list[Candidate], Path, int],
                    "list[tuple[list[SourceFile], list[Diagnostic]]] | None"]


def discover(paths: list[Path], root: Path | None = None, max_bytes: int | None = None,
             exclude: Excluded | None = None, observe: Observer | None = None,
             known: Observer | None = None, delegate: Delegate | None = None,
             confined: bool = True) -> Discovery:
    """Every file under ``paths`` that oidclint reads, decoded. ``observe`` sees each file
    as it is read and returns what to keep of it (the prefilter lets texts go); ``known``
    sees each file before it is read, without its text, and returns it when it need not be
    read (an index knows it unchanged). ``delegate`` may read the Terraform files elsewhere
    (worker processes), returning what they found, or ``None`` to leave them here. A path
    given that is a link may lead outside the root only when not ``confined`` (files the
    user names, such as ``--var-file``)."""
    root = (root or find_root(paths)).resolve()
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    found = Discovery(root)
    candidates = _one_name_each(_walk(paths, found, exclude), found, confined)
    # YAML and JSON first: workflows and manifests name the roles that make a Terraform
    # file matter, and the prefilter checks each file while its text is at hand.
    structured = [c for c in candidates if kind_of(os.path.basename(c.path)) == "structured"]
    rest = [c for c in candidates if kind_of(os.path.basename(c.path)) != "structured"]
    seen: set[str] = set()
    read_candidates(structured, root, max_bytes, found, seen, observe, known)
    shared = delegate(rest, root, max_bytes) if delegate is not None and rest else None
    if shared is None:
        read_candidates(rest, root, max_bytes, found, seen, observe, known)
    else:
        for files, diagnostics in shared:
            found.files.extend(files)
            found.diagnostics.extend(diagnostics)
    found.files.sort(key=lambda f: f.path)
    found.diagnostics.sort(key=lambda d: d.path)
    return found


def read_candidates(candidates: list[Candidate], root: Path, max_bytes: int,
                    found: Discovery, seen: set[str], observe: Observer | None = None,
                    known: Observer | None = None) -> None:
    """Each candidate read into ``found`` (``seen``: the real paths read so far)."""
    for candidate in candidates:
        _read(candidate, root, max_bytes, found, seen, observe, known)


# -- the walk ----------------------------------------------------------------------------

class _Walk:
    """The folders of a scan, each entered once: first every path given, without following
    folder links, then the links met, in path order, while they lead to folders inside the
    root not entered yet."""

    def __init__(self, found: Discovery, exclude: Excluded | None) -> None:
        self.found = found
        self.root = found.root
        self.exclude = exclude
        self.entered: set[str] = set()
        """Real paths of the folders entered."""
        self.links: list[tuple[str, str]] = []
        """Folder links met and not yet followed: (path, real folder holding the link)."""

    def given(self, path: Path) -> Iterator[Candidate]:
        if path.is_dir():
            try:
                real = str(path.resolve(strict=True))
            except (OSError, RuntimeError):
                real = os.path.abspath(path)
            # A folder given is walked by its real path: what is found there is shown by
            # its own name, even when the folder was named through a link.
            yield from self.folder(real, direct=True)
        elif path.is_symlink() or path.exists():
            if self.exclude is None or not self.exclude(path):
                yield Candidate(str(path), None, link=path.is_symlink())
        else:
            self.found.diagnostics.append(Diagnostic(
                relative(Path(os.path.abspath(path)), self.root), "no such file or directory",
                Level.ERROR))

    def followed(self) -> Iterator[Candidate]:
        while self.links:
            pending, self.links = sorted(self.links), []
            for link, holder in pending:
                target = self._target(link, holder)
                if target is not None:
                    yield from self.folder(link, direct=False, real=target)

    def folder(self, top: str, direct: bool, real: str | None = None) -> Iterator[Candidate]:
        """The candidates under ``top`` (a real folder, or a link to ``real``)."""
        real = top if real is None else real
        if real in self.entered:
            return
        self.entered.add(real)
        stack = [(top, real)]
        while stack:
            folder, real_folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as error:
                self.found.diagnostics.append(Diagnostic(
                    self.shown(error.filename or folder),
                    f"cannot read directory: {error.strerror}"))
                continue
            below = []
            for entry in entries:
                name, path = entry.name, os.path.join(folder, entry.name)
                try:
                    link = entry.is_symlink()
                    is_folder = entry.is_dir()
                except OSError:  # a link loop: not a folder
                    link, is_folder = True, False
                if is_folder:
                    if name in SKIPPED_DIRS or self.excluded(path, is_dir=True):
                        continue
                    if link:
                        self.links.append((path, real_folder))
                    elif (inner := os.path.join(real_folder, name)) not in self.entered:
                        self.entered.add(inner)
                        below.append((path, inner))
                elif kind_of(name) and not self.excluded(path):
                    yield Candidate(path, None if link else os.path.join(real_folder, name),
                                    link=link, direct=direct and not link)
            stack.extend(reversed(below))

    def _target(self, link: str, holder: str) -> str | None:
        """The real folder a folder link leads to, when it is to be followed."""
        shown = self.shown(link)
        try:
            target = os.path.realpath(link, strict=True)
        except (OSError, RuntimeError):
            self.note(shown, "broken or looping symbolic link; not followed")
            return None
        if not inside(target, self.root):
            self.note(shown, "symbolic link to a folder outside the scanned tree; not followed")
            return None
        if inside(holder, Path(target)):
            self.note(shown, "symbolic link to a folder that holds it (a loop); not followed")
            return None
        within = os.path.relpath(target, self.root).split(os.sep)
        if SKIPPED_DIRS.intersection(within) or self.excluded(target, is_dir=True):
            return None  # where the scan does not look, it does not look through links either
        return None if target in self.entered else target

    def excluded(self, path: str, is_dir: bool = False) -> bool:
        return self.exclude is not None and self.exclude(Path(path), is_dir=is_dir)

    def shown(self, path: str) -> str:
        return _shown(os.path.abspath(path), self.root)

    def note(self, shown: str, message: str) -> None:
        self.found.diagnostics.append(Diagnostic(shown, message, Level.NOTE))


def _walk(paths: list[Path], found: Discovery,
          exclude: Excluded | None = None) -> list[Candidate]:
    walk = _Walk(found, exclude)
    candidates = [c for path in paths for c in walk.given(path)]
    candidates.extend(walk.followed())
    return candidates


def _one_name_each(candidates: list[Candidate], found: Discovery,
                   confined: bool) -> list[Candidate]:
    """Each real file once, with its real path resolved: under its own name when the scan
    reaches it so, else under the first in path order of the names that lead to it. A file
    link out of the root is reported, not read."""
    chosen: dict[str, tuple[bool, str, int]] = {}
    resolved: list[Candidate | None] = []
    for index, candidate in enumerate(candidates):
        shown = _shown(os.path.abspath(candidate.path), found.root)
        target = candidate.target
        if target is None:
            try:
                target = os.path.realpath(candidate.path, strict=True)
            except (OSError, RuntimeError):
                found.diagnostics.append(Diagnostic(shown, BROKEN_LINK))
                resolved.append(None)
                continue
            if candidate.link and confined and not inside(target, found.root):
                found.diagnostics.append(Diagnostic(shown, OUTSIDE))
                resolved.append(None)
                continue
        resolved.append(Candidate(candidate.path, target, candidate.link, candidate.direct))
        rank = (not candidate.direct, shown, index)
        key = _identity(shown, target)
        if key not in chosen or rank < chosen[key]:
            chosen[key] = rank
    return [c for index, c in enumerate(resolved) if c is not None and chosen[
        _identity(_shown(os.path.abspath(c.path), found.root), c.target)][2] == index]


def _identity(shown: str, target: str) -> str:
    """What one read stands for: the real file, and for a Terraform file the folder its name
    is in too, since Terraform reads a module as its folder's files: a `.tf` file linked into
    several folders (a shared provider or remote state) is a file of each of their modules."""
    folder, _, name = shown.rpartition("/")
    return f"{target}\0{folder}" if kind_of(name) == "terraform" else target


# -- reading -----------------------------------------------------------------------------

def _read(candidate: Candidate, root: Path, max_bytes: int, found: Discovery,
          seen: set[str], observe: Observer | None = None,
          known: Observer | None = None) -> None:
    # abspath folds `..` (a scan of tree/../tree) without following symbolic links, so the
    # shown path never climbs out of the root it is relative to.
    path, target = candidate.path, candidate.target
    shown = _shown(os.path.abspath(path), root)
    kind = kind_of(os.path.basename(path))
    key = _identity(shown, target) if target is not None else None
    if kind is None or key is None or key in seen:
        return
    seen.add(key)
    absolute = Path(target)
    try:
        info = os.stat(target)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file; not read")
        if info.st_size > max_bytes:
            raise too_large(max_bytes, info.st_size)
        if known is not None:
            unread = known(SourceFile(path=shown, absolute=absolute, text="", kind=kind), info)
            if unread is not None:
                found.files.append(unread)
                return
        text = read_file(target, info, max_bytes)
    except OSError as exc:
        found.diagnostics.append(Diagnostic(shown, f"cannot read: {exc.strerror or exc}"))
        return
    except ValueError as exc:
        found.diagnostics.append(Diagnostic(shown, str(exc)))
        return
    file = SourceFile(path=shown, absolute=absolute, text=text, kind=kind)
    found.files.append(observe(file, info) if observe else file)


def read_file(target: str, info: os.stat_result, max_bytes: int) -> str:
    """The decoded text of a file of the scan whose real path and status discovery found."""
    return decode(read_located(target, info, max_bytes))


def _shown(absolute: str, root: Path) -> str:
    """``relative(Path(absolute), root)`` without building paths (one call per file)."""
    base = str(root).rstrip(os.sep)
    if absolute.startswith(base + os.sep):
        return absolute[len(base) + 1:].replace(os.sep, "/")
    return relative(Path(absolute), root)
