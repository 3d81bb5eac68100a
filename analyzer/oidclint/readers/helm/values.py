"""A chart's values as Helm layers them: value files and inline values in order, later ones
winning, then each ``--set`` style setting on top.

Helm coalesces the layers key by key (maps merge, anything else replaces), and a ``null``
removes a key, chart default included
(https://helm.sh/docs/chart_template_guide/values_files/,
https://helm.sh/docs/intro/using_helm/#customizing-the-chart-before-installing). A layer
whose content is not known (a values file the scan cannot read, a variable) may set any key:
a key no later layer sets is then unknown, never the chart's default.

``--set`` names are paths: ``.`` separates keys, ``\\.`` is a dot inside a key
(``serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn``), ``[0]`` a list index; a
value ``true``, ``false``, ``null`` or an integer is typed so unless the setting forces a
string (https://helm.sh/docs/intro/using_helm/#the-format-and-limitations-of---set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from oidclint.located.documents import LoadError
from oidclint.located.json_text import Hole, located_yaml
from oidclint.source import LDict, Partial, Span, Str, Unknown, span_of

Path = tuple[str, ...]


class _NotSet:
    """No layer sets the key: the chart's own default applies."""

    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Any = _NotSet()


@dataclass(frozen=True, slots=True)
class MaybeSet(Unknown):
    """A key that values not known may or may not set (a layer, or a map, not known): unlike
    an ``Unknown`` written as the key's value, it does not say the key is set."""


class ReleaseValues:
    """The layers of values a release gives its chart, lowest precedence first: each a
    mapping (located) or ``Unknown`` (a layer whose keys are not known)."""

    def __init__(self) -> None:
        self.layers: list[Any] = []

    def add(self, layer: Any) -> None:
        """A whole layer of values: a mapping, ``None`` (nothing), or anything else not
        known as a mapping (an ``Unknown``, a value Helm would refuse)."""
        if layer is None:
            return
        if isinstance(layer, dict):
            self.layers.append(layer)
        elif isinstance(layer, Unknown):
            self.layers.append(layer)
        else:
            self.layers.append(Unknown(f"values that are not a mapping: {layer!s:.60}",
                                       span_of(layer)))

    def set(self, name: Any, value: Any, span: Span | None, *, string: bool = False) -> None:
        """One ``--set NAME=VALUE``; ``string`` for ``--set-string`` (a ``type = "string"``
        setting, Argo CD's ``forceString``)."""
        path = set_path(name) if isinstance(name, str) and not isinstance(name, Partial) \
            else None
        if path is None:
            origin = name.origin if isinstance(name, Unknown) else f"the setting `{name}`"
            self.layers.append(Unknown(f"{origin} (which value it sets is not known)", span))
            return
        if not string:
            value = typed(value)
        layer: Any = value
        for key in reversed(path):
            layer = LDict({key: layer}, span=span)
        self.layers.append(layer)

    def get(self, path: Path) -> Any:
        """The value at ``path``: ``NOT_SET`` when no layer sets it, ``None`` when a layer
        removes it, ``Unknown`` when a layer that may set it is not known."""
        for layer in reversed(self.layers):
            found = _walk(layer, path)
            if found is not NOT_SET:
                return found
        return NOT_SET


def _walk(layer: Any, path: Path) -> Any:
    node = layer
    for depth, key in enumerate(path):
        if isinstance(node, Unknown):
            return MaybeSet(f"`{'.'.join(path)}`, from {node.origin}", node.span)
        if node is None and depth:
            return None  # a map removed above: nothing under it
        if not isinstance(node, dict):
            return NOT_SET if depth == 0 else None
        if key in node:
            node = node[key]
            continue
        computed = next((k for k in node if isinstance(k, (Unknown, Partial))), None)
        if computed is not None:  # a key not known may be this one
            return MaybeSet(f"`{'.'.join(path)}`, maybe set by the key {computed}",
                            span_of(node))
        return NOT_SET
    return node


_INTEGER = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")


def typed(value: Any) -> Any:
    """A ``--set`` value as Helm types it: ``true``/``false``/``null``, integers (not with a
    leading zero), text otherwise."""
    if not isinstance(value, str) or isinstance(value, Partial):
        return value
    text = str(value)
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if _INTEGER.match(text):
        return int(text)
    return value


