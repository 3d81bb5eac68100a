"""The module tree of a scan: which folders are root modules, and where the code of each
called module is found.

A ``module`` block's code comes from, in order:

1. a local ``source`` (``./modules/role``): that folder, scanned or read from the tree;
2. ``.terraform/modules/modules.json`` beside the root module, written by ``terraform init``
   (https://developer.hashicorp.com/terraform/cli/commands/init#child-module-installation):
   its ``Dir`` for the call's key (``gh``, ``gh.inner`` for nested calls);
3. a built-in model of a widely used registry module (``oidclint.hcl.registry``).

Otherwise the call's outputs stay ``Unknown``. Each call instance is its own ``Module`` with
the caller's arguments as its variables, so one bad call is reported on its own.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oidclint.dependencies import note_read
from oidclint.hcl.instances import Scoped
from oidclint.hcl.sources import local_folder
from oidclint.hcl.module import Module
from oidclint.hcl.providers import provider_pairs
from oidclint.hcl.syntax import Block, parse_file
from oidclint.reading import Refused, read_text
from oidclint.source import Partial, Span, Unknown

MAX_MANIFEST_BYTES = 10_000_000
"""``modules.json`` is read up to this size."""

Loader = Callable[[str, "Span | None"], "list[Block] | None"]
"""Blocks of the configuration files of a folder (root-relative): the scanned files of it, or
else those on disk, parsed on demand and positioned at the span when one is given; ``None``
when the folder has none or cannot be read."""


@dataclass
class Configuration:
    folders: dict[str, list[Block]]
    """Module folder -> the blocks of its files, parsed on first use (``load``)."""
    root: Path | None = None
    load: Loader | None = None
    variables: dict[str, dict] = field(default_factory=dict)
    """Root module folder -> variable values from ``.tfvars`` files and ``--var-file``
    (``"*"``: the ``--var-file`` values, for folders without files of their own)."""
    notes: list[tuple[Span, str]] = field(default_factory=list)
    """What could not be followed (a built-in model chosen without a version ...)."""
    problems: list[tuple[Span, str]] = field(default_factory=list)
    """What could not be read (a manifest of installed modules refused), as warnings."""
    incomplete: set[str] = field(default_factory=set)
    """Folders with a file that could not be read or parsed: their modules are not known
    whole (``Module.undeclared``)."""
    _installed: dict[str, dict[str, str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    """Folders whose blocks were asked for (reset by whoever wants to know per root)."""

    def root_module(self, folder: str, *, scope: str | None = None,
                    inputs: dict | None = None) -> Module | None:
        """The module of a root folder, with the variable values set for it: those of the
        ``.tfvars`` files, or ``inputs`` when the folder is deployed from elsewhere (by a
        Terragrunt unit in the folder ``scope``)."""
        blocks = self._blocks(folder)
        if blocks is None:
            return None
        if inputs is None:
            inputs = self.variables.get(folder, self.variables.get("*"))
        return Module(folder, blocks, self.root, configuration=self, scope=scope,
                      inputs=inputs)

    def modelled_root(self, folder: str, model_folder: Path, at: Span,
                      inputs: dict) -> Module:
        """A root module whose code is a built-in model (``oidclint.hcl.registry``) with
        ``inputs``, shown at ``at`` (a Terragrunt unit's ``source``), deployed from
        ``folder``."""
        return Module(folder, model_blocks(model_folder, at), self.root, configuration=self,
                      inputs=inputs)

    def forget(self, folder: str) -> None:
        """Let go of a folder's parsed blocks (no root left to evaluate needs them)."""
        self.folders.pop(folder, None)

    def called(self, caller: Module, name: str, call: Scoped) -> Module | None:
        """The module a call instance evaluates, or ``None`` when its code is unavailable."""
        found = self._locate(caller, name, call)
        if found is None:
            return None
        folder, blocks = found
        return Module(folder, blocks, self.root, inputs=caller.call_inputs(call),
                      address=f"{caller.address}module.{name}{call.key}.",
                      scope=caller.scope, calls=(*caller.calls, call.block),
                      configuration=self, caller=caller,
                      provider_map=provider_pairs(caller, call))

    def _locate(self, caller: Module, name: str,
                call: Scoped) -> tuple[str, list[Block]] | None:
        source = caller.argument(call, "source")
        local = local_folder(caller.folder, source)
        if local is not None:
            if local == caller.folder or any(posixpath.dirname(c.path) == local
                                             for c in caller.calls):
                return None  # a module calling itself: Terraform rejects the cycle
            blocks = self._blocks(local)
            return None if blocks is None else (local, blocks)
        key = ".".join([c.labels[0] for c in caller.calls] + [name])
        installed = self._installed_dirs(caller.scope).get(key)
        if installed is not None:
            # Code terraform init downloaded is not the repository's: what it produces is
            # shown at the call, like a built-in model's. A local module's Dir is its source.
            downloaded = ".terraform/" in f"{installed}/"
            blocks = (self.load(installed, call.span) if downloaded and self.load
                      else self._blocks(installed))
            if blocks is not None:
                return installed, blocks
        if not isinstance(source, str):
            return None
        if source.startswith(("./", "../")):
            self.notes.append((call.span, f"module.{name}: {source} is outside the scanned "
                                          "tree; not read (scan a folder that holds both)"))
            return None
        from oidclint.hcl.registry import (
            ROLE_NAME_INPUTS,
            find_model,
            inputs_of_other_releases,
            unmodelled,
            unread,
            web_identity_hint,
        )

        version = caller.argument(call, "version")
        version = str(version) if isinstance(version, str) else None
        model = find_model(str(source), version, call.attributes)
        if model is None:
            note = unmodelled(str(source), version)
            if note is not None:
                self.notes.append((call.span, f"module.{name}: {note}"))
                inputs = caller.call_inputs(call)
                caller.roles_elsewhere.extend(
                    role_glob(inputs[n]) for n in ROLE_NAME_INPUTS
                    if n in inputs and role_glob(inputs[n]) is not None)
                return None
            hint = web_identity_hint(str(source), call.attributes)
            if hint is not None:
                said = (call.span, unread(name, str(source), version, hint))
                if said not in self.notes:  # once per call, not per count/for_each instance
                    self.notes.append(said)
            return None
        if model.note:
            self.notes.append((call.span, f"module.{name}: {model.note}"))
        stray = inputs_of_other_releases(model, call.attributes)
        if stray is not None and (call.span, f"module.{name}: {stray}") not in self.notes:
            self.notes.append((call.span, f"module.{name}: {stray}"))
        return caller.folder, model_blocks(model.folder, call.span)

    def _blocks(self, folder: str) -> list[Block] | None:
        self.used.add(folder)
        if folder not in self.folders and self.load is not None:
            loaded = self.load(folder, None)
            if loaded is None:
                return None
            self.folders[folder] = loaded
        return self.folders.get(folder)

    def _installed_dirs(self, root_folder: str) -> dict[str, str]:
        """Call key -> module folder, from the root module's ``modules.json``."""
        found = self._installed.get(root_folder)
        if found is None:
            found = self._installed[root_folder] = self._read_manifest(root_folder)
        return found

    def _read_manifest(self, root_folder: str) -> dict[str, str]:
        if self.root is None:
            return {}
        manifest = self.root / root_folder / ".terraform" / "modules" / "modules.json"
        note_read(manifest)
        try:
            entries = json.loads(read_text(manifest, root=self.root.resolve(),
                                           limit=MAX_MANIFEST_BYTES)).get("Modules", [])
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, ValueError, AttributeError) as exc:
            # Reported as discovery reports a file (the modules it lists are not read).
            shown = posixpath.normpath(posixpath.join(root_folder, ".terraform/modules/"
                                                                   "modules.json"))
            reason = f"cannot read: {exc.strerror or exc}" if isinstance(exc, OSError) \
                else str(exc) if isinstance(exc, Refused) else \
                "not a manifest of installed modules (not JSON, or no Modules list); not read"
            self.problems.append((Span(shown, 1), reason))
            return {}
        dirs = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not entry.get("Key"):
                continue
            folder = local_folder(root_folder, "./" + str(entry.get("Dir", "")))
            if folder is not None:
                dirs[str(entry["Key"])] = folder
        return dirs


def model_blocks(model_folder: Path, at: Span) -> list[Block]:
    """The blocks of a built-in model's files, every position placed at ``at``: what the
    model produces is shown where the user's code asks for it."""
    from oidclint.hcl.registry import MODELS

    blocks = []
    for path in sorted(model_folder.glob("*.tf")):
        text = read_text(path, root=MODELS)  # oidclint's own files
        blocks.extend(parse_file(text, at.path, at=at))
    return blocks


def role_glob(value: object) -> str | None:
    """The names a role-name input may give (a name, or the prefix of a generated one):
    ``deploy`` -> ``deploy*``; unknown pieces are ``*``; ``None`` when nothing is known."""
    if isinstance(value, Partial) and value.known_prefix:
        return "".join("*" if isinstance(p, Unknown) else p for p in value.parts) + "*"
    if isinstance(value, str) and value:
        return f"{value}*"
    return None
