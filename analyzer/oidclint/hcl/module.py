"""A Terraform module folder: its declarations and the names expressions can reach.

Every ``.tf`` file of a folder belongs to one module, so a role in one file may use a
variable or data source of another. Values are computed on demand and cached; a name that
is not declared evaluates to ``Unknown("undeclared ...")`` naming the address, so a rule can
say what is missing.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oidclint.hcl.evaluate import Environment, Evaluator, Reference
from oidclint.hcl.instances import Scoped, expand, instances, key_text, scoped
from oidclint.hcl.policy_document import policy_document
from oidclint.hcl.policy_text import decode_located_json, file_value, located_json
from oidclint.hcl.providers import reference_text
from oidclint.hcl.resources import computed_attribute, nested_default
from oidclint.hcl.syntax import Attribute, Block
from oidclint.hcl.types import Type, convert, type_constraint
from oidclint.hcl.values import (
    MISSING, Encoded, EvalError, ResourceObject, UnknownElements, derived_unknown,
    is_unknown, json_text,
)
from oidclint.limits import TooLarge
from oidclint.located.tree_files import TreeFiles
from oidclint.source import LDict, LList, Span, Str, Unknown, concat, fill_ins

if TYPE_CHECKING:
    from oidclint.hcl.configuration import Configuration

MAX_FILE_BYTES = 1_000_000
"""``file()`` reads at most this much; larger files are reported and evaluate to
``Unknown``."""
MAX_MODULE_DEPTH = 16
"""Module calls followed from a root module; deeper (or cyclic) calls stay unevaluated."""
_CALL_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers",
                                  "depends_on"})


class Module(Environment):
    """The symbol table of one module instance: a folder (``"."`` for the scan root) with the
    values its variables receive (from ``.tfvars`` files for a root module, from the calling
    ``module`` block for a child)."""

    def __init__(self, folder: str, blocks: list[Block], root: Path | None = None, *,
                 inputs: dict[str, Any] | None = None, address: str = "",
                 scope: str | None = None, calls: tuple[Block, ...] = (),
                 configuration: "Configuration | None" = None,
                 caller: "Module | None" = None,
                 provider_map: dict[str, str] | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.root = root
        """The scan root on disk, for ``file()``; ``None`` when not known."""
        self.files = TreeFiles(root)
        self.inputs = inputs or {}
        """Variable values set from outside, by name."""
        self.address = address
        """``module.gh.`` (with instance keys) for a child module, empty for a root module."""
        self.scope = folder if scope is None else scope
        """The root module folder: everything below one root deploys to the same account."""
        self.calls = calls
        """The ``module`` blocks, outermost first, that made this instance."""
        self.configuration = configuration
        self.caller = caller
        """The module whose ``module`` block made this one; ``None`` for a root module."""
        self.provider_map = provider_map or {}
        """The call's ``providers``: this module's configuration name -> the caller's."""
        self.provider_declarations: list[Block] = []
        self.provider_configurations: dict[str, Block] | None = None
        """``oidclint.hcl.providers.provider_blocks``, once worked out."""
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.outputs: dict[str, Block] = {}
        self.resources: dict[str, Block] = {}
        """Address (``aws_iam_role.ci``, ``data.aws_iam_policy_document.trust``) to block."""
        self.module_calls: dict[str, Block] = {}
        self._values: dict[tuple, Any] = {}
        self._issuer_url_names: frozenset[str] | None = None
        self._busy: set[tuple] = set()
        self.roles_elsewhere: list[str] = []
        """Names (globs) of the roles of module calls whose code is not read: a registry
        module at a version without a built-in model."""
        self.warnings: dict[tuple[Span, str], None] = {}
        """What reads one way and acts another (merged condition blocks), in order."""
        self.problems: dict[tuple[Span, str], None] = {}
        """What could not be read or evaluated (a file refused, a value too large)."""
        self._instances: dict[str, list[Scoped] | Unknown] = {}
        self._children: dict[str, list[tuple[Scoped, "Module | None"]]] = {}
        for block in blocks:
            self._declare(block)

    def _declare(self, block: Block) -> None:
        if block.type == "locals":
            for name, attribute in block.attributes.items():
                self.locals.setdefault(name, attribute)
            return
        table = {"variable": self.variables, "module": self.module_calls,
                 "output": self.outputs}.get(block.type)
        if table is not None and len(block.labels) == 1:
            table.setdefault(block.labels[0], block)
        elif block.type == "provider" and len(block.labels) == 1:
            self.provider_declarations.append(block)
        elif block.type in ("resource", "data") and len(block.labels) == 2:
            prefix = "data." if block.type == "data" else ""
            address = f"{prefix}{block.labels[0]}.{block.labels[1]}"
            # Terraform rejects a second declaration of an address; the first one counts.
            self.resources.setdefault(address, block)

    def warn(self, span: Span, message: str) -> None:
        self.warnings.setdefault((span, message), None)

    def report(self, span: Span, message: str) -> None:
        """Something of the module that could not be read or evaluated (a warning)."""
        self.problems.setdefault((span, message), None)

    # --- values ------------------------------------------------------------------------

    def value(self, attribute: Attribute, within: Scoped | None = None) -> Any:
        """An attribute's value (in the instance ``within`` when the block has several); an
        expression Terraform would reject becomes ``Unknown``."""
        bindings, instance_key = (within.bindings, within.key) if within else ({}, "")
        # The tree's identity, not its span: a built-in model's attributes share one span.
        key = ("attribute", id(attribute.value), attribute.span, instance_key)
        if key in self._values:
            return self._values[key]
        if key in self._busy:
            return Unknown(f"{attribute.name} refers to itself", attribute.value_span)
        self._busy.add(key)
        try:
            value = Evaluator(self, attribute.path, dict(bindings)).evaluate(attribute.value)
        except (TooLarge, RecursionError) as exc:
            # Past a limit of the scan, not an error of the code: said, never silent.
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            value = Unknown(f"not evaluated: {reason}", attribute.value_span)
            if not getattr(exc, "repeated", False):
                self.report(attribute.value_span, f"{attribute.name}: {reason}; not evaluated")
        except EvalError as exc:
            value = Unknown(f"invalid expression: {exc}", attribute.value_span)
        except (ArithmeticError, ValueError) as exc:  # e.g. an infinite number made whole
            value = Unknown(f"invalid expression: {exc}", attribute.value_span)
        finally:
            self._busy.discard(key)
        self._values[key] = value
        return value

    def argument(self, block: Block | Scoped, name: str) -> Any:
        """The value of ``name`` set in ``block``, or ``MISSING``."""
        attribute = block.attributes.get(name)
        if attribute is None:
            return MISSING
        return self.value(attribute, block if isinstance(block, Scoped) else None)

    def _unread_files(self) -> bool:
        """A file of the module's folder could not be read (a syntax error, a broken link)."""
        return self.configuration is not None and self.folder in self.configuration.incomplete

    def undeclared(self, what: str, span: Span, ref: str | None = None) -> Unknown:
        """A reference to what the module does not declare: ``undeclared ...`` (which rules
        may report as a mistake) when every file of its folder was read; only unknown when
        one could not be (a syntax error, a link out of the tree), since it may be there."""
        if self._unread_files():
            return Unknown(f"{what} (a file of {self.folder} could not be read)", span, ref)
        return Unknown(f"undeclared {what}", span, ref)

    def variable(self, name: str, span: Span) -> Any:
        """``var.NAME``: the value given (by the caller or a ``.tfvars`` file) or the
        default, converted to the variable's ``type`` as Terraform converts it
        (``oidclint.hcl.types``)."""
        block = self.variables.get(name)
        if block is None:
            if name in self.inputs and self._unread_files():
                # Declared, maybe, in a file that could not be read: the caller's value is
                # what it would hold (its type, and so any conversion, not known).
                return self.inputs[name]
            return self.undeclared(f"var.{name}", span, f"var.{name}")
        if name in self.inputs:
            value = self.inputs[name]
        else:
            default = block.attributes.get("default")
            if default is None:
                value = Unknown(f"var.{name} (no default)", span)
                return self._as_issuer_url(name, value)
            value = self.value(default)
        value = self._as_issuer_url(name, value)
        kind = self.variable_type(block)
        if kind is None:
            return value
        try:
            return convert(value, kind)
        except EvalError as exc:
            return Unknown(f"var.{name}: Terraform rejects the value ({exc})",
                           getattr(value, "span", None) or span)

    def _as_issuer_url(self, name: str, value: Any) -> Any:
        """A value not known of a variable that a provider of the module takes whole as its
        ``url`` (``url = var.issuer``) begins with ``https://``, as IAM accepts no other URL
        (docs/facts.md, section 1): ``"${var.issuer}:sub"`` is then a key with a scheme
        whatever the rest, a mistake the known part decides."""
        if type(value) is not Unknown:
            return value
        if self._issuer_url_names is None:
            self._issuer_url_names = frozenset(
                text[len("var."):] for address, block in self.resources.items()
                if address.startswith("aws_iam_openid_connect_provider.")
                and "url" in block.attributes
                and (text := reference_text(block.attributes["url"].value)).startswith("var."))
        if name not in self._issuer_url_names:
            return value
        return concat(["https://", value])

    def variable_type(self, block: Block) -> Type | None:
        """The type constraint of a variable block; ``None`` when it has none (or one this
        reader cannot read, whose value is then taken as it is)."""
        attribute = block.attributes.get("type")
        if attribute is None:
            return None
        key = ("type", id(attribute.value), attribute.span)
        if key not in self._values:
            evaluator = Evaluator(Environment(), attribute.path)
            try:
                self._values[key] = type_constraint(attribute.value, evaluator.evaluate)
            except (EvalError, RecursionError):
                self._values[key] = None
        return self._values[key]

    def filled_variable(self, name: str, span: Span) -> Any:
        """``var.NAME`` as expressions see it: a fill-in placeholder left in a default or a
        ``.tfvars`` value (``<ACCOUNT_ID>``) is unknown (``oidclint.source.fill_ins``)."""
        return fill_ins(self.variable(name, span))

    def local(self, name: str, span: Span) -> Any:
        attribute = self.locals.get(name)
        if attribute is None:
            return self.undeclared(f"local.{name}", span, f"local.{name}")
        return self.value(attribute)

    def instance(self, address: str, span: Span) -> Any:
        block = self.resources.get(address)
        if block is None:
            return self.undeclared(self.address + address, span, self.address + address)
        found = self.instances_of(address)
        if isinstance(found, Unknown) or "count" in block.attributes \
                or "for_each" in block.attributes:
            return _Instances(self, address, found)
        return Instance(self, address, found[0])

    def instances_of(self, address: str) -> list[Scoped] | Unknown:
        """The instances of a resource or data source: several with ``count``/``for_each``,
        ``Unknown`` when how many is known only at apply time."""
        found = self._instances.get(address)
        if found is None:
            block = scoped(self.resources[address])
            key = ("instances", address)
            if key in self._busy:
                return Unknown(f"{self.address}{address} refers to itself", block.span)
            self._busy.add(key)
            try:
                found = self._instances[address] = instances(self, block)
            finally:
                self._busy.discard(key)
        return found

    def each_instance(self, address: str) -> list["Instance"]:
        """One ``Instance`` per instance; a single one, its ``each``/``count`` unknown, when
        the instances cannot be known."""
        found = self.instances_of(address)
        if isinstance(found, Unknown):
            return [Instance(self, address, scoped(self.resources[address]))]
        return [Instance(self, address, block) for block in found]

    def output(self, name: str, span: Span) -> Any:
        block = self.outputs.get(name)
        if block is None:
            return self.undeclared(f"output {self.address}{name}", span)
        value = self.argument(block, "value")
        return Unknown(f"{self.address}{name}", span) if value is MISSING else value

    def children(self, name: str) -> list[tuple[Scoped, "Module | None"]]:
        """Each instance of the module call ``name`` and the module it evaluates (``None``
        when the called module's code is not available)."""
        found = self._children.get(name)
        if found is None:
            key = ("module", name)
            if key in self._busy:
                return []
            self._busy.add(key)
            try:
                found = self._children[name] = self._call(name)
            finally:
                self._busy.discard(key)
        return found

    def _call(self, name: str) -> list[tuple[Scoped, "Module | None"]]:
        call = self.module_calls[name]
        calls = instances(self, scoped(call))
        if isinstance(calls, Unknown):
            calls = [scoped(call)]
        made = []
        for instance in calls:
            child = None
            if self.configuration is not None and len(self.calls) < MAX_MODULE_DEPTH:
                child = self.configuration.called(self, name, instance)
            made.append((instance, child))
        return made

    def call_inputs(self, call: Scoped) -> dict[str, Any]:
        """The arguments of a ``module`` block, evaluated here: the child's variables."""
        return {name: self.value(attribute, call) for name, attribute in call.attributes.items()
                if name not in _CALL_META_ARGUMENTS}

    def policy_document_json(self, instance: "Instance", span: Span) -> Encoded:
        """``data.aws_iam_policy_document.X.json``: the JSON text, carrying its located value."""
        key = ("document", instance.full_address)
        if key in self._busy:
            return Unknown(f"{instance.address}.json (refers to itself)", span, instance.address)
        decoded = self._values.get(key)
        if decoded is None:
            self._busy.add(key)
            try:
                decoded = policy_document(instance.block, instance.full_address, self)
            finally:
                self._busy.discard(key)
            self._values[key] = decoded
        return Encoded(json_text(decoded), span, instance.full_address, decoded)

    def located_policy(self, value: Any) -> Any:
        """A policy argument as a located JSON value; raises ``PolicyTextError``."""
        return located_json(value, self.text_origins)

    # --- Environment -------------------------------------------------------------------

    def reference(self, name: str, span: Span) -> Any:
        if name == "var":
            return _Names(self, "var", self.filled_variable)
        if name == "local":
            return _Names(self, "local", self.local)
        if name == "data":
            return _DataSources(self)
        if name == "module":
            return _ModuleCalls(self)
        if name == "path":
            return _Path(self)
        if name in ("count", "each", "self", "terraform"):
            return _Opaque(name)
        return _ResourceType(self, name)

    def read_file(self, path: Any, span: Span) -> Any:
        """``file(path)``: the text of a file of the scan, relative to this module's folder.

        ``path.module`` is ``"."`` here, so ``"${path.module}/trust.json"`` and the bare
        ``"trust.json"`` of a root module both name the file beside the configuration. A file
        that cannot be read (outside the tree, not a regular file, too large, not text) is
        reported and its value is unknown.
        """
        if is_unknown(path):
            return derived_unknown("file()", [path], span)
        if not isinstance(path, str):
            raise EvalError("file() expects a path string")
        text_path = str(path)
        if self.root is None or posixpath.isabs(text_path) or ":" in text_path:
            return Unknown(f"file {text_path}", span)
        relative = self.files.inside(text_path, self.folder)
        if relative is None:
            self.report(span, f"reading {text_path}: outside the scanned tree; not read")
            return Unknown(f"file {text_path} (outside the scanned tree)", span)
        try:
            # Whatever comes of the read (a file not there, not UTF-8, a link now pointing
            # elsewhere), a cached result depends on what is at this path.
            text = self.files.text(relative, MAX_FILE_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            self.warn(span, f"reading {text_path}: no such file; its value is unknown")
            return Unknown(f"file {text_path}", span)
        except OSError as exc:
            self.report(span, f"reading {text_path}: cannot read: {exc.strerror or exc}")
            return Unknown(f"file {text_path}", span)
        except ValueError as exc:
            self.report(span, f"reading {text_path}: {exc}")
            return Unknown(f"file {text_path}", span)
        return file_value(text, relative, self.text_origins)

    def decode_json(self, value: Any, span: Span) -> Any:
        return decode_located_json(value, span, self.text_origins)


class Instance(Reference):
    """One instance of a resource or data source (all of them alike when its ``count`` or
    ``for_each`` is known only at apply time)."""

    def __init__(self, module: Module, local_address: str, block: Scoped) -> None:
        self.module = module
        self.local_address = local_address
        """``aws_iam_role.ci``, as written in this module."""
        self.address = self.full_address = module.address + local_address + block.key
        """``module.gh.aws_iam_role.ci["web"]``, as Terraform addresses the instance."""
        self.ref = self.address
        self.block = block
        self.is_data = block.type == "data"
        self.type = block.labels[0]
        self.name = block.labels[1]

    def argument(self, name: str) -> Any:
        return self.module.argument(self.block, name)

    def attribute(self, name: str, span: Span) -> Any:
        value = computed_attribute(self, name, span)
        if value is MISSING:
            value = self.argument(name)
        if value is MISSING:
            return nested_blocks(self, self.block, (name,), span)
        return value

    def value(self, span: Span) -> Any:
        return ResourceObject(self.address, span, self.address, self)


def nested_blocks(instance: Instance, parent: Scoped, path: tuple[str, ...],
                  span: Span) -> Any:
    """``metadata`` of ``kubernetes_namespace.app``: the nested blocks of that type, which
    Terraform exposes as a list of objects (``metadata[0].name``); ``Unknown`` when there are
    none."""
    address = instance.address + "".join(f".{step}" for step in path)
    found = expand(instance.module, parent, path[-1])
    if not found:
        return Unknown(address, span, instance.address)
    return _NestedBlocks(instance, path, address, found)


class _NestedBlocks(Reference):
    """The nested blocks of one type in a resource (``metadata``): indexing picks one."""

    def __init__(self, instance: Instance, path: tuple[str, ...], address: str,
                 found: list[Scoped | Unknown]) -> None:
        self.instance = instance
        self.path = path
        self.address = address
        self.ref = instance.address
        self.found = found

    def index(self, key: Any, span: Span) -> Any:
        if is_unknown(key) or not isinstance(key, (int, float)) or isinstance(key, bool):
            return Unknown(f"{self.address}[{key}]", span, self.ref)
        position = int(key)
        if not 0 <= position < len(self.found) or any(
                isinstance(b, Unknown) for b in self.found[:position + 1]):
            return Unknown(f"{self.address}[{position}]", span, self.ref)
        return _NestedBlock(self.instance, self.path, f"{self.address}[{position}]",
                            self.found[position])

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name} (an index is needed)", span, self.ref)

    def elements(self) -> list[Any] | None:
        if any(isinstance(b, Unknown) for b in self.found):
            return None
        return [_NestedBlock(self.instance, self.path, f"{self.address}[{i}]", block)
                for i, block in enumerate(self.found)]

    def value(self, span: Span) -> Any:
        elements = self.elements()
        if elements is None:
            return Unknown(self.address, span, self.ref)
        return LList([element.value(span) for element in elements], span=span)