def set_path(name: str) -> Path | None:
    """A ``--set`` name as a path of keys (list indexes kept as ``[n]``), ``None`` when it
    is not one Helm accepts."""
    keys: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            current.append(name[i + 1])
            i += 2
            continue
        if ch == ".":
            if not current and not (keys and keys[-1].startswith("[")):
                return None
            if current:
                keys.append("".join(current))
            current = []
        elif ch == "[":
            end = name.find("]", i)
            if end < 0 or not name[i + 1:end].isdigit():
                return None
            if current:
                keys.append("".join(current))
                current = []
            keys.append(name[i:end + 1])
            i = end
        else:
            current.append(ch)
        i += 1
    if current:
        keys.append("".join(current))
    return tuple(keys) if keys and not keys[0].startswith("[") else None


def truthy(value: Any) -> bool | None:
    """Whether a Go template ``if`` takes the value (``None``: not known). False, 0, ``""``,
    ``null`` and empty collections are false (https://pkg.go.dev/text/template#hdr-Actions)."""
    if value is NOT_SET or value is None:
        return False
    if isinstance(value, Partial):
        return True if any(isinstance(p, str) and p for p in value.parts) else None
    if isinstance(value, Unknown):
        return None
    if isinstance(value, (bool, int, float, str, dict, list)):
        return bool(value)
    return None


def as_name(value: Any, span: Span | None) -> Any:
    """A value a template prints where a name goes: text as it is, ``true``/numbers as Go
    prints them; ``None`` for what is empty (``default`` then takes its fallback)."""
    if truthy(value) is False:
        return None
    if isinstance(value, bool):
        return Str("true", span)
    if isinstance(value, (int, float)):
        return Str(str(value), span)
    if isinstance(value, (str, Unknown)):
        return value
    return Unknown(f"a name that is not text: {value!s:.60}", span)


def values_text(text: Any, path: str, *, line_offset: int = 0,
                relocate: Callable[[Span | None], Span | None] | None = None) -> Any:
    """A values file's text (``Str``, or a ``Partial`` rendered by ``templatefile()``) as a
    located mapping (``None`` for an empty file). Raises ``ValuesError`` when it is not YAML
    Helm reads."""
    if isinstance(text, Unknown):
        return text
    pieces: Iterable[Any] = ([p if isinstance(p, str) else Hole(p) for p in text.parts]
                             if isinstance(text, Partial) else [str(text)])
    try:
        value = located_yaml(pieces, path, line_offset=line_offset, relocate_span=relocate,
                             marker="helm")
    except LoadError as exc:
        raise ValuesError(f"the values are not valid YAML: {exc}") from None
    except RecursionError:
        raise ValuesError("the values are nested too deeply to read") from None
    if value is not None and not isinstance(value, dict):
        raise ValuesError("the values are not a mapping")
    return value


def embedded_values(text: Any, file_text: str, path: str) -> Any:
    """Values written as YAML text inside a YAML file (an Application's ``helm.values``, a
    ConfigMap's ``values.yaml`` key), located where they are written. Raises
    ``ValuesError``."""
    line_offset, relocate = block_position(file_text, span_of(text))
    return values_text(text, path, line_offset=line_offset, relocate=relocate)


def block_position(text: str, span: Span | None):
    """Where YAML text written as a block scalar (``values: |``) starts: its lines follow
    the indicator's line, moved right by their indentation; other scalars are not laid out
    as written, and their values are placed at the scalar."""
    if span is None:
        return 0, None
    lines = text.split("\n")
    at = lines[span.line - 1][span.column - 1:] if span.line <= len(lines) else ""
    if not at.startswith(("|", ">")) or span.line >= len(lines):
        return 0, lambda _: span
    following = next((line for line in lines[span.line:] if line.strip()), "")
    indent = len(following) - len(following.lstrip(" "))

    def move(inner: Span | None) -> Span | None:
        if inner is None:
            return None
        return Span(inner.path, inner.line, inner.column + indent, inner.end_line,
                    inner.end_column + indent)
    return span.line, move


class ValuesError(ValueError):
    """Values text Helm would refuse."""
