"""Cache keys and hashes: a key changes with any part and with the code fingerprint, and
the hash a read records is the file's."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from oidclint import cache as cache_module
from oidclint.cache import code_fingerprint, make_key
from oidclint.dependencies import current_hash, digest, note_listing, note_read, recording


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
