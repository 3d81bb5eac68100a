"""The file index trusts a file only when it must be unchanged: its signature, the racy
margin, the change time, and when the index is saved."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import OPEN_TRUST
from oidclint.cache import Cache
from oidclint.dependencies import digest
from oidclint.file_index import RACY_MARGIN_NS, FileIndex, Known, signature
from oidclint.prefilter import Facts


FACTS = Facts(web_identity=False, iam=False)


def indexed(path: Path, started_ns: int, **changes: int) -> FileIndex:
    """An index whose one entry is ``path`` as it is now (``changes``: signature fields
    replaced: size, mtime, ino, ctime)."""
    size, mtime, ino, ctime = signature(os.stat(path))
    fields = {"size": size, "mtime": mtime, "ino": ino, "ctime": ctime} | changes
    sig = (fields["size"], fields["mtime"], fields["ino"], fields["ctime"])
    return FileIndex({"main.tf": Known(sig, digest(path.read_text()), FACTS)}, started_ns)


def test_an_unchanged_file_older_than_the_margin_is_trusted(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    info = os.stat(path)
    newest = max(info.st_mtime_ns, info.st_ctime_ns)
    index = indexed(path, newest + RACY_MARGIN_NS + 1)
    known = index.lookup("main.tf", info)
    assert known is index.entries["main.tf"]
    assert index.updated == {"main.tf": known}


def test_a_file_within_the_margin_of_the_recording_scan_is_not_trusted(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    info = os.stat(path)
    newest = max(info.st_mtime_ns, info.st_ctime_ns)
    for started in (newest + RACY_MARGIN_NS, newest + RACY_MARGIN_NS // 2, newest):
        index = indexed(path, started)
        assert index.lookup("main.tf", info) is None, started
        assert index.updated == {}


def test_an_old_mtime_does_not_hide_a_recent_change_time(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    old = time.time_ns() - 3600 * 10 ** 9
    os.utime(path, ns=(old, old))
    info = os.stat(path)
    assert info.st_mtime_ns == old
    index = indexed(path, info.st_ctime_ns + RACY_MARGIN_NS // 2)
    assert index.lookup("main.tf", info) is None


def test_a_file_modified_after_the_recording_scan_started_is_not_trusted(tmp_path):
    started = time.time_ns()
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    index = indexed(path, started)
    assert index.lookup("main.tf", os.stat(path)) is None


@pytest.mark.parametrize("field", ["size", "mtime", "ino", "ctime"])
def test_any_signature_difference_means_the_file_is_read_again(tmp_path, field):
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    info = os.stat(path)
    recorded = dict(zip(("size", "mtime", "ino", "ctime"), signature(info)))
    far_future = time.time_ns() + 10 ** 15
    assert indexed(path, far_future).lookup("main.tf", info) is not None
    index = indexed(path, far_future, **{field: recorded[field] - 1})
    assert index.lookup("main.tf", info) is None


def test_a_path_the_index_does_not_know_is_not_trusted(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    index = indexed(path, time.time_ns() + 10 ** 15)
    assert index.lookup("other.tf", os.stat(path)) is None


def test_the_index_is_saved_with_the_start_of_the_scan_that_recorded_it(tmp_path):
    cache = Cache(tmp_path / "cache")
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    first = FileIndex.load(cache, "/tree")
    assert first.entries == {}
    known = Known(signature(os.stat(path)), digest(OPEN_TRUST), FACTS)
    first.record("main.tf", known)
    first.save(cache)
    stored = FileIndex.load(cache, "/tree")
    assert stored.entries == {"main.tf": known}
    assert stored.started_ns == first.now_ns
    assert FileIndex.load(cache, "/other-tree").entries == {}

    written = cache.stats.written
    stored.lookup("main.tf", os.stat(path))  # racy: not carried over, so the index shrinks
    stored.save(cache)
    assert cache.stats.written == written + 1
    assert FileIndex.load(cache, "/tree").entries == {}


def test_an_unchanged_index_is_not_written_again(tmp_path, index_trusts_signatures):
    cache = Cache(tmp_path / "cache")
    path = tmp_path / "main.tf"
    path.write_text(OPEN_TRUST)
    index = FileIndex.load(cache, "/tree")
    index.record("main.tf", Known(signature(os.stat(path)), digest(OPEN_TRUST), FACTS))
    index.save(cache)
    again = FileIndex.load(cache, "/tree")
    assert again.lookup("main.tf", os.stat(path)) is not None
    written = cache.stats.written
    again.save(cache)
    assert cache.stats.written == written
