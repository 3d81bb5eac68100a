"""Terraform expressions evaluated over the python-hcl2 Lark tree, keeping every span.

What cannot be known statically becomes ``Unknown`` with its origin in the user's words;
nothing is guessed. Names (``var``, ``local``, resources, ``data`` ...) are resolved by an
``Environment`` (a module's symbol table, see ``oidclint.hcl.module``); the evaluator only
walks references through it with ``Reference.attribute``/``Reference.index``.
"""

from __future__ import annotations

import math
from typing import Any

from lark import Token, Tree

from oidclint.hcl.functions import FUNCTIONS, Call
from oidclint.iam.re2 import TooSlow
from oidclint.hcl.syntax import (
    heredoc_body, is_tree, name_of, parse_tree, span_of_node, subtrees,
)
from oidclint.hcl.template import Piece, pieces_of_string, pieces_of_text
from oidclint.hcl.values import (
    MISSING, Encoded, EvalError, LimitError, ResourceObject, TextOrigin, UnknownElements,
    decided_comparison, derived_unknown, each_option, element_origin, extend_origin, has_unknown,
    is_unknown, one_of, same_value, shifted_range, to_bool, to_number, to_text, type_name,
    with_span,
)
from oidclint.limits import MAX_ELEMENTS, MAX_STRING_LENGTH, MAX_VALUE_TEXT, TooLarge, \
    reserve_elements
from oidclint.source import (
    LDict, LList, OneOf, Partial, Pieces, Span, Str, Unknown, concat, integer_literal,
    known_length,
)

MAX_DEPTH = 160
"""Nested expressions evaluated at once; deeper input is reported instead of crashing."""
MAX_VALUE_NODES = MAX_ELEMENTS
"""Elements a value may hold, shared ones counted at every use: ``[local.a, local.a]``
repeated thirty times would otherwise be a billion elements to encode or compare."""
MAX_PARTIAL_PARTS = 10_000
MAX_NUMBER_BITS = 4096
"""Whole numbers beyond this many bits are not computed (squaring a number forty times over
would take all memory); Terraform's own numbers keep 512 bits of precision."""


def _full_splat(tree: Tree) -> Tree | None:
    """The full splat expression ``tree`` is (through its ``expr_term`` wrapper), if any."""
    while tree.data == "expr_term" and len(tree.children) == 1 \
            and isinstance(tree.children[0], Tree):
        tree = tree.children[0]
    return tree if tree.data == "full_splat_expr_term" else None


class Reference:
    """A name a traversal walks through: ``var``, ``local``, a resource, ``data.TYPE`` ..."""

    address = ""
    ref: str | None = None

    def attribute(self, name: str, span: Span) -> Any:
        return Unknown(f"{self.address}.{name}", span, self.ref)

    def index(self, key: Any, span: Span) -> Any:
        # Instances of a resource with count/for_each share their configuration.
        return self

    def value(self, span: Span) -> Any:
        return Unknown(self.address, span, self.ref)

    def elements(self) -> list[Any] | None:
        """What ``[*]`` iterates: the instances of a resource with ``count``/``for_each``."""
        return None


class Environment:
    """What an expression can see. This one sees nothing: every name is unknown."""

    def __init__(self) -> None:
        self.depth = 0
        self._sizes: dict[int, tuple[Any, tuple[int, int]]] = {}
        self.text_origins: dict[Span, TextOrigin] = {}
        """Span of a heredoc or file value -> where its text is written."""

    def reference(self, name: str, span: Span) -> Any:
        return Unknown(name, span)

    def measure(self, value: Any) -> int:
        """How many elements a value holds; raises ``TooLarge`` past the limits."""
        return self.weigh(value)[0]

    def weigh(self, value: Any) -> tuple[int, int]:
        """The elements and the characters of text a value holds, shared ones counted at
        every use; raises ``TooLarge`` past the limits."""
        if isinstance(value, str):
            if len(value) > MAX_STRING_LENGTH:
                raise TooLarge(f"a string longer than {MAX_STRING_LENGTH:,} characters")
            return 1, len(value)
        if isinstance(value, Partial):
            if len(value.parts) > MAX_PARTIAL_PARTS:
                raise TooLarge(f"a string of more than {MAX_PARTIAL_PARTS:,} unknown pieces")
            length = known_length(value)
            if length > MAX_STRING_LENGTH:
                raise TooLarge(f"a string longer than {MAX_STRING_LENGTH:,} characters")
            return 1, length
        if isinstance(value, OneOf):  # each alternative is held
            weights = [self.weigh(option) for option in value.options]
            return sum(w[0] for w in weights), sum(w[1] for w in weights)
        if not isinstance(value, (list, dict)):
            return 1, 0
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        tally = Tally(self, "a value")
        if isinstance(value, dict):
            for key, item in value.items():
                tally.add(item, key)
        else:
            for item in value:
                tally.add(item)
        self._sizes[id(value)] = (value, tally.weight)  # the value is kept: its id stays its own
        return tally.weight

    def read_file(self, path: Any, span: Span) -> Any:
        return derived_unknown("function file", [path], span)

    def function(self, name: str) -> Any:
        """The function called ``name`` here (a language built on Terraform's, such as
        Terragrunt's, adds its own); ``None`` when there is none."""
        return FUNCTIONS.get(name)

    def decode_json(self, value: Any, span: Span) -> Any:
        return Unknown("function jsondecode", span)


