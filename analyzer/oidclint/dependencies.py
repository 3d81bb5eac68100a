"""What a result depends on: the files (and folder listings) read while it was produced,
each with its content hash, so that a result kept between scans is used again only while
they are unchanged. Readers report what they read with ``note_read``; the scheduler records
it (``recording``) and keeps it with the result (``oidclint.cache``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from oidclint.reading import Refused, decode, locate, read_located


def digest(content: str | bytes | None) -> str | None:
    """Content hash of a file's text or bytes; ``None`` for a file that is not there."""
    if content is None:
        return None
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Reads:
    """Files (and folder listings) read while producing a result: path -> hash."""

    seen: dict[str, str | None] = field(default_factory=dict)


_reads: ContextVar[Reads | None] = ContextVar("oidclint_reads", default=None)


@contextlib.contextmanager
def recording() -> Iterator[Reads]:
    """Collects what ``note_read`` reports for the duration of the block."""
    reads = Reads()
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def note_read(path: Path | str) -> None:
    """A file read, or looked for, by whatever is being recorded. Its hash is taken from
    disk the way the check before reuse takes it (``current_hash``), whatever became of the
    read (not there, not UTF-8, too large), so the two always agree."""
    reads = _reads.get()
    if reads is not None:
        reads.seen[str(path)] = current_hash(str(path))


def note_listing(folder: Path | str) -> None:
    """A folder whose list of files was read (all names: a file added to it counts)."""
    note_read(f"{folder}{os.sep}")


HASHED_BYTES = 64 * 1024 * 1024
"""Files up to this size are hashed by content; a larger one by its size and times (as the
file index tells an unchanged file), never read."""


def current_hash(path: str) -> str | None:
    """A file's content hash, a folder's (a path ending in the separator) list of names;
    ``None`` when it is not there or cannot be read. A file that is not read (not a regular
    file, too large to hash) gets a mark that says why and changes when it does."""
    try:
        if path.endswith(os.sep):
            folder = path[:-len(os.sep)]
            if not os.path.isdir(folder):
                return None
            return digest("\n".join(sorted(os.listdir(folder))))
        real, info = locate(path)
        if info.st_size > HASHED_BYTES:
            return (f"large:{real}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}:"
                    f"{info.st_ctime_ns}")
        data = read_located(real, info, HASHED_BYTES)
    except Refused as exc:
        return f"not read: {exc}"
    except OSError:
        return None
    try:
        return digest(decode(data))
    except ValueError:
        return digest(data)
