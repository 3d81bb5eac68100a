"""Coverage-guided fuzzing of every file parser, the way a scan reaches them, and of the rule
phase and ``explain`` over what they read.

The first byte of an input picks the kind of file (Terraform, CloudFormation, a workflow ...);
the rest is the file's bytes. They are decoded as discovery decodes them and handed to
``parsing.parse``, which routes a file by its path exactly as in a scan. A parser reports bad
input as diagnostics and returns; any exception that escapes is a bug. The last kind,
``PATTERNS``, writes a trust and a workflow from the input instead: a subject pattern, a
branch name, a regular expression and its text (separated by NUL bytes). Every input's graph
then goes through every rule and ``explain``: a rule that raises is a bug, and so is one that
takes longer than ``-timeout``.

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

with atheris.instrument_imports(include=["oidclint", "oidclint_rules", "hcl2", "lark",
                                         "yaml"]):
    from oidclint.discovery import decode, kind_of
    from oidclint.engine import all_rules
    from oidclint.explain import Request, explain_role, explain_workload
    from oidclint.graph import TrustGraph
    from oidclint.parsing import is_gitlab_ci, is_workflow, parse
    from oidclint.rule_runner import run_rules
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
PATTERNS = len(KINDS)
"""The kind byte of a generated trust and workflow (``pattern_files``)."""
RULES = all_rules()

PATTERN_TRUST = """resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
locals {
  matched = regexall(%(regex)s, %(text)s)
}
resource "aws_iam_role" "fuzzed" {
  name = "fuzzed-${length(local.matched)}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = [%(pattern)s, "repo:${replace(%(text)s, %(regex_search)s, "x")}"] }
      }
    }]
  })
}
"""
PATTERN_WORKFLOW = """on:
  push:
    branches: [%(branch)s]
  workflow_dispatch:
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/fuzzed-1
          aws-region: eu-west-1
"""


def _hcl_string(text: str) -> str:
    """A quoted HCL string holding ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def pattern_files(text: str) -> list[SourceFile]:
    """A trust whose ``sub`` pattern, a workflow whose branch, and a ``regexall`` whose
    pattern and text come from the input (four parts separated by NUL bytes)."""
    pattern, branch, regex, subject = (text.split("\x00") + ["", "", "", ""])[:4]
    branch = "".join(c for c in branch if c.isprintable() and c not in "'\"[]{},#&*!|>%@`") \
        or "main"
    values = {"pattern": _hcl_string(pattern), "regex": _hcl_string(regex),
              "regex_search": _hcl_string(f"/{regex}/"), "text": _hcl_string(subject),
              "branch": f"'{branch}'"}
    return [SourceFile("main.tf", ROOT / "main.tf", PATTERN_TRUST % values, "terraform"),
            SourceFile(".github/workflows/deploy.yml", ROOT / ".github/workflows/deploy.yml",
                       PATTERN_WORKFLOW % values, "structured")]


def files_for(data: bytes) -> list[SourceFile] | None:
    """The scanned files an input stands for; ``None`` when discovery would not read it."""
    if not data:
        return None
    kind = data[0] % (len(KINDS) + 1)
    try:
        text = decode(data[1:])
    except ValueError:  # documented: discovery reports the file as unreadable
        return None
    if kind == PATTERNS:
        return pattern_files(text)
    path = KINDS[kind]
    files = [SourceFile(path, ROOT / path, text, kind_of(path) or "")]
    if files[0].kind == "tfvars":
        files.append(SourceFile("variables.tf", ROOT / "variables.tf", VARIABLES, "terraform"))
    return files


def test_one_input(data: bytes) -> None:
    files = files_for(data)
    if files is not None:
        check(parse(files, default_branch="main"))


def check(inventory) -> None:
    """Every rule and ``explain`` over what the parsers read; a rule that raises is a bug."""
    graph = TrustGraph(inventory, "acme/api")
    _, problems = run_rules(graph, RULES)
    failures = [d.message for d in problems if d.internal]
    if failures:
        raise RuntimeError("; ".join(failures))
    for workload in graph.workloads:
        explain_workload(graph, workload)
    for role in graph.roles:
        explain_role(graph, role, Request({"sub": "repo:acme/api:ref:refs/heads/main",
                                           "aud": "sts.amazonaws.com"}))


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


PATTERN_SEEDS = (
    "repo:acme/api:ref:refs/heads/*\x00main\x00^(a+)$\x00aaa",
    "repo:acme/*:ref:refs/heads/release/*\x00release/v1\x00[0-9]+\x00v12",
    "repo:acme/api:*a*a*a*a*x\x00aaaaaaaaaaaa\x00(a|aa)*b\x00aaaaaaaaaaaaaaaaa",
    "repo:*\x00feature/x\x00(?i)^REPO:(.*)$\x00repo:acme/api",
)
"""Generated trusts and workflows (kind ``PATTERNS``) the corpus starts from."""


def seed(corpus: Path, limit: int = 64 * 1024) -> int:
    """Copy the test fixtures and sample stacks into an empty corpus folder, with the
    pattern seeds."""
    for index, text in enumerate(PATTERN_SEEDS):
        (corpus / f"seed-patterns-{index}").write_bytes(bytes([PATTERNS]) + text.encode())
    count = len(PATTERN_SEEDS)
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
