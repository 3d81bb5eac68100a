"""Scans with a cache: cold, warm, uncached, concurrent and from the command line, each
reports exactly what an uncached scan does, and an unchanged tree is answered from the memo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oidclint import engine, file_index
from oidclint.cache import Cache
from oidclint.cli import app
from typer.testing import CliRunner
from cache_helpers import REPOSITORY, document, entries, found, run, samples_copy, small_tree


def test_small_tree_cold_and_warm_cached_scans_equal_the_uncached_one(tmp_path):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    plain = run(tree)
    cold, warm = run(tree, cache), run(tree, cache)
    assert {f[0] for f in found(plain)} >= {"OIDC204"}
    assert any(path == "ci-role.yaml" for _, path, _ in found(plain))
    assert plain.files_skipped == 1  # storage/bucket.tf
    assert document(cold) == document(plain)
    assert document(warm) == document(plain)
    assert cold.files_cached == 0 and warm.files_cached > 0


def test_sample_stacks_cold_warm_and_uncached_are_identical(tmp_path):
    tree = samples_copy(tmp_path)
    cache = Cache(tmp_path / "cache")
    plain = document(run(tree))
    assert plain["findings"]
    assert document(run(tree, cache)) == plain
    assert document(run(tree, cache)) == plain


def test_parse_cache_hits_behind_a_memo_miss_give_the_uncached_report(tmp_path):
    """Other settings miss the memo; the parse results reused from the cache still give
    exactly the report of an uncached scan with those settings."""
    tree = samples_copy(tmp_path)
    cache = Cache(tmp_path / "cache")
    run(tree, cache, repository="acme/payments-api")
    again = run(tree, cache, repository="acme/other")
    assert 0 < again.files_cached < again.files_scanned - again.files_skipped
    assert document(again) == document(run(tree, repository="acme/other"))


# -- an unchanged tree is answered from the memo -----------------------------------------------

def test_warm_scan_of_an_unchanged_tree_does_not_parse(tmp_path, no_parsing):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    cold = run(tree, cache)
    no_parsing()
    warm = run(tree, cache)
    assert warm.files_cached == warm.files_scanned - warm.files_skipped > 0
    assert (warm.files_scanned, warm.files_skipped) == (cold.files_scanned, cold.files_skipped)
    assert document(warm) == document(cold)


def test_index_spares_reading_unchanged_terraform_files(tmp_path, reads, monkeypatch):
    """With the margin down to 0, files written before the recording scan are trusted: a warm
    scan reads none of the Terraform files again."""
    monkeypatch.setattr(file_index, "RACY_MARGIN_NS", 0)
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    run(tree, cache)
    assert "main.tf" in reads and "bucket.tf" in reads
    reads.clear()
    warm = run(tree, cache)
    assert "main.tf" not in reads and "bucket.tf" not in reads
    assert warm.files_cached == warm.files_scanned - warm.files_skipped  # the memo, too
    assert document(warm) == document(run(tree))


def test_files_younger_than_the_racy_margin_are_read_again(tmp_path, reads):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    run(tree, cache)
    reads.clear()
    run(tree, cache)  # written a moment ago: within 2 s of the recording scan
    assert "main.tf" in reads and "bucket.tf" in reads


# -- scans running at once ---------------------------------------------------------------------

def cli_scan(tree: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "oidclint.cli", "scan", str(tree), "--format", "json",
         "--cache-dir", str(cache), "--repository", REPOSITORY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tree.parent)


def finished(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode in (0, 1), err
    assert "internal error" not in err
    data = json.loads(out)
    data.pop("files_cached")
    return data


def test_concurrent_scans_sharing_a_cache_agree(tmp_path):
    tree = samples_copy(tmp_path)
    expected = document(run(tree))
    for round_ in range(3):
        cache = tmp_path / f"cache-{round_}"
        first, second = cli_scan(tree, cache), cli_scan(tree, cache)
        assert finished(first) == expected
        assert finished(second) == expected
        assert finished(cli_scan(tree, cache)) == expected
        assert entries(cache)
        assert not [p for p in cache.rglob("*") if p.name.startswith(".tmp-")]


# -- the command line --------------------------------------------------------------------------

runner = CliRunner()


def cli_json(*args: str) -> dict:
    result = runner.invoke(app, ["scan", *args, "--format", "json",
                                 "--repository", REPOSITORY])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_no_cache_leaves_the_cache_folder_alone(tmp_path):
    tree = small_tree(tmp_path)
    folder = tmp_path / "cache"
    for _ in range(2):
        data = cli_json(str(tree), "--no-cache", "--cache-dir", str(folder))
        assert data["files_cached"] == 0
    assert not folder.exists()
    assert data["findings"]


def test_cache_dir_holds_the_entries(tmp_path):
    tree = small_tree(tmp_path)
    folder = tmp_path / "elsewhere" / "cache"
    cold = cli_json(str(tree), "--cache-dir", str(folder))
    assert entries(folder)
    warm = cli_json(str(tree), "--cache-dir", str(folder))
    assert cold["files_cached"] == 0
    assert warm["files_cached"] == warm["files_parsed"] > 0
    cold.pop("files_cached"), warm.pop("files_cached")
    assert warm == cold


def test_jobs_do_not_change_the_report(tmp_path, monkeypatch):
    asked: list[int | None] = []
    workers_for = engine.workers_for
    monkeypatch.setattr(engine, "workers_for",
                        lambda jobs, size: asked.append(jobs) or workers_for(jobs, size))
    tree = samples_copy(tmp_path)
    serial = cli_json(str(tree), "--jobs", "1", "--no-cache")
    parallel_cold = cli_json(str(tree), "--jobs", "2", "--cache-dir", str(tmp_path / "c"))
    parallel_warm = cli_json(str(tree), "--jobs", "2", "--cache-dir", str(tmp_path / "c"))
    parallel = cli_json(str(tree), "--jobs", "2", "--no-cache")
    assert asked == [1, 2, 2]  # the warm scan is the memo's: nothing to parse
    assert parallel_warm["files_cached"] > 0
    for data in (serial, parallel_cold, parallel_warm, parallel):
        data.pop("files_cached")
    assert serial["findings"]
    assert parallel == serial and parallel_cold == serial and parallel_warm == serial


def test_workers_keep_what_they_parse_and_the_scan_counts_it(tmp_path, monkeypatch):
    """Worker processes write their results to the cache themselves, so that the scan's
    own process does not do it alone once they are done; the scan counts what they wrote."""
    writers = tmp_path / "writers"
    writers.mkdir()
    put = Cache.put

    def spy(self, key, value, deps=None, counted=True):
        (writers / str(os.getpid())).touch()
        return put(self, key, value, deps, counted)
    monkeypatch.setattr(Cache, "put", spy)  # the workers are forked: they inherit it
    tree = samples_copy(tmp_path)
    cache = Cache(tmp_path / "c")
    first = run(tree, cache, jobs=2)
    written = entries(tmp_path / "c")
    assert {p.name for p in writers.iterdir()} - {str(os.getpid())}, "no worker wrote"
    assert cache.stats.written == len(written)  # the workers' entries are counted too
    again_cache = Cache(tmp_path / "c")
    first_config = engine.prepare([tree], root=tree).config
    # With the rules given, the scan does not take its report from the memo: it parses,
    # and every result comes from what the workers wrote.
    again = run(tree, again_cache, jobs=2, rules=engine.chosen_rules(first_config))
    assert again_cache.stats.misses == 0 and again_cache.stats.hits > 0
    assert again.files_cached > 0
    assert document(again) == document(first)