class _NestedBlock(Reference):
    """One nested block: its arguments as written, the provider's defaults for those not
    set (``oidclint.hcl.resources.nested_default``), and its own nested blocks."""

    def __init__(self, instance: Instance, path: tuple[str, ...], address: str,
                 block: Scoped) -> None:
        self.instance = instance
        self.path = path
        self.address = address
        self.ref = instance.address
        self.block = block

    def attribute(self, name: str, span: Span) -> Any:
        value = self.instance.module.argument(self.block, name)
        if value is MISSING:
            value = nested_default(self.instance, self.path, name, self.block, span)
        if value is MISSING:
            return nested_blocks(self.instance, self.block, (*self.path, name), span)
        return value

    def value(self, span: Span) -> Any:
        names = list(self.block.attributes) + [b.type for b in self.block.blocks]
        result = LDict(span=self.block.span)
        for name in dict.fromkeys(names):
            item = self.attribute(name, span)
            result[Str(name, span)] = item.value(span) if isinstance(item, Reference) else item
        return result


class _Instances(Reference):
    """A resource with ``count`` or ``for_each``: indexing picks the instance."""

    def __init__(self, module: Module, local_address: str,
                 found: list[Scoped] | Unknown) -> None:
        self.module = module
        self.local_address = local_address
        self.address = self.ref = module.address + local_address
        self.found = found

    def index(self, key: Any, span: Span) -> Any:
        block = scoped(self.module.resources[self.local_address])
        if isinstance(self.found, Unknown) or is_unknown(key):
            # Which instance is not known: any of them, alike in configuration.
            return Instance(self.module, self.local_address, block)
        wanted = key_text(key if isinstance(key, int) else str(key))
        for instance in self.found:
            if instance.key == wanted or instance.covers(key):
                return Instance(self.module, self.local_address, instance)
        return Unknown(f"{self.address}{wanted} (no such instance)", span, self.address)

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name} (an instance key is needed)", span, self.address)

    def value(self, span: Span) -> Any:
        """The instances as a value: a list by ``count.index``, a map by ``each.key``. When
        how many is not known, any number of them, each as its configuration says (the
        instance an unknown key picks)."""
        elements = self.elements()
        keyed = "for_each" in self.module.resources[self.local_address].attributes
        if elements is None:
            every = self.index(Unknown(f"an instance key of {self.address}"), span).value(span)
            many = UnknownElements(self.address, span, self.ref)
            return LDict({many: every}, span=span) if keyed else LList([many.each(every)],
                                                                           span=span)
        values = [e.value(span) if isinstance(e, Reference) else e for e in elements]
        if not keyed:
            return LList(values, span=span)
        if any(isinstance(e, UnknownElements) for e in elements):
            return Unknown(f"{self.address} (keys of instances evaluated together)", span,
                           self.ref)
        keys = [Str(json.loads(b.key[1:-1]), span) for b in self.found]  # `["web"]`
        return LDict(zip(keys, values), span=span)

    def elements(self) -> list[Any] | None:
        if isinstance(self.found, Unknown):
            return None
        # Instances evaluated together (past the cap) are several elements, how many of each
        # value not known: the list holds unknown elements in their place.
        return [Instance(self.module, self.local_address, block) if block.stands_for is None
                else UnknownElements(f"{self.address}{block.key}", block.span)
                for block in self.found]


