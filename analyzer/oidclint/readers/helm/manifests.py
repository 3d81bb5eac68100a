"""Argo CD ``Application`` and Flux ``HelmRelease`` manifests as Helm releases.

Argo CD: a Helm source (``spec.source``, or each of ``spec.sources``) installs ``chart`` as
``helm.releaseName`` (the Application's name when not set) into ``spec.destination.namespace``,
with its ``valueFiles`` in order, then ``values`` (YAML text), then ``valuesObject``, then
``parameters`` (as ``--set``, ``forceString`` as ``--set-string``), each overriding the ones
before. https://argo-cd.readthedocs.io/en/stable/user-guide/helm/

A value file is relative to the source's ``path`` (a chart in a Git repository), or, written
``$<ref>/<file>``, to the root of the repository of the source whose ``ref`` is ``<ref>``
(https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/). Which repository a
``repoURL`` is cannot be told from the tree, so the scanned tree stands for it when it holds
the source's ``path``: a value file is read when its chart folder is in the tree (or, for a
``$ref`` file, the ``ref`` source's ``path`` is, or it has none); otherwise it is a layer not
known, with a note. ``ignoreMissingValueFiles`` lets a missing file pass.

Flux: a ``HelmRelease`` installs ``spec.chart.spec.chart`` as ``spec.releaseName`` (by
default ``[<targetNamespace>-]<name>``) into ``spec.targetNamespace`` (by default its own
namespace), with ``valuesFrom`` merged in order and ``spec.values`` on top
(``oidclint.readers.helm.flux``). https://fluxcd.io/flux/components/helm/helmreleases/
"""

from __future__ import annotations

from typing import Any, Protocol

from oidclint.model import Diagnostic, Inventory, Level
from oidclint.readers.helm.files import Tree
from oidclint.readers.helm.release import Release, release_workloads
from oidclint.readers.helm.values import ReleaseValues, ValuesError, embedded_values
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


def read_chart_object(obj: dict, reader: ManifestReader, tree: Tree | None = None) -> bool:
    """The workloads of an Argo CD Application or a Flux HelmRelease, read into the manifest
    reader's inventory; whether the object was one (``parse_kubernetes``'s ``charts``).
    ``tree``: where the files the release names are read (none: they are not known)."""
    if not is_helm_release(obj):
        return False
    read_helm_release(obj, reader, tree or Tree())
    return True


def read_helm_release(obj: dict, reader: ManifestReader, tree: Tree) -> None:
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
                _argo_source(source, spec, name, where, reader, tree)
    else:
        _flux(spec, metadata, name, where, reader, tree)


def _argo_source(source: dict, spec: dict, name: Any, where: Span,
                 reader: ManifestReader, tree: Tree) -> None:
    helm = source.get("helm")
    if not isinstance(helm, dict) and not source.get("chart"):
        return  # not a Helm source (a plain folder, kustomize)
    helm = helm if isinstance(helm, dict) else {}
    values = ReleaseValues()
    folder = as_text(source.get("path"))
    local_name, defaults = tree.local_chart(
        tree.inside(folder, ".") if isinstance(folder, str) and not source.get("chart")
        else None, where, reader.inventory.diagnostics)
    values.add(defaults)
    for layer in _value_files(source, spec, helm, reader, tree):
        values.add(layer)
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
    chart = as_text(source.get("chart"), where) or local_name or Unknown(
        f"the chart at {source.get('path') or 'the source'}", where)
    _add(Release(release, chart, namespace or apply_time_namespace(where), values, where),
         reader)


def _value_files(source: dict, spec: dict, helm: dict, reader: ManifestReader,
                 tree: Tree) -> list[Any]:
    """The layers of a source's ``valueFiles``, in order."""
    written = helm.get("valueFiles")
    if reader.wrong(written, list, "`helm.valueFiles` of an Application", helm):
        return [Unknown("the Application's helm.valueFiles", span_of(helm))]
    missing_ok = helm.get("ignoreMissingValueFiles") is True
    layers = []
    for entry in written or []:
        span = span_of(entry) or span_of(helm) or Span(reader.file.path, 1)
        # Written as is: `$values/...` is no variable to fill in.
        path = entry if isinstance(entry, str) else as_text(entry, span)
        relative, why = _value_file(path, source, spec, tree)
        if why:
            reader.inventory.diagnostics.append(Diagnostic(
                reader.file.path, f"values file {entry}: {why}", Level.NOTE, span=span))
            layers.append(Unknown(f"values file {entry} ({why})", span))
            continue
        layers.append(tree.values_file(entry, relative, span, reader.inventory.diagnostics,
                                       missing_ok=missing_ok))
    return layers


def _value_file(entry: Any, source: dict, spec: dict, tree: Tree) -> tuple[str | None, str]:
    """Where in the tree a value file of a source is, or why that is not known."""
    if not isinstance(entry, str) or isinstance(entry, Unknown):
        return None, "not known"
    if "://" in entry:
        return None, "fetched from a URL; not read"
    if entry.startswith("$"):
        ref, _, rest = entry[1:].partition("/")
        sources = spec.get("sources") if isinstance(spec.get("sources"), list) else []
        named = next((s for s in sources if isinstance(s, dict) and s.get("ref") == ref), None)
        if named is None:
            return None, f"no source of the Application has `ref: {ref}`; not read"
        folder = as_text(named.get("path")) or "."
        found = tree.inside(folder, ".") if isinstance(folder, str) else None
        if found is None or not tree.exists(found, folder=True):
            return None, (f"the path `{folder}` of source `{ref}` is not in the scanned tree "
                          "(its repository may be another); not read")
        return tree.inside(rest, "."), ""
    if source.get("chart"):
        return None, "inside the chart package, not in the scanned tree; not read"
    folder = as_text(source.get("path"))
    chart_folder = tree.inside(folder, ".") if isinstance(folder, str) else None
    if chart_folder is None or not tree.exists(chart_folder, folder=True):
        return None, (f"the chart folder `{folder}` is not in the scanned tree (the source's "
                      "repository may be another); not read")
    return tree.inside(entry, chart_folder), ""


def _flux(spec: dict, metadata: dict, name: Any, where: Span, reader: ManifestReader,
          tree: Tree) -> None:
    chart_spec = spec.get("chart", {}).get("spec") if isinstance(spec.get("chart"), dict) \
        else None
    chart = (as_text(chart_spec.get("chart"), where) if isinstance(chart_spec, dict) else None) \
        or Unknown("the chart of a chartRef", where)
    own = (Str(reader.kustomize_namespace, where) if reader.kustomize_namespace is not None
           else as_text(metadata.get("namespace"), where))
    values = ReleaseValues()
    if spec.get("valuesFrom") is not None:
        from oidclint.readers.helm.flux import add_values_from

        add_values_from(spec, own, values, reader, tree)
    values.add(_mapping(spec.get("values"), "spec.values", reader, spec))
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
    try:
        return embedded_values(text, reader.file.text, reader.file.path)
    except ValuesError as exc:
        reader.inventory.diagnostics.append(Diagnostic(
            reader.file.path, f"helm.values: {exc}; not read", Level.NOTE, span=span))
        return Unknown(str(exc), span)


def _mapping(value: Any, field: str, reader: ManifestReader, within: Any) -> Any:
    if value is None or reader.wrong(value, dict, f"`{field}`", within):
        return None
    return value


def _add(release: Release, reader: ManifestReader) -> None:
    reader.inventory.workloads.extend(release_workloads(release))
