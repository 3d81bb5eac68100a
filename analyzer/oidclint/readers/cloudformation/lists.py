"""``Fn::Join``, ``Fn::Split`` and ``Fn::Select``: strings and lists of strings.

A list holding an ``Fn::If`` item gives a ``Choice`` of results (each combination of
branches, up to ``MAX_OPTIONS``); an unknown piece keeps the result ``Partial``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidclint.readers.cloudformation.values import (
    choice_origin, combinations, distinct, relocate, scalar_text,
)
from oidclint.limits import reserve_elements
from oidclint.source import Choice, LList, Partial, Span, Str, Unknown, concat

if TYPE_CHECKING:
    from oidclint.readers.cloudformation.intrinsics import Resolver


def fn_join(resolver: Resolver, arg: Any, span: Span | None) -> Any:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-join.html
    if not isinstance(arg, list) or len(arg) != 2:
        return resolver.bad("Fn::Join", span, "[delimiter, [values]]")
    delimiter = resolver.resolve(arg[0])
    if isinstance(delimiter, (Unknown, Partial, Choice)):
        return Unknown(f"Fn::Join with delimiter {delimiter}", span)
    if scalar_text(delimiter) is None:
        return resolver.bad("Fn::Join", span, "a string delimiter")
    return _join(resolver, scalar_text(delimiter), resolver.resolve(arg[1]), span)


def _join(resolver: Resolver, delimiter: str, items: Any, span: Span | None) -> Any:
    if isinstance(items, Choice):
        options = tuple(_join(resolver, delimiter, o, span) for o in items.options if o is not None)
        return Choice(distinct(list(options)), items.origin, span)
    if isinstance(items, Unknown):
        return Unknown(f"Fn::Join over {items.origin}", span, ref=items.ref)
    if not isinstance(items, list):
        return resolver.bad("Fn::Join", span, "a list of values to join")
    combos = combinations(items)
    if combos is None:
        return Unknown("Fn::Join over too many Fn::If branches", span)
    results = []
    for combo in combos:
        pieces: list[Any] = []
        for index, item in enumerate(combo):
            pieces.extend([delimiter, item] if index else [item])
        results.append(resolver.concat(pieces, span))
    return results[0] if len(results) == 1 else Choice(distinct(results), choice_origin(items), span)


def fn_split(resolver: Resolver, arg: Any, span: Span | None) -> Any:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-split.html
    if not isinstance(arg, list) or len(arg) != 2:
        return resolver.bad("Fn::Split", span, "[delimiter, string]")
    delimiter = resolver.resolve(arg[0])
    if not isinstance(delimiter, str) or not delimiter:
        if isinstance(delimiter, (Unknown, Partial, Choice)):
            return Unknown(f"Fn::Split with delimiter {delimiter}", span)
        return resolver.bad("Fn::Split", span, "a non-empty string delimiter")
    return _split(resolver, str(delimiter), resolver.resolve(arg[1]), span)


def _split(resolver: Resolver, delimiter: str, source: Any, span: Span | None) -> Any:
    if isinstance(source, Choice):
        options = tuple(_split(resolver, delimiter, o, span) for o in source.options if o is not None)
        return Choice(options, source.origin, span)
    if isinstance(source, Unknown):
        return Unknown(f"Fn::Split of {source.origin}", span, ref=source.ref)
    if isinstance(source, Partial):
        # Unknown pieces are taken not to contain the delimiter: CDK's
        # Select(1, Split(":oidc-provider/", <provider ARN>)) depends on exactly that.
        chunks: list[list[Any]] = [[]]
        for part in source.parts:
            if isinstance(part, Unknown):
                chunks[-1].append(part)
                continue
            first, *rest = part.split(delimiter)
            chunks[-1].append(first)
            chunks.extend([chunk] for chunk in rest)
        return LList([concat(chunk, span, source.ref) for chunk in chunks], span=span)
    text = scalar_text(source)
    if text is None:
        return resolver.bad("Fn::Split", span, "a string to split")
    reserve_elements(text.count(delimiter) + 1, "Fn::Split")
    return LList([Str(chunk, span) for chunk in text.split(delimiter)], span=span)


def fn_select(resolver: Resolver, arg: Any, span: Span | None) -> Any:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-select.html
    if not isinstance(arg, list) or len(arg) != 2:
        return resolver.bad("Fn::Select", span, "[index, [values]]")
    index = resolver.resolve(arg[0])
    if isinstance(index, (Unknown, Partial, Choice)):
        return Unknown(f"Fn::Select index {index}", span)
    text = scalar_text(index)
    if isinstance(index, bool) or text is None or not text.isdigit():
        return resolver.bad("Fn::Select", span, "a non-negative index")
    return _select(resolver, int(text), resolver.resolve(arg[1]), span)


def _select(resolver: Resolver, index: int, items: Any, span: Span | None) -> Any:
    if isinstance(items, Choice):
        options = tuple(_select(resolver, index, o, span) for o in items.options if o is not None)
        return Choice(distinct(list(options)), items.origin, span)
    if isinstance(items, Unknown):
        return Unknown(f"Fn::Select {index} of {items.origin}", span, ref=items.ref)
    if not isinstance(items, list):
        return resolver.bad("Fn::Select", span, "a list to select from")
    if any(isinstance(item, Choice) for item in items[:index + 1]):
        # A conditional item before the index may be absent and shift the positions.
        return Unknown(f"Fn::Select {index} of a list with Fn::If items", span)
    if index >= len(items):
        resolver.problem(span, f"Fn::Select index {index} is out of range (list of {len(items)})")
        return Unknown(f"Fn::Select {index} out of range", span)
    return relocate(items[index], span)
