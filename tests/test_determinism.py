"""Two scans of the same tree give byte-identical JSON and SARIF, whatever order the file
system lists it in and whatever the hash seed. Neither format holds a timestamp or a
duration (only the text and Markdown summaries show the time taken), so nothing is masked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from oidclint.engine import scan
from oidclint.reporters import FORMATS

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "sample_stacks", *(REPO / "tests" / "fixtures" / rule
                                     for rule in ("OIDC108", "OIDC203", "OIDC305"))]


def build(target: Path, reverse: bool) -> None:
    """The sources copied under ``target``, files and folders created in sorted or reversed
    order (so directory entries come back from the file system in a different order)."""
    files = sorted((source, path) for source in SOURCES for path in source.rglob("*")
                   if path.is_file())
    for source, path in reversed(files) if reverse else files:
        dest = target / source.name / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def outputs(tree: Path) -> tuple[str, str]:
    report = scan([tree], root=tree, repository="acme/api")
    return FORMATS["json"](report), FORMATS["sarif"](report)


def test_creation_order_and_listing_order_do_not_change_the_output(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    build(tree, reverse=False)
    first = outputs(tree)
    shutil.rmtree(tree)
    build(tree, reverse=True)
    monkeypatch.setattr(os, "scandir", lambda *a: _Reversed(_scandir(*a)))
    monkeypatch.setattr(os, "listdir", lambda *a: sorted(_listdir(*a), reverse=True))
    second = outputs(tree)
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert '"findings": []' not in first[0]  # the comparison is over real findings


_listdir = os.listdir
_scandir = os.scandir


class _Reversed:
    """A folder listing in reverse order of names (what ``os.scandir`` returns)."""

    def __init__(self, listing) -> None:
        with listing:
            self.entries = sorted(listing, key=lambda e: e.name, reverse=True)

    def __iter__(self):
        return iter(self.entries)

    def __enter__(self):
        return iter(self.entries)

    def __exit__(self, *exc) -> None:
        return None

SCRIPT = """
import sys
from oidclint.engine import scan
from oidclint.reporters import FORMATS
report = scan([sys.argv[1]], root=sys.argv[1], repository="acme/api")
sys.stdout.write(FORMATS["json"](report) + FORMATS["sarif"](report))
"""


def test_the_hash_seed_does_not_change_the_output(tmp_path):
    tree = tmp_path / "tree"
    build(tree, reverse=False)
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(tree)], env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        runs.append(done.stdout)
    assert runs[0] == runs[1] and '"ruleId"' in runs[0]


# --- parallel parsing and the parse cache change nothing either -----------------------------

import json
import re

import pytest
from oidclint.cache import Cache
from oidclint.config import Config
from oidclint.engine import chosen_rules

TREES = [REPO / "tests" / "fixtures", REPO / "sample_stacks"]


def _outputs(tree: Path, **options) -> tuple[str, str]:
    """JSON (without ``files_cached``, the one figure a cache changes) and SARIF."""
    report = scan([tree], root=tree, repository="acme/api", **options)
    text = FORMATS["json"](report)
    kept, removed = re.subn(r'\n  "files_cached": [0-9]+,', "", text)
    assert removed <= 1 and "files_cached" not in kept
    assert json.loads(kept) == {k: v for k, v in json.loads(text).items() if k != "files_cached"}
    return kept, FORMATS["sarif"](report)


@pytest.mark.parametrize("tree", TREES, ids=[t.name for t in TREES])
def test_the_number_of_parsing_processes_does_not_change_the_output(tree):
    serial = _outputs(tree, jobs=1)
    assert '"ruleId"' in serial[1]  # the comparison is over real findings
    for jobs in (2, 3):
        parallel = _outputs(tree, jobs=jobs)
        assert parallel[0] == serial[0], f"JSON differs with jobs={jobs}"
        assert parallel[1] == serial[1], f"SARIF differs with jobs={jobs}"


@pytest.mark.parametrize("tree", TREES, ids=[t.name for t in TREES])
def test_the_parse_cache_does_not_change_the_output(tree, tmp_path):
    folder = tmp_path / "cache"
    uncached = _outputs(tree, cache=None, jobs=1)
    cold = Cache(folder)
    assert cold.enabled, cold.problem
    runs = {
        "cold cache": _outputs(tree, cache=cold, jobs=2),
        # A new Cache on the same folder, as the next run of oidclint: the whole report is
        # taken from the cache.
        "warm cache": _outputs(tree, cache=Cache(folder), jobs=1),
        # The rules given explicitly bypass the report memo: every root module's parse
        # result comes from the cache instead.
        "warm parse entries": _outputs(tree, cache=Cache(folder), jobs=3,
                                       rules=chosen_rules(Config())),
    }
    for name, (json_text, sarif) in runs.items():
        assert json_text == uncached[0], f"JSON differs with a {name}"
        assert sarif == uncached[1], f"SARIF differs with a {name}"
    assert any((folder / "entries").rglob("*.pickle"))  # the cache was really written


def test_a_warm_cache_is_really_used():
    """The cache comparisons above compare a scan that read the cache, not a fresh one."""
    import tempfile

    tree = REPO / "sample_stacks"
    with tempfile.TemporaryDirectory() as folder:
        scan([tree], root=tree, repository="acme/api", cache=Cache(Path(folder)))
        warm = scan([tree], root=tree, repository="acme/api", cache=Cache(Path(folder)))
        bypass = Cache(Path(folder))
        partly = scan([tree], root=tree, repository="acme/api", cache=bypass,
                      rules=chosen_rules(Config()))
    assert warm.files_cached > 0
    assert partly.files_cached > 0 and bypass.stats.hits > 0