class _Names(Reference):
    def __init__(self, module: Module, prefix: str, lookup) -> None:
        self.address = prefix
        self._lookup = lookup

    def attribute(self, name: str, span: Span) -> Any:
        return self._lookup(name, span)


class _ResourceType(Reference):
    def __init__(self, module: Module, kind: str, prefix: str = "") -> None:
        self.module = module
        self.address = prefix + kind

    def attribute(self, name: str, span: Span) -> Any:
        return self.module.instance(f"{self.address}.{name}", span)

    def value(self, span: Span) -> Any:
        return self.module.undeclared(self.address, span, self.address)


class _DataSources(Reference):
    def __init__(self, module: Module) -> None:
        self.module = module
        self.address = "data"

    def attribute(self, name: str, span: Span) -> Any:
        return _ResourceType(self.module, name, "data.")


class _ModuleCalls(Reference):
    """``module.NAME``: the outputs of the called module, when its code is available."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.address = "module"

    def attribute(self, name: str, span: Span) -> Any:
        if name not in self.module.module_calls:
            return Unknown(f"undeclared module.{name}", span, f"module.{name}")
        call = self.module.module_calls[name]
        children = self.module.children(name)
        repeated = "count" in call.attributes or "for_each" in call.attributes
        if len(children) == 1 and not repeated:
            return _Outputs(self.module.address + f"module.{name}", children[0][1])
        return _CallInstances(self.module.address + f"module.{name}", children)


class _CallInstances(Reference):
    """A module call with ``count`` or ``for_each``: indexing picks the instance."""

    def __init__(self, address: str, children: list[tuple[Scoped, Module | None]]) -> None:
        self.address = self.ref = address
        self.children = children

    def index(self, key: Any, span: Span) -> Any:
        if is_unknown(key):
            return Unknown(f"{self.address}[{key}]", span, self.address)
        wanted = key_text(key if isinstance(key, int) else str(key))
        for call, child in self.children:
            if call.key == wanted or call.covers(key):
                return _Outputs(self.address + call.key, child)
        return Unknown(f"{self.address}{wanted} (no such instance)", span, self.address)

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name}", span, self.address)

    def value(self, span: Span) -> Any:
        """The instances as a value (``for_each = module.x``): a list by ``count.index``, a
        map by ``each.key``, each instance its outputs as an object."""
        elements = self.elements()
        if elements is None:
            return Unknown(f"{self.address} (its instances)", span, self.ref)
        values = [element.value(span) for element in elements]
        if not all(call.key.startswith('["') for call, _ in self.children):
            return LList(values, span=span)
        keys = [Str(json.loads(call.key[1:-1]), span) for call, _ in self.children]
        return LDict(zip(keys, values), span=span)

    def elements(self) -> list[Any] | None:
        """Each instance's outputs; None past the cap, or when how many is not known."""
        if any(call.stands_for is not None or not call.key for call, _ in self.children):
            return None
        return [_Outputs(self.address + call.key, child) for call, child in self.children]


