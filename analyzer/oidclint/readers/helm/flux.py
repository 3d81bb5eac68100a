"""A Flux ``HelmRelease``'s ``valuesFrom``: ConfigMaps and Secrets of the scanned tree as
layers of its values.

Each reference names a ``ConfigMap`` or ``Secret`` in the HelmRelease's own namespace and a
key (``valuesKey``, ``values.yaml`` by default). The references are merged in order, and
``spec.values`` on top; with ``targetPath``, the key's value is a single value set at that
path as ``--set`` sets it. A reference marked ``optional`` whose object (or key) is not there
is ignored; another is an error for Flux, and here a layer not known.
https://fluxcd.io/flux/components/helm/helmreleases/

The objects are found among the manifests of the tree (``values_objects``, built once per
scan): a ConfigMap or Secret written as a manifest, or made by a kustomization's
``configMapGenerator``/``secretGenerator`` from files (``files:``, each ``key=path`` or a
path whose name is the key;
https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/configmapgenerator/).
A kustomization's ``namespace`` is theirs. An object defined in several files of the
namespace (overlays) is taken from the HelmRelease's own folder, else not known.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from typing import Any, Iterable

from oidclint.located.documents import LoadError, load_documents
from oidclint.model import Diagnostic, Level
from oidclint.readers.helm.files import Tree
from oidclint.readers.helm.values import ReleaseValues, ValuesError, embedded_values, values_text
from oidclint.readers.workloads.kubernetes import as_text
from oidclint.source import SourceFile, Span, Str, Unknown, span_of

KINDS = ("ConfigMap", "Secret")
GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}
DEFAULT_KEY = "values.yaml"
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml")

Key = tuple[str, "str | None", str]
"""``(kind, namespace, name)``; ``None``: no namespace written (the one applied to)."""


def values_objects(files: Iterable[SourceFile],
                   namespaces: dict[str, str]) -> dict[Key, tuple[str, ...]]:
    """The ConfigMaps and Secrets the manifests of the tree define, with the files that
    define each; ``namespaces``: a folder's kustomization namespace."""
    found: dict[Key, list[str]] = {}
    for file in files:
        if not any(word in file.text for word in (*KINDS, *GENERATORS)):
            continue
        for kind, namespace, name in _defined(file, namespaces):
            paths = found.setdefault((kind, namespace, name), [])
            if file.path not in paths:
                paths.append(file.path)
    return {key: tuple(paths) for key, paths in found.items()}


def _defined(file: SourceFile, namespaces: dict[str, str]):
    folder = posixpath.dirname(file.path)
    if posixpath.basename(file.path) in KUSTOMIZATIONS:
        for document in _documents(file.text, file.path):
            own = document.get("namespace") if isinstance(document.get("namespace"), str) \
                else None
            for field, kind in GENERATORS.items():
                for entry in _generated(document, field):
                    namespace = own or entry.get("namespace")
                    yield kind, _plain(namespace), str(entry["name"])
        return
    found: list[tuple[str, str | None, str]] = []

    def note(node: Any) -> bool:
        """Takes a ConfigMap's or Secret's names from the parsed node: no document is
        built (a ConfigMap may hold thousands of keys)."""
        kind, metadata = _scalar(node, "kind"), _child(node, "metadata")
        name = _scalar(metadata, "name")
        if kind in KINDS and _scalar(node, "apiVersion") == "v1" and name is not None:
            namespace = namespaces.get(folder, _scalar(metadata, "namespace"))
            found.append((kind, namespace, name))
        return False
    try:
        load_documents(file.text, file.path, errors=[], wanted=note)
    except (LoadError, RecursionError):
        pass  # its own reader reports it
    yield from found


def _child(node: Any, key: str) -> Any:
    if getattr(node, "id", None) != "mapping":
        return None
    return next((value for name, value in node.value
                 if name.id == "scalar" and name.value == key), None)


def _scalar(node: Any, key: str) -> str | None:
    value = _child(node, key)
    return str(value.value) if getattr(value, "id", None) == "scalar" else None


def _documents(text: str, path: str) -> list[dict]:
    """The mappings of a YAML file; one that cannot be read gives none (its own reader
    reports it)."""
    try:
        return [d for d in load_documents(text, path, errors=[]) if isinstance(d, dict)]
    except (LoadError, RecursionError):
        return []


def _generated(document: dict, field: str) -> list[dict]:
    entries = document.get(field)
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)] \
        if isinstance(entries, list) else []


