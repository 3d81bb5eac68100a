"""What the prefilter learnt of each file of a tree, kept between scans so that a file whose
size, modification time, inode and change time are those recorded is not read again.

This is how ``git status`` avoids reading an unchanged work tree, with the same care for
"racy" files: a file changed within the file system's timestamp resolution of the scan that
recorded it could look unchanged, so an entry is only trusted when the file's times are
older than that scan's start by a margin. Entries are kept per scan root in the parse cache
(``oidclint.cache``), and the whole index is replaced atomically after a scan.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oidclint.cache import Cache

RACY_MARGIN_NS = 2_000_000_000
"""Times this close to the recording scan's start are not trusted (FAT keeps 2 s)."""

Signature = tuple[int, int, int, int]
"""Size, modification time, inode and change time (nanoseconds)."""


def signature(info: os.stat_result) -> Signature:
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


@dataclass
class Known:
    """One file as a scan found it."""

    signature: Signature
    digest: str
    facts: Any
    """``oidclint.prefilter.Facts``."""
    names: tuple[str, str] | None = None
    """The hash of a set of role names and whether the file names one of them, for the
    prefilter's check of IAM files against the roles workloads assume."""


@dataclass
class FileIndex:
    entries: dict[str, Known] = field(default_factory=dict)
    started_ns: int = 0
    """When the scan that recorded the entries started (``time.time_ns``)."""
    key: str | None = field(default=None, repr=False)
    updated: dict[str, Known] = field(default_factory=dict, repr=False)
    """What this scan found, saved in place of ``entries``."""
    now_ns: int = field(default=0, repr=False)
    changed: bool = field(default=False, repr=False)
    """A file was read afresh: the index is saved again."""

    @classmethod
    def load(cls, cache: "Cache", root: str) -> "FileIndex":
        from oidclint.cache import make_key

        key = make_key("file-index", root)
        stored = cache.get(key) if cache.enabled else None
        index = stored if isinstance(stored, FileIndex) else cls()
        index.key, index.updated, index.now_ns, index.changed = key, {}, time.time_ns(), False
        return index

    def lookup(self, path: str, info: os.stat_result) -> Known | None:
        """The entry of an unchanged, not racy file."""
        known = self.entries.get(path)
        if known is None or known.signature != signature(info):
            return None
        if max(info.st_mtime_ns, info.st_ctime_ns) >= self.started_ns - RACY_MARGIN_NS:
            return None
        self.updated[path] = known
        return known

    def record(self, path: str, known: Known) -> None:
        """A file read afresh (or a new check on it); the index is saved if it differs."""
        old = self.entries.get(path)
        if old is not None and old.digest == known.digest and known.names is None:
            known.names = old.names  # same text: the check against role names still holds
        if old != known:
            self.changed = True
        self.updated[path] = known

    def save(self, cache: "Cache") -> None:
        """Replaces the stored index with what this scan found (files gone are dropped)."""
        if self.key is None or not cache.enabled or (
                not self.changed and len(self.updated) == len(self.entries)):
            return
        cache.put(self.key, FileIndex(self.updated, self.now_ns))
