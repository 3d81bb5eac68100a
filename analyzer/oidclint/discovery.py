"""Find the files of a scan, read them safely, and say why any could not be read.

Nothing is executed and nothing is written. Directories reached through symbolic links are
not entered (no loops); a file link whose target lies outside the scan root is not read.
FIFOs, devices and sockets are never opened (reading one could block forever).
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oidclint.model import Diagnostic, Level
from oidclint.source import SourceFile

Observer = Callable[[SourceFile, os.stat_result], "SourceFile | None"]

MAX_FILE_BYTES = 5 * 1024 * 1024
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".terraform",
})
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
VARIABLES_SUFFIXES = (".tfvars", ".tfvars.json")
STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def kind_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(TERRAFORM_SUFFIXES):
        return "terraform"
    if lower.endswith(VARIABLES_SUFFIXES):
        return "tfvars"
    if lower.endswith(STRUCTURED_SUFFIXES):
        return "structured"
    return None


def is_action(path: str) -> bool:
    """A GitHub action's metadata file (``action.yml``, ``action.yaml``): a workflow's step
    may use the action by its folder (``uses: ./.github/actions/x``)."""
    return path.rpartition("/")[2] in ("action.yml", "action.yaml")


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


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (BOM allowed) or UTF-16 with a BOM. Raises ``ValueError``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None


class Exclusion:
    """gitignore-style patterns (the configuration's ``exclude``), relative to ``base``."""

    def __init__(self, patterns: list[str], base: Path) -> None:
        import pathspec

        self.base = base.resolve()
        self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def __call__(self, path: Path, is_dir: bool = False) -> bool:
        try:  # abspath folds `..` (a scan of ../infra) without following symbolic links
            name = Path(os.path.abspath(path)).relative_to(self.base).as_posix()
        except ValueError:
            try:
                name = path.resolve().relative_to(self.base).as_posix()
            except (ValueError, OSError):
                return False
        return name != "." and self.spec.match_file(name + "/" if is_dir else name)


Candidate = tuple[str, "str | None"]
"""A file to read and the real path of the folder it was found in (``None``: resolve it)."""
Delegate = Callable[[list[Candidate], Path, int],
                    "list[tuple[list[SourceFile], list[Diagnostic]]] | None"]


def discover(paths: list[Path], root: Path | None = None, max_bytes: int | None = None,
             exclude: Exclusion | None = None, observe: Observer | None = None,
             known: Observer | None = None, delegate: Delegate | None = None) -> Discovery:
    """Every file under ``paths`` that oidclint reads, decoded. ``observe`` sees each file
    as it is read and returns what to keep of it (the prefilter lets texts go); ``known``
    sees each file before it is read, without its text, and returns it when it need not be
    read (an index knows it unchanged). ``delegate`` may read the Terraform files elsewhere
    (worker processes), returning what they found, or ``None`` to leave them here."""
    root = (root or find_root(paths)).resolve()
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    found = Discovery(root)
    seen: set[str] = set()
    candidates = [item for path in paths for item in _walk(path, found, exclude)]
    # YAML and JSON first: workflows and manifests name the roles that make a Terraform
    # file matter, and the prefilter checks each file while its text is at hand.
    structured = [c for c in candidates if kind_of(os.path.basename(c[0])) == "structured"]
    rest = [c for c in candidates if kind_of(os.path.basename(c[0])) != "structured"]
    read_candidates(structured, root, max_bytes, found, seen, observe, known)
    shared = delegate(rest, root, max_bytes) if delegate is not None and rest else None
    if shared is None:
        read_candidates(rest, root, max_bytes, found, seen, observe, known)
    else:
        for files, diagnostics in shared:
            for file in files:  # the same file through two links is read once
                if str(file.absolute) not in seen:
                    seen.add(str(file.absolute))
                    found.files.append(file)
            found.diagnostics.extend(diagnostics)
    found.files.sort(key=lambda f: f.path)
    found.diagnostics.sort(key=lambda d: d.path)
    return found


def read_candidates(candidates: list[Candidate], root: Path, max_bytes: int,
                    found: Discovery, seen: set[str], observe: Observer | None = None,
                    known: Observer | None = None) -> None:
    """Each candidate read into ``found`` (``seen``: the real paths read so far)."""
    for candidate, real_folder in candidates:
        _read(candidate, real_folder, root, max_bytes, found, seen, observe, known)


def _walk(path: Path, found: Discovery, exclude: Exclusion | None = None):
    """``(file, real folder)`` for every candidate file under ``path``; the real folder is
    ``None`` for a path given directly (it is resolved on its own)."""
    if path.is_symlink() or path.is_file():
        if exclude is None or not exclude(path):
            yield str(path), None
        return
    if not path.exists():
        found.diagnostics.append(Diagnostic(relative(Path(os.path.abspath(path)), found.root),
                                            "no such file or directory", Level.ERROR))
        return

    def report(error: OSError) -> None:
        found.diagnostics.append(Diagnostic(relative(Path(error.filename or path), found.root),
                                            f"cannot read directory: {error.strerror}"))

    top = str(path)
    try:
        real_top = str(path.resolve(strict=True))
    except (OSError, RuntimeError):
        real_top = None
    # Folders below the top are real ones (os.walk does not enter linked folders), so a
    # folder's real path is the top's plus the rest: one resolve per walk, not per file.
    for folder, dirs, names in os.walk(top, onerror=report):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                         and not (exclude and exclude(Path(folder) / d, is_dir=True)))
        real_folder = real_top + folder[len(top):] if real_top is not None else None
        for name in sorted(names):
            if kind_of(name) and not (exclude and exclude(Path(folder) / name)):
                yield os.path.join(folder, name), real_folder