class Tally:
    """The elements and characters of a list, map or string being built, checked as each
    piece is added, so that a ``for`` expression repeating a large value stops at the limit
    instead of building all of it first."""

    def __init__(self, env: Environment, what: str) -> None:
        self.env = env
        self.what = what
        self.elements = 1
        self.characters = 0

    @property
    def weight(self) -> tuple[int, int]:
        return self.elements, self.characters

    def add(self, value: Any, key: Any = None) -> None:
        elements, characters = self.env.weigh(value)
        self.elements += elements
        self.characters += characters
        if key is not None:
            self.elements += 1
            self.characters += known_length(key) if isinstance(key, (str, Partial)) else 0
        if self.elements > MAX_VALUE_NODES:
            raise TooLarge(f"{self.what} with more than {MAX_VALUE_NODES:,} elements")
        if self.characters > MAX_VALUE_TEXT:
            raise TooLarge(f"{self.what} holding more than {MAX_VALUE_TEXT:,} characters")


class Evaluator:
    """Evaluates expression trees of one file (``path``) with optional local names."""

    def __init__(self, env: Environment, path: str, bindings: dict[str, Any] | None = None,
                 isolated: bool = False) -> None:
        self.env = env
        self.path = path
        self.bindings = bindings or {}
        self.isolated = isolated
        """True for ``templatefile``: only its variables are in scope."""
        self.each: UnknownElements | None = None
        """For a scope of a ``for`` expression: the elements not known it stands for, its
        iteration variables bound to what is known of any one of them (``iterate``)."""

    def child(self, bindings: dict[str, Any]) -> "Evaluator":
        return Evaluator(self.env, self.path, {**self.bindings, **bindings}, self.isolated)

    def span(self, node: Tree | Token) -> Span:
        return span_of_node(self.path, node)

    # --- entry points ------------------------------------------------------------------

    def evaluate(self, tree: Tree) -> Any:
        """The value of an expression; references are resolved to values."""
        value = self._walk(tree)
        if isinstance(value, Reference):
            return value.value(self.span(tree))
        self.env.measure(value)
        return value

    def _walk(self, tree: Tree | Token) -> Any:
        env = self.env
        env.depth += 1
        try:
            if env.depth > MAX_DEPTH:
                raise LimitError(f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(tree, Token):
                raise EvalError(f"unexpected {tree.type}")
            handler = getattr(self, "_" + tree.data, None)
            if handler is None:
                raise EvalError(f"unsupported expression ({tree.data})")
            return handler(tree)
        finally:
            env.depth -= 1

    # --- terms -------------------------------------------------------------------------

    def _expr_term(self, tree: Tree) -> Any:
        inner = subtrees(tree)
        if len(inner) != 1:
            raise EvalError("malformed expression")
        parenthesized = any(isinstance(c, Token) and c.type == "LPAR" for c in tree.children)
        return self.evaluate(inner[0]) if parenthesized else self._walk(inner[0])

    def _int_lit(self, tree: Tree) -> Any:
        try:
            return integer_literal(str(tree.children[0]))
        except ValueError as exc:
            raise LimitError(str(exc)) from None

    def _float_lit(self, tree: Tree) -> Any:
        number = float(str(tree.children[0]))
        return int(number) if number.is_integer() and abs(number) < 1e17 else number

    def _literal_value(self, tree: Tree) -> Any:
        return {"true": True, "false": False, "null": None}[str(tree.children[0])]

    def _identifier(self, tree: Tree) -> Any:
        name = str(tree.children[0])
        if name in self.bindings:
            return self.bindings[name]
        if self.isolated:
            raise EvalError(f"{name} is not a variable of the template")
        return self.env.reference(name, self.span(tree))

    def _string(self, tree: Tree) -> Any:
        return self.template(pieces_of_string(tree, self.path), self.span(tree))

    def _template_string(self, tree: Tree) -> Any:
        text = str(tree.children[0])[2:-2]
        return Str(text, self.span(tree))

    def _heredoc_template(self, tree: Tree) -> Any:
        token = tree.children[0]
        text, trimmed = heredoc_body(token)
        span = self.span(tree)
        origin = TextOrigin(token.line, trimmed)
        self.env.text_origins[span] = origin
        pieces = pieces_of_text(text, self.path, token.line + 1, trimmed)
        return with_span(self.template(pieces, span, origin.refs), span)

    _heredoc_template_trim = _heredoc_template

    def _tuple(self, tree: Tree) -> Any:
        tally, items = Tally(self.env, "a list"), []
        for element in subtrees(tree):
            items.append(self.evaluate(element))
            tally.add(items[-1])
        reserve_elements(len(items), "a list")
        return LList(items, span=self.span(tree))

    def _object(self, tree: Tree) -> Any:
        result = LDict(span=self.span(tree))
        tally = Tally(self.env, "an object")
        for elem in subtrees(tree):
            key_node, value_node = elem.children[0], elem.children[-1]
            key = self._object_key(key_node)
            # A repeated key silently replaces the earlier one, as in Terraform (hclsyntax
            # ObjectConsExpr): `Condition = { StringEquals = {...}, StringEquals = {...} }`
            # keeps only the second.
            result.pop(key, None)
            result[key] = self.evaluate(value_node)
            tally.add(result[key], key)
        reserve_elements(len(result), "an object")
        return result

    def _object_key(self, node: Tree) -> Any:
        inner = subtrees(node)[0]
        # A bare name is the key itself, not a reference (`{ Version = ... }`).
        if inner.data == "keyword":
            return Str(name_of(inner), self.span(inner))
        if inner.data == "expr_term":
            parts = subtrees(inner)
            parenthesized = any(isinstance(c, Token) and c.type == "LPAR" for c in inner.children)
            bare = parts[0].data in ("identifier", "literal_value")
            if len(parts) == 1 and not parenthesized and bare:
                return Str(name_of(parts[0]), self.span(parts[0]))
        key = self.evaluate(inner)
        if isinstance(key, (bool, int, float)):
            key = to_text(key, self.span(inner))
        if key is None or isinstance(key, (list, dict)):
            raise EvalError(f"an object key must be a string, not a {type_name(key)}")
        return key

    # --- traversals --------------------------------------------------------------------

    def _get_attr_expr_term(self, tree: Tree) -> Any:
        base, step = tree.children
        return self.attribute(self._walk(base), name_of(step.children[-1]), self.span(tree))

    def _index_expr_term(self, tree: Tree) -> Any:
        base, step = tree.children
        return self.index(self._walk(base), self._index_key(step), self.span(tree))

    def _index_key(self, step: Tree) -> Any:
        if step.data == "short_index":
            return int(str(step.children[-1]))
        return self.evaluate(subtrees(step)[0])

    def _attr_splat_expr_term(self, tree: Tree) -> Any:
        return self._splat(tree)

    _full_splat_expr_term = _attr_splat_expr_term

    def _splat(self, tree: Tree) -> Any:
        base, splat = tree.children
        span = self.span(tree)
        steps = subtrees(splat)
        inner = _full_splat(base) if tree.data == "full_splat_expr_term" else None
        if inner is not None:
            # `a[*].b[*].c`: a full splat takes every traversal after it, another `[*]` too,
            # so the second applies within each element of the first: a list of lists.
            # https://developer.hashicorp.com/terraform/language/expressions/splat
            outer = self._splat(inner)
            if not isinstance(outer, list):
                return outer
            return LList([self._splat_value(each, steps, span) for each in outer], span=span)
        return self._splat_value(self._walk(base), steps, span)

    def _splat_value(self, value: Any, steps: list[Tree], span: Span) -> Any:
        if isinstance(value, Unknown):
            return extend_origin(value, "[*]", span)
        if value is None:
            return LList([], span=span)
        elements = value.elements() if isinstance(value, Reference) else None
        items = elements if elements is not None else (
            value if isinstance(value, list) else [value])
        results = []
        for item in items:
            if isinstance(item, UnknownElements):
                if item.element is not None:  # what every one of them gives
                    try:
                        item = item.each(self._steps(item.element, steps, span))
                    except EvalError:
                        item = item.each(None)
                results.append(item)
                continue
            results.append(self._steps(item, steps, span))
        reserve_elements(len(results), "a splat expression")
        return LList(results, span=span)

    def _steps(self, item: Any, steps: list[Tree], span: Span) -> Any:
        """The attributes and indexes a splat takes of one element."""
        for step in steps:
            if step.data == "get_attr":
                item = self.attribute(item, name_of(step.children[-1]), span)
            else:
                item = self.index(item, self._index_key(step), span)
        return item.value(span) if isinstance(item, Reference) else item

    def attribute(self, value: Any, name: str, span: Span) -> Any:
        if isinstance(value, OneOf):  # (local.dev ? local.a : local.b).name
            found = each_option(lambda v: self.attribute(v[0], name, span), [value], span)
            if found is not None:
                return found
        if isinstance(value, ResourceObject) and value.instance is not None:
            value = value.instance  # a resource's instance as a value: its attributes
        if isinstance(value, Reference):
            return value.attribute(name, span)
        if isinstance(value, Unknown):
            return extend_origin(value, "." + name, span)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and key == name:
                    return item
            if any(is_unknown(k) for k in value):
                return Unknown(f"attribute {name} of an object with unknown keys", span)
            raise EvalError(f"no attribute {name!r}")
        if value is None:
            raise EvalError(f"attribute {name!r} of null")
        raise EvalError(f"a {type_name(value)} has no attribute {name!r}")

    def index(self, value: Any, key: Any, span: Span) -> Any:
        if isinstance(value, OneOf) or isinstance(key, OneOf):
            found = each_option(lambda v: self.index(v[0], v[1], span), [value, key], span)
            if found is not None:
                return found
        if isinstance(value, ResourceObject) and value.instance is not None:
            value = value.instance
        if isinstance(value, Reference):
            return value.index(key, span)
        if isinstance(value, Unknown):
            return extend_origin(value, f"[{_key_text(key)}]", span)
        if value is None:
            raise EvalError("index of null")
        if isinstance(value, list):
            if is_unknown(key):
                if value and all(same_value(value[0], v) for v in value) and not any(
                        isinstance(v, UnknownElements) for v in value):
                    return value[0]
                return derived_unknown("index", [key], span)
            number = to_number(key)
            if isinstance(number, float) and not number.is_integer():
                raise EvalError(f"list index {key!r} is not a whole number")
            position = int(number)
            for item in value[: position + 1]:
                if isinstance(item, UnknownElements):
                    return Unknown(f"element {position} of a list with {item.origin}", span)
            if not 0 <= position < len(value):
                raise EvalError(f"index {position} out of range for a list of {len(value)}")
            return value[position]
        if isinstance(value, dict):
            if is_unknown(key):
                return derived_unknown("index", [key], span)
            text = str(to_text(key, span))
            for existing, item in value.items():
                if isinstance(existing, str) and existing == text:
                    return item
            if any(is_unknown(k) for k in value):
                return Unknown(f"key {text} of a map with unknown keys", span)
            raise EvalError(f"no key {text!r}")
        raise EvalError(f"a {type_name(value)} cannot be indexed")

    # --- operators ---------------------------------------------------------------------

    def _conditional(self, tree: Tree) -> Any:
        condition, yes, no = subtrees(tree)
        test = self.evaluate(condition)
        if is_unknown(test):
            first, second = self.evaluate(yes), self.evaluate(no)
            if same_value(first, second):
                return first
            # One of the two, which is not known: what both decide is still decided.
            unknown = derived_unknown("condition", [test], self.span(tree))
            return one_of((first, second), unknown.origin, unknown.span) or unknown
        return self.evaluate(yes if to_bool(test) else no)

    def _unary_op(self, tree: Tree) -> Any:
        operator, operand = str(tree.children[0]).strip(), self.evaluate(tree.children[1])
        if is_unknown(operand):
            return derived_unknown(f"'{operator}'", [operand], self.span(tree))
        if operator == "!":
            return not to_bool(operand)
        return -to_number(operand)

    def _binary_op(self, tree: Tree) -> Any:
        left_tree, term = tree.children[0], tree.children[1]
        operator = str(term.children[0].children[0]).strip()
        right_tree = subtrees(term)[-1]
        span = self.span(tree)
        left = self.evaluate(left_tree)
        if operator in ("&&", "||"):
            return self._logic(operator, left, right_tree, span)
        right = self.evaluate(right_tree)
        # An index or key standing for several instances (past the instance cap).
        decided = decided_comparison(operator, left, right)
        if decided is not None:
            return decided
        moved = shifted_range(operator, left, right)
        if moved is not None:
            return moved
        if operator in ("==", "!="):
            if has_unknown(left) or has_unknown(right):
                causes = [left, right] if is_unknown(left) or is_unknown(right) else [
                    Unknown("a collection with unknown elements")]
                return derived_unknown(f"'{operator}'", causes, span)
            equal = same_value(left, right)
            return equal if operator == "==" else not equal
        if is_unknown(left) or is_unknown(right):
            return derived_unknown(f"'{operator}'", [left, right], span)
        a, b = to_number(left), to_number(right)
        if operator in ("+", "-", "*"):
            result = a + b if operator == "+" else a - b if operator == "-" else a * b
            if isinstance(result, int) and result.bit_length() > MAX_NUMBER_BITS:
                raise TooLarge(f"'{operator}' would make a number of more than "
                               f"{MAX_NUMBER_BITS:,} bits")
            return result
        if operator in ("/", "%"):
            if b == 0:
                raise EvalError("division by zero")
            if operator == "%":  # the sign of the dividend, as in Go
                remainder = math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) \
                    else abs(a) % abs(b) * (1 if a >= 0 else -1)
                return remainder
            result = a / b
            whole = result.is_integer() and isinstance(a, int) and isinstance(b, int)
            return int(result) if whole else result
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator]

    def _logic(self, operator: str, left: Any, right_tree: Tree, span: Span) -> Any:
        right = self.evaluate(right_tree)
        values = [v if is_unknown(v) else to_bool(v) for v in (left, right)]
        decisive = operator == "||"  # true decides ||, false decides &&
        if any(v is decisive for v in values):
            return decisive
        if any(is_unknown(v) for v in values):
            return derived_unknown(f"'{operator}'", values, span)
        return (values[0] or values[1]) if decisive else (values[0] and values[1])

    # --- for expressions ---------------------------------------------------------------

    def _for_tuple_expr(self, tree: Tree) -> Any:
        intro, body, condition = self._for_parts(tree)
        span = self.span(tree)
        items = self._for_items(intro, span)
        if isinstance(items, Unknown):
            return items
        results = []
        tally = Tally(self.env, "a for expression")
        for scope in items:
            keep = self._for_keep(scope, condition)
            if keep is False:
                continue
            value = scope.evaluate(body[0]) if scope.each is None else scope.every(body[0])
            maybe = _maybe_kept(scope, keep, span)
            results.append(value if maybe is None else maybe.each(value))
            tally.add(results[-1])
        reserve_elements(len(results), "a for expression")
        return LList(results, span=span)

    def _for_object_expr(self, tree: Tree) -> Any:
        intro, body, condition = self._for_parts(tree)
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        span = self.span(tree)
        items = self._for_items(intro, span)
        if isinstance(items, Unknown):
            return items
        result = LDict(span=span)
        tally = Tally(self.env, "a for expression")
        for scope in items:
            keep = self._for_keep(scope, condition)
            if keep is False:
                continue
            if scope.each is None:
                key = to_text(scope.evaluate(body[0]), span)
                value = scope.evaluate(body[1])
            else:
                key, value = scope.every(body[0]), scope.every(body[1])
                key = None if isinstance(key, (list, dict)) else key
                key = key if key is None else to_text(key, span)
            maybe = _maybe_kept(scope, keep, span)
            if maybe is not None:
                # Keys not known, as many as the elements it stands for, each like `key`.
                key = UnknownElements(f"{maybe.origin}: {key}", span, None, key)
                value = LList([maybe.each(value)], span=span) if grouping else value
            tally.add(value, key)
            if grouping and maybe is None:
                result.setdefault(key, LList([], span=span)).append(value)
            elif key in result and not is_unknown(key):
                raise EvalError(f"duplicate key {str(key)!r} in a for expression")
            else:
                result[key] = value
        reserve_elements(len(result), "a for expression")
        return result

    def _for_parts(self, tree: Tree) -> tuple[Tree, list[Tree], Tree | None]:
        parts = subtrees(tree)
        intro = parts[0]
        condition = parts[-1] if parts[-1].data == "for_cond" else None
        body = parts[1:-1] if condition is not None else parts[1:]
        return intro, body, (subtrees(condition)[-1] if condition is not None else None)

    def _for_items(self, intro: Tree, span: Span) -> Any:
        parts = subtrees(intro)
        names = [str(p.children[0]) for p in parts if p.data == "identifier"]
        collection = self.evaluate(parts[-1])
        return self.iterate(collection, names, span)

    def iterate(self, collection: Any, names: list[str], span: Span) -> Any:
        """One child evaluator per element, binding ``value`` or ``key, value``.

        Elements not known (the whole collection, ``UnknownElements`` in a list, keys not
        known in a map) get one evaluator more each, its ``each`` the elements it stands for
        and its names bound to what is known of any one of them (the ``element`` of
        ``UnknownElements``, else an unknown value named after the collection): what the body
        gives there is what every one of those elements gives."""
        if isinstance(collection, Unknown):
            return [self._every(UnknownElements(collection.origin, collection.span or span,
                                                collection.ref), names, span)]
        if is_unknown(collection):  # a string with unknown parts: not a collection
            return derived_unknown("for expression", [collection], span)
        if isinstance(collection, dict):
            pairs = [(k, collection[k]) for k in sorted(collection, key=str)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            raise EvalError(f"cannot iterate over a {type_name(collection)}")
        scopes = []
        for key, value in pairs:
            if isinstance(collection, list) and isinstance(value, UnknownElements):
                scopes.append(self._every(value, names, span))
            elif isinstance(key, UnknownElements):
                scopes.append(self._every(key, names, span, value))
            else:
                bound = {names[-1]: value}
                if len(names) == 2:
                    bound[names[0]] = key
                scopes.append(self.child(bound))
        return scopes

    def _every(self, elements: UnknownElements, names: list[str], span: Span,
               value: Any = MISSING) -> "Evaluator":
        """The scope standing for ``elements``: of a list (each one its ``element``, at an
        index not known) or, given their ``value``, the keys of a map (each its ``element``)."""
        origin, where = elements.origin, elements.span or span
        known = elements.element if elements.element is not None else Unknown(
            element_origin(origin), where)
        if value is MISSING:
            key: Any = Unknown(f"a key of {origin}", where)
            value = known
        else:
            key = known
        bound = {names[-1]: value}
        if len(names) == 2:
            bound[names[0]] = key
        scope = self.child(bound)
        scope.each = elements
        return scope

    def every(self, tree: Tree) -> Any:
        """The value of ``tree`` for every element this scope stands for (``None`` when
        nothing is known of it): an expression Terraform would accept for the actual values
        may fail on what is unknown of them, which says nothing about them."""
        try:
            return self.evaluate(tree)
        except EvalError:
            return None

    def _for_keep(self, scope: "Evaluator", condition: Tree | None) -> bool | Unknown:
        if condition is None:
            return True
        if scope.each is None:
            keep = scope.evaluate(condition)
        else:  # nothing known of it, for every element: each may or may not be kept
            keep = scope.every(condition)
            keep = Unknown("a condition on them", scope.span(condition)) if keep is None else keep
        if is_unknown(keep):
            # The element may be dropped: it is one of any number (none or one) of elements.
            return derived_unknown("a for expression's condition", [keep],
                                   scope.span(condition))
        return bool(to_bool(keep))

    # --- templates ---------------------------------------------------------------------

    def template(self, pieces: list[Piece], span: Span, refs: dict[str, str] | None = None) -> Any:
        """A string template; a lone ``${x}`` keeps the type of ``x`` (HCL's rule).

        ``refs`` collects interpolated values that name a resource, by their text.
        """
        pieces = _strip_whitespace(pieces)
        if len(pieces) == 1 and pieces[0].kind == "interp" and not pieces[0].strip_before:
            return self.evaluate(pieces[0].expr)
        nodes = _structure(pieces)
        out = Pieces("a template")
        self._render(nodes, out, span, {} if refs is None else refs)
        return concat(out, span)

    def _render(self, nodes: list, out: Pieces, span: Span, refs: dict[str, str]) -> None:
        for node in nodes:
            if isinstance(node, Piece):
                if node.kind == "text":
                    out.add(node.text)
                else:
                    value = self.evaluate(node.expr)
                    if getattr(value, "ref", None) and not isinstance(value, (Encoded, OneOf)):
                        refs[str(value)] = value.ref
                    out.add(_template_text(value, node.span))
                continue
            kind, piece, *branches = node
            if kind == "if":
                self._render_if(piece, branches, out, span, refs)
            else:
                self._render_for(piece, branches[0], out, span, refs)

    def _render_if(self, piece: Piece, branches: list, out: Pieces, span: Span,
                   refs: dict[str, str]) -> None:
        test = self.evaluate(piece.expr)
        if is_unknown(test):
            rendered = []
            for branch in branches:
                pieces = Pieces("a template")
                self._render(branch, pieces, span, refs)
                rendered.append(concat(pieces, span))
            if same_value(rendered[0], rendered[1]):
                out.add(rendered[0])
            else:
                unknown = derived_unknown("template if", [test], piece.span)
                out.add(one_of(rendered, unknown.origin, unknown.span) or unknown)
            return
        self._render(branches[0] if to_bool(test) else branches[1], out, span, refs)

    def _render_for(self, piece: Piece, body: list, out: Pieces, span: Span,
                    refs: dict[str, str]) -> None:
        scopes = self.iterate(self.evaluate(piece.expr), list(piece.names), piece.span)
        if isinstance(scopes, Unknown):
            out.append(scopes)
            return
        for scope in scopes:
            if scope.each is not None:  # rendered any number of times: text not known
                out.append(Unknown(f"%{{for}} over {scope.each.origin}", piece.span))
            else:
                scope._render(body, out, span, refs)

    # --- function calls ----------------------------------------------------------------

    def _function_call(self, tree: Tree) -> Any:
        names = [str(c.children[0]) for c in tree.children if is_tree(c, "identifier")]
        name = "::".join(names)
        span = self.span(tree)
        arguments = next((c for c in tree.children if is_tree(c, "arguments")), None)
        arg_trees = subtrees(arguments) if arguments is not None else []
        expand = arguments is not None and any(
            isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments.children)
        if name in ("try", "can"):
            return self._try(name, arg_trees, span)
        args = [self.evaluate(t) for t in arg_trees]
        if expand and args:
            last = args.pop()
            if is_unknown(last) or any(isinstance(v, UnknownElements) for v in (last or [])):
                return derived_unknown(f"{name}()", [last] if is_unknown(last) else last, span)
            if not isinstance(last, list):
                raise EvalError("... expects a list")
            args.extend(last)
        # A function of one of several values is one of its results.
        found = each_option(lambda chosen: self._call(name, chosen, span), args, span)
        return found if found is not None else self._call(name, args, span)

    def _call(self, name: str, args: list[Any], span: Span) -> Any:
        special = getattr(self, "_call_" + name, None) if "::" not in name else None
        if special is not None:
            return special(args, span)
        function = self.env.function(name)
        if function is None:
            return Unknown(f"function {name}", span)
        try:
            return function(Call(name, args, span))
        except TooSlow as exc:  # Terraform's RE2 would answer: the value is unknown, not wrong
            configuration = getattr(self.env, "configuration", None)
            if configuration is not None:
                configuration.notes.append((span, f"{name}(): {exc}; its result is unknown"))
            return Unknown(f"{name}(): {exc}", span)

    def _try(self, name: str, arg_trees: list[Tree], span: Span) -> Any:
        if not arg_trees:
            raise EvalError(f"{name}() needs an argument")
        for tree in arg_trees:
            try:
                value = self.evaluate(tree)
            except EvalError:  # a limit of the scan (TooLarge) is not caught: see LimitError
                if name == "can":
                    return False
                continue
            if name == "can":
                return True if not has_unknown(value) else derived_unknown("can()", [value], span)
            return value
        raise EvalError("try(): no argument could be evaluated")

    def _call_file(self, args: list[Any], span: Span) -> Any:
        if len(args) != 1:
            raise EvalError("file() takes 1 argument")
        return self.env.read_file(args[0], span)

    def _call_templatefile(self, args: list[Any], span: Span) -> Any:
        if len(args) != 2:
            raise EvalError("templatefile() takes 2 arguments")
        return render_template(self.env, self.env.read_file(args[0], span), args[1], span,
                               "templatefile()")

    def _call_jsondecode(self, args: list[Any], span: Span) -> Any:
        if len(args) != 1:
            raise EvalError("jsondecode() takes 1 argument")
        return self.env.decode_json(args[0], span)


def render_template(env: Environment, content: Any, variables: Any, span: Span,
                    what: str) -> Any:
    """Template text rendered with only ``variables`` in scope (``templatefile()`` and the
    ``template_file`` data source); positions are those of the text where it is written."""
    if is_unknown(content) or is_unknown(variables):
        return derived_unknown(what, [content, variables], span)
    if not isinstance(variables, dict):
        raise EvalError(f"{what} variables must be a map")
    if not isinstance(content, str):
        raise EvalError(f"{what} template must be a string")
    text_span = getattr(content, "span", None) or span
    pieces = pieces_of_text(str(content), text_span.path, text_span.line)
    scope = Evaluator(env, text_span.path, {str(k): v for k, v in variables.items()},
                      isolated=True)
    origin = env.text_origins[text_span] = TextOrigin(text_span.line - 1)
    return with_span(scope.template(pieces, text_span, origin.refs), text_span)


def _template_text(value: Any, span: Span) -> Any:
    """An interpolated value as the text it puts in the template."""
    if isinstance(value, OneOf):
        found = each_option(lambda v: _template_text(v[0], span), [value], span)
        return found if found is not None else Unknown(value.origin, value.span)
    if isinstance(value, Encoded):
        value = Str(str(value))
    return to_text(value, span)


def _maybe_kept(scope: Evaluator, keep: Any, span: Span) -> UnknownElements | None:
    """The elements a ``for`` result holds in place of one scope when how many is not known:
    those the scope stands for, or one element its condition may drop; ``None`` when it is
    exactly one."""
    if scope.each is not None:
        return scope.each
    if isinstance(keep, Unknown):
        return UnknownElements(keep.origin, keep.span or span)
    return None


def _key_text(key: Any) -> str:
    return f'"{key}"' if isinstance(key, str) else str(key)


def _strip_whitespace(pieces: list[Piece]) -> list[Piece]:
    """``~`` in ``${~ x ~}`` or ``%{~ if ~}`` strips the white space next to it."""
    result = [Piece(p.kind, p.span, p.text, p.expr, p.names, p.strip_before, p.strip_after)
              for p in pieces]
    for i, piece in enumerate(result):
        if piece.strip_before and i > 0 and result[i - 1].kind == "text":
            result[i - 1].text = result[i - 1].text.rstrip()
        if piece.strip_after and i + 1 < len(result) and result[i + 1].kind == "text":
            result[i + 1].text = result[i + 1].text.lstrip()
    return [p for p in result if p.kind != "text" or p.text]


def _structure(pieces: list[Piece]) -> list:
    """Nest ``if``/``else``/``endif`` and ``for``/``endfor`` directives.

    A node is a ``Piece`` (text or interpolation), ``["if", piece, then, else]`` or
    ``["for", piece, body]``.
    """
    root: list = []
    stack: list[tuple[list, Any]] = [(root, None)]
    for piece in pieces:
        target, frame = stack[-1]
        if piece.kind in ("text", "interp"):
            target.append(piece)
        elif piece.kind == "if":
            node = ["if", piece, [], []]
            target.append(node)
            stack.append((node[2], node))
        elif piece.kind == "else":
            if not frame or frame[0] != "if" or target is not frame[2]:
                raise EvalError("%{else} without %{if}")
            stack[-1] = (frame[3], frame)
        elif piece.kind == "for":
            node = ["for", piece, []]
            target.append(node)
            stack.append((node[2], node))
        elif piece.kind in ("endif", "endfor"):
            if not frame or frame[0] != piece.kind[3:]:
                raise EvalError(f"%{{{piece.kind}}} without its opening directive")
            stack.pop()
    if len(stack) != 1:
        raise EvalError("a template directive is not closed")
    return root


def evaluate_source(text: str, env: Environment | None = None, path: str = "expression.tf") -> Any:
    """The value of ``text``, a single expression (handy in tests and the ``explain`` command)."""
    tree = parse_tree(f"value = {text}\n")
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    return Evaluator(env or Environment(), path).evaluate(attribute.children[-1])
