"""Every reader, given a link to ``/dev/zero``, a link out of the tree, a FIFO and a file over
its size limit: none hangs, none takes more memory than a gigabyte, and each says which file
and why. The same files named by the user (``--config``, ``--baseline``, ``--var-file``) may
lie outside the tree, but are still only read when they are regular files within the limit.

A FIFO that is opened blocks until someone writes to it, and ``/dev/zero`` never ends: the
``bounded`` fixture turns either into a failure (a traceback after 60 s, a MemoryError past a
gigabyte) instead of a stuck or starved test run."""

from __future__ import annotations

import faulthandler
import json
import os
import resource
from pathlib import Path

import pytest

from oidclint import reading
from oidclint.baseline import BaselineError, read_baseline
from oidclint.cache import Cache
from oidclint.config import Config, ConfigError, load_config
from oidclint.dependencies import current_hash
from oidclint.engine import scan
from oidclint.readers.workloads.gitlab_ci import parse_gitlab_ci
from oidclint.reporters.text import SourceLines
from oidclint.repository import origin_url
from oidclint.source import SourceFile
from test_bad_input import GOOD_BUT_FLAWED

OUTSIDE = "symbolic link to a file outside the scanned tree; not read"
NOT_REGULAR = "not a regular file; not read"


def too_large(limit: int, size: int) -> str:
    return f"larger than the {limit:,}-byte limit ({size:,} bytes); not read"


@pytest.fixture(autouse=True)
def bounded():
    """A hang becomes a traceback and an exit after 60 s; memory past a gigabyte more than
    the process holds now becomes a MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/status") as status:  # the test's own bookkeeping
            size = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), hard))
    except (OSError, StopIteration, ValueError):
        pass  # no /proc: the hang guard alone
    faulthandler.dump_traceback_later(60, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file beside the tree, never to be read through a link."""
    secret = tmp_path / "outside" / "secret.json"
    secret.parent.mkdir()
    secret.write_text('{"secret": true}\n')
    return secret


HAZARDS = ["dev-zero", "outside", "fifo", "too-large"]


def plant(path: Path, hazard: str, outside: Path, size: int = 0) -> None:
    """``path`` made into the hazard."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if hazard == "dev-zero":
        os.symlink("/dev/zero", path)
    elif hazard == "outside":
        os.symlink(os.path.relpath(outside, path.parent), path)
    elif hazard == "fifo":
        os.mkfifo(path)
    else:
        with open(path, "wb") as handle:  # the test writing its input, not oidclint reading
            handle.truncate(size)


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.tf").write_text(GOOD_BUT_FLAWED)
    return root


def outcome(report) -> list[tuple[str, str, str]]:
    return sorted((d.path, d.message, d.level.name) for d in report.diagnostics)


def reason(hazard: str, limit: int, size: int) -> str:
    """What the scanned tree's readers say of a hazard inside it."""
    return {"dev-zero": OUTSIDE, "outside": OUTSIDE, "fifo": NOT_REGULAR,
            "too-large": too_large(limit, size)}[hazard]


# -- the guarded reader ------------------------------------------------------------------------

@pytest.mark.parametrize("hazard", HAZARDS)
def test_the_reader_refuses_each_hazard_before_reading(tmp_path, outside, hazard):
    root = tmp_path / "tree"
    plant(root / "x.json", hazard, outside, size=reading.MAX_FILE_BYTES + 1)
    with pytest.raises(reading.Refused) as refused:
        reading.read_bytes(root / "x.json", root=root)
    assert str(refused.value) == reason(hazard, reading.MAX_FILE_BYTES,
                                        reading.MAX_FILE_BYTES + 1)


def test_outside_any_root_only_regular_files_within_the_limit_are_read(tmp_path, outside):
    assert reading.read_text(outside) == '{"secret": true}\n'
    with pytest.raises(reading.Refused, match="not a regular file"):
        reading.read_bytes("/dev/zero")
    with pytest.raises(reading.Refused, match="larger than the 4-byte limit"):
        reading.read_bytes(outside, limit=4)


def test_a_raised_limit_is_not_allocated_up_front(tmp_path):
    # A hundred gigabytes asked for: the file's 12 bytes are what is read.
    (tmp_path / "a.tf").write_text("locals {}\n\n\n")
    assert reading.read_bytes(tmp_path / "a.tf", limit=100_000_000_000) == b"locals {}\n\n\n"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "growing.json"
    target.write_bytes(b"x" * 10)
    real, info = reading.locate(target)
    target.write_bytes(b"x" * 5000)  # grew after it was measured
    with pytest.raises(reading.Refused, match=r"larger than the 100-byte limit \(5,000 "):
        reading.read_located(real, info, 100)


def test_a_file_swapped_for_a_link_after_it_was_found_is_refused(tmp_path):
    target = tmp_path / "swapped.json"
    target.write_text("{}")
    real, info = reading.locate(target)
    target.unlink()
    os.symlink("/dev/zero", target)
    with pytest.raises(reading.Refused, match="symbolic link"):
        reading.read_located(real, info, 100)


