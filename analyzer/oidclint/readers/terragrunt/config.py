"""One Terragrunt configuration file evaluated: its ``locals``, ``include`` blocks (exposed
or merged), ``dependency`` blocks, ``inputs`` and ``terraform { source }``.

Expressions are Terraform's (``oidclint.hcl.evaluate``) with Terragrunt's names and
functions added (``oidclint.readers.terragrunt.functions``). What Terragrunt would only know
when it runs (an environment variable, a dependency's outputs without ``mock_outputs``, a
command's output) is ``Unknown``, never guessed.

Terragrunt evaluates an included file in the context of the unit that includes it: its
``get_terragrunt_dir()`` is the unit's folder; a file read with ``read_terragrunt_config``
is evaluated as itself (https://terragrunt.gruntwork.io/docs/reference/built-in-functions/).
``terragrunt_path`` is that context; ``chain`` the files being read, so that an include or a
read that comes back to one of them (a cycle) is reported and not followed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from oidclint.dependencies import note_read
from oidclint.hcl.evaluate import Environment, Evaluator, Reference
from oidclint.hcl.policy_text import decode_located_json, file_value
from oidclint.hcl.syntax import Attribute, Block, is_tree, parse_tree, read_body
from oidclint.hcl.syntax_errors import syntax_error
from oidclint.hcl.values import EvalError, derived_unknown, is_unknown
from oidclint.limits import TooLarge
from oidclint.model import Diagnostic, Level
from oidclint.located.tree_files import TreeFiles
from oidclint.source import LDict, SourceFile, Span, Str, Unknown

MAX_CONFIG_BYTES = 1_000_000
"""A configuration file (or a file read with ``file()``) is read up to this size."""
MAX_DEPTH = 8
"""Includes and ``read_terragrunt_config`` calls followed one inside another; deeper ones
are reported and their values are unknown."""
MERGE_STRATEGIES = ("shallow", "deep", "no_merge")
"""``include``'s ``merge_strategy`` values; ``shallow`` when not set
(https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#include)."""


class Files(TreeFiles):
    """The Terragrunt configuration files of one scanned tree, each parsed once, read inside
    the tree (a file given in ``texts`` is not read again)."""

    root: Path

    def __init__(self, root: Path, texts: dict[str, str] | None = None) -> None:
        super().__init__(root)
        self.texts = dict(texts or {})
        self._parsed: dict[str, tuple[list[Block] | None, list[Diagnostic], str]] = {}
        """Path -> its blocks (``None``: not read), what parsing it reported, and why not."""
        self.outputs_of: Callable[[str, Span], Any] | None = None
        """The outputs of the unit in a folder (its generated place, for a stack's unit),
        as applying its module gives them; ``None`` when the scan does not evaluate them
        (set by whoever schedules the units)."""
        self.generated: dict[str, str] = {}
        """Folder a stack generates -> the folder of the tree it is a copy of
        (``oidclint.readers.terragrunt.stack``)."""

    def generates(self, folder: str, source: str) -> None:
        """``folder`` is a copy of ``source`` (a stack's unit or stack, generated)."""
        self.generated[folder] = source

    def real(self, path: str) -> str:
        """The path of the tree a path inside a generated folder stands for (itself when it
        is in none): a stack's copy is read from what it copies, as ``stack generate``
        would write it now."""
        folders = sorted(self.generated, key=len, reverse=True)
        for _ in range(len(folders)):  # a copy of a copy: each folder once at most
            folder = next((f for f in folders if path == f or path.startswith(f + "/")), None)
            if folder is None:
                break
            path = self.generated[folder] + path[len(folder):]
        return path

    def absolute(self, relative: str) -> str:
        """The path as Terragrunt's functions give it: absolute, on this machine."""
        base = self.root.as_posix()
        return base if relative in ("", ".") else f"{base.rstrip('/')}/{relative}"

    def relative(self, path: str, folder: str) -> str | None:
        """A path written in a configuration (absolute, or relative to ``folder``) as a path
        inside the tree; ``None`` when it leads out of it."""
        if posixpath.isabs(path):
            base = self.root.as_posix().rstrip("/") + "/"
            if not (path + "/").startswith(base):
                return None
            path = path[len(base):]
            folder = "."
        joined = self.inside(path, folder)
        return self.real(joined) if joined is not None else None

    def parsed(self, path: str) -> tuple["Parsed | None", list[Diagnostic], str]:
        """A configuration file's blocks and attributes, what parsing it reported, and why
        it was not read when it was not."""
        found = self._parsed.get(path)
        if found is None:
            found = self._parsed[path] = self._parse(path)
        else:
            note_read(self.root / path)  # each unit reading it depends on it
        return found

    def _parse(self, path: str) -> tuple["Parsed | None", list[Diagnostic], str]:
        text = self.texts.get(path)
        if text is not None:
            note_read(self.root / path)  # given or not, what a unit read depends on it
        else:
            try:
                text = self.text(path, MAX_CONFIG_BYTES)
            except (FileNotFoundError, NotADirectoryError):
                return None, [], "no such file"
            except OSError as exc:
                return None, [], f"cannot read: {exc.strerror or exc}"
            except ValueError as exc:
                return None, [], str(exc)
        try:
            tree = parse_tree(text)
        except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
            file = SourceFile(path=path, absolute=self.root / path, text=text)
            error = syntax_error(file, exc)
            # A unit's inputs are a top-level attribute: a file read in part could give a
            # unit half its inputs, so the file is not read at all.
            return None, [replace(error, message=f"{error.message}; the file is not read")], \
                "not read (a syntax error)"
        body = next(c for c in tree.children if is_tree(c, "body"))
        attributes, blocks = read_body(body, path)
        return Parsed(blocks, attributes), [], ""

    def folders(self, relative: str) -> list[str]:
        """The names of the folders in a folder of the tree (its listing noted as a
        dependency); none when it is not there or leads out of the tree."""
        return self.listing(relative, folders=True)

    def has_terraform(self, relative: str) -> bool:
        """Whether a folder of the tree holds Terraform files (its listing noted)."""
        return any(name.endswith((".tf", ".tf.json")) for name in self.listing(relative))


class Reading:
    """What reading one unit reported: problems (warnings) and notes, each once."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)

    def warn(self, span: Span, message: str) -> None:
        self.add(Diagnostic(span.path, message, Level.WARNING, span=span))

    def note(self, span: Span, message: str) -> None:
        self.add(Diagnostic(span.path, message, Level.NOTE, span=span))

    def parsed(self, files: "Files", path: str) -> tuple["Parsed | None", str]:
        """A configuration file's blocks and attributes (``None`` when not read, with why),
        what parsing it reported added here."""
        parsed, diagnostics, why = files.parsed(path)
        for diagnostic in diagnostics:
            self.add(diagnostic)
        return parsed, "" if diagnostics else why


class Config(Environment):
    """The names of one configuration file: ``local``, ``include``, ``dependency``."""

    def __init__(self, files: Files, reading: Reading, path: str, parsed: "Parsed", *,
                 terragrunt_path: str, chain: tuple[str, ...],
                 included: bool = False, at: str | None = None,
                 values: Any = None) -> None:
        super().__init__()
        self.files = files
        self.reading = reading
        self.path = path
        self.at = at or path
        """Where Terragrunt reads the file: a unit or stack a stack generates is read at its
        generated place (``oidclint.readers.terragrunt.stack``), written at ``path``."""
        self.values = values
        """``values``: those the stack that generates this file gives it (``None``: no
        stack does, so any ``values.x`` is unknown)."""
        self.terragrunt_path = terragrunt_path
        """The configuration Terragrunt's functions speak of (the including unit's)."""
        self.chain = chain
        self.included = included
        """Evaluated as a file a unit includes (``path_relative_to_include`` speaks of it)."""
        self.locals: dict[str, Attribute] = {}
        self.include_blocks: list[Block] = []
        self.dependencies: dict[str, Block] = {}
        self.features: dict[str, Block] = {}
        self.terraform: Block | None = None
        self.attributes: dict[str, Attribute] = parsed.attributes
        self._values: dict[int, Any] = {}
        self._busy: set[int] = set()
        self._includes: list[Include] | None = None
        for block in parsed.blocks:
            if block.type == "locals":
                for name, attribute in block.attributes.items():
                    self.locals.setdefault(name, attribute)
            elif block.type == "include":
                self.include_blocks.append(block)
            elif block.type == "dependency" and len(block.labels) == 1:
                self.dependencies.setdefault(block.labels[0], block)
            elif block.type == "feature" and len(block.labels) == 1:
                self.features.setdefault(block.labels[0], block)
            elif block.type == "terraform" and self.terraform is None:
                self.terraform = block

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.at) or "."

    @property
    def terragrunt_dir(self) -> str:
        return posixpath.dirname(self.terragrunt_path) or "."

    # --- values ------------------------------------------------------------------------

    def value(self, attribute: Attribute) -> Any:
        """An attribute's value; an expression Terragrunt would reject becomes ``Unknown``."""
        key = id(attribute.value)
        if key in self._values:
            return self._values[key]
        if key in self._busy:
            return Unknown(f"{attribute.name} refers to itself", attribute.value_span)
        self._busy.add(key)
        try:
            value = Evaluator(self, attribute.path).evaluate(attribute.value)
        except (TooLarge, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            value = Unknown(f"not evaluated: {reason}", attribute.value_span)
            self.reading.warn(attribute.value_span,
                              f"{attribute.name}: {reason}; not evaluated")
        except (EvalError, ArithmeticError, ValueError) as exc:
            value = Unknown(f"invalid expression: {exc}", attribute.value_span)
        finally:
            self._busy.discard(key)
        self._values[key] = value
        return value

    def argument(self, block: Block, name: str, default: Any = None) -> Any:
        attribute = block.attributes.get(name)
        return default if attribute is None else self.value(attribute)

    def local(self, name: str, span: Span) -> Any:
        attribute = self.locals.get(name)
        if attribute is None:
            return Unknown(f"undeclared local.{name}", span, f"local.{name}")
        return self.value(attribute)

    def feature(self, name: str, span: Span) -> Any:
        """``feature.NAME`` (its ``value``): the block's ``default``, as the repository runs
        it; ``--feature NAME=...`` or ``TG_FEATURE`` may set another value when Terragrunt
        runs, as a variable's default may be overridden
        (https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#feature).
        A flag this file does not declare (one of an included file) is not known."""
        block = self.features.get(name)
        if block is None:
            return Unknown(f"feature.{name} (not declared in {self.path})", span)
        default = block.attributes.get("default")
        value = self.value(default) if default is not None else \
            Unknown(f"feature.{name} (no default)", span)
        return LDict({Str("value", span): value}, span=span)

    def inputs(self) -> Any:
        """This file's own ``inputs`` (an empty map when it sets none)."""
        attribute = self.attributes.get("inputs")
        return LDict() if attribute is None else self.value(attribute)

    def source(self) -> tuple[Any, Span] | None:
        """This file's own ``terraform { source }`` and where it is written."""
        if self.terraform is None or "source" not in self.terraform.attributes:
            return None
        attribute = self.terraform.attributes["source"]
        return self.value(attribute), attribute.value_span

    def outputs(self, name: str, span: Span) -> Any:
        """``dependency.NAME.outputs``: the outputs applying the dependency gives, when it
        is a unit of the tree whose module's outputs the scan evaluates
        (``Files.outputs_of``); else the ``mock_outputs`` when given (what ``terragrunt
        plan`` uses before the dependency is applied), else unknown until it is applied
        (https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/#dependency)."""
        block = self.dependencies[name]
        where = self.argument(block, "config_path")
        if self.files.outputs_of is not None and isinstance(where, str) \
                and not is_unknown(where):
            folder = self.files.relative(str(where), ".") if posixpath.isabs(str(where)) \
                else posixpath.normpath(posixpath.join(self.terragrunt_dir, str(where)))
            applied = self.files.outputs_of(folder, span) if folder is not None else None
            if applied is not None:
                return applied
        mock = self.argument(block, "mock_outputs")
        if mock is not None and not is_unknown(mock):
            return mock
        shown = f" of {where}" if isinstance(where, str) else ""
        return Unknown(f"dependency.{name}.outputs (the outputs{shown}, known once it is "
                       "applied)", span, f"dependency.{name}")

    def exposed(self, span: Span) -> LDict:
        """The file as ``include.NAME`` (with ``expose``) and ``read_terragrunt_config``
        give it: its locals, inputs, dependencies' outputs and ``terraform`` settings."""
        result = LDict(span=span)
        result[Str("locals", span)] = LDict(
            {Str(name, span): self.local(name, span) for name in self.locals}, span=span)
        result[Str("inputs", span)] = self.inputs()
        result[Str("dependency", span)] = LDict(
            {Str(name, span): LDict({Str("outputs", span): self.outputs(name, span)},
                                    span=span) for name in self.dependencies}, span=span)
        own = self.source()
        if own is not None:
            result[Str("terraform", span)] = LDict({Str("source", span): own[0]}, span=span)
        return result

    # --- includes ----------------------------------------------------------------------

    def includes(self) -> list["Include"]:
        """The files this one includes, in order, each read in the including unit's context."""
        if self._includes is None:
            self._includes = [self._include(block) for block in self.include_blocks]
        return self._includes

    def _include(self, block: Block) -> "Include":
        label = block.labels[0] if block.labels else ""
        expose = self.argument(block, "expose") is True
        strategy = self.argument(block, "merge_strategy", "shallow")
        if strategy not in MERGE_STRATEGIES:
            what = "is not known" if is_unknown(strategy) else \
                f"{strategy!s} is not one Terragrunt knows"
            self.reading.warn(block.span, f"include {label or '(unnamed)'}: merge_strategy "
                                          f"{what}; what it merges is not read")
            strategy = "unknown"
        path = self.argument(block, "path")
        config = self.read(path, block.span, f"include {label or '(unnamed)'}",
                           included=True, context=self.terragrunt_path, values=self.values)
        return Include(label, block, config, expose, str(strategy))

    def read(self, path: Any, span: Span, what: str, *, included: bool,
             context: str | None = None, quiet: bool = False,
             values: Any = None) -> "Config | Unknown":
        """The configuration at ``path`` (relative to the unit's folder), evaluated in the
        ``context`` of the unit (an include) or as itself (``read_terragrunt_config``);
        ``Unknown`` when it cannot be read, with a warning unless ``quiet``."""
        if not isinstance(path, str):
            return derived_unknown(f"{what} path", [path], span) if is_unknown(path) \
                else Unknown(f"{what}: the path is not a string", span)
        relative = self.files.relative(str(path), self.terragrunt_dir)
        if relative is None:
            return self._refused(span, f"{what}: {path} is outside the scanned tree; not read",
                                 quiet)
        if relative in self.chain:
            cycle = " -> ".join([*self.chain[self.chain.index(relative):], relative])
            return self._refused(span, f"{what}: a cycle ({cycle}); not followed", quiet)
        if len(self.chain) >= MAX_DEPTH:
            return self._refused(span, f"{what}: more than {MAX_DEPTH} configuration files "
                                       "read one inside another; not followed", quiet)
        parsed, diagnostics, why = self.files.parsed(relative)
        for diagnostic in diagnostics:
            self.reading.add(diagnostic)
        if parsed is None:
            return self._refused(span, f"{what}: {relative}: {why}", quiet)
        return Config(self.files, self.reading, relative, parsed,
                      terragrunt_path=context or relative, chain=(*self.chain, relative),
                      included=included, values=values)

    def _refused(self, span: Span, message: str, quiet: bool) -> Unknown:
        if not quiet:
            self.reading.warn(span, message)
        return Unknown(message, span)

    # --- Environment -------------------------------------------------------------------

    def reference(self, name: str, span: Span) -> Any:
        if name == "local":
            return _Names("local", self.local)
        if name == "include":
            return _Includes(self)
        if name == "dependency":
            return _Dependencies(self)
        if name == "values":
            return _Values(self.values)
        if name == "feature":
            return _Names("feature", self.feature)
        return Unknown(name, span)

    def function(self, name: str) -> Any:
        from oidclint.readers.terragrunt.functions import TERRAGRUNT_FUNCTIONS

        own = TERRAGRUNT_FUNCTIONS.get(name)
        if own is None:
            return super().function(name)
        return lambda call: own(self, call)

    def read_file(self, path: Any, span: Span) -> Any:
        """``file(path)``, relative to the folder of the file it is written in."""
        if is_unknown(path):
            return derived_unknown("file()", [path], span)
        if not isinstance(path, str):
            raise EvalError("file() expects a path string")
        relative = self.files.relative(str(path), self.folder)
        if relative is None:
            self.reading.warn(span, f"reading {path}: outside the scanned tree; not read")
            return Unknown(f"file {path} (outside the scanned tree)", span)
        try:
            text = self.files.text(relative, MAX_CONFIG_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            self.reading.note(span, f"reading {path}: no such file; its value is unknown")
            return Unknown(f"file {path}", span)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.reading.warn(span, f"reading {path}: {reason}")
            return Unknown(f"file {path}", span)
        return file_value(text, relative, self.text_origins)

    def decode_json(self, value: Any, span: Span) -> Any:
        return decode_located_json(value, span, self.text_origins)


class Include:
    """One ``include`` block: the file it names (``Unknown`` when not read), whether its
    values are exposed as ``include.LABEL``, and how it merges into the unit."""

    def __init__(self, label: str, block: Block, config: Config | Unknown, expose: bool,
                 strategy: str) -> None:
        self.label = label
        self.block = block
        self.config = config
        self.expose = expose
        self.strategy = strategy

    def exposed(self, span: Span) -> Any:
        if isinstance(self.config, Unknown):
            return Unknown(f"include.{self.label}: {self.config.origin}", span)
        return self.config.exposed(span)


class _Names(Reference):
    def __init__(self, prefix: str, lookup: Callable[[str, Span], Any]) -> None:
        self.address = prefix
        self._lookup = lookup

    def attribute(self, name: str, span: Span) -> Any:
        return self._lookup(name, span)


class _Includes(Reference):
    """``include.LABEL`` (``include.locals`` for an unnamed include): an included file's
    values, when its block sets ``expose = true``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.address = "include"

    def attribute(self, name: str, span: Span) -> Any:
        includes = self.config.includes()
        named = next((i for i in includes if i.label == name), None)
        if named is None:
            unnamed = next((i for i in includes if not i.label), None)
            if unnamed is None:
                return Unknown(f"include.{name} (no such include)", span)
            named, step = unnamed, name
        else:
            step = None
        if not named.expose:
            return Unknown(f"include.{named.label or step} (the include does not set "
                           "expose = true)", span)
        value = named.exposed(span)
        if step is None or isinstance(value, Unknown):
            return value
        found = value.get(step)
        return found if found is not None else Unknown(f"include.{step}", span)


class _Values(Reference):
    """``values.NAME``: what the generating stack's ``unit`` or ``stack`` block gives
    (https://terragrunt.gruntwork.io/docs/features/stacks/); a name it does not give, or
    any name when no stack is read, is unknown, never guessed."""

    def __init__(self, values: Any) -> None:
        self.values = values
        self.address = "values"

    def attribute(self, name: str, span: Span) -> Any:
        if self.values is None:
            return Unknown(f"values.{name} (given by a stack that is not read)", span)
        if isinstance(self.values, Unknown):
            return Unknown(f"values.{name} ({self.values.origin})", span)
        if not isinstance(self.values, dict):
            return Unknown(f"values.{name} (the stack's values are not a map)", span)
        found = self.values.get(name)
        if found is None:
            return Unknown(f"values.{name} (the stack gives no such value)", span)
        return found

    def value(self, span: Span) -> Any:
        """``values`` as a whole (``inputs = values``)."""
        if isinstance(self.values, (dict, Unknown)):
            return self.values
        return Unknown("values (given by a stack that is not read)", span)


class _Dependencies(Reference):
    def __init__(self, config: Config) -> None:
        self.config = config
        self.address = "dependency"

    def attribute(self, name: str, span: Span) -> Any:
        if name not in self.config.dependencies:
            return Unknown(f"undeclared dependency.{name}", span, f"dependency.{name}")
        return _Dependency(self.config, name)


class _Dependency(Reference):
    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.address = self.ref = f"dependency.{name}"
        self.name = name

    def attribute(self, name: str, span: Span) -> Any:
        if name == "outputs":
            return self.config.outputs(self.name, span)
        return Unknown(f"{self.address}.{name}", span, self.ref)


@dataclass
class Parsed:
    """A configuration file's top-level blocks and attributes (``inputs`` ...)."""

    blocks: list[Block]
    attributes: dict[str, Attribute]
