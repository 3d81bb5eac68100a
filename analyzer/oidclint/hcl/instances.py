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

Past ``MAX_INSTANCES`` instances, the rest are not dropped: they are evaluated together, as
one instance whose ``count.index`` is an ``IndexRange`` and whose ``each.key`` a ``KeyAmong``
(``each.value`` is known when it is the same for all of them), so what holds whatever the
index still shows, and a comparison that decides the same way for all of them is decided. The
indexes and keys the block names literally (``count.index == 1500``) are evaluated one by one
first, so that such a comparison splits nothing left together. The scan notes the cap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from lark import Token, Tree

from oidclint.hcl.syntax import Block, is_tree, name_of, subtrees
from oidclint.hcl.values import (
    MISSING, IndexRange, KeyAmong, ResourceObject, UnknownElements, is_unknown, json_text,
    may_meet, same_value, to_number, type_name,
)
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
    stands_for: range | frozenset[str] | None = None
    """The indexes or keys of the instances this one is evaluated for, past the cap."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.block, name)

    def covers(self, key: Any) -> bool:
        """Whether ``key`` (``1500``, ``"web"``) is among the instances this one stands for."""
        if isinstance(self.stands_for, range):
            return isinstance(key, int) and key in self.stands_for
        return self.stands_for is not None and str(key) in self.stands_for

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
        span = block.attributes["for_each"].value_span
        pairs = each_pairs(value, span)
        if isinstance(pairs, Unknown):
            return pairs

        def each(key: Any, value: Any, suffix: str, stands_for: Any = None) -> Scoped:
            iterator = _iterator(key, value, block.span)
            return Scoped(block.block, {**block.bindings, "each": iterator},
                          block.key + suffix, stands_for)

        found = [each(k, v, key_text(str(k))) for k, v in pairs[:MAX_INSTANCES]]
        rest = pairs[MAX_INSTANCES:]
        if rest:
            literal = _literals(block.block, str)
            alone = {str(k) for k, _ in rest if str(k) in literal}
            alone = set(sorted(alone)[:MAX_NAMED_PAST_CAP])
            found += [each(k, v, key_text(str(k))) for k, v in rest if str(k) in alone]
            for group in _groups([(k, v) for k, v in rest if str(k) not in alone]):
                key, value, text = _together(group, "each", span)
                found.append(each(key, value, text,
                                  key.keys if isinstance(key, KeyAmong) else None))
            _note_cap(module, block, span, len(pairs), "for_each", "each.key")
        return found
    if "count" in block.attributes:
        value = module.argument(block, "count")
        span = block.attributes["count"].value_span
        if is_unknown(value) or value is None:
            return value if isinstance(value, Unknown) else Unknown("count = null", span)
        try:
            number = to_number(value)
        except Exception:  # noqa: BLE001 - Terraform rejects it; nothing is created
            return Unknown(f"count = {value} is not a number", span)
        if isinstance(number, float) and not number.is_integer() or number < 0:
            return Unknown(f"count = {number} is not a whole number", span)
        count = int(number)

        def numbered(index: Any, suffix: str, stands_for: range | None = None) -> Scoped:
            index_map = LDict({Str("index", span): index})
            return Scoped(block.block, {**block.bindings, "count": index_map},
                          block.key + suffix, stands_for)

        found = [numbered(i, key_text(i)) for i in range(min(count, MAX_INSTANCES))]
        if count > MAX_INSTANCES:
            for low, high in _ranges_past_cap(block.block, count):
                if low == high:
                    found.append(numbered(low, key_text(low)))
                else:
                    index = IndexRange(f"count.index (one of {low:,} to {high:,})", span,
                                       None, low, high)
                    found.append(numbered(index, f"[{low}..{high}]", range(low, high + 1)))
            _note_cap(module, block, span, count, "count", "count.index")
        return found
    return [block]


MAX_INSTANCES = 1000
"""Instances of one block evaluated one by one; the rest are evaluated together."""
MAX_NAMED_PAST_CAP = 32
"""Instances past the cap whose index or key the block names literally, evaluated one by one
before the rest are evaluated together."""


def _note_cap(module: "Module", block: Scoped, span: Span, count: int, argument: str,
              name: str) -> None:
    labels = block.labels
    address = ("module." + labels[0] if block.type == "module" else
               ("data." if block.type == "data" else "") + ".".join(labels[:2]))
    module.warn(span, f"{module.address}{address}{block.key} has {count:,} instances "
                      f"({argument}): the first {MAX_INSTANCES:,} are evaluated one by one, the "
                      f"other {count - MAX_INSTANCES:,} together, as one whose {name} is any of "
                      "theirs; what depends on which one it is stays unknown")


def _ranges_past_cap(block: Block, count: int) -> list[tuple[int, int]]:
    """``MAX_INSTANCES..count-1`` cut at the indexes the block names literally, each of them a
    range of its own, so a comparison with any of them decides every other range."""
    named = sorted({int(n) for n in _literals(block, float)
                    if float(n).is_integer() and MAX_INSTANCES <= n < count})
    named = named[:MAX_NAMED_PAST_CAP]
    ranges, low = [], MAX_INSTANCES
    for index in named:
        if low < index:
            ranges.append((low, index - 1))
        ranges.append((index, index))
        low = index + 1
    if low < count:
        ranges.append((low, count - 1))
    return ranges


def _groups(pairs: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """Instances to evaluate together: one group per value when they have a few values (so
    ``each.value`` stays known), else one group."""
    if not pairs or all(k is v for k, v in pairs):  # a set: each value is its key
        return [pairs] if pairs else []
    groups: dict[str, list[tuple[Any, Any]]] = {}
    for pair in pairs:
        groups.setdefault(json_text(pair[1]), []).append(pair)
        if len(groups) > MAX_NAMED_PAST_CAP:
            return [pairs]
    return list(groups.values())


def _together(group: list[tuple[Any, Any]], name: str, span: Span) -> tuple[Any, Any, str]:
    """The key and value of instances evaluated together (``name`` ``each`` or a dynamic
    block's iterator), and their key text: the first and last key, ``["a".."z"]``, or
    ``[1000..1999]`` for list indexes (a group's indexes lie in that range, maybe not all)."""
    if len(group) == 1:
        key = group[0][0]
        return key, group[0][1], key_text(key if isinstance(key, int) else str(key))
    first = group[0][1]
    if all(isinstance(k, int) for k, _ in group):
        low, high = min(k for k, _ in group), max(k for k, _ in group)
        value = first if all(same_value(first, v) for _, v in group) else Unknown(
            f"{name}.value (of {len(group):,} blocks)", span)
        return (IndexRange(f"{name}.key (one of {low:,} to {high:,})", span, None, low, high),
                value, f"[{low}..{high}]")
    keys = sorted(str(k) for k, _ in group)
    key = KeyAmong(f"{name}.key (one of {len(keys):,} keys)", span, None, frozenset(keys))
    if all(k is v for k, v in group):
        value: Any = key
    elif all(same_value(first, v) for _, v in group):
        value = first
    else:
        value = Unknown(f"{name}.value (of {len(keys):,} instances)", span)
    return key, value, f"[{key_text(keys[0])[1:-1]}..{key_text(keys[-1])[1:-1]}]"


def _literals(block: Block, kind: type) -> set:
    """The numbers (``kind`` float) or plain strings (``str``) written in a block, outside its
    ``count`` and ``for_each``."""
    found: set = set()
    trees = [a.value for name, a in block.attributes.items() if name not in ("count", "for_each")]
    trees += [b for b in block.blocks]
    while trees:
        node = trees.pop()
        if isinstance(node, Block):
            trees.extend(a.value for a in node.attributes.values())
            trees.extend(node.blocks)
        elif isinstance(node, Tree):
            if kind is float and node.data in ("int_lit", "float_lit"):
                try:
                    found.add(float(str(node.children[0])))
                except (ValueError, OverflowError):
                    pass
            elif kind is str and node.data == "string" and all(
                    isinstance(c, Token) or c.data == "string_part" and all(
                        isinstance(t, Token) for t in c.children) for c in node.children):
                found.add("".join(str(t) for c in node.children if isinstance(c, Tree)
                                  for t in c.children))
            else:
                trees.extend(c for c in node.children if isinstance(c, Tree))
    return found


def each_pairs(value: Any, span: Span) -> list[tuple[Any, Any]] | Unknown:
    """``for_each`` elements as (key, value): a map by its keys in lexical order, a set of
    strings by the strings themselves. Terraform accepts no other set (https://developer.
    hashicorp.com/terraform/language/meta-arguments/for_each: "maps and sets of strings")."""
    if is_unknown(value):
        return value if isinstance(value, Unknown) else Unknown(f"for_each {value}", span)
    if value is None or value is MISSING:
        return Unknown("for_each = null", span)
    if isinstance(value, dict):
        if any(is_unknown(k) for k in value):
            return Unknown("for_each over a map with keys known only after apply", span)
        return [(k, value[k]) for k in sorted(value, key=str)]
    if isinstance(value, list):
        if any(isinstance(v, UnknownElements) or is_unknown(v) for v in value):
            return Unknown("for_each over a set with elements known only after apply", span)
        odd = next((v for v in value if v is None or isinstance(v, (list, dict))), MISSING)
        if odd is not MISSING:
            return Unknown(f"for_each over a set holding a {type_name(odd)} "
                           "(Terraform takes only strings)", span)
        unique = {str(v): v for v in value}
        return [(unique[k], unique[k]) for k in sorted(unique)]
    return Unknown(f"for_each over a {type_name(value)}", span)


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
    span = block.attributes["for_each"].value_span
    pairs = _dynamic_pairs(module.argument(block, "for_each"), span)
    if isinstance(pairs, Unknown):
        return [Unknown(f"dynamic {kind} block over {pairs.origin}", block.span)]
    name = _iterator_name(block) or kind

    def generated(key: Any, value: Any, suffix: str) -> Scoped:
        return Scoped(content[0].block, {**block.bindings, name: _iterator(key, value, block.span)},
                      f"{block.key}/{kind}{suffix}")

    found: list[Scoped | Unknown] = [
        generated(k, v, key_text(k if isinstance(k, int) else str(k)))
        for k, v in pairs[:MAX_INSTANCES]]
    rest = pairs[MAX_INSTANCES:]
    if rest:
        found += [generated(*_together(group, name, span)) for group in _groups(rest)]
        module.warn(span, f"dynamic \"{kind}\" generates {len(pairs):,} blocks: the first "
                          f"{MAX_INSTANCES:,} are evaluated one by one, the other "
                          f"{len(rest):,} together, as one whose {name}.key is any of theirs; "
                          "what depends on which one it is stays unknown")
    return found


_MAX_COMPARED = 10_000
"""Pairs of elements compared to tell that a list with elements known in part holds no two
equal ones; past it the blocks are not known."""


def _dynamic_pairs(collection: Any, span: Span) -> list[tuple[Any, Any]] | Unknown:
    """A dynamic block over a list iterates it in order, keyed by index (unlike resources,
    ``dynamic`` accepts lists with repeated elements, and of any type); over a map or set as
    ``for_each`` does.

    An element known only in part (``oidc.circleci.com/org/${var.org}``) still makes one
    block, its iterator value as known as the element. A set of them may hold fewer than
    the list shows, two becoming one, so that is done only when no two elements can be
    equal (sets and lists are both lists here)."""
    if isinstance(collection, list) and not isinstance(collection, Unknown):
        if any(isinstance(v, UnknownElements) for v in collection):
            return Unknown("a list with elements known only after apply", span)
        # A resource's instances are objects whose attributes are read one by one.
        unknown = [i for i, v in enumerate(collection) if is_unknown(v) and not _object(v)]
        if unknown and len(unknown) * len(collection) > _MAX_COMPARED or any(
                may_meet(collection[i], other)
               for i in unknown for j, other in enumerate(collection) if j != i):
            return Unknown("a list with elements known only after apply", span)
        return list(enumerate(collection))
    return each_pairs(collection, span)


def _object(value: Any) -> bool:
    """A resource instance as a value: an object, known to be one, with attributes."""
    return isinstance(value, ResourceObject) and value.instance is not None


def _iterator_name(block: Scoped) -> str | None:
    attribute = block.attributes.get("iterator")
    if attribute is None:
        return None
    node = attribute.value
    while is_tree(node) and node.data in ("expression", "expr_term") and subtrees(node):
        node = subtrees(node)[0]
    return name_of(node) if is_tree(node, "identifier") else None
