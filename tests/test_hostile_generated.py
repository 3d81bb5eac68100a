"""The generated hostile inputs (``hostile_inputs.py``), each scanned twice in one process
whose address space is capped at 1 GB: every one finishes within 60 s, is reported with the
file and the reason, leaves the good stack's finding in place and gives the same output twice.

Before these bounds, the inputs took from 1.6 GB (``format("%0800000000d", 1)``) to every
byte of the machine (a link to ``/dev/zero`` read through ``file()``), or never finished (a
FIFO hashed for the parse cache)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import hostile_inputs
from hostile_inputs import CASES

MEMORY = 1 << 30
SECONDS = 60
RUNNER = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import hostile_inputs
names = json.loads(sys.argv[3])
print(json.dumps(hostile_inputs.run(names, Path(sys.argv[2]), memory=int(sys.argv[4]))))
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("hostile")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(Path(hostile_inputs.__file__).parent), str(base),
         json.dumps(sorted(CASES)), str(MEMORY)],
        capture_output=True, text=True, timeout=SECONDS * len(CASES))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_input_is_reported_bounded_and_alone(outcomes, name):
    outcome, case = outcomes[name], CASES[name]
    assert "error" not in outcome, outcome.get("error")
    assert outcome["diagnostics"] == sorted(list(d) for d in case.expected)
    assert outcome["findings"] == sorted(list(f) for f in case.findings)
    assert outcome["same"], "two scans of the same tree differ"
    assert outcome["seconds"] < SECONDS


def test_the_cases_cover_every_builder_and_reader():
    names = set(CASES)
    for function in ("format", "formatlist", "join", "replace", "indent", "strrev",
                     "template", "templatefile", "jsonencode", "concat", "setproduct"):
        assert any(n.startswith(function) for n in names), function
    for reader in ("file", "templatefile", "modules-json", "installed-module", "workflow",
                   "var-file"):
        assert f"{reader}-dev-zero" in names, reader
    assert {"cfn-join", "cfn-sub", "max-file-size", "configmap-260000-keys"} <= names
