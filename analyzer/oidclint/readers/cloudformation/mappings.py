"""``Fn::FindInMap``: a value of the template's ``Mappings``, as far as its keys are known.

- ``[MapName, TopLevelKey, SecondLevelKey]`` gives the value at those keys; a missing entry
  fails the deployment.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap.html
- With the ``AWS::LanguageExtensions`` transform a fourth argument ``{DefaultValue: v}`` is
  the value when the keys are not in the map, and the keys may be computed by more
  intrinsic functions (``Fn::Select``, ``Fn::Split``, ``Fn::Join``, ``Fn::Sub`` ...).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap-enhancements.html

A key known only at deploy time (``!Ref AWS::Region``) could be any key of the map, so the
value is a ``Choice`` of the values under every key it could be (and of the default, which
applies when it is none of them), the same model as an ``Fn::If``: a list takes all of them,
a single value is known only when they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidclint.readers.cloudformation.values import distinct, relocate, scalar_text
from oidclint.source import Choice, Partial, Span, Unknown, render

if TYPE_CHECKING:
    from oidclint.readers.cloudformation.intrinsics import Resolver


def find_in_map(resolver: "Resolver", arg: Any, span: Span | None) -> Any:
    """What ``Fn::FindInMap arg`` gives."""
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        return resolver.bad("Fn::FindInMap", span, "[MapName, TopLevelKey, SecondLevelKey]")
    keys = [resolver.resolve(key) for key in arg[:3]]
    fallback = arg[3].get("DefaultValue") if len(arg) == 4 and isinstance(arg[3], dict) else None
    label = f"Fn::FindInMap [{', '.join(render(k) for k in keys)}]"
    name = _key_text(keys[0])
    if name is None:
        return Unknown(label, span)
    found = [value for _, top in _entries(lookup(resolver.mappings, name), keys[1])
             for _, value in _entries(top, keys[2])]
    if all(_key_text(key) is not None for key in keys):
        if found:
            return _located(found[0], span)
        if fallback is not None:
            return resolver.evaluate(fallback)
        resolver.problem(span, f"Fn::FindInMap: no entry {'.'.join(map(_key_text, keys))} in Mappings")
        return Unknown(label, span)
    options = [_located(value, span) for value in found if _is_map_value(value)]
    if fallback is not None:
        options.append(resolver.resolve(fallback))
    options = [o for o in distinct(options) if o is not None]
    if not options:
        return Unknown(label, span)
    return options[0] if len(options) == 1 else Choice(tuple(options), label, span)


def _key_text(key: Any) -> str | None:
    """A key known exactly, as text."""
    if isinstance(key, (Unknown, Partial, Choice)):
        return None
    return scalar_text(key)


def _entries(mapping: Any, key: Any) -> list[tuple[str, Any]]:
    """The entries of a mapping a key could name: one (or none) for a known key, every entry
    for an unknown one, those whose name fits for a partly known one."""
    if not isinstance(mapping, dict):
        return []
    if isinstance(key, Choice):
        found = [entry for option in key.options for entry in _entries(mapping, option)]
        return list({id(value): (name, value) for name, value in found}.values())
    text = _key_text(key)
    if text is not None:
        value = lookup(mapping, text)
        return [] if value is None else [(text, value)]
    entries = [(scalar_text(name) or "", value) for name, value in mapping.items()]
    if isinstance(key, Partial):
        prefix, suffix = key.known_prefix, key.known_suffix
        entries = [(name, value) for name, value in entries
                   if name.startswith(prefix) and name.endswith(suffix)
                   and len(name) >= len(prefix) + len(suffix)]
    return entries


def lookup(mapping: Any, key: str) -> Any:
    """A Mappings entry; YAML may have read a key such as ``123456789012`` as a number."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    return next((v for k, v in mapping.items() if scalar_text(k) == key), None)


def _is_map_value(value: Any) -> bool:
    """Mapping values are strings or lists of strings."""
    return isinstance(value, list) or scalar_text(value) is not None


def _located(value: Any, span: Span | None) -> Any:
    return relocate(value if isinstance(value, (dict, list)) else scalar_text(value), span)
