"""Where a unit's Terraform code is: the folder its ``terraform { source }`` names.

``source`` takes what a module's ``source`` takes, and Terragrunt downloads everything
before a double slash, running Terraform in the folder after it
(https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#terraform).
A local path is read in the tree, relative to the unit's folder. Code that would be
downloaded is read only when it is here already:

- in the unit's ``.terragrunt-cache``, where Terragrunt keeps what it downloaded and runs
  (``.terragrunt-cache/<hash>/<hash>/<subfolder>``;
  https://terragrunt.gruntwork.io/docs/reference/terragrunt-cache), when exactly one copy is
  there;
- in the scanned tree itself, when the source is a git repository of the same name as the
  tree's folder (a live repository that names its own modules by URL): the tree's copy, at
  whatever commit is checked out, stands for the ref.

Otherwise the unit is not evaluated, and a note says why.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from oidclint.hcl.registry import Model
    from oidclint.readers.terragrunt.config import Files

UNIT_FILE = "terragrunt.hcl"
"""A unit's configuration file (``root.hcl``, ``env.hcl`` ... are files units include)."""
STACK_FILE = "terragrunt.stack.hcl"
"""A stack's file: the units and stacks ``terragrunt stack generate`` makes."""
CACHE_FOLDER = ".terragrunt-cache"
"""Terragrunt's download folder, beside the unit's configuration."""

_REMOTE = re.compile(r"^(?:[a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@|github\.com/|bitbucket\.org/)",
                     re.I)
"""A source that is downloaded: a forced getter (``git::``), a URL (``tfr://``,
``https://``), or a host go-getter recognises without one."""


@dataclass(frozen=True)
class Located:
    """The module folder a source names (``None`` when its code is not here), and what the
    user should know about how it was found (``None``: nothing to say); or the built-in
    model of the registry module it names (``oidclint.hcl.registry``)."""

    folder: str | None
    note: str | None = None
    model: "Model | None" = None


def is_unit_file(path: str) -> bool:
    return posixpath.basename(path) == UNIT_FILE


def is_stack_file(path: str) -> bool:
    return posixpath.basename(path) == STACK_FILE


def locate(files: "Files", source: str, unit_folder: str) -> Located:
    """The folder of the code ``source`` names, for the unit in ``unit_folder``."""
    if not _REMOTE.match(source):
        path = _without_query(source.removeprefix("file://"))
        package, _, subfolder = _split_subfolder(path)
        relative = files.relative(posixpath.join(package, subfolder) if subfolder else package,
                                  unit_folder)
        if relative is None:
            return Located(None, f"the module source {source} is outside the scanned tree; "
                                 "the unit is not evaluated (scan a folder that holds both)")
        if not files.has_terraform(relative):
            return Located(None, f"the module source {source} ({relative}) holds no Terraform "
                                 "files; the unit is not evaluated")
        return Located(relative)
    _, _, subfolder = _split_subfolder(_without_query(_without_getter(source)))
    cached = _cached(files, unit_folder, subfolder)
    if cached is not None:
        return cached
    own = _same_repository(files, source, subfolder, files.has_terraform)
    if own is not None:
        return Located(own, f"the module source {source} names this repository: its "
                            f"{own}, as checked out, is read for it")
    modelled = _model(source)
    if modelled is not None:
        return modelled
    return Located(None, f"the module source {source} is downloaded when Terragrunt runs and "
                         f"no copy of it is in the scanned tree (nor in {CACHE_FOLDER}); the "
                         "unit is not evaluated")


def _cached(files: "Files", unit_folder: str, subfolder: str) -> Located | None:
    cache = posixpath.normpath(posixpath.join(unit_folder, CACHE_FOLDER))
    copies = [posixpath.normpath(posixpath.join(cache, first, second, subfolder))
              for first in files.folders(cache) for second in files.folders(f"{cache}/{first}")]
    copies = [c for c in copies if files.has_terraform(c)]
    if len(copies) == 1:
        return Located(copies[0], f"the module source is read from the copy Terragrunt "
                                  f"downloaded, {copies[0]}")
    if copies:
        return Located(None, f"{cache} holds {len(copies)} copies of the module source and "
                             "which one is current is not known; the unit is not evaluated")
    return None


