"""The parse cache and the scan memo: a cached scan reports exactly what an uncached one does,
an edit that can matter is never answered from a stale entry, the store survives damage,
concurrency and its size limit, and the file index trusts a file only when it must be
unchanged.

Every test names its own cache folder under ``tmp_path`` (conftest points the default cache
at a session folder, which these tests never use)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import OPEN_TRUST, SAMPLES
from oidclint import cache as cache_module
from oidclint import discovery, engine, file_index
from oidclint.cache import Cache, code_fingerprint, make_key
from oidclint.cli import app
from oidclint.dependencies import current_hash, digest, note_listing, note_read, recording
from oidclint.discovery import discover
from oidclint.engine import scan
from oidclint.file_index import RACY_MARGIN_NS, FileIndex, Known, signature
from oidclint.model import Level, Report
from oidclint.prefilter import Facts
from oidclint.reporters import FORMATS
from oidclint.terraform_roots import parse_terraform
from typer.testing import CliRunner

REPOSITORY = "acme/api"

CFN_TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  CiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Sub "arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: "repo:acme/*"
'''

WORKFLOW = '''\
name: deploy
on: push
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
'''

BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'
"""A Terraform file that cannot matter (no IAM, no web identity)."""

PROVIDER = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
'''

ROLE_MODULE = '''\
variable "provider_arn" {}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = var.provider_arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "SUB" }
      }
    }]
  })
}
'''

NARROW_SUB = "repo:acme/api:ref:refs/heads/main"
"""A subject without a wildcard (OIDC304 under ``StringLike``, never OIDC204)."""


# -- helpers ---------------------------------------------------------------------------------

def small_tree(base: Path) -> Path:
    """OPEN_TRUST in main.tf, a CloudFormation role trusting GitHub, a workflow assuming a role
    and, in a folder of its own, a Terraform file that cannot matter."""
    tree = base / "tree"
    (tree / ".github" / "workflows").mkdir(parents=True)
    (tree / "storage").mkdir()
    (tree / "main.tf").write_text(OPEN_TRUST)
    (tree / "ci-role.yaml").write_text(CFN_TEMPLATE)
    (tree / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    (tree / "storage" / "bucket.tf").write_text(BUCKET)
    return tree


def samples_copy(base: Path) -> Path:
    """The sample stacks as one tree of their own (no git work tree above it)."""
    tree = base / "samples"
    shutil.copytree(SAMPLES, tree)
    return tree


def run(tree: Path, cache: Cache | None = None, *, paths: list[Path] | None = None,
        **options) -> Report:
    options.setdefault("repository", REPOSITORY)
    return scan(paths or [tree], root=tree, cache=cache, **options)


def document(report: Report) -> dict:
    """The JSON report without ``files_cached`` (run information, like a duration)."""
    data = json.loads(FORMATS["json"](report))
    data.pop("files_cached")
    return data


def found(report: Report) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.span.path, f.message) for f in report.findings]


def entries(directory: Path) -> list[Path]:
    return sorted((directory / "entries").glob("*/*.pickle"))


def trust_policy(sub: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/"
                                   "token.actions.githubusercontent.com"},
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": sub}}}]}, indent=2)


@pytest.fixture
def no_parsing(monkeypatch):
    """Call it to make any further parsing (the graph of a scan) fail the test."""
    def arm() -> None:
        def refuse(*args, **kwargs):
            raise AssertionError("the scan parsed instead of using the memo")
        monkeypatch.setattr(engine, "_graph", refuse)
    return arm


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Names of the files discovery reads from disk (those the file index does not spare)."""
    seen: list[str] = []
    original = discovery.read_file

    def counting(target, info, max_bytes):
        seen.append(Path(target).name)
        return original(target, info, max_bytes)
    monkeypatch.setattr(discovery, "read_file", counting)
    return seen


@pytest.fixture
def index_trusts_signatures(monkeypatch) -> None:
    """No racy margin at all: the index trusts every file whose signature matches, so only
    the signature (size, mtime, inode, ctime) can tell an edit."""
    monkeypatch.setattr(file_index, "RACY_MARGIN_NS", -10 ** 15)


# -- 1. a cached scan reports what an uncached one does ----------------------------------------

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


# -- 2. an unchanged tree is answered from the memo --------------------------------------------

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


# -- 3. an edit that matters is never answered from a stale entry ------------------------------

def test_editing_the_trust_with_a_different_size_changes_the_report(tmp_path):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache)
    run(tree, cache)
    (tree / "main.tf").write_text(OPEN_TRUST.replace("repo:acme/*", NARROW_SUB))
    after = run(tree, cache)
    assert found(after) != found(before)
    assert not any(r == "OIDC204" and p == "main.tf" for r, p, _ in found(after))
    assert document(after) == document(run(tree))


