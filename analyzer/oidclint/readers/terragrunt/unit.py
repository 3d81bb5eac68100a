"""A ``terragrunt.hcl`` read as a unit: the module folder it deploys and the inputs it
gives that module, its includes merged.

Terragrunt merges an included file into the unit: by default a shallow merge (the unit's
``inputs`` keys replace the included file's, its ``terraform { source }`` replaces theirs);
``merge_strategy = "deep"`` merges maps key by key and joins lists; ``"no_merge"`` takes
nothing (https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#include).
Locals are never merged: each file sees its own. Terragrunt hands the inputs to Terraform as
``TF_VAR_`` variables, which a ``.tfvars`` file beside the code overrides
(https://terragrunt.gruntwork.io/docs/features/inputs/).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from oidclint.hcl.registry import Model
from oidclint.hcl.values import first_unknown
from oidclint.model import Diagnostic, Inventory, Level, Related
from oidclint.readers.terragrunt.config import Config, Files, Reading
from oidclint.readers.terragrunt.sources import locate
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown

class UnitInputs(dict):
    """A unit's inputs by variable name. When part of them is not known (``inputs =
    local.x`` from a file not read), any variable may be set by it: every name is
    ``in`` them, and a name not known is ``Unknown`` rather than missing."""

    def __init__(self, known: dict | None = None, unknown: Unknown | None = None) -> None:
        super().__init__(known or {})
        self.unknown = unknown

    def __contains__(self, name: object) -> bool:
        return self.unknown is not None or super().__contains__(name)

    def __missing__(self, name: str) -> Any:
        if self.unknown is None:
            raise KeyError(name)
        return Unknown(f"var.{name} (set by inputs not known: {self.unknown.origin})",
                       self.unknown.span)

    def __bool__(self) -> bool:
        return self.unknown is not None or len(self) > 0

    def __reduce__(self):
        return (UnitInputs, (dict(self), self.unknown))

    def overridden(self, variables: dict | None) -> "UnitInputs":
        """These inputs with ``.tfvars`` values on top, as Terraform takes them."""
        return UnitInputs({**self, **(variables or {})}, self.unknown)


@dataclass
class Unit:
    """One Terragrunt unit."""

    path: str
    """Its ``terragrunt.hcl``."""
    module: str | None
    """The folder of the Terraform code it deploys; ``None`` when not here (see
    ``diagnostics``) or when it deploys nothing (a file only included by units)."""
    inputs: UnitInputs
    span: Span
    """Where a finding points at the unit: its ``inputs``, else its ``terraform`` block."""
    source: str | None = None
    """The ``terraform { source }`` as written, when known."""
    source_span: Span | None = None
    model: Model | None = None
    """The built-in model of the registry module it deploys (``module`` is then ``None``)."""
    includes: list[str] = field(default_factory=list)
    """The files it includes: those are not units of their own."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    read: list[tuple[str, str | None]] = field(default_factory=list)
    """The files read for it, with their hashes (set by whoever records them)."""
    stacks: list[Related] = field(default_factory=list)
    """For a unit a stack generates (``path`` is then its generated place): the blocks of
    the stack files that generate it, innermost first."""

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path) or "."

    @property
    def label(self) -> str:
        return f"Terragrunt unit {self.folder}: deploys the module with these inputs"

    @property
    def deploys(self) -> str | None:
        """What it deploys, as a person names it; ``None``: nothing the scan can read."""
        if self.model is not None:
            return f"{self.model.address} (built-in model)"
        return self.module