class _Outputs(Reference):
    def __init__(self, address: str, child: Module | None) -> None:
        self.address = self.ref = address
        self.child = child

    def attribute(self, name: str, span: Span) -> Any:
        if self.child is None:
            return Unknown(f"{self.address}.{name}", span, self.address)
        return self.child.output(name, span)

    def value(self, span: Span) -> Any:
        """The call's outputs as one object (``module.x`` used whole)."""
        if self.child is None:
            return Unknown(self.address, span, self.ref)
        return LDict({Str(name, span): self.child.output(name, span)
                      for name in self.child.outputs}, span=span)


class _Path(Reference):
    def __init__(self, module: Module) -> None:
        self.module = module
        self.address = "path"

    def attribute(self, name: str, span: Span) -> Any:
        # file() reads relative to the module's folder, so path.module is "." and the root
        # module's folder is reached from here.
        if name == "module":
            return Str(".", span)
        if name in ("root", "cwd") and self.module.scope is not None:
            return Str(posixpath.relpath(self.module.scope, self.module.folder), span)
        return Unknown(f"path.{name}", span)


class _Opaque(Reference):
    """``count``, ``each``, ``self``, ``terraform``: known only per instance, at plan time."""

    def __init__(self, name: str) -> None:
        self.address = name

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name}", span)