@pytest.mark.parametrize("margin", ["shipped", "off"])
@pytest.mark.parametrize("name", ["main.tf", "ci-role.yaml"])
def test_same_size_edit_with_the_old_mtime_restored_is_detected(tmp_path, monkeypatch, margin,
                                                                 name):
    """Same size, same mtime: only the change time tells (with the margin off, nothing else
    protects the entry), and then the content hash, for the memo and the parse cache."""
    if margin == "off":
        monkeypatch.setattr(file_index, "RACY_MARGIN_NS", -10 ** 15)
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    path = tree / name
    before = run(tree, cache)
    assert run(tree, cache).files_cached > 0
    old = os.stat(path)
    original = path.read_text()
    edited = original.replace("repo:acme/*", "repo:acme/x")
    assert len(edited) == len(original) and edited != original
    path.write_text(edited)
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = os.stat(path)
    assert (new.st_size, new.st_mtime_ns, new.st_ino) == (old.st_size, old.st_mtime_ns,
                                                           old.st_ino)
    assert new.st_ctime_ns != old.st_ctime_ns
    after = run(tree, cache)
    assert found(after) != found(before)
    assert document(after) == document(run(tree))


def test_replacing_a_file_by_rename_with_the_same_size_and_mtime_is_detected(
        tmp_path, index_trusts_signatures):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    path = tree / "main.tf"
    before = run(tree, cache)
    old = os.stat(path)
    replacement = tree / "main.tf.new"
    replacement.write_text(OPEN_TRUST.replace("repo:acme/*", "repo:acme/x"))
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, path)
    after = run(tree, cache)
    assert found(after) != found(before)
    assert document(after) == document(run(tree))


# -- 4. the memo depends only on files that can matter -----------------------------------------

def test_editing_a_file_that_cannot_matter_is_served_from_the_memo(tmp_path, no_parsing):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache)
    (tree / "storage" / "bucket.tf").write_text(BUCKET.replace("acme-logs", "acme-logs-eu-1"))
    no_parsing()
    after = run(tree, cache)
    assert after.files_skipped == 1
    assert after.files_cached == after.files_scanned - after.files_skipped > 0
    assert found(after) == found(before)


def test_adding_a_file_that_cannot_matter_is_served_from_the_memo(tmp_path, no_parsing):
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache)
    (tree / "storage" / "more.tf").write_text(BUCKET.replace("logs", "assets"))
    no_parsing()
    after = run(tree, cache)
    assert after.files_scanned == before.files_scanned + 1
    assert after.files_cached > 0 and found(after) == found(before)


def test_a_suppression_comment_added_to_an_unrelated_file_is_not_served_stale(tmp_path):
    """A file with ``oidclint:`` comments is part of the memo (an unused suppression is
    reported) although nothing else in it can matter."""
    tree = small_tree(tmp_path)
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache)
    (tree / "storage" / "bucket.tf").write_text("# oidclint: ignore[OIDC204] accepted\n" + BUCKET)
    after = run(tree, cache)
    assert document(after) == document(run(tree))
    assert [d for d in after.diagnostics if d.path == "storage/bucket.tf"]
    assert not [d for d in before.diagnostics if d.path == "storage/bucket.tf"]


# -- 5. files read while evaluating are dependencies -------------------------------------------

