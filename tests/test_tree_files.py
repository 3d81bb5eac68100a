"""The one way readers reach other files of the tree: confined to it, each noted as read."""

from __future__ import annotations

import os

import pytest

from oidclint.dependencies import recording
from oidclint.located.tree_files import TreeFiles


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "charts" / "api").mkdir(parents=True)
    (tmp_path / "charts" / "api" / "values.yaml").write_text("a: 1\n")
    (tmp_path.parent / "secret.txt").write_text("outside\n")
    os.symlink(tmp_path.parent / "secret.txt", tmp_path / "charts" / "leak.yaml")
    return TreeFiles(tmp_path)


@pytest.mark.parametrize("path, folder, inside", [
    ("values.yaml", "charts/api", "charts/api/values.yaml"),
    ("../api/values.yaml", "charts/x", "charts/api/values.yaml"),
    ("../../../etc/passwd", "charts", None),
    ("..", ".", None),
    ("/etc/passwd", ".", None),
])
def test_a_path_is_taken_only_inside_the_tree(tree, path, folder, inside):
    assert tree.inside(path, folder) == inside


def test_what_is_read_or_looked_for_is_noted_and_links_out_are_refused(tree):
    with recording() as reads:
        assert tree.text("charts/api/values.yaml") == "a: 1\n"
        assert tree.exists("charts/api", folder=True)
        assert not tree.exists("charts/api/values.yaml", folder=True)
        assert not tree.exists("charts/none.yaml")
        assert tree.listing("charts", folders=True) == ["api"]
        with pytest.raises(ValueError, match="outside the scanned tree"):
            tree.text("charts/leak.yaml")
    seen = {os.path.relpath(path, tree.root) for path in reads.seen}
    assert {"charts/api/values.yaml", "charts/api", "charts/none.yaml",
            "charts/leak.yaml"} <= seen


def test_without_a_root_nothing_is_there_or_read():
    none = TreeFiles(None)
    assert not none.exists("a") and none.listing(".") == []
    with pytest.raises(FileNotFoundError):
        none.text("a")
