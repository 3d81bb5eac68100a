"""Rule documentation pages (``docs/rules/<ID>.md``), generated from the rules' docstrings.

``python -m oidclint.rule_docs docs/rules`` writes them; a test fails when they are stale, so
the pages SARIF's ``helpUri`` points at always say what the code does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from oidclint.model import RuleInfo


def page(info: RuleInfo) -> str:
    """One rule's page: a heading with its metadata, then its documentation."""
    facts = [f"- **Level:** {info.level.value}"]
    if info.tags:
        facts.append("- **Tags:** " + ", ".join(f"`{t}`" for t in info.tags))
    if info.security_severity is not None:
        facts.append(f"- **Security severity:** {info.security_severity}")
    return (f"# {info.id} {info.name}\n\n{info.summary}.\n\n" + "\n".join(facts)
            + f"\n\n{info.docs.strip()}\n")


def index(infos: list[RuleInfo]) -> str:
    rows = "\n".join(f"| [{i.id}]({i.id}.md) | `{i.name}` | {i.level.value} | {i.summary} |"
                     for i in infos)
    return ("# oidclint rules\n\nGenerated from the rules' documentation; do not edit by hand.\n\n"
            "| ID | Name | Level | Fires when |\n|---|---|---|---|\n" + rows + "\n")


def pages(infos: list[RuleInfo]) -> dict[str, str]:
    """File name to content for the whole folder."""
    return {"README.md": index(infos), **{f"{i.id}.md": page(i) for i in infos}}


def main(argv: list[str]) -> int:
    from oidclint.engine import all_rules

    folder = Path(argv[1] if len(argv) > 1 else "docs/rules")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages([rule.info() for rule in all_rules()]).items():
        (folder / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
