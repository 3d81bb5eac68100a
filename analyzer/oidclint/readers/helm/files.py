"""The values files a release names, read from the scanned tree.

A values file is read only when a release names it (an Argo CD source, a Flux ``valuesFrom``
reference, a helmfile release, a ``helm_release`` ``file()``): a ``values.yaml`` no release
names has no chart and no namespace, and is no workload. Every file is read through
``oidclint.reading`` inside the tree, and noted as a dependency of the result
(``oidclint.dependencies``), so that editing it invalidates what was cached. What cannot be
read is a layer not known, with a note saying why: never guessed, never dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oidclint.located.tree_files import TreeFiles
from oidclint.model import Diagnostic, Level
from oidclint.readers.helm.values import ValuesError, values_text
from oidclint.source import Span, Str, Unknown

MAX_VALUES_BYTES = 1024 * 1024
CHART_FILE = "Chart.yaml"
DEFAULT_VALUES = "values.yaml"
"""A chart's own values, the defaults every release of it starts from."""
TEMPLATE_SUFFIX = ".gotmpl"
"""helmfile renders a values file of this suffix as a Go template first."""


class Tree(TreeFiles):
    """The scanned tree as the Helm readers see it: its root (``None``: files are not read),
    and the ConfigMaps and Secrets of its manifests that ``valuesFrom`` may name
    (``oidclint.readers.helm.flux``)."""

    def __init__(self, root: Path | None = None,
                 values_objects: dict[tuple[str, str | None, str], tuple[str, ...]] | None = None
                 ) -> None:
        super().__init__(root)
        self.values_objects = values_objects or {}
        """``(kind, namespace, name)`` -> the files that define such an object."""

    def text(self, relative: str, limit: int = MAX_VALUES_BYTES) -> str:
        """A file's text; raises what ``oidclint.reading.read_text`` raises."""
        return super().text(relative, limit)

    def values_file(self, written: Any, relative: str | None, span: Span,
                    diagnostics: list[Diagnostic], *, missing_ok: bool = False) -> Any:
        """The values of a file a release names (``written`` as the release writes it,
        ``relative`` its place in the tree): a located mapping, ``None`` for an empty file
        (or, ``missing_ok``, one not there), or ``Unknown`` with a note saying why it is not
        read."""
        def unread(why: str, level: Level = Level.NOTE) -> Unknown:
            diagnostics.append(Diagnostic(span.path, f"values file {written}: {why}", level,
                                          span=span))
            return Unknown(f"values file {written} ({why})", span)

        if relative is None:
            return unread("outside the scanned tree; not read")
        if relative.endswith(TEMPLATE_SUFFIX):
            return unread("a Go template, not rendered; its values are not known")
        if self.root is None:
            return unread("not read")
        try:
            text = self.text(relative)
        except (FileNotFoundError, NotADirectoryError):
            return None if missing_ok else unread(
                "not in the scanned tree; its values are not known")
        except OSError as exc:
            return unread(f"cannot read: {exc.strerror or exc}", Level.WARNING)
        except ValueError as exc:
            return unread(str(exc), Level.WARNING)
        try:
            return values_text(Str(text, Span(relative, 1)), relative)
        except ValuesError as exc:
            return unread(f"{exc}; not read", Level.WARNING)

    def local_chart(self, folder: str | None, span: Span, diagnostics: list[Diagnostic]
                    ) -> tuple[Any, Any]:
        """A chart folder of the tree (one holding ``Chart.yaml``): its name as its
        ``Chart.yaml`` gives it, and its own ``values.yaml``, the values below every other
        layer (https://helm.sh/docs/chart_template_guide/values_files/); ``(None, None)``
        when ``folder`` is no chart of the tree."""
        if folder is None or not self.exists(f"{folder}/{CHART_FILE}"):
            return None, None
        metadata = self.values_file(f"{folder}/{CHART_FILE}", f"{folder}/{CHART_FILE}", span,
                                    diagnostics, missing_ok=True)
        name = metadata.get("name") if isinstance(metadata, dict) else None
        defaults = self.values_file(f"{folder}/{DEFAULT_VALUES}", f"{folder}/{DEFAULT_VALUES}",
                                    span, diagnostics, missing_ok=True)
        return (name if isinstance(name, str) else None), defaults
