"""``count``, ``for_each`` and ``dynamic``: one configuration block, many instances.

Terraform evaluates a resource, data source or module call once per element of its
``for_each`` (``each.key``/``each.value``) or per ``count.index``, and addresses each instance
by its key: ``aws_iam_role.deploy["web"]``, ``aws_iam_role.ci[0]``
(https://developer.hashicorp.com/terraform/language/meta-arguments/for_each and
https://developer.hashicorp.com/terraform/language/meta-arguments/count). A ``dynamic``
block repeats its ``content`` the same way, the iterator named by its label or ``iterator``
(https://developer.hashicorp.com/terraform/language/expressions/dynamic-blocks).

A ``Scoped`` block is a block seen from one instance: the names it binds travel with it into
nested blocks, and its ``key`` keeps the values of different instances apart in caches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from oidclint.hcl.syntax import Block, is_tree, name_of, subtrees
from oidclint.hcl.values import MISSING, UnknownElements, is_unknown, to_number
from oidclint.source import LDict, Span, Str, Unknown

if TYPE_CHECKING:
    from oidclint.hcl.module import Module


@dataclass(frozen=True, eq=False)
class Scoped:
    """``block`` evaluated with ``bindings`` (``each``, ``count``, a dynamic iterator)."""

    block: Block
    bindings: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""
    """The instance keys that led here (``["web"]``), empty for a single instance."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.block, name)

    @property
    def blocks(self) -> list["Scoped"]:
        return [Scoped(b, self.bindings, self.key) for b in self.block.blocks]

    def blocks_of(self, kind: str) -> list["Scoped"]:
        return [b for b in self.blocks if b.type == kind]


def scoped(block: Block | Scoped) -> Scoped:
    return block if isinstance(block, Scoped) else Scoped(block)


def key_text(key: Any) -> str:
    """``[0]`` or ``["web"]``, as Terraform prints instance addresses."""
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{json.dumps(str(key))}]"


def instances(module: "Module", block: Scoped) -> list[Scoped] | Unknown:
    """Every instance of a resource, data source or module call, or ``Unknown`` when its
    ``count`` or ``for_each`` cannot be known before apply."""
    if "for_each" in block.attributes:
        value = module.argument(block, "for_each")
        pairs = each_pairs(value, block.attributes["for_each"].value_span)
        if isinstance(pairs, Unknown):
            return pairs
        return [Scoped(block.block, {**block.bindings, "each": _iterator(k, v, block.span)},
                       block.key + key_text(str(k)))
                for k, v in pairs]
    if "count" in block.attributes:
        value = module.argument(block, "count")
        span = block.attributes["count"].value_span
        if is_unknown(value) or value is None:
            return value if isinstance(value, Unknown) else Unknown("count = null", span)
        try:
            number = to_number(value)
        except Exception:  # noqa: BLE001 - Terraform rejects it; nothing is created
            return Unknown(f"count = {value!r} is not a number", span)
        if isinstance(number, float) and not number.is_integer() or number < 0:
            return Unknown(f"count = {value!r} is not a whole number", span)
        return [Scoped(block.block, {**block.bindings, "count": LDict({Str("index", span): i})},
                       block.key + key_text(i))
                for i in range(min(int(number), MAX_INSTANCES))]
    return [block]


MAX_INSTANCES = 1000
"""Instances of one block evaluated; the rest of a larger ``count`` is not read."""


def each_pairs(value: Any, span: Span) -> list[tuple[Any, Any]] | Unknown:
    """``for_each`` elements as (key, value): a map by its keys in lexical order, a set of
    strings by the strings themselves."""
    if is_unknown(value):
        return value if isinstance(value, Unknown) else Unknown(f"for_each {value}", span)
    if value is None or value is MISSING:
        return Unknown("for_each = null", span)
    if isinstance(value, dict):
        if any(is_unknown(k) for k in value):
            return Unknown("for_each over a map with keys known only after apply", span)
        return [(k, value[k]) for k in sorted(value, key=str)][:MAX_INSTANCES]
    if isinstance(value, list):
        if any(isinstance(v, UnknownElements) or is_unknown(v) for v in value):
            return Unknown("for_each over a set with elements known only after apply", span)
        unique = {str(v): v for v in value}
        return [(unique[k], unique[k]) for k in sorted(unique)][:MAX_INSTANCES]
    return Unknown(f"for_each over a {type(value).__name__}", span)


def _iterator(key: Any, value: Any, span: Span) -> LDict:
    return LDict({Str("key", span): key, Str("value", span): value}, span=span)


def expand(module: "Module", parent: Scoped, kind: str) -> list[Scoped | Unknown]:
    """The ``kind`` blocks of ``parent`` in order, ``dynamic "kind"`` blocks expanded: each
    generated block is the ``content`` with the iterator bound; an iteration that cannot be
    known is one ``Unknown``."""
    found: list[Scoped | Unknown] = []
    for child in parent.blocks:
        if child.type == kind:
            found.append(child)
        elif child.type == "dynamic" and child.labels[:1] == [kind]:
            found.extend(_dynamic(module, child, kind))
    return found


def _dynamic(module: "Module", block: Scoped, kind: str) -> list[Scoped | Unknown]:
    content = block.blocks_of("content")
    if not content or "for_each" not in block.attributes:
        return [Unknown(f"dynamic {kind} block without content or for_each", block.span)]
    pairs = each_pairs(module.argument(block, "for_each"),
                       block.attributes["for_each"].value_span)
    if isinstance(pairs, Unknown):
        return [Unknown(f"dynamic {kind} block over {pairs.origin}", block.span)]
    name = _iterator_name(block) or kind
    return [Scoped(content[0].block, {**block.bindings, name: _iterator(k, v, block.span)},
                   f"{block.key}/{kind}{key_text(k if isinstance(k, int) else str(k))}")
            for k, v in _dynamic_pairs(pairs, module.argument(block, "for_each"))]


def _dynamic_pairs(pairs: list[tuple[Any, Any]], collection: Any) -> list[tuple[Any, Any]]:
    """A dynamic block over a list iterates it in order, keyed by index (unlike resources,
    ``dynamic`` accepts lists with repeated elements)."""
    if isinstance(collection, list):
        return list(enumerate(collection))[:MAX_INSTANCES]
    return pairs


def _iterator_name(block: Scoped) -> str | None:
    attribute = block.attributes.get("iterator")
    if attribute is None:
        return None
    node = attribute.value
    while is_tree(node) and node.data in ("expression", "expr_term") and subtrees(node):
        node = subtrees(node)[0]
    return name_of(node) if is_tree(node, "identifier") else None