def find_folder(files: "Files", source: str, base: str, holds: Callable[[str], bool],
                what: str) -> tuple[str | None, str]:
    """The folder of the tree a Terragrunt stack's ``source`` names, found as a unit's
    module source is (a local path relative to ``base``, or a URL naming this repository
    with a ``//subfolder``) when it ``holds`` the ``what`` file; else ``None`` and why."""
    if not _REMOTE.match(source):
        package, _, subfolder = _split_subfolder(_without_query(source.removeprefix("file://")))
        folder = files.relative(posixpath.join(package, subfolder) if subfolder else package,
                                base)
        if folder is None:
            return None, f"the source {source} is outside the scanned tree"
        if not holds(folder):
            return None, f"the source {source} ({folder}) holds no {what}"
        return folder, ""
    _, _, subfolder = _split_subfolder(_without_query(_without_getter(source)))
    own = _same_repository(files, source, subfolder, holds)
    if own is not None:
        return own, ""
    return None, (f"the source {source} is downloaded when Terragrunt runs and is not this "
                  f"repository's folder holding a {what}")


def _same_repository(files: "Files", source: str, subfolder: str,
                     holds: Callable[[str], bool]) -> str | None:
    """The tree's own folder for a git source naming a repository called as the tree is."""
    url = _without_query(_without_getter(source))
    address, _, _ = _split_subfolder(url)
    name = address.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    if not name or name != files.root.name or not subfolder:
        return None
    folder = files.relative(subfolder, ".")
    if folder is None or not holds(folder):
        return None
    return folder


def _model(source: str) -> Located | None:
    """A registry module with a built-in model: Terragrunt's ``tfr://[host]/address?version=``
    form, or a git URL of the module's repository with ``?ref=``
    (https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#terraform)."""
    from oidclint.hcl.registry import find_model, unmodelled

    version = None
    address = source
    if source.lower().startswith("tfr://"):
        address, _, query = source[len("tfr://"):].partition("?")
        address = address.lstrip("/")  # `tfr:///ns/name/provider`: the default registry
        version = next((value for key, _, value in (p.partition("=") for p in query.split("&"))
                        if key == "version"), None)
    model = find_model(address, version)
    if model is None:
        note = unmodelled(address, version)
        return None if note is None else Located(None, f"{note}; the unit is not evaluated")
    shown = f"the module source is read as oidclint's built-in model of {model.address}"
    return Located(None, f"{shown} ({model.note})" if model.note else None, model)


def _without_getter(source: str) -> str:
    """``git::https://...`` -> ``https://...``."""
    head, separator, rest = source.partition("::")
    return rest if separator and "/" not in head else source


def _without_query(source: str) -> str:
    return source.split("?", 1)[0]


def _split_subfolder(path: str) -> tuple[str, str, str]:
    """``../modules//oidc`` -> (``../modules``, ``//``, ``oidc``); the ``//`` of a URL's
    scheme does not count."""
    start = path.find("://")
    start = start + 3 if start >= 0 else 0
    at = path.find("//", start)
    if at < 0:
        return path, "", ""
    return path[:at], "//", path[at + 2:].strip("/")


_WRITTEN = re.compile(r'^\s*source\s*=\s*"([^"\n]*)"', re.M)
_UNIT_DIR = re.compile(r"^\$\{\s*get_terragrunt_dir\(\s*\)\s*\}/")
_REPOSITORY_ROOT = re.compile(r"^\$\{\s*(?:get_repo_root|get_path_to_repo_root)\(\s*\)\s*\}/")


def written_sources(text: str, folder: str) -> list[str] | None:
    """The local module folders a Terragrunt file's ``source`` names, read from its text
    without evaluating it (``./`` or ``../`` paths relative to ``folder``, as
    ``oidclint.hcl.sources.local_folder`` takes them); ``None`` when a source cannot be read
    so (it is computed, or the file sets none and may take one from an include)."""
    found = []
    for match in _WRITTEN.finditer(text):
        source = match.group(1)
        if _REMOTE.match(source):
            continue
        if _REPOSITORY_ROOT.match(source):
            below = _REPOSITORY_ROOT.sub("", source)
            source = posixpath.relpath(below.replace("//", "/") or ".", folder)
        source = _UNIT_DIR.sub("./", source)
        if "${" in source:
            return None
        package, _, subfolder = _split_subfolder(_without_query(source))
        path = posixpath.normpath(posixpath.join(package, subfolder) if subfolder else package)
        found.append(path if path.startswith("../") or path == ".." else f"./{path}")
    return found or None
