"""The scan memo never answers an edit that can matter from a stale entry: edits of any
size or mtime, files read while evaluating, modules outside the scan, and the stale or
never-hit entries found while writing these tests; edits that cannot matter are served
from the memo."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import OPEN_TRUST, SAMPLES
from oidclint import file_index
from oidclint.cache import Cache
from cache_helpers import BUCKET, NARROW_SUB, document, found, run, small_tree, trust_policy


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


# -- an edit that matters is never answered from a stale entry ---------------------------------

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


# -- the memo depends only on files that can matter --------------------------------------------

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


# -- files read while evaluating are dependencies ----------------------------------------------

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
