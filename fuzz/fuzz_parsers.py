"""Coverage-guided fuzzing of every file parser, the way a scan reaches them.

The first byte of an input picks the kind of file (Terraform, CloudFormation, a workflow ...);
the rest is the file's bytes. They are decoded as discovery decodes them and handed to
``parsing.parse``, which routes a file by its path exactly as in a scan. A parser reports bad
input as diagnostics and returns; any exception that escapes is a bug.

    pip install -e '.[fuzz]'
    python fuzz/fuzz_parsers.py -max_total_time=600 -timeout=20 fuzz/corpus

Arguments are libFuzzer's (https://llvm.org/docs/LibFuzzer.html#options). When the corpus
folder is empty it is seeded from tests/fixtures and sample_stacks. A crash is written to
``crash-<sha1>``; replay it with ``python fuzz/fuzz_parsers.py crash-<sha1>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["oidclint", "hcl2", "lark", "yaml"]):
    from oidclint.discovery import decode, kind_of
    from oidclint.parsing import is_gitlab_ci, is_workflow, parse
    from oidclint.source import SourceFile

REPO = Path(__file__).resolve().parent.parent
ROOT = Path("/nonexistent-fuzz-root")
"""Where the fuzzed file claims to live: nothing beside it (a module source) can be read."""

VARIABLES = 'variable "org" {}\nvariable "repos" { default = ["api"] }\n'
"""Declared next to a fuzzed ``.tfvars`` so its assignments have something to set."""

KINDS = (
    "main.tf",
    "main.tf.json",
    "terraform.tfvars",
    "ci.auto.tfvars.json",
    "template.yaml",
    "template.json",
    ".github/workflows/deploy.yml",
    ".gitlab-ci.yml",
    "k8s/service-account.yaml",
    "plan.json",
    "trust-policy.json",
    "scripts/create-role.sh",
    "Makefile",
)


def files_for(data: bytes) -> list[SourceFile] | None:
    """The scanned files an input stands for; ``None`` when discovery would not read it."""
    if not data:
        return None
    path = KINDS[data[0] % len(KINDS)]
    try:
        text = decode(data[1:])
    except ValueError:  # documented: discovery reports the file as unreadable
        return None
    files = [SourceFile(path, ROOT / path, text, kind_of(path) or "")]
    if files[0].kind == "tfvars":
        files.append(SourceFile("variables.tf", ROOT / "variables.tf", VARIABLES, "terraform"))
    return files


def test_one_input(data: bytes) -> None:
    files = files_for(data)
    if files is not None:
        parse(files, default_branch="main")


def kind_byte(path: Path, relative: str) -> int | None:
    """The first byte a seed file gets, from what its path says it is."""
    name = path.name
    if is_workflow(relative):
        return KINDS.index(".github/workflows/deploy.yml")
    if is_gitlab_ci(relative):
        return KINDS.index(".gitlab-ci.yml")
    if name.endswith(".tf.json"):
        return KINDS.index("main.tf.json")
    if name.endswith(".tf"):
        return KINDS.index("main.tf")
    if name.endswith(".tfvars"):
        return KINDS.index("terraform.tfvars")
    if name.endswith(".tfvars.json"):
        return KINDS.index("ci.auto.tfvars.json")
    if kind_of(name) == "script":
        return KINDS.index("Makefile" if "akefile" in name or name.endswith(".mk")
                           else "scripts/create-role.sh")
    if not name.endswith((".yaml", ".yml", ".json", ".template")):
        return None
    text = path.read_text(errors="replace")
    if '"format_version"' in text:
        return KINDS.index("plan.json")
    if "Resources" in text:
        return KINDS.index("template.json" if name.endswith(".json") else "template.yaml")
    if '"Statement"' in text:
        return KINDS.index("trust-policy.json")
    return KINDS.index("k8s/service-account.yaml")


def seed(corpus: Path, limit: int = 64 * 1024) -> int:
    """Copy the test fixtures and sample stacks into an empty corpus folder."""
    count = 0
    for folder in (REPO / "tests" / "fixtures", REPO / "sample_stacks", REPO / "tests" / "data"):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.stat().st_size > limit:
                continue
            kind = kind_byte(path, path.relative_to(folder).as_posix())
            if kind is None:
                continue
            target = corpus / f"seed-{count:04d}"
            target.write_bytes(bytes([kind]) + path.read_bytes())
            count += 1
    return count


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv[1:] if not a.startswith("-")]
    if folders and not folders[0].is_file():
        corpus = folders[0]
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            print(f"seeded {seed(corpus)} inputs into {corpus}", file=sys.stderr)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