@pytest.mark.parametrize("name", ["trust.json", "trust.txt"])
def test_changing_a_file_read_by_file_changes_the_findings(tmp_path, name):
    """trust.json is a scanned file too (the prefilter keeps it: it names a ``Federated``
    principal); trust.txt is only known as a dependency of the Terraform root."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(PROVIDER + f'''\
resource "aws_iam_role" "deploy" {{
  name               = "deploy"
  assume_role_policy = file("${{path.module}}/{name}")
}}
''')
    (tree / name).write_text(trust_policy(NARROW_SUB))
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache)
    assert run(tree, cache).files_cached > 0
    assert not any(rule == "OIDC204" for rule, _, _ in found(before))
    (tree / name).write_text(trust_policy("repo:acme/*"))
    after = run(tree, cache)
    assert any(rule == "OIDC204" for rule, _, _ in found(after))
    assert document(after) == document(run(tree))
    (tree / name).unlink()
    gone = run(tree, cache)
    assert document(gone) == document(run(tree))
    assert not any(rule == "OIDC204" for rule, _, _ in found(gone))
    run(tree, cache)
    (tree / name).write_text(trust_policy("repo:acme/*"))  # a file looked for, now there
    back = run(tree, cache)
    assert any(rule == "OIDC204" for rule, _, _ in found(back))
    assert document(back) == document(run(tree))


def module_tree(base: Path) -> Path:
    """live/ calls ../modules/role, which is outside the scanned folder (live)."""
    tree = base / "tree"
    (tree / "live").mkdir(parents=True)
    (tree / "modules" / "role").mkdir(parents=True)
    (tree / "live" / "main.tf").write_text(PROVIDER + '''\
module "role" {
  source       = "../modules/role"
  provider_arn = aws_iam_openid_connect_provider.github.arn
}
''')
    (tree / "modules" / "role" / "main.tf").write_text(ROLE_MODULE.replace("SUB", NARROW_SUB))
    return tree


def test_editing_a_local_module_outside_the_scanned_folder_recomputes(tmp_path):
    tree = module_tree(tmp_path)
    live = [tree / "live"]
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache, paths=live)
    assert before.files_scanned == 1 and found(before)
    assert run(tree, cache, paths=live).files_cached == 1
    (tree / "modules" / "role" / "main.tf").write_text(ROLE_MODULE.replace("SUB", "repo:acme/*"))
    after = run(tree, cache, paths=live)
    assert found(after) != found(before)
    assert any(rule == "OIDC204" for rule, _, _ in found(after))
    assert document(after) == document(run(tree, paths=live))


def test_a_new_file_in_a_local_module_outside_the_scan_recomputes(tmp_path):
    """The module folder's listing is a dependency as well as its files."""
    tree = module_tree(tmp_path)
    live = [tree / "live"]
    cache = Cache(tmp_path / "cache")
    before = run(tree, cache, paths=live)
    assert run(tree, cache, paths=live).files_cached == 1
    (tree / "modules" / "role" / "open.tf").write_text(
        ROLE_MODULE.replace("variable \"provider_arn\" {}\n", "")
        .replace('"deploy"', '"open"').replace("SUB", "repo:acme/*"))
    after = run(tree, cache, paths=live)
    assert len(after.findings) > len(before.findings)
    assert document(after) == document(run(tree, paths=live))


# -- 6. the parse cache on its own -------------------------------------------------------------

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


# -- 7. the store ------------------------------------------------------------------------------

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


# -- 8. scans running at once ------------------------------------------------------------------

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


# -- 9. the command line -----------------------------------------------------------------------

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


# -- 10. keys and hashes -----------------------------------------------------------------------

BASE_PARTS = ("scan", "/tree", 3, None, [("a.tf", "0f"), ("b.tf", None)], ("x", ("y",)))


@pytest.mark.parametrize("index, other", [
    (0, "terraform"), (1, "/other"), (2, 4), (2, "3"), (3, "None"), (3, 0),
    (4, [("a.tf", "0e"), ("b.tf", None)]), (4, [("a.tf", "0f")]),
    (4, [("b.tf", None), ("a.tf", "0f")]), (5, ("x", "y")), (5, ("x", ("z",))),
])
def test_make_key_changes_when_any_part_changes(index, other):
    parts = list(BASE_PARTS)
    parts[index] = other
    assert make_key(*parts) != make_key(*BASE_PARTS)


def test_make_key_is_stable_and_tells_how_parts_are_split():
    assert make_key(*BASE_PARTS) == make_key(*BASE_PARTS)
    assert len(make_key(*BASE_PARTS)) == 40
    assert make_key("ab") != make_key("a", "b")
    assert make_key("a", "b") != make_key(("a", "b"))
    assert make_key() != make_key(None)


def test_make_key_depends_on_the_code_fingerprint(monkeypatch):
    before = make_key(*BASE_PARTS)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another checkout")
    assert make_key(*BASE_PARTS) != before