def read_unit(files: Files, path: str, *, at: str | None = None, values: Any = None,
              stacks: list[Related] = ()) -> Unit:
    """The unit of a ``terragrunt.hcl``: its inputs, its includes, its module folder.
    A unit a stack generates is read at its generated place ``at``, with the ``values``
    the ``stacks`` give it (``oidclint.readers.terragrunt.stack``)."""
    reading = Reading()
    parsed, why = reading.parsed(files, path)
    if parsed is None:
        if why:
            reading.add(Diagnostic(path, f"{why}; the unit is not evaluated"))
        return Unit(at or path, None, UnitInputs(), Span(path, 1),
                    diagnostics=reading.diagnostics, stacks=list(stacks))
    at = at or path
    config = Config(files, reading, path, parsed, terragrunt_path=at,
                    chain=(at, path) if at != path else (path,), at=at, values=values)
    inputs = unit_inputs(config)
    source, source_span = unit_source(config)
    includes = _included_files(config)
    span = (config.attributes["inputs"].span if "inputs" in config.attributes
            else config.terraform.span if config.terraform is not None else Span(path, 1))
    module, shown, model = None, None, None
    if isinstance(source, Partial) and "?" in source.known_prefix:
        # Only the query (`?ref=${values.version}`) is unknown: which code is still known.
        source = Str(source.known_prefix.split("?", 1)[0], source.span)
    if isinstance(source, str):
        shown = str(source)
        located = locate(files, shown, config.folder)
        module, model = located.folder, located.model
        if located.note is not None:
            level = Level.NOTE if module is not None or model is not None else Level.WARNING
            reading.add(Diagnostic(source_span.path, located.note, level, span=source_span))
    elif source is not None:
        cause = first_unknown([source])
        why = cause.origin if cause is not None else "not a string"
        reading.warn(source_span, f"the module source is not known ({why}); the unit is not "
                                  "evaluated")
    elif files.has_terraform(files.real(config.folder)):
        module = files.real(config.folder)  # no source: Terragrunt runs the code beside it
    return Unit(at, module, inputs, span, shown, source_span, model, includes,
                reading.diagnostics, stacks=list(stacks))


def deployed_by(unit: Unit, inventory: Inventory) -> None:
    """The roles and providers of the unit's module name the unit among their origins, so a
    finding on them points at the ``terragrunt.hcl`` that sets the inputs."""
    for origin in (Related(unit.span, unit.label), *unit.stacks):
        for item in (*inventory.roles, *inventory.providers):
            if origin not in item.origins:
                item.origins.append(origin)


def unit_inputs(config: Config) -> UnitInputs:
    """The inputs of the unit: its includes' merged under its own."""
    merged = _merged_inputs(config)
    if isinstance(merged, UnitInputs):
        return merged
    known = {str(k): v for k, v in merged.items() if isinstance(k, str)}
    unknown = next((k for k in merged if not isinstance(k, str)), None)
    return UnitInputs(known, Unknown(f"an inputs key ({unknown})") if unknown is not None
                      else None)


def _merged_inputs(config: Config) -> Any:
    merged: Any = LDict()
    deep = False
    for include in config.includes():
        if include.strategy == "no_merge":
            continue
        if isinstance(include.config, Unknown) or include.strategy not in ("shallow", "deep"):
            why = include.config if isinstance(include.config, Unknown) else \
                Unknown(f"include {include.label}: merge_strategy not known", include.block.span)
            merged = UnitInputs(unknown=why)
            continue
        deep = deep or include.strategy == "deep"
        merged = merge(merged, _merged_inputs(include.config), include.strategy)
    own = config.inputs()
    if not isinstance(own, dict):
        origin = own.origin if isinstance(own, Unknown) else "inputs is not a map"
        own = UnitInputs(unknown=Unknown(origin, getattr(own, "span", None)))
    return merge(merged, own, "deep" if deep else "shallow")


def merge(parent: Any, child: Any, strategy: str) -> Any:
    """``child`` merged over ``parent``: key by key (``shallow``), or into nested maps and
    lists too (``deep``). What is unknown in ``child`` may replace anything of ``parent``."""
    if isinstance(child, UnitInputs) and child.unknown is not None:
        return UnitInputs(dict(child), child.unknown)
    unknown = parent.unknown if isinstance(parent, UnitInputs) else None
    result = LDict(parent, span=getattr(child, "span", None))
    for key, value in child.items():
        if strategy == "deep" and key in result:
            value = _deep(result[key], value)
        result[key] = value
    return UnitInputs(result, unknown) if unknown is not None else result


def _deep(parent: Any, child: Any) -> Any:
    if isinstance(parent, dict) and isinstance(child, dict) and not isinstance(
            child, UnitInputs):
        return merge(parent, child, "deep")
    if isinstance(parent, list) and isinstance(child, list):
        return LList([*parent, *child], span=getattr(child, "span", None))
    return child


def unit_source(config: Config) -> tuple[Any, Span]:
    """The unit's ``terraform { source }``: its own, else the last merged include's; ``None``
    when none sets one."""
    own = config.source()
    if own is not None:
        return own
    for include in reversed(config.includes()):
        if include.strategy == "no_merge" or isinstance(include.config, Unknown):
            continue
        found = unit_source(include.config)
        if found[0] is not None:
            return found
    return None, Span(config.path, 1)


def _included_files(config: Config) -> list[str]:
    found = []
    for include in config.includes():
        if isinstance(include.config, Config):
            found.append(include.config.path)
            found.extend(_included_files(include.config))
    return found
