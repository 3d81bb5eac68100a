"""A Terraform ``helm_release``, evaluated, as a Helm release.

The Helm provider installs the release ``name`` of ``chart`` into ``namespace`` (``default``
when not set; ``create_namespace`` only creates it), with the ``values`` documents in order,
then every ``set``, ``set_list`` and ``set_sensitive`` on top, each as ``--set`` does (a
``type = "string"`` setting as ``--set-string``). Provider 2.x writes the settings as
blocks, 3.x as lists of objects; both are read.
https://registry.terraform.io/providers/hashicorp/helm/latest/docs/resources/release
"""

from __future__ import annotations

from typing import Any

from oidclint.hcl.instances import expand
from oidclint.hcl.module import Instance, Module
from oidclint.hcl.policy_text import trimmed_columns
from oidclint.hcl.values import MISSING, Encoded, with_ref
from oidclint.model import Diagnostic, Workload
from oidclint.readers.helm.files import Tree
from oidclint.readers.helm.release import Release, release_workloads
from oidclint.readers.helm.values import ReleaseValues, ValuesError, values_text
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown, UnknownElements, span_of

DEFAULT_NAMESPACE = "default"
_SETTINGS = ("set", "set_list", "set_sensitive")


def helm_release_workloads(module: Module, instance: Instance,
                           cluster: str | None) -> list[Workload]:
    """The ServiceAccount workloads a ``helm_release`` creates with an IAM role."""
    block = instance.block
    values = ReleaseValues()
    chart = _given(instance, "chart")
    repository = instance.argument("repository")
    local_name, defaults = _local_chart(module, chart, block.span) \
        if repository is MISSING or repository is None else (None, None)
    values.add(defaults)
    given = instance.argument("values")
    if isinstance(given, list):
        for item in given:
            values.add(_values_layer(module, item, span_of(item) or block.span))
    elif given is not MISSING and given is not None:
        values.add(given if isinstance(given, Unknown) else Unknown("values", block.span))
    for kind in _SETTINGS:
        for name, value, string, span in _settings(module, instance, kind):
            values.set(name, value, span, string=string)
    namespace = instance.argument("namespace")
    if namespace is MISSING or namespace is None:
        namespace = Str(DEFAULT_NAMESPACE, block.span)
    return release_workloads(Release(
        name=_given(instance, "name"), chart=local_name or chart, namespace=namespace,
        values=values, span=block.span, cluster=cluster, scope=module.scope))


def _local_chart(module: Module, chart: Any, span: Span) -> tuple[Any, Any]:
    """A ``chart`` that is a folder of the tree (``"${path.module}/charts/api"``, relative to
    the module's folder; the provider takes a chart name without ``repository`` for a path
    when there is one): its name and its own values (``Tree.local_chart``)."""
    if not isinstance(chart, str) or isinstance(chart, Unknown) or module.root is None \
            or "://" in chart:
        return None, None
    tree = Tree(module.root)
    notes: list[Diagnostic] = []
    found = tree.local_chart(tree.inside(str(chart), module.folder), span, notes)
    for note in notes:
        module.warn(note.span or span, note.message)
    return found


def _given(instance: Instance, name: str) -> Any:
    value = instance.argument(name)
    if value is MISSING or value is None:
        return Unknown(f"{instance.address}.{name} (not set)", instance.block.span)
    return value


def _values_layer(module: Module, item: Any, span: Span) -> Any:
    """One document of ``values``: what ``yamlencode``/``jsonencode`` encoded, or YAML text
    (a literal, a heredoc, ``file()``, ``templatefile()``) read where it is written."""
    if isinstance(item, Encoded):
        return item.decoded
    if isinstance(item, Unknown):  # OneOf and UnknownElements too: which text is not known
        return item
    if not isinstance(item, (str, Partial)):
        return Unknown(f"a values document that is not text: {item!s:.60}", span)
    origin = module.text_origins.get(span)
    if origin is None:
        relocate = lambda _: span  # noqa: E731 - text not laid out as written: its span
    elif any(origin.trimmed):
        relocate = trimmed_columns(origin)
    else:
        relocate = None
    try:
        layer = values_text(item, span.path, line_offset=origin.line_offset if origin else 0,
                            relocate=relocate)
    except ValuesError as exc:
        module.warn(span, f"{exc}; the release's values are not read")
        return Unknown(str(exc), span)
    return _with_refs(layer, origin.refs) if origin is not None and origin.refs else layer


def _with_refs(value: Any, refs: dict[str, str]) -> Any:
    """Strings that are exactly an interpolated resource attribute name it again."""
    if isinstance(value, dict):
        return LDict({k: _with_refs(v, refs) for k, v in value.items()}, span=span_of(value))
    if isinstance(value, list):
        return LList([_with_refs(v, refs) for v in value], span=span_of(value))
    if isinstance(value, (Str, Partial)) and str(value) in refs:
        return with_ref(value, refs[str(value)])
    return value


def _settings(module: Module, instance: Instance, kind: str):
    """``(name, value, as string, span)`` of each setting of one kind, blocks (provider 2.x)
    or a list attribute (3.x); a setting that is not known is ``(Unknown, ...)``."""
    block = instance.block
    if kind in block.attributes:
        listed = instance.argument(kind)
        span = block.attributes[kind].value_span
        if not isinstance(listed, list):
            if listed is not None and listed is not MISSING:
                yield Unknown(f"{instance.address}.{kind}", span), None, False, span
            return
        for entry in listed:
            if isinstance(entry, dict):
                yield _setting(kind, entry.get("name"), entry.get("value"), entry.get("type"),
                               span_of(entry) or span)
            else:  # UnknownElements, an Unknown entry
                yield Unknown(f"{instance.address}.{kind}", span), None, False, span
        return
    for setting in expand(module, block, kind):
        if isinstance(setting, Unknown):
            yield setting, None, False, setting.span or block.span
            continue
        argument = (lambda name: module.argument(setting, name))
        yield _setting(kind, argument("name"), argument("value"), argument("type"),
                       setting.span)


def _setting(kind: str, name: Any, value: Any, kind_of: Any, span: Span):
    name = None if name is MISSING else name
    value = None if value is MISSING else value
    if name is None:
        return Unknown(f"a {kind} without a name", span), None, False, span
    if isinstance(value, UnknownElements):
        value = Unknown(value.origin, value.span)
    string = kind != "set_list" and kind_of == "string"
    if string and isinstance(value, bool):
        value = Str("true" if value else "false", span)
    return name, value, string, span_of(value) or span
