"""Argo CD ``Application`` and Flux ``HelmRelease`` manifests as Helm releases.

Argo CD: a Helm source (``spec.source``, or each of ``spec.sources``) installs ``chart`` as
``helm.releaseName`` (the Application's name when not set) into ``spec.destination.namespace``,
with its ``valueFiles``, then ``values`` (YAML text), then ``valuesObject``, then
``parameters`` (as ``--set``, ``forceString`` as ``--set-string``), each overriding the ones
before. https://argo-cd.readthedocs.io/en/stable/user-guide/helm/

Flux: a ``HelmRelease`` installs ``spec.chart.spec.chart`` as ``spec.releaseName`` (by
default ``[<targetNamespace>-]<name>``) into ``spec.targetNamespace`` (by default its own
namespace), with ``valuesFrom`` merged in order and ``spec.values`` on top.
https://fluxcd.io/flux/components/helm/helmreleases/

Value files, ``valuesFrom`` ConfigMaps and Secrets are not read: they are layers not known.
"""

from __future__ import annotations

from typing import Any, Protocol

from oidclint.model import Diagnostic, Inventory, Level
from oidclint.readers.helm.release import Release, release_workloads
from oidclint.readers.helm.values import ReleaseValues, ValuesError, values_text
from oidclint.readers.workloads.kubernetes import apply_time_namespace, as_text
from oidclint.source import SourceFile, Span, Str, Unknown, span_of

ARGO_API = "argoproj.io/"
FLUX_API = "helm.toolkit.fluxcd.io/"
KINDS = {"Application": ARGO_API, "HelmRelease": FLUX_API}
"""The kinds read, with the API group each must belong to."""
MAX_RELEASE_NAME = 53
"""Helm refuses longer release names; Flux shortens a longer default with a hash."""


class ManifestReader(Protocol):
    """What the manifest reader of ``oidclint.readers.workloads.kubernetes`` offers."""

    file: SourceFile
    inventory: Inventory
    kustomize_namespace: str | None

    def wrong(self, value: Any, expected: type, field: str, within: Any) -> bool: ...


def is_helm_release(obj: dict) -> bool:
    api, kind = obj.get("apiVersion"), obj.get("kind")
    return isinstance(kind, str) and kind in KINDS and isinstance(api, str) \
        and api.startswith(KINDS[kind])


def read_chart_object(obj: dict, reader: ManifestReader) -> bool:
    """The workloads of an Argo CD Application or a Flux HelmRelease, read into the manifest
    reader's inventory; whether the object was one (``parse_kubernetes``'s ``charts``)."""
    if not is_helm_release(obj):
        return False
    read_helm_release(obj, reader)
    return True


def read_helm_release(obj: dict, reader: ManifestReader) -> None:
    """The workloads of an Argo CD Application or a Flux HelmRelease."""
    metadata = obj.get("metadata")
    if reader.wrong(metadata, dict, f"`metadata` of a {obj['kind']}", obj):
        return
    metadata = metadata if isinstance(metadata, dict) else {}
    spec = obj.get("spec")
    if reader.wrong(spec, dict, f"`spec` of a {obj['kind']}", obj) or not spec:
        return
    where = span_of(metadata.get("name")) or span_of(metadata) or span_of(obj) \
        or Span(reader.file.path, 1)
    name = as_text(metadata.get("name"), where) or Unknown(f"{obj['kind']} name (not set)", where)
    if obj["kind"] == "Application":
        sources = spec.get("sources") if isinstance(spec.get("sources"), list) \
            else [spec.get("source")]
        for source in sources:
            if isinstance(source, dict):
                _argo_source(source, spec, name, where, reader)
    else:
        _flux(spec, metadata, name, where, reader)


def _argo_source(source: dict, spec: dict, name: Any, where: Span,
                 reader: ManifestReader) -> None:
    helm = source.get("helm")
    if not isinstance(helm, dict) and not source.get("chart"):
        return  # not a Helm source (a plain folder, kustomize)
    helm = helm if isinstance(helm, dict) else {}
    values = ReleaseValues()
    if helm.get("valueFiles"):
        values.add(Unknown("the Application's helm.valueFiles (not read)", span_of(helm)))
    values.add(_text_layer(helm.get("values"), reader))
    values.add(_mapping(helm.get("valuesObject"), "helm.valuesObject", reader, helm))
    parameters = helm.get("parameters")
    if not reader.wrong(parameters, list, "`helm.parameters` of an Application", helm):
        for parameter in parameters or []:
            if isinstance(parameter, dict):
                values.set(as_text(parameter.get("name")) or Unknown("a parameter without a name"),
                           as_text(parameter.get("value")), span_of(parameter) or where,
                           string=parameter.get("forceString") is True)
    destination = spec.get("destination")
    namespace = (as_text(destination.get("namespace"), where)
                 if isinstance(destination, dict) else None)
    release = as_text(helm.get("releaseName"), where) or name
    chart = as_text(source.get("chart"), where) or Unknown(
        f"the chart at {source.get('path') or 'the source'}", where)
    _add(Release(release, chart, namespace or apply_time_namespace(where), values, where),
         reader)


def _flux(spec: dict, metadata: dict, name: Any, where: Span, reader: ManifestReader) -> None:
    chart_spec = spec.get("chart", {}).get("spec") if isinstance(spec.get("chart"), dict) \
        else None
    chart = (as_text(chart_spec.get("chart"), where) if isinstance(chart_spec, dict) else None) \
        or Unknown("the chart of a chartRef", where)
    values = ReleaseValues()
    if spec.get("valuesFrom"):
        values.add(Unknown("the HelmRelease's valuesFrom (not read)", span_of(spec)))
    values.add(_mapping(spec.get("values"), "spec.values", reader, spec))
    own = (Str(reader.kustomize_namespace, where) if reader.kustomize_namespace is not None
           else as_text(metadata.get("namespace"), where))
    target = as_text(spec.get("targetNamespace"), where)
    namespace = target or own or apply_time_namespace(where)
    release = as_text(spec.get("releaseName"), where)
    if release is None:
        release = f"{target}-{name}" if isinstance(target, str) and isinstance(name, str) \
            else name if target is None else Unknown(f"{target}-{name}", where)
        if isinstance(release, str):
            release = Str(release, where) if len(release) <= MAX_RELEASE_NAME else Unknown(
                f"{release}, shortened by Flux with a hash", where)
    _add(Release(release, chart, namespace, values, where), reader)


def _text_layer(text: Any, reader: ManifestReader) -> Any:
    """Values written as YAML text inside the manifest, located where they are written."""
    if text is None:
        return None
    if not isinstance(text, str):
        return _mapping(text, "helm.values", reader, text)
    span = span_of(text)
    line_offset, relocate = _block_position(reader.file.text, span)
    try:
        return values_text(text, reader.file.path, line_offset=line_offset, relocate=relocate)
    except ValuesError as exc:
        reader.inventory.diagnostics.append(Diagnostic(
            reader.file.path, f"helm.values: {exc}; not read", Level.NOTE, span=span))
        return Unknown(str(exc), span)


def _block_position(text: str, span: Span | None):
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


def _mapping(value: Any, field: str, reader: ManifestReader, within: Any) -> Any:
    if value is None or reader.wrong(value, dict, f"`{field}`", within):
        return None
    return value


def _add(release: Release, reader: ManifestReader) -> None:
    reader.inventory.workloads.extend(release_workloads(release))
