"""The files of the scanned tree as a reader reaches them beyond the file it reads (a values
file a release names, a Terragrunt include, a file ``file()`` reads): paths kept inside the
tree, every file read or looked for noted as a dependency of the result
(``oidclint.dependencies``, so that editing it invalidates what was cached), and each read
through ``oidclint.reading``, which refuses links out of the tree and special files.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from oidclint.dependencies import note_listing, note_read
from oidclint.reading import MAX_FILE_BYTES, read_text


class TreeFiles:
    """The tree under ``root`` (``None``: no file is read, none is there)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._real_root: Path | None = None

    @property
    def real_root(self) -> Path | None:
        """The root with its links resolved (once, when first needed)."""
        if self._real_root is None and self.root is not None:
            self._real_root = self.root.resolve()
        return self._real_root

    def inside(self, path: str, folder: str = ".") -> str | None:
        """A path written relative to ``folder`` as a path of the tree; ``None`` when it is
        absolute or leads out of the tree."""
        joined = posixpath.normpath(posixpath.join(folder, path))
        if posixpath.isabs(path) or joined == ".." or joined.startswith("../"):
            return None
        return joined

    def exists(self, relative: str, *, folder: bool = False) -> bool:
        """Whether the tree holds this file or folder (``folder``: only a folder); noted as
        a dependency either way."""
        if self.root is None:
            return False
        target = self.root / relative
        note_read(target)
        try:
            return target.resolve().is_relative_to(self.real_root) and (
                target.is_dir() if folder else target.exists())
        except (OSError, RuntimeError):
            return False

    def listing(self, relative: str, *, folders: bool = False) -> list[str]:
        """The names in a folder of the tree (``folders``: of its folders only; none when it
        is not one); the listing is noted as a dependency."""
        if self.root is None:
            return []
        target = self.root / relative
        note_listing(target)
        try:
            if not target.resolve().is_relative_to(self.real_root):
                return []
            return sorted(p.name for p in target.iterdir() if not folders or p.is_dir())
        except (OSError, RuntimeError):
            return []

    def text(self, relative: str, limit: int = MAX_FILE_BYTES) -> str:
        """A file's text; raises what ``oidclint.reading.read_text`` raises
        (``FileNotFoundError`` when no tree is read)."""
        if self.root is None:
            raise FileNotFoundError(relative)
        target = self.root / relative
        note_read(target)
        return read_text(target, root=self.real_root, limit=limit)
