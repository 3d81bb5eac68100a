"""The cache store: parse results reused on their own, entries that round-trip, damaged or
stale entries that are misses, trimming to the size limit, and the cache folder's
permissions."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest
from conftest import OPEN_TRUST
from oidclint.cache import Cache, make_key
from oidclint.dependencies import digest
from oidclint.discovery import discover
from oidclint.model import Level
from oidclint.terraform_roots import parse_terraform
from cache_helpers import NARROW_SUB, document, entries, found, run, small_tree


def terraform_files(tree: Path):
    return [f for f in discover([tree], tree).files if f.kind in ("terraform", "tfvars")]


def test_parse_terraform_reuses_each_root_module_from_the_cache(tmp_path):
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "b").mkdir()
    (tree / "a" / "main.tf").write_text(OPEN_TRUST)
    (tree / "b" / "main.tf").write_text(OPEN_TRUST.replace('"deploy"', '"other"'))
    cache = Cache(tmp_path / "cache")
    first = parse_terraform(terraform_files(tree), cache=cache)
    assert (cache.stats.hits, cache.stats.written) == (0, 2) and not first.cached
    second = parse_terraform(terraform_files(tree), cache=cache)
    assert cache.stats.hits == 2
    assert sorted(second.cached) == ["a/main.tf", "b/main.tf"]
    assert repr(second.roles) == repr(first.roles)
    assert repr(second.providers) == repr(first.providers)
    assert second.diagnostics == first.diagnostics

    (tree / "a" / "main.tf").write_text(OPEN_TRUST.replace("repo:acme/*", NARROW_SUB))
    hits = cache.stats.hits
    third = parse_terraform(terraform_files(tree), cache=cache)
    assert cache.stats.hits - hits == 1
    assert third.cached == ["b/main.tf"]
    assert repr(third.roles) != repr(second.roles)
    assert repr(third.roles) == repr(parse_terraform(terraform_files(tree)).roles)


def test_structured_parse_results_come_from_the_cache(tmp_path):
    from oidclint.parsing import parse

    tree = small_tree(tmp_path)
    files = [f for f in discover([tree], tree).files if f.path == "ci-role.yaml"]
    cache = Cache(tmp_path / "cache")
    first = parse(files, cache=cache)
    second = parse(files, cache=cache)
    assert first.roles and not first.cached
    assert second.cached == ["ci-role.yaml"]
    assert repr(second.roles) == repr(first.roles)


# -- the store ---------------------------------------------------------------------------------

def test_put_and_get_round_trip(tmp_path):
    cache = Cache(tmp_path / "cache")
    assert cache.enabled and cache.problem is None
    key = make_key("test", "round trip")
    assert cache.get(key) is None and cache.stats.misses == 1
    cache.put(key, {"roles": [1, 2, 3], "name": "deploy"})
    assert cache.stats.written == 1
    assert Cache(tmp_path / "cache").get(key) == {"roles": [1, 2, 3], "name": "deploy"}
    assert cache.get(key) == {"roles": [1, 2, 3], "name": "deploy"} and cache.stats.hits == 1


def test_a_cache_without_a_directory_is_off(tmp_path):
    cache = Cache(None)
    key = make_key("off")
    cache.put(key, 1)
    assert not cache.enabled and cache.get(key) is None
    assert (cache.stats.written, cache.stats.hits) == (0, 0)


@pytest.mark.parametrize("garbage", [b"", b"not a pickle at all", b"\x80\x05\x95garbage",
                                     pickle.dumps(42), pickle.dumps(("only one",))],
                         ids=["empty", "text", "truncated", "wrong-shape", "short-tuple"])
def test_a_damaged_entry_is_a_miss(tmp_path, garbage):
    cache = Cache(tmp_path / "cache")
    key = make_key("damaged")
    cache.put(key, "value")
    cache._path(key).write_bytes(garbage)
    misses = cache.stats.misses
    assert cache.get(key) is None
    assert cache.stats.misses == misses + 1


def test_a_scan_over_a_damaged_cache_reports_as_usual(tmp_path):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    run(tree, cache)
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(b"\x80\x04garbage")
    assert document(run(tree, cache)) == document(run(tree))


def test_an_entry_whose_dependency_changed_is_a_miss(tmp_path):
    cache = Cache(tmp_path / "cache")
    dep, absent, folder = tmp_path / "dep.txt", tmp_path / "absent.txt", tmp_path / "listed"
    dep.write_text("one")
    folder.mkdir()
    (folder / "a.tf").write_text("")
    deps = {str(dep): digest("one"), str(absent): None,
            f"{folder}{os.sep}": digest("a.tf")}
    key = make_key("deps")
    cache.put(key, "value", deps)
    assert cache.get(key) == "value"
    dep.write_text("two")
    assert cache.get(key) is None
    dep.write_text("one")
    assert cache.get(key) == "value"
    absent.write_text("now here")
    assert cache.get(key) is None
    absent.unlink()
    (folder / "b.tf").write_text("")
    assert cache.get(key) is None
    (folder / "b.tf").unlink()
    assert cache.get(key) == "value"


def _aged_entries(cache: Cache, count: int) -> tuple[list[str], list[int]]:
    """``count`` entries, the first the least recently used; their keys and sizes."""
    keys = [make_key("trim", index) for index in range(count)]
    now = time.time_ns()
    sizes = []
    for age, key in enumerate(keys):
        cache.put(key, bytes([age]) * 4000)
        path = cache._path(key)
        stamp = now - (count - age) * 100 * 10 ** 9
        os.utime(path, ns=(stamp, stamp))
        sizes.append(path.stat().st_size)
    return keys, sizes


def test_trim_removes_the_least_recently_used_entries_until_under_the_limit(tmp_path):
    cache = Cache(tmp_path / "cache")
    keys, sizes = _aged_entries(cache, 4)
    cache.limit = sizes[2] + sizes[3]
    cache.trim()
    assert [cache._path(k).exists() for k in keys] == [False, False, True, True]


def test_trim_keeps_everything_that_fits(tmp_path):
    cache = Cache(tmp_path / "cache")
    keys, sizes = _aged_entries(cache, 3)
    cache.limit = sum(sizes)
    cache.trim()
    assert all(cache._path(k).exists() for k in keys)
    cache.limit = sum(sizes) - 1
    cache.trim()
    assert [cache._path(k).exists() for k in keys] == [False, True, True]


def test_a_hit_makes_an_entry_recently_used(tmp_path):
    cache = Cache(tmp_path / "cache")
    keys, sizes = _aged_entries(cache, 4)
    assert cache.get(keys[0]) is not None
    cache.limit = sizes[0] + sizes[3]
    cache.trim()
    assert [cache._path(k).exists() for k in keys] == [True, False, False, True]


def test_trim_does_nothing_when_nothing_was_written(tmp_path):
    keys, _ = _aged_entries(Cache(tmp_path / "cache"), 3)
    reader = Cache(tmp_path / "cache", limit=0)
    reader.trim()
    assert all(reader._path(k).exists() for k in keys)


def test_a_scan_trims_a_cache_over_its_limit(tmp_path):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache", limit=0)
    report = run(tree, cache)
    assert cache.stats.written > 0
    assert entries(tmp_path / "cache") == []
    assert document(report) == document(run(tree))


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o770, 0o722, 0o702])
def test_a_cache_folder_others_can_write_is_refused(tmp_path, mode):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(mode)
    cache = Cache(folder)
    assert not cache.enabled
    assert cache.problem == f"{folder} can be written by other users"
    cache.put(make_key("refused"), "value")
    assert not (folder / "entries").exists()


@pytest.mark.parametrize("mode", [0o700, 0o755])
def test_a_private_cache_folder_is_used(tmp_path, mode):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(mode)
    cache = Cache(folder)
    assert cache.enabled and cache.problem is None


def test_a_new_cache_folder_is_created_private(tmp_path):
    folder = tmp_path / "deep" / "cache"
    assert Cache(folder).enabled
    assert folder.stat().st_mode & 0o077 == 0


def test_a_cache_folder_of_another_user_is_refused(tmp_path):
    if os.getuid() == 0:
        folder = tmp_path / "cache"
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
    else:
        folder = Path("/")
        if folder.stat().st_uid == os.getuid():
            pytest.skip("no folder of another user to try")
    cache = Cache(folder)
    assert not cache.enabled
    assert cache.problem == f"{folder} belongs to another user"


@pytest.mark.parametrize("where", ["file", "below-a-file"])
def test_a_cache_path_that_cannot_be_a_folder_is_refused(tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    folder = blocker if where == "file" else blocker / "cache"
    cache = Cache(folder)
    assert not cache.enabled
    assert cache.problem.startswith(f"cannot create {folder}")


def test_a_scan_with_a_refused_cache_says_so_and_reports_as_usual(tmp_path):
    tree = small_tree(tmp_path)
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o777)
    report = run(tree, Cache(folder))
    notes = [d for d in report.diagnostics if d.message.startswith("the parse cache is not used")]
    assert len(notes) == 1 and notes[0].level == Level.NOTE
    assert notes[0].message == (f"the parse cache is not used: {folder} can be written by "
                                "other users")
    assert not (folder / "entries").exists()
    assert found(report) == found(run(tree))
