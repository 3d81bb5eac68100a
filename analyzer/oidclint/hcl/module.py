"""A Terraform module folder: its declarations and the names expressions can reach.

Every ``.tf`` file of a folder belongs to one module, so a role in one file may use a
variable or data source of another. Values are computed on demand and cached; a name that
is not declared evaluates to ``Unknown("undeclared ...")`` naming the address, so a rule can
say what is missing.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from oidclint.hcl.evaluate import Environment, Evaluator, Reference
from oidclint.hcl.policy_document import policy_document
from oidclint.hcl.policy_text import PolicyTextError, located_json
from oidclint.hcl.resources import computed_attribute
from oidclint.hcl.syntax import Attribute, Block
from oidclint.hcl.values import (
    MISSING, Encoded, EvalError, TextOrigin, derived_unknown, is_unknown, json_text,
)
from oidclint.source import Span, Str, Unknown

MAX_FILE_BYTES = 1_000_000
"""``file()`` reads at most this much; larger files evaluate to ``Unknown``."""


class Module(Environment):
    """The symbol table of one module folder (``"."`` for the scan root)."""

    def __init__(self, folder: str, blocks: list[Block], root: Path | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.root = root
        """The scan root on disk, for ``file()``; ``None`` when not known."""
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.resources: dict[str, Block] = {}
        """Address (``aws_iam_role.ci``, ``data.aws_iam_policy_document.trust``) to block."""
        self.module_calls: dict[str, Block] = {}
        self._values: dict[tuple, Any] = {}
        self._busy: set[tuple] = set()
        for block in blocks:
            self._declare(block)

    def _declare(self, block: Block) -> None:
        if block.type == "locals":
            for name, attribute in block.attributes.items():
                self.locals.setdefault(name, attribute)
            return
        table = {"variable": self.variables, "module": self.module_calls}.get(block.type)
        if table is not None and len(block.labels) == 1:
            table.setdefault(block.labels[0], block)
        elif block.type in ("resource", "data") and len(block.labels) == 2:
            prefix = "data." if block.type == "data" else ""
            address = f"{prefix}{block.labels[0]}.{block.labels[1]}"
            # Terraform rejects a second declaration of an address; the first one counts.
            self.resources.setdefault(address, block)

    # --- values ------------------------------------------------------------------------

    def value(self, attribute: Attribute) -> Any:
        """An attribute's value; an expression Terraform would reject becomes ``Unknown``."""
        key = ("attribute", attribute.path, attribute.span)
        if key in self._values:
            return self._values[key]
        if key in self._busy:
            return Unknown(f"{attribute.name} refers to itself", attribute.value_span)
        self._busy.add(key)
        try:
            value = Evaluator(self, attribute.path).evaluate(attribute.value)
        except EvalError as exc:
            value = Unknown(f"invalid expression: {exc}", attribute.value_span)
        except RecursionError:
            value = Unknown("expression nested too deeply to evaluate", attribute.value_span)
        except (ArithmeticError, ValueError) as exc:  # e.g. an infinite number made whole
            value = Unknown(f"invalid expression: {exc}", attribute.value_span)
        finally:
            self._busy.discard(key)
        self._values[key] = value
        return value

    def argument(self, block: Block, name: str) -> Any:
        """The value of ``name`` set in ``block``, or ``MISSING``."""
        attribute = block.attributes.get(name)
        return MISSING if attribute is None else self.value(attribute)

    def variable(self, name: str, span: Span) -> Any:
        block = self.variables.get(name)
        if block is None:
            return Unknown(f"undeclared var.{name}", span, f"var.{name}")
        default = block.attributes.get("default")
        if default is None:
            return Unknown(f"var.{name} (no default)", span)
        return self.value(default)

    def local(self, name: str, span: Span) -> Any:
        attribute = self.locals.get(name)
        if attribute is None:
            return Unknown(f"undeclared local.{name}", span, f"local.{name}")
        return self.value(attribute)

    def instance(self, address: str, span: Span) -> Any:
        block = self.resources.get(address)
        if block is None:
            return Unknown(f"undeclared {address}", span, address)
        return Instance(self, address, block)

    def policy_document_json(self, instance: "Instance", span: Span) -> Encoded:
        """``data.aws_iam_policy_document.X.json``: the JSON text, carrying its located value."""
        key = ("document", instance.address)
        if key in self._busy:
            return Unknown(f"{instance.address}.json (refers to itself)", span, instance.address)
        decoded = self._values.get(key)
        if decoded is None:
            self._busy.add(key)
            try:
                decoded = policy_document(instance.block, instance.address, self.argument,
                                          self.located_policy)
            finally:
                self._busy.discard(key)
            self._values[key] = decoded
        return Encoded(json_text(decoded), span, instance.address, decoded)

    def located_policy(self, value: Any) -> Any:
        """A policy argument as a located JSON value; raises ``PolicyTextError``."""
        return located_json(value, self.text_origins)

    # --- Environment -------------------------------------------------------------------

    def reference(self, name: str, span: Span) -> Any:
        if name == "var":
            return _Names(self, "var", self.variable)
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
        ``"trust.json"`` of a root module both name the file beside the configuration.
        """
        if is_unknown(path):
            return derived_unknown("file()", [path], span)
        if not isinstance(path, str):
            raise EvalError("file() expects a path string")
        text_path = str(path)
        if self.root is None or posixpath.isabs(text_path) or ":" in text_path:
            return Unknown(f"file {text_path}", span)
        relative = posixpath.normpath(posixpath.join(self.folder, text_path))
        if relative.startswith("../") or relative == "..":
            return Unknown(f"file {text_path} (outside the scanned tree)", span)
        try:
            root = self.root.resolve()
            target = (root / relative).resolve()
            target.relative_to(root)
            if not target.is_file() or target.stat().st_size > MAX_FILE_BYTES:
                return Unknown(f"file {text_path}", span)
            text = target.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return Unknown(f"file {text_path}", span)
        lines = text.split("\n")
        file_span = Span(relative, 1, 1, len(lines), len(lines[-1]) + 1)
        self.text_origins[file_span] = TextOrigin(0)
        return Str(text, file_span)

    def decode_json(self, value: Any, span: Span) -> Any:
        if isinstance(value, Unknown):
            return derived_unknown("jsondecode()", [value], span)
        try:
            return located_json(value, self.text_origins)
        except PolicyTextError as exc:
            raise EvalError(f"jsondecode(): {exc}") from None


class Instance(Reference):
    """A resource or data source (every instance of it, when it has count or for_each)."""

    def __init__(self, module: Module, address: str, block: Block) -> None:
        self.module = module
        self.address = address
        self.ref = address
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
            return Unknown(f"{self.address}.{name}", span, self.address)
        return value

    def value(self, span: Span) -> Any:
        return Unknown(self.address, span, self.address)


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
        return Unknown(f"undeclared {self.address}", span, self.address)


class _DataSources(Reference):
    def __init__(self, module: Module) -> None:
        self.module = module
        self.address = "data"

    def attribute(self, name: str, span: Span) -> Any:
        return _ResourceType(self.module, name, "data.")


class _ModuleCalls(Reference):
    """Outputs of called modules are not evaluated: ``Unknown("module.iam.role_arn")``."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.address = "module"

    def attribute(self, name: str, span: Span) -> Any:
        if name not in self.module.module_calls:
            return Unknown(f"undeclared module.{name}", span, f"module.{name}")
        return Unknown(f"module.{name}", span, f"module.{name}")


class _Path(Reference):
    def __init__(self, module: Module) -> None:
        self.address = "path"

    def attribute(self, name: str, span: Span) -> Any:
        if name == "module":
            return Str(".", span)
        return Unknown(f"path.{name}", span)


class _Opaque(Reference):
    """``count``, ``each``, ``self``, ``terraform``: known only per instance, at plan time."""

    def __init__(self, name: str) -> None:
        self.address = name

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name}", span)