def test_code_fingerprint_follows_the_package_files(tmp_path, monkeypatch):
    import importlib.util

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("x = 1\n")
    fake = SimpleNamespace(origin=str(package / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: fake if name == "oidclint" else None)
    compute = code_fingerprint.__wrapped__
    first = compute()
    assert compute() == first and len(first) == 32
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert compute() == first  # compiled files are not the code
    (package / "rules.py").write_text("")
    with_file = compute()
    assert with_file != first
    info = os.stat(package / "__init__.py")
    os.utime(package / "__init__.py", ns=(info.st_atime_ns, info.st_mtime_ns + 10 ** 9))
    touched = compute()
    assert touched != with_file
    (package / "__init__.py").write_text("x = 12\n")
    os.utime(package / "__init__.py", ns=(info.st_atime_ns, info.st_mtime_ns + 10 ** 9))
    assert compute() != touched  # same mtime, other size


def test_code_fingerprint_of_this_checkout_is_cached():
    assert code_fingerprint() == code_fingerprint()
    assert len(code_fingerprint()) == 32


def test_digest():
    assert digest(None) is None
    assert digest("") is not None and digest("") != digest(None)
    text = "repo:acme/* – ünïcode ✓"
    assert digest(text) == digest(text.encode("utf-8"))
    assert digest(text) != digest(text + " ")
    assert digest("\udc80") == digest(b"\xed\xb2\x80")  # a lone surrogate does not raise


def test_current_hash_matches_what_a_read_records(tmp_path):
    path, folder = tmp_path / "trust.json", tmp_path / "module"
    path.write_text('{"a": "b"}\n')
    folder.mkdir()
    (folder / "main.tf").write_text("")
    (folder / "outputs.tf").write_text("")
    with recording() as reads:
        note_read(path)
        note_read(tmp_path / "absent")
        note_listing(folder)
        note_listing(tmp_path / "no-folder")
    assert len(reads.seen) == 4
    for dep, expected in reads.seen.items():
        assert current_hash(dep) == expected, dep
    assert reads.seen[str(tmp_path / "absent")] is None
    note_read(path)  # outside any recording: nothing records it, nothing fails
    assert reads.seen[str(path)] == digest('{"a": "b"}\n')


# -- 11. the file index ------------------------------------------------------------------------

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


# -- stale or never-hit entries found while writing these tests -------------------------------

def test_a_file_read_target_that_was_not_utf8_is_a_dependency(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(PROVIDER + '''\
resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = file("${path.module}/trust.txt")
}
''')
    (tree / "trust.txt").write_bytes(trust_policy("repo:acme/*").replace("acme", "acm\xe9")
                                     .encode("latin-1"))
    cache = Cache(tmp_path / "cache")
    run(tree, cache)
    (tree / "trust.txt").write_text(trust_policy("repo:acme/*"))
    assert document(run(tree, cache)) == document(run(tree))


def test_a_gitlab_include_the_prefilter_skips_is_part_of_the_memo(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES / "gitlab-ci-deploy", tree)
    (tree / "ci").mkdir()
    (tree / ".gitlab-ci.yml").write_text('''\
include:
  - local: ci/auth.yml
stages: [deploy]
deploy:
  stage: deploy
  extends: .aws-auth
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
  script:
    - ./rollout.sh
''')
    auth = '''\
variables:
  AWS_ROLE_ARN: arn:aws:iam::123456789012:role/payments-api-gitlab-deploy
.aws-auth:
  id_tokens:
    AWS_ID_TOKEN:
      aud: AUDIENCE
'''
    (tree / "ci" / "auth.yml").write_text(auth.replace("AUDIENCE", "https://gitlab.com"))
    cache = Cache(tmp_path / "cache")
    options = {"repository": "acme/payments-api"}
    assert document(run(tree, cache, **options)) == document(run(tree, **options))
    (tree / "ci" / "auth.yml").write_text(auth.replace("AUDIENCE", "https://evil.example.com"))
    uncached = run(tree, **options)
    assert any(rule == "OIDC110" for rule, _, _ in found(uncached))
    assert document(run(tree, cache, **options)) == document(uncached)


def test_a_crlf_file_read_target_still_gives_a_warm_hit(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(PROVIDER + '''\
resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = file("${path.module}/trust.txt")
}
''')
    (tree / "trust.txt").write_bytes(trust_policy("repo:acme/*").replace("\n", "\r\n").encode())
    cache = Cache(tmp_path / "cache")
    run(tree, cache)
    assert run(tree, cache).files_cached > 0


def test_an_outside_module_folder_with_other_files_still_gives_a_warm_hit(tmp_path):
    tree = module_tree(tmp_path)
    (tree / "modules" / "role" / "README.md").write_text("The deploy role.\n")
    cache = Cache(tmp_path / "cache")
    run(tree, cache, paths=[tree / "live"])
    assert run(tree, cache, paths=[tree / "live"]).files_cached > 0


def test_a_scan_that_ran_out_of_time_is_not_cached(tmp_path, monkeypatch):
    """How long a parse takes depends on the machine's load: a result cut short by the time
    budget is neither stored as the report nor as the template's parse result."""
    from oidclint.config import Config
    from oidclint.readers.cloudformation import reader as cloudformation

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(OPEN_TRUST)
    (tree / "slow.yaml").write_text(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: [{Principal: {Federated: x}}]}\n")
    real = cloudformation.parse_cloudformation

    def slow(file):
        time.sleep(5)
        return real(file)

    cache = Cache(tmp_path / "cache")
    settings = Config(time_budget=0.3)
    monkeypatch.setattr(cloudformation, "parse_cloudformation", slow)
    first = run(tree, cache, config=settings, jobs=1)
    assert [d.message for d in first.diagnostics] == [
        "took longer than the 0.3 s time budget; not read"]
    monkeypatch.setattr(cloudformation, "parse_cloudformation", real)
    again = run(tree, cache, config=settings, jobs=1)
    assert "took longer than the 0.3 s time budget; not read" not in [
        d.message for d in again.diagnostics]
    assert document(again) == document(run(tree, config=settings, jobs=1))