def _read(path: str, real_folder: str | None, root: Path, max_bytes: int, found: Discovery,
          seen: set[str], observe: Observer | None = None,
          known: Observer | None = None) -> None:
    # abspath folds `..` (a scan of tree/../tree) without following symbolic links, so the
    # shown path never climbs out of the root it is relative to.
    shown = _shown(os.path.abspath(path), root)
    kind = kind_of(os.path.basename(path))
    if kind is None:
        return
    try:
        info = os.lstat(path)
        link = stat.S_ISLNK(info.st_mode)
        if link or real_folder is None:
            target = str(Path(path).resolve(strict=True))
        else:
            target = os.path.join(real_folder, os.path.basename(path))
    except (OSError, RuntimeError):
        found.diagnostics.append(Diagnostic(shown, "broken or looping symbolic link; not read"))
        return
    if link and not Path(target).is_relative_to(root):
        found.diagnostics.append(Diagnostic(
            shown, "symbolic link to a file outside the scanned tree; not read"))
        return
    if target in seen:
        return
    seen.add(target)
    absolute = Path(target)
    try:
        if link or real_folder is None:
            info = os.stat(target)
        if not stat.S_ISREG(info.st_mode):
            found.diagnostics.append(Diagnostic(shown, "not a regular file; not read"))
            return
        if info.st_size > max_bytes:
            found.diagnostics.append(Diagnostic(
                shown, f"larger than the {max_bytes:,}-byte limit ({info.st_size:,} bytes); "
                       "not read"))
            return
        if known is not None:
            unread = known(SourceFile(path=shown, absolute=absolute, text="", kind=kind), info)
            if unread is not None:
                found.files.append(unread)
                return
        text = read_text(absolute, max_bytes)
    except OSError as exc:
        found.diagnostics.append(Diagnostic(shown, f"cannot read: {exc.strerror or exc}"))
        return
    except ValueError as exc:
        found.diagnostics.append(Diagnostic(shown, str(exc)))
        return
    file = SourceFile(path=shown, absolute=absolute, text=text, kind=kind)
    found.files.append(observe(file, info) if observe else file)


def _shown(absolute: str, root: Path) -> str:
    """``relative(Path(absolute), root)`` without building paths (one call per file)."""
    base = str(root).rstrip(os.sep)
    if absolute.startswith(base + os.sep):
        return absolute[len(base) + 1:].replace(os.sep, "/")
    return relative(Path(absolute), root)


def read_text(target: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A file's decoded text, at most ``max_bytes`` of it; raises ``OSError`` or
    ``ValueError`` (not text)."""
    with open(target, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than the {max_bytes:,}-byte limit")
    return decode(data)