# -- the readers of the scanned tree -----------------------------------------------------------

@pytest.mark.parametrize("hazard", HAZARDS)
def test_discovery(tmp_path, outside, hazard):
    root = tree(tmp_path)
    plant(root / ".github" / "workflows" / "deploy.yml", hazard, outside, size=6_000_000)
    report = scan([root], root=root)
    assert outcome(report) == [(".github/workflows/deploy.yml",
                                reason(hazard, reading.MAX_FILE_BYTES, 6_000_000), "WARNING")]
    assert [f.rule_id for f in report.findings] == ["OIDC201"]


@pytest.mark.parametrize("function", ["file", "templatefile"])
@pytest.mark.parametrize("hazard", HAZARDS)
def test_file_and_templatefile(tmp_path, outside, hazard, function):
    root = tree(tmp_path)
    arguments = '"${path.module}/trust.txt"' + (", {}" if function == "templatefile" else "")
    (root / "infra").mkdir()
    (root / "infra" / "main.tf").write_text(GOOD_BUT_FLAWED.replace('"deploy"', '"other"')
                                            .replace("jsonencode({", f"{function}({arguments}) "
                                                     "== null ? null : jsonencode({"))
    plant(root / "infra" / "trust.txt", hazard, outside, size=2_000_000)
    report = scan([root], root=root, cache=Cache(tmp_path / "cache"))  # hashed for the cache too
    expected = reason(hazard, 1_000_000, 2_000_000)
    assert outcome(report) == [("infra/main.tf", f"reading ./trust.txt: {expected}", "WARNING")]
    assert sorted(f.rule_id for f in report.findings) == ["OIDC201"]


@pytest.mark.parametrize("hazard", HAZARDS)
def test_the_manifest_of_installed_modules(tmp_path, outside, hazard):
    root = tree(tmp_path)
    (root / "main.tf").write_text('module "iam" {\n  source = "acme/iam/aws"\n}\n'
                                  "# sts:AssumeRoleWithWebIdentity\n")
    manifest = root / ".terraform" / "modules" / "modules.json"
    plant(manifest, hazard, outside, size=11_000_000)
    report = scan([root], root=root, cache=Cache(tmp_path / "cache"))
    assert outcome(report) == [(".terraform/modules/modules.json",
                                reason(hazard, 10_000_000, 11_000_000), "WARNING")]


@pytest.mark.parametrize("hazard", HAZARDS)
def test_installed_module_files(tmp_path, outside, hazard):
    root = tree(tmp_path)
    (root / "main.tf").write_text('module "iam" {\n  source = "acme/iam/aws"\n}\n'
                                  "# sts:AssumeRoleWithWebIdentity\n")
    modules = root / ".terraform" / "modules"
    modules.mkdir(parents=True)
    (modules / "modules.json").write_text(json.dumps({"Modules": [
        {"Key": "iam", "Source": "acme/iam/aws", "Dir": ".terraform/modules/iam"}]}))
    plant(modules / "iam" / "main.tf", hazard, outside, size=6_000_000)
    report = scan([root], root=root, cache=Cache(tmp_path / "cache"))
    assert outcome(report) == [(".terraform/modules/iam/main.tf",
                                reason(hazard, reading.MAX_FILE_BYTES, 6_000_000), "WARNING")]


@pytest.mark.parametrize("hazard", HAZARDS)
def test_the_content_hashes_of_the_cache(tmp_path, outside, hazard):
    path = tmp_path / "dep.json"
    plant(path, hazard, outside, size=100_000_000)  # sparse: over what is ever hashed
    mark = current_hash(str(path))
    if hazard == "outside":  # a file the user's tree reads is hashed wherever it is
        assert mark == current_hash(str(outside)) and mark is not None
    elif hazard == "too-large":  # by its size and times, never read
        assert mark.startswith("large:") and ":100000000:" in mark
    else:
        assert mark == f"not read: {NOT_REGULAR}"
    assert current_hash(str(path)) == mark  # the same mark: an entry stays valid


def test_a_cache_entry_that_is_not_a_regular_file_is_a_miss(tmp_path):
    cache = Cache(tmp_path / "cache")
    assert cache.put("k" * 40, {"value": 1})
    entry = cache._path("k" * 40)
    assert cache.get("k" * 40) == {"value": 1}
    entry.unlink()
    os.mkfifo(entry)
    assert cache.get("k" * 40) is None


