"""Every file oidclint opens, it opens through ``oidclint.reading``: the one reader that
resolves the path, refuses one outside its root or that is not a regular file, and reads at
most the size limit. The source is parsed (not searched as text) and every call that opens a
file is listed; one outside the short allow-list below fails the test, naming it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for root in ("analyzer", "rules") for p in (REPO / root).rglob("*.py"))

OPENING = {"open", "fdopen", "read_text", "read_bytes", "write_text", "write_bytes",
           "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "mkstemp"}
"""Calls that open a file by name: ``open``, ``os.open``, ``io.open``, ``os.fdopen``,
``Path.open``, ``Path.read_text`` ..."""
LOADING_MODULES = {"pickle", "json", "yaml", "tomllib", "marshal", "configparser"}
"""``json.load(handle)`` and the like read a file behind a handle (which an open gave)."""
GUARDED = "oidclint.reading"

ALLOWED = {
    # The guarded reader itself.
    ("oidclint/reading.py", "read_located", "os.open"),
    # The one file writer, to a temporary file renamed into place: oidclint's own output
    # (reports, baselines) and `scan --fix` replacing a scanned file it read (and checked)
    # through the guarded reader.
    ("oidclint/writing.py", "replace_file", "tempfile.mkstemp"),
    ("oidclint/writing.py", "replace_file", "os.fdopen"),
    ("oidclint/cache.py", "put", "tempfile.NamedTemporaryFile"),
    ("oidclint/rule_docs.py", "main", ".write_text"),
}


def opening_calls(path: Path) -> list[tuple[str, str, str, int]]:
    """(file, enclosing function, call, line) of every call that opens a file, except the
    guarded reader's own functions (called by the names imported from it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(REPO).as_posix().split("/", 1)[1]
    guarded = {alias.asname or alias.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == GUARDED
               for alias in node.names}
    if relative == "oidclint/reading.py":  # its functions calling one another
        guarded |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    found = []

    def called(call: ast.Call) -> str | None:
        function = call.func
        if isinstance(function, ast.Name):
            if function.id in OPENING and function.id not in guarded:
                return function.id
            return None
        if not isinstance(function, ast.Attribute):
            return None
        owner = function.value.id if isinstance(function.value, ast.Name) else ""
        if function.attr in OPENING and owner != "reading":
            return f"{owner}.{function.attr}"
        if function.attr in ("load", "read", "read_file") and owner in LOADING_MODULES:
            return f"{owner}.{function.attr}"
        return None

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                else function
            if isinstance(child, ast.Call) and (what := called(child)) is not None:
                found.append((relative, function, what, child.lineno))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_the_sources_are_found():
    names = {p.relative_to(REPO).as_posix() for p in SOURCES}
    assert "analyzer/oidclint/reading.py" in names and len(names) > 100


def test_no_file_is_opened_but_through_the_guarded_reader():
    calls = [call for path in SOURCES for call in opening_calls(path)]
    unexpected = [c for c in calls if c[:3] not in ALLOWED]
    assert unexpected == [], "files opened outside oidclint.reading: " + ", ".join(
        f"{file}:{line} {called}() in {function}" for file, function, called, line in unexpected)
    # Every entry of the allow-list is still there (a stale entry would hide a new call).
    assert {c[:3] for c in calls} == ALLOWED


def test_the_audit_sees_every_way_of_opening(tmp_path):
    sample = tmp_path / "analyzer" / "x" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "import io, os, json, pickle\nfrom pathlib import Path\n"
        "from oidclint.reading import read_text\n"
        "def a(p):\n    return open(p).read()\n"
        "def b(p):\n    return Path(p).read_text(), read_text(p)\n"
        "def c(p):\n    return io.open(p).read() + os.open(p, 0) + Path(p).read_bytes()\n"
        "def d(h):\n    return json.load(h), pickle.load(h), Path('x').open()\n")
    global REPO
    saved, REPO = REPO, tmp_path
    try:
        calls = opening_calls(sample)
    finally:
        REPO = saved
    assert [(f, c) for _, f, c, _ in calls] == [
        ("a", "open"), ("b", ".read_text"), ("c", "io.open"), ("c", "os.open"),
        ("c", ".read_bytes"), ("d", "json.load"), ("d", "pickle.load"), ("d", ".open")]
