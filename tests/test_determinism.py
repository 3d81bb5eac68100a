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
    real_walk = os.walk

    def reversed_walk(top, *args, **kwargs):
        for folder, dirs, names in real_walk(top, *args, **kwargs):
            dirs.reverse()  # in place: os.walk descends into this same list
            names.reverse()
            yield folder, dirs, names

    monkeypatch.setattr(os, "walk", reversed_walk)
    monkeypatch.setattr(os, "listdir", lambda *a: sorted(_listdir(*a), reverse=True))
    second = outputs(tree)
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert '"findings": []' not in first[0]  # the comparison is over real findings


_listdir = os.listdir

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
