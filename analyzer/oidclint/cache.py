"""What parsing produced, kept between scans: the inventory of each Terraform root module and
of each CloudFormation template, manifest or plan.

An entry is found by a key made of oidclint's code (its version and a fingerprint of its
files, so an edited checkout never reads entries of its former self), the Python and
python-hcl2 versions, and everything the result was made from: paths and content hashes of
the files parsed and the options that change the result. Files read while evaluating that
were not known in advance (``file()``, modules installed by ``terraform init``, local
modules outside the scan) are recorded as the entry's dependencies with their hashes, and
checked again before the entry is used.

Entries are pickles written to a temporary file and renamed into place, so two scans running
at once each see a whole entry or none. A scan that wrote entries trims the cache to its size
limit, oldest used first (a hit refreshes an entry's time). The cache is only used in a
folder that belongs to the current user and that nobody else can write to: an entry is
code to the unpickler.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from oidclint.dependencies import current_hash

DEFAULT_LIMIT = 256 * 1024 * 1024
"""Bytes the cache may take before its least recently used entries are removed."""

_FORMAT = 1
"""Bumped when the layout of an entry changes."""


def default_directory() -> Path:
    """The user cache directory (``OIDCLINT_CACHE_DIR`` overrides it)."""
    override = os.environ.get("OIDCLINT_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("oidclint", appauthor=False))


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The files of oidclint and of the parser it builds on (path, size, modification time)
    and the Python version: a release is told apart by its files as much as a working copy
    is. The packages are found, not imported (importing the rules alone takes 0.3 s)."""
    from importlib.util import find_spec

    parts = [str(_FORMAT), sys.version]
    for package in ("oidclint", "oidclint_rules", "hcl2", "lark"):
        spec = find_spec(package)
        if spec is None or spec.origin is None:
            parts.append(f"{package}: none")
            continue
        base = Path(spec.origin).parent
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                info = os.stat(os.path.join(folder, name))
                parts.append(f"{package}/{os.path.relpath(os.path.join(folder, name), base)}:"
                             f"{info.st_size}:{info.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def make_key(*parts: object) -> str:
    """A key from the code fingerprint and ``parts`` (strings, numbers, ``None`` and nested
    tuples/lists of them)."""
    hasher = hashlib.blake2b(digest_size=20)
    hasher.update(code_fingerprint().encode())
    hasher.update(repr(parts).encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


# -- the store --------------------------------------------------------------------------

@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    written: int = 0


class Cache:
    """Entries under ``directory``; ``None`` as the directory turns the cache off."""

    def __init__(self, directory: Path | None, limit: int = DEFAULT_LIMIT) -> None:
        self.directory = directory
        self.limit = limit
        self.stats = Stats()
        self.problem: str | None = None
        """Why the cache is off although a directory was given."""
        if directory is not None:
            self.problem = _unusable(directory)
            if self.problem:
                self.directory = None
        self._real = self.directory.resolve() if self.directory is not None else None
        """The cache folder's real path: entries are read from inside it only."""

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def slot(self, name: str) -> "Slot | None":
        """One value kept under a fixed ``name``, for a reader that must not know the cache
        (the Terraform parser's tables); ``None`` when the cache is off."""
        return Slot(self, make_key(name)) if self.enabled else None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / "entries" / key[:2] / f"{key}.pickle"

    def get(self, key: str, counted: bool = True) -> Any | None:
        """The value stored under ``key`` whose dependencies are unchanged, else ``None``.
        ``counted``: the lookup shows in ``stats`` (parse results; not the parser's own
        tables)."""
        if self.directory is None:
            return None
        from oidclint.reading import read_bytes

        path = self._path(key)
        try:
            deps, value = pickle.loads(read_bytes(path, root=self._real, limit=self.limit))
        except Exception:  # noqa: BLE001 - missing or damaged: a miss, not a failed scan
            self.stats.misses += counted
            return None
        if any(current_hash(dep) != expected for dep, expected in deps.items()):
            self.stats.misses += counted
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        self.stats.hits += counted
        return value

    def put(self, key: str, value: Any, deps: dict[str, str | None] | None = None,
            counted: bool = True) -> bool:
        """Stores ``value``, and says whether it did: a failure to write only means the next
        scan parses again. ``counted``: the entry shows in ``stats`` (a worker process's
        entries are counted by the scan's own process)."""
        if self.directory is None:
            return False
        import tempfile

        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-",
                                                 delete=False)
            try:
                with handle:
                    pickle.dump((deps or {}, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(handle.name, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(handle.name)
                raise
        except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
            return False
        self.stats.written += counted
        return True

    def trim(self) -> None:
        """Removes the least recently used entries until the cache fits its limit."""
        if self.directory is None or not self.stats.written:
            return
        entries = []
        for folder in (self.directory / "entries").glob("*"):
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    with contextlib.suppress(OSError):
                        info = entry.stat()
                        entries.append((info.st_mtime_ns, info.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.limit:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size


@dataclass(frozen=True)
class Slot:
    """``get()`` and ``put(value)`` of one entry of a cache, uncounted in its stats."""

    cache: Cache
    key: str

    def get(self) -> bytes | None:
        value = self.cache.get(self.key, counted=False)
        return value if isinstance(value, bytes) else None

    def put(self, value: bytes) -> None:
        self.cache.put(self.key, value, counted=False)


def _unusable(directory: Path) -> str | None:
    """Why ``directory`` may not hold a cache, or ``None`` when it may (it is created)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.stat()
    except OSError as exc:
        return f"cannot create {directory}: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{directory} belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{directory} can be written by other users"
    return None
