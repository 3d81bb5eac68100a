"""docs/rules holds one page per rule, generated from its docstring, and is never stale."""

from __future__ import annotations

from conftest import REPO
from oidclint.engine import all_rules
from oidclint.rule_docs import pages

FOLDER = REPO / "docs" / "rules"


def test_rule_pages_are_up_to_date():
    expected = pages([rule.info() for rule in all_rules()])
    present = {p.name for p in FOLDER.glob("*.md")}
    assert present == set(expected), "run: python -m oidclint.rule_docs docs/rules"
    for name, text in expected.items():
        assert (FOLDER / name).read_text(encoding="utf-8") == text, (
            f"docs/rules/{name} is stale; run: python -m oidclint.rule_docs docs/rules")


def test_every_page_has_the_documented_sections():
    for rule in all_rules():
        text = (FOLDER / f"{rule.id}.md").read_text(encoding="utf-8")
        for section in ("What it does", "Why it matters", "Example", "Fix", "References"):
            assert f"## {section}" in text, (rule.id, section)