@pytest.mark.parametrize("hazard", HAZARDS)
def test_a_gitlab_include_and_a_reusable_workflow_are_taken_from_the_scanned_files(
        tmp_path, outside, hazard):
    # Neither reads from disk: what they include is what discovery read, and discovery
    # reported the hazard.
    root = tree(tmp_path)
    (root / ".gitlab-ci.yml").write_text("include: [ci/jobs.yml]\n")
    plant(root / "ci" / "jobs.yml", hazard, outside, size=6_000_000)
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs:\n  call:\n"
                                      "    uses: ./.github/workflows/reusable.yml\n")
    plant(workflows / "reusable.yml", hazard, outside, size=6_000_000)
    report = scan([root], root=root)
    expected = reason(hazard, reading.MAX_FILE_BYTES, 6_000_000)
    assert [(p, m) for p, m, _ in outcome(report) if m == expected] == [
        (".github/workflows/reusable.yml", expected), ("ci/jobs.yml", expected)]
    pipeline = SourceFile(".gitlab-ci.yml", root / ".gitlab-ci.yml",
                          (root / ".gitlab-ci.yml").read_text())
    notes = parse_gitlab_ci(pipeline, {pipeline.path: pipeline}).diagnostics
    assert [d.message for d in notes] == [
        "include ci/jobs.yml is not among the scanned files; its jobs are not analyzed"]


@pytest.mark.parametrize("hazard", HAZARDS)
def test_the_text_reporter_shows_no_snippet(tmp_path, outside, hazard):
    root = tree(tmp_path)
    plant(root / "shown.tf", hazard, outside, size=6_000_000)
    assert SourceLines(str(root)).lines("shown.tf") is None
    assert SourceLines(str(root)).lines("good.tf")[1].startswith("resource")


@pytest.mark.parametrize("hazard", HAZARDS)
def test_the_files_of_git(tmp_path, outside, hazard):
    root = tmp_path / "tree"
    (root / ".git").mkdir(parents=True)
    plant(root / ".git" / "config", hazard, outside, size=2_000_000)
    assert origin_url(root) is None


# -- files the user names ----------------------------------------------------------------------

@pytest.mark.parametrize("hazard", ["dev-zero", "fifo", "too-large"])
def test_the_configuration_file(tmp_path, outside, hazard):
    path = tmp_path / ".oidclint.toml"
    plant(path, hazard, outside, size=6_000_000)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert str(error.value).endswith(reason(hazard, 5_242_880, 6_000_000).replace(
        OUTSIDE, NOT_REGULAR))


def test_a_configuration_file_outside_the_tree_is_read(tmp_path, outside):
    elsewhere = outside.parent / "settings.toml"
    elsewhere.write_text('disable = ["OIDC304"]\n')
    os.symlink(elsewhere, tmp_path / ".oidclint.toml")
    assert load_config(tmp_path / ".oidclint.toml").disable == ["OIDC304"]


@pytest.mark.parametrize("hazard", ["dev-zero", "fifo", "too-large"])
def test_the_baseline(tmp_path, outside, hazard):
    path = tmp_path / "baseline.json"
    plant(path, hazard, outside, size=40_000_000)
    with pytest.raises(BaselineError) as error:
        read_baseline(path)
    expected = reason(hazard, 33_554_432, 40_000_000).replace(OUTSIDE, NOT_REGULAR)
    assert str(error.value) == f"{path}: cannot read the baseline: {expected}"


def test_a_baseline_of_dev_null_holds_nothing():
    assert read_baseline(Path("/dev/null")).fingerprints == frozenset()


@pytest.mark.parametrize("hazard", ["dev-zero", "fifo", "too-large"])
def test_a_variables_file_named_on_the_command_line(tmp_path, outside, hazard):
    root = tree(tmp_path)
    given = tmp_path / "vars" / "prod.tfvars"  # outside the tree: named by the user
    plant(given, hazard, outside, size=6_000_000)
    report = scan([root], root=root, var_files=[given])
    expected = reason(hazard, reading.MAX_FILE_BYTES, 6_000_000).replace(OUTSIDE, NOT_REGULAR)
    assert outcome(report) == [(given.as_posix(), expected, "WARNING")]
    assert [f.rule_id for f in report.findings] == ["OIDC201"]


def test_a_variables_file_outside_the_tree_may_be_named_but_not_configured_in_it(
        tmp_path, outside):
    root = tree(tmp_path)
    given = outside.parent / "prod.tfvars"
    given.write_text('org = "acme"\n')
    (root / ".oidclint.toml").write_text(f'var-files = ["{given}"]\n')
    os.symlink(given, root / "linked.tfvars")
    named = scan([root], root=root, var_files=[root / "linked.tfvars"])
    assert ("linked.tfvars", OUTSIDE, "WARNING") in outcome(named)  # found by the walk
    assert not [d for d in outcome(named) if d[0] == given.as_posix()]
    configured = scan([root], load_config(root / ".oidclint.toml"), root=root)
    assert not [d for d in outcome(configured) if d[0] == given.as_posix()]
    linked = load_config(root / ".oidclint.toml")
    linked.var_files = ["linked.tfvars"]
    assert ("linked.tfvars", OUTSIDE, "WARNING") in outcome(scan([root], linked, root=root))
    assert Config().var_files == []
