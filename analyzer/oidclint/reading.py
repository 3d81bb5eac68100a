"""Reading a file: the one way oidclint opens one, whoever reads it.

The scanned tree belongs to whoever wrote the pull request, so a file in it may be a
symbolic link to ``/dev/zero``, to a FIFO that blocks forever, to a file outside the tree,
or a sparse file of a hundred gigabytes. Every read resolves the path (following links),
refuses a file outside the ``root`` it is confined to (the scanned tree; ``None`` for files
the user names: ``--config``, ``--baseline``, ``--var-file``, the cache's own files), refuses
anything that is not a regular file before opening it, and reads at most ``limit`` bytes,
in chunks, so that a raised limit never allocates it up front. The file is opened without
following a link in its last component and checked again once open, so a file swapped for a
link or a device between the check and the open is refused too.

A refusal raises ``Refused`` (a ``ValueError``) whose message is the reason as reports show
it; a file that is not there or not readable raises ``OSError``.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 5 * 1024 * 1024
"""The default limit: larger files are reported, not read (``max-file-size``)."""
CHUNK_BYTES = 1024 * 1024

_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_BINARY", 0))
"""No link followed in the last component, and a FIFO or terminal swapped in after the
check never blocks the open nor becomes the controlling terminal."""

OUTSIDE = "symbolic link to a file outside the scanned tree; not read"
NOT_REGULAR = "not a regular file; not read"
BROKEN_LINK = "broken or looping symbolic link; not read"


class Refused(ValueError):
    """A file that is not read, and why (the message)."""


def too_large(limit: int, size: int | None = None) -> Refused:
    measured = f" ({size:,} bytes)" if size is not None else ""
    return Refused(f"larger than the {limit:,}-byte limit{measured}; not read")


def locate(path: str | Path, root: Path | None = None) -> tuple[str, os.stat_result]:
    """The real path of ``path`` and its status, once it is known to be a regular file inside
    ``root`` (a resolved folder; ``None``: anywhere)."""
    name = os.fspath(path)
    try:
        real = os.path.realpath(name, strict=True)
    except (OSError, RuntimeError) as exc:
        if os.path.islink(name):
            raise Refused(BROKEN_LINK) from None
        if isinstance(exc, OSError):
            raise
        raise Refused(BROKEN_LINK) from None
    if root is not None and not inside(real, root):
        inside_lexically = inside(os.path.abspath(name), root)
        raise Refused(OUTSIDE if inside_lexically else "outside the scanned tree; not read")
    info = os.stat(real)
    if not stat.S_ISREG(info.st_mode):
        raise Refused(NOT_REGULAR)
    return real, info


def inside(path: str, root: Path) -> bool:
    """``path`` (absolute, no ``..``) is ``root`` or below it."""
    base = os.fspath(root).rstrip(os.sep) or os.sep
    return path == base or path.startswith(base if base.endswith(os.sep) else base + os.sep)


def read_located(real: str, info: os.stat_result, limit: int) -> bytes:
    """The bytes of a regular file ``locate`` found (or a caller that resolved it itself,
    with its status), at most ``limit`` of them."""
    if not stat.S_ISREG(info.st_mode):
        raise Refused(NOT_REGULAR)
    if info.st_size > limit:
        raise too_large(limit, info.st_size)
    try:
        handle = os.open(real, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # made a link since it was located
            raise Refused("replaced by a symbolic link while being read; not read") from None
        raise
    try:
        opened = os.fstat(handle)
        if not stat.S_ISREG(opened.st_mode):
            raise Refused(NOT_REGULAR)
        if opened.st_size > limit:
            raise too_large(limit, opened.st_size)
        chunks, total = [], 0
        while True:
            # The file may grow while it is read: never more than the limit and one byte.
            chunk = os.read(handle, min(CHUNK_BYTES, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def read_bytes(path: str | Path, *, root: Path | None = None,
               limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, confined to ``root``, at most ``limit``."""
    return read_located(*locate(path, root), limit)


def read_text(path: str | Path, *, root: Path | None = None,
              limit: int = MAX_FILE_BYTES) -> str:
    """The decoded text of the regular file at ``path`` (see ``decode``)."""
    return decode(read_bytes(path, root=root, limit=limit))


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (BOM allowed) or UTF-16 with a BOM. Raises ``ValueError``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