def _plain(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and not isinstance(value, Unknown) else None


def add_values_from(spec: dict, namespace: Any, values: ReleaseValues, reader: Any,
                    tree: Tree) -> None:
    """The layers of ``spec.valuesFrom``, in order, into ``values``; ``namespace``: the
    HelmRelease's own, ``reader``: the manifest reader (its file, inventory and ``wrong``)."""
    references = spec.get("valuesFrom")
    if reader.wrong(references, list, "`spec.valuesFrom` of a HelmRelease", spec):
        values.add(Unknown("the HelmRelease's valuesFrom", span_of(spec)))
        return
    for reference in references:
        span = span_of(reference) or span_of(references) or Span(reader.file.path, 1)
        if not isinstance(reference, dict):
            values.add(Unknown("a valuesFrom reference that is not a mapping", span))
            continue
        _add_reference(reference, namespace, values, reader, tree, span)


def _add_reference(reference: dict, namespace: Any, values: ReleaseValues, reader: Any,
                   tree: Tree, span: Span) -> None:
    kind, name = as_text(reference.get("kind"), span), as_text(reference.get("name"), span)
    key = as_text(reference.get("valuesKey"), span) or Str(DEFAULT_KEY, span)
    optional = reference.get("optional") is True
    shown = f"{kind}/{name} key {key}"

    def note(why: str, level: Level = Level.NOTE) -> None:
        reader.inventory.diagnostics.append(Diagnostic(
            reader.file.path, f"valuesFrom {shown}: {why}", level, span=span))

    if kind not in KINDS or _plain(name) is None or _plain(key) is None:
        note("not known; its values are not known")
        values.add(Unknown(f"valuesFrom {shown}", span))
        return
    found, why = _find(str(kind), _plain(namespace), str(name), reader.file.path, tree)
    if found is None:
        if not optional:
            note(f"{why}; its values are not known")
            values.add(Unknown(f"valuesFrom {shown} ({why})", span))
        return
    text = _value_text(found, str(kind), _plain(namespace), str(name), str(key), tree)
    if text is None:
        if not optional:
            note("the object has no such key; its values are not known")
            values.add(Unknown(f"valuesFrom {shown} (no such key)", span))
        return
    if isinstance(text, Unknown):
        note(f"{text.origin}; its values are not known")
        values.add(text)
        return
    value, file_text, path = text
    target = reference.get("targetPath")
    if target is not None:
        values.set(as_text(target, span), Str(value, span_of(value) or span), span)
        return
    try:
        layer = embedded_values(value, file_text, path) if file_text is not None \
            else values_text(value, path)
    except ValuesError as exc:
        note(f"{exc}; not read", Level.WARNING)
        layer = Unknown(str(exc), span)
    values.add(layer)


def _find(kind: str, namespace: str | None, name: str, holder: str,
          tree: Tree) -> tuple[str | None, str]:
    """The file that defines the object, or why none is taken."""
    paths = tree.values_objects.get((kind, namespace, name), ())
    if not paths:
        elsewhere = sorted({str(ns) for k, ns, n in tree.values_objects
                            if k == kind and n == name})
        if elsewhere:
            return None, f"defined in namespace {', '.join(elsewhere)}, not in {namespace}"
        return None, "not in the scanned tree" if tree.root is not None else "not read"
    if len(paths) > 1:
        beside = [p for p in paths if posixpath.dirname(p) == posixpath.dirname(holder)]
        if len(beside) != 1:
            return None, (f"defined in several files ({', '.join(paths)}), which one applies "
                          "is not known")
        paths = tuple(beside)
    return paths[0], ""


def _value_text(path: str, kind: str, namespace: str | None, name: str, key: str,
                tree: Tree) -> Any:
    """``(text, the text of the file it is embedded in or ``None`` for a file of its own,
    path)`` of the key; ``None`` when the object has no such key, ``Unknown`` when it cannot
    be read."""
    try:
        file_text = tree.text(path)
    except (OSError, ValueError) as exc:
        return Unknown(f"reading {path}: {exc}", Span(path, 1))
    objects = []
    for document in _documents(file_text, path):
        if posixpath.basename(path) in KUSTOMIZATIONS:
            for field, made in GENERATORS.items():
                for entry in _generated(document, field):
                    if made == kind and entry["name"] == name:
                        return _generated_text(entry, key, posixpath.dirname(path), tree)
            continue
        metadata = document.get("metadata")
        if document.get("kind") == kind and isinstance(metadata, dict) \
                and metadata.get("name") == name:
            objects.append(document)
    if not objects:
        return Unknown(f"{kind} {name} is no longer in {path}", Span(path, 1))
    # The one written in the namespace, else the one the folder's kustomization moves there.
    document = next((o for o in objects if o["metadata"].get("namespace") == namespace),
                    objects[0])
    return _data(document, kind, key, file_text, path)


def _data(document: dict, kind: str, key: str, file_text: str, path: str) -> Any:
    """A key of a ConfigMap's ``data``, or of a Secret's ``stringData`` or (base64)
    ``data``."""
    for field in ("stringData", "data") if kind == "Secret" else ("data",):
        data = document.get(field)
        value = data.get(key) if isinstance(data, dict) else None
        if value is None:
            continue
        if not isinstance(value, str):
            return Unknown(f"{field}.{key} is not text", span_of(value))
        if kind == "Secret" and field == "data":
            try:
                decoded = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return Unknown(f"{field}.{key} is not base64 of UTF-8 text", span_of(value))
            # Placed at the encoded scalar: no file text lays the decoded lines out.
            return Str(decoded, span_of(value)), "", path
        return value, file_text, path
    return None


def _generated_text(entry: dict, key: str, folder: str, tree: Tree) -> Any:
    """The file a generator makes the key from (``files:``)."""
    files = entry.get("files")
    for item in files if isinstance(files, list) else []:
        if not isinstance(item, str):
            continue
        named, _, source = str(item).partition("=") if "=" in item else (
            posixpath.basename(str(item)), "", str(item))
        if named != key:
            continue
        relative = tree.inside(source, folder)
        if relative is None:
            return Unknown(f"{source} is outside the scanned tree", span_of(item))
        try:
            return Str(tree.text(relative), Span(relative, 1)), None, relative
        except (FileNotFoundError, NotADirectoryError):
            return Unknown(f"{relative} is not in the scanned tree", span_of(item))
        except (OSError, ValueError) as exc:
            return Unknown(f"reading {relative}: {exc}", span_of(item))
    return None
