"""helmfile state files (``helmfile.yaml``, ``helmfile.d/*.yaml``) as Helm releases.

Each entry of ``releases`` installs ``chart`` (``<repository>/<chart>``, a path, an OCI
reference) as ``name`` into ``namespace`` (helm's own namespace when not set: the one the
command runs with), with its ``values`` in order (a file path, relative to the helmfile, or
an inline mapping), then ``secrets`` (encrypted files: not read), then each ``set`` entry as
``--set``; ``createNamespace`` only creates the namespace; ``installed: false`` installs
nothing. https://helmfile.readthedocs.io/en/latest/#configuration

A helmfile is a Go template before it is YAML
(https://helmfile.readthedocs.io/en/latest/templating/). The template is not rendered: an
action ``{{ ... }}`` alone on its line is left out, and one inside a value makes that value
not known (a release name, a namespace, a values file, a value); a values file named
``*.gotmpl`` is rendered by helmfile and not known here. ``environments``, ``bases`` and
``helmfiles`` are not evaluated.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from oidclint.located.documents import LoadError, load_documents
from oidclint.model import Diagnostic, Inventory, Level
from oidclint.readers.helm.files import Tree
from oidclint.readers.helm.release import Release, release_workloads
from oidclint.readers.helm.values import ReleaseValues
from oidclint.readers.workloads.kubernetes import apply_time_namespace, as_text
from oidclint.source import LDict, LList, SourceFile, Span, Unknown, span_of

_HELD = "\ue000"
"""What an action's characters become (a private-use character, kept by the YAML reader):
the columns of the text after it stay where they are written."""


def parse_helmfile(file: SourceFile, tree: Tree) -> Inventory:
    """The ServiceAccount workloads of a helmfile's releases."""
    inventory = Inventory(files=[file.path])
    try:
        documents = load_documents(_without_actions(file.text), file.path)
    except (LoadError, RecursionError) as exc:
        inventory.diagnostics.append(Diagnostic(
            file.path, f"not YAML once its template actions are left out ({exc}); its "
            "releases are not read"))
        return inventory
    folder = posixpath.dirname(file.path)
    for document in documents:
        releases = document.get("releases") if isinstance(document, dict) else None
        if releases is None:
            continue
        if not isinstance(releases, list):
            inventory.diagnostics.append(Diagnostic(
                file.path, "`releases` is not a list; not read", Level.NOTE,
                span=span_of(releases)))
            continue
        for entry in releases:
            if isinstance(entry, dict) and entry.get("installed") is not False:
                inventory.workloads.extend(
                    release_workloads(_release(_known(entry), file, folder, tree, inventory)))
    return inventory


def _without_actions(text: str) -> str:
    """The text with each template action blanked when alone on its line, else held (one
    pass: an action never closed leaves the rest of the text as it is)."""
    pieces, position = [], 0
    while (start := text.find("{{", position)) >= 0 and (end := text.find("}}", start)) >= 0:
        end += 2
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        alone = not text[line_start:start].strip() and \
            not text[end:line_end if line_end >= 0 else len(text)].strip()
        fill = " " if alone else _HELD
        pieces += [text[position:start], re.sub(r"[^\n]", fill, text[start:end])]
        position = end
    return "".join(pieces) + text[position:]


def _known(value: Any) -> Any:
    """The value with every text holding a template action not known."""
    if isinstance(value, dict):
        return LDict({_known(k): _known(v) for k, v in value.items()}, span=span_of(value))
    if isinstance(value, list):
        return LList([_known(v) for v in value], span=span_of(value))
    if isinstance(value, str) and _HELD in value:
        return Unknown("a value written with a helmfile template action", span_of(value))
    return value


def _release(entry: dict, file: SourceFile, folder: str, tree: Tree,
             inventory: Inventory) -> Release:
    span = span_of(entry) or Span(file.path, 1)
    values = ReleaseValues()
    chart = as_text(entry.get("chart"), span) or Unknown("a release without a chart", span)
    # A chart given as a folder of the tree: its name and its own values.yaml.
    local_name, defaults = tree.local_chart(
        tree.inside(str(chart), folder) if isinstance(chart, str)
        and str(chart).startswith(("./", "../")) else None, span, inventory.diagnostics)
    values.add(defaults)
    listed = entry.get("values")
    for item in listed if isinstance(listed, list) else [] if listed is None else [listed]:
        at = span_of(item) or span
        if isinstance(item, str) and not isinstance(item, Unknown):
            values.add(tree.values_file(item, tree.inside(str(item), folder), at,
                                        inventory.diagnostics))
        else:  # an inline mapping, or a path not known
            values.add(item)
    if entry.get("secrets"):
        values.add(Unknown("the release's secrets (encrypted values files)", span))
    settings = entry.get("set")
    for setting in settings if isinstance(settings, list) else []:
        if isinstance(setting, dict) and "value" in setting:
            values.set(as_text(setting.get("name"), span) or Unknown("a set without a name"),
                       setting["value"], span_of(setting) or span)
        else:  # `values:` or `file:` settings
            values.set(Unknown("a set entry read from a list or a file", span), None, span)
    if settings is not None and not isinstance(settings, list):
        values.add(Unknown("the release's set", span))
    namespace = as_text(entry.get("namespace"), span) or apply_time_namespace(span)
    name = as_text(entry.get("name"), span) or Unknown("a release without a name", span)
    return Release(name, local_name or chart, namespace, values, span)
