"""Hostile inputs too big, too odd or too slow to check in: each is written into a tree by the
tests (and by ``python tests/hostile_inputs.py OUT`` for measuring one by hand), scanned next
to a good stack whose finding must survive.

Each input would need gigabytes of memory, or would never finish, if any reader or evaluator
built what it describes before checking its size, or opened what a link points at. The
expected diagnostics are exact: the file, the reason, the level.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from test_bad_input import GOOD_BUT_FLAWED

GOOD = GOOD_BUT_FLAWED
PLANTED = [("OIDC201", "good.tf")]
W, N, E = "WARNING", "NOTE", "ERROR"
TOO_LONG = "would build a string longer than the 1,000,000-character limit"

# A 900,000-character string and a 2,000-element list, each well within the limits, written
# in a few bytes: the raw material every expression below multiplies.
LOCALS = '''
  s = format("%0900000d", 0)
  l = split("", format("%02000d", 0))
'''


def role(value: str) -> str:
    """A web identity role whose subject pattern is the hostile value: what the input tries
    to hide."""
    return ('resource "aws_iam_role" "evil" {\n  name = "evil"\n  assume_role_policy = '
            'jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n'
            '      Effect = "Allow"\n      Action = "sts:AssumeRoleWithWebIdentity"\n'
            '      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/'
            'token.actions.githubusercontent.com" }\n      Condition = {\n        '
            'StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }'
            '\n        StringLike = { "token.actions.githubusercontent.com:sub" = '
            f"{value} }}\n      }}\n    }}]\n  }})\n}}\n")


def evil(local: str, value: str) -> str:
    return f"locals {{{LOCALS}  {local} = {value}\n}}\n" + role(f"local.{local}")


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Fifo:
    pass


@dataclass(frozen=True)
class Sized:
    """A file of ``size`` bytes of ``fill`` (written at once, not held as a literal)."""

    size: int
    fill: bytes = b" "
    head: bytes = b""


Content = str | bytes | Link | Fifo | Sized | Callable[[], str]


@dataclass
class Case:
    files: dict[str, Content]
    expected: list[tuple[str, str, str]]
    """(path, message, level) of every diagnostic."""
    findings: list[tuple[str, str]] = field(default_factory=lambda: list(PLANTED))
    """(rule, path) of every finding, the good stack's among them."""
    config: dict[str, Any] = field(default_factory=dict)
    """``Config`` fields; ``None``: the configuration file found in the tree."""
    var_files: list[str] = field(default_factory=list)
    cached: bool = False
    """Scanned with a parse cache (content hashes of what ``file()`` read)."""


def _configmap() -> str:
    """A 3 MB manifest: a ConfigMap of 260,000 keys, then a ServiceAccount."""
    data = "".join(f"  k{i}: v\n" for i in range(260_000))
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n" + data
            + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deployer\n"
              "  namespace: ci\n  annotations:\n"
              "    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/deploy\n")


def _cloudformation(value: str) -> str:
    """A template whose role's subject pattern is ``value``, with a 900,000-character string
    ``*s`` (and a join of it, ``*j``) to repeat through YAML aliases."""
    return ('AWSTemplateFormatVersion: "2010-09-09"\nMetadata:\n  s: &s "' + "x" * 900_000
            + '"\n  j: &j {"Fn::Join": ["", [*s]]}\nResources:\n  Role:\n'
            "    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
            "        Statement:\n          - Effect: Allow\n"
            "            Action: sts:AssumeRoleWithWebIdentity\n"
            "            Principal: {Federated: 'arn:aws:iam::111122223333:oidc-provider/"
            "token.actions.githubusercontent.com'}\n            Condition:\n"
            "              StringEquals: {'token.actions.githubusercontent.com:aud': "
            "sts.amazonaws.com}\n              StringLike:\n"
            "                'token.actions.githubusercontent.com:sub': " + value + "\n")


WORKFLOW = ('on: push\nenv:\n  A: "' + "x" * 900_000 + '"\njobs:\n  deploy:\n'
            "    runs-on: ubuntu-latest\n    permissions: {id-token: write}\n"
            '    env:\n      B: "' + "${{ env.A }}" * 2000 + '"\n    steps:\n'
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
            "          role-to-assume: ${{ env.B }}\n          aws-region: us-east-1\n")

GITLAB = ('variables:\n  A0: "' + "x" * 1000 + '"\n'
          + "".join(f'  A{i}: "' + f"${{A{i - 1}}}" * 1000 + '"\n' for i in range(1, 5))
          + "deploy:\n  id_tokens:\n    TOKEN:\n      aud: sts.amazonaws.com\n  script:\n"
            "    - aws sts assume-role-with-web-identity --role-arn $A4 "
            "--web-identity-token $TOKEN\n")

CASES: dict[str, Case] = {
    # -- Terraform functions: each checks its result's size before building it -----------
    "format-width": Case({"evil/main.tf": evil("trust", 'format("%0800000000d", 1)')}, [
        ("evil/main.tf", f"trust: format() {TOO_LONG}; not evaluated", W)]),
    "format-precision": Case({"evil/main.tf": evil("trust", 'format("%.800000000f", 1.5)')}, [
        ("evil/main.tf", f"trust: format() {TOO_LONG}; not evaluated", W)]),
    "formatlist": Case({"evil/main.tf": evil("rows", 'formatlist("%-900000s", local.l)')}, [
        ("evil/main.tf", "rows: formatlist() would build a list holding more than "
                         "10,000,000 characters; not evaluated", W)]),
    "join": Case({"evil/main.tf": evil("name", "join(local.s, local.l)")}, [
        ("evil/main.tf", f"name: join() {TOO_LONG}; not evaluated", W)]),
    "replace": Case({"evil/main.tf": evil("name", 'replace(local.s, "0", local.s)')}, [
        ("evil/main.tf", f"name: replace() {TOO_LONG}; not evaluated", W)]),
    "indent": Case({"evil/main.tf": evil("name", 'indent(800000000, "a\\nb")')}, [
        ("evil/main.tf", f"name: indent() {TOO_LONG}; not evaluated", W)]),
    "strrev-repeated": Case({"evil/main.tf": evil(
        "names", "[for x in local.l : strrev(local.s)]")}, [
        ("evil/main.tf", "names: a for expression holding more than 10,000,000 characters; "
                         "not evaluated", W)]),
    "template-for": Case({"evil/main.tf": evil(
        "policy", '"%{for x in local.l}${local.s}%{endfor}"')}, [
        ("evil/main.tf", f"policy: a template {TOO_LONG}; not evaluated", W)]),
    "templatefile-for": Case({
        "evil/main.tf": evil("policy", 'templatefile("${path.module}/t.tpl", '
                                       "{ l = local.l, s = local.s })"),
        "evil/t.tpl": "%{for x in l}${s}%{endfor}\n"}, [
        ("evil/main.tf", f"policy: a template {TOO_LONG}; not evaluated", W)]),
    "jsonencode-shared": Case({"evil/main.tf": evil(
        "policy", 'jsonencode([for x in local.l : substr(local.s, 0, 4000)])')}, [
        ("evil/main.tf", f"policy: jsonencode() {TOO_LONG}; not evaluated", W)]),
    "for-fresh-strings": Case({"evil/main.tf": evil(
        "names", "[for x in local.l : upper(local.s)]")}, [
        ("evil/main.tf", "names: a for expression holding more than 10,000,000 characters; "
                         "not evaluated", W)]),
    "for-nested": Case({"evil/main.tf": evil(
        "cube", "[for a in local.l : [for b in local.l : [for c in local.l : c]]]")}, [
        ("evil/main.tf", "cube: a for expression with more than 200,000 elements; not "
                         "evaluated", W)]),
    "concat": Case({"evil/main.tf": evil("all", "concat(" + ", ".join(["local.b"] * 500) + ")")
                    .replace("locals {", 'locals {\n  b = split("", format("%0199999d", 0))')}, [
        ("evil/main.tf", "all: concat() would build a value of more than 200,000 elements; "
                         "not evaluated", W)]),
    "setproduct": Case({"evil/main.tf": evil("all", "setproduct(local.l, local.l, local.l)")}, [
        ("evil/main.tf", "all: setproduct() would build a value of more than 200,000 "
                         "elements; not evaluated", W)]),
    "numbers": Case({"evil/main.tf": "locals {\n  n0 = 1000000000000\n" + "".join(
        f"  n{i} = local.n{i - 1} * local.n{i - 1}\n" for i in range(1, 41)) + "}\n"
        + role("local.n40")}, [
        ("evil/main.tf", "n7: '*' would make a number of more than 4,096 bits; not evaluated",
         W)]),
    # Every value under the limits, a thousand of them: the allowance of the evaluation.
    "many-values": Case({"evil/main.tf": role('"repo:acme/api:*"').replace(
        'name = "evil"', 'count = 1000\n  name = format("%0900000d", count.index)')}, [
        ("evil/main.tf", "name: the evaluation built more than 64,000,000 characters of "
                         "strings in all; not evaluated", W)]),
    # -- files and links ---------------------------------------------------------------------
    # A configuration file may not lift the limit: it is lowered to the cap, with a note.
    "max-file-size": Case({".oidclint.toml": "max-file-size = 100000000000\n"}, [
        ("", "configuration .oidclint.toml: `max-file-size` = 100,000,000,000 bytes is above "
             "16,777,216 bytes, the most a configuration file may set; 16,777,216 bytes is "
             "used (--max-file-size on the command line goes further)", N)],
        config=None),
    "configmap-260000-keys": Case({"manifests/app.yaml": _configmap}, [],
                                  findings=[*PLANTED, ("OIDC109", "manifests/app.yaml")]),
    "file-dev-zero": Case({
        "evil/main.tf": role('file("${path.module}/trust.json")'),
        "evil/trust.json": Link("/dev/zero")}, [
        ("evil/main.tf", "reading ./trust.json: symbolic link to a file outside the scanned "
                         "tree; not read", W),
        ("evil/trust.json", "symbolic link to a file outside the scanned tree; not read", W)],
        cached=True),
    "file-fifo": Case({
        "evil/main.tf": role('file("${path.module}/pipe.json")'),
        "evil/pipe.json": Fifo()}, [
        ("evil/main.tf", "reading ./pipe.json: not a regular file; not read", W),
        ("evil/pipe.json", "not a regular file; not read", W)], cached=True),
    "file-too-large": Case({
        "evil/main.tf": role('file("${path.module}/trust.txt")'),
        "evil/trust.txt": Sized(2_000_000)}, [
        ("evil/main.tf", "reading ./trust.txt: larger than the 1,000,000-byte limit "
                         "(2,000,000 bytes); not read", W)]),
    "templatefile-dev-zero": Case({
        "evil/main.tf": role('templatefile("${path.module}/trust.tpl", {})'),
        "evil/trust.tpl": Link("/dev/zero")}, [
        ("evil/main.tf", "reading ./trust.tpl: symbolic link to a file outside the scanned "
                         "tree; not read", W)], cached=True),
    "modules-json-dev-zero": Case({
        "evil/main.tf": 'module "iam" {\n  source = "acme/iam/aws"\n}\n'
                        + role("module.iam.trust"),
        "evil/.terraform/modules/modules.json": Link("/dev/zero")}, [
        ("evil/.terraform/modules/modules.json",
         "symbolic link to a file outside the scanned tree; not read", W)], cached=True),
    "installed-module-dev-zero": Case({
        "evil/main.tf": 'module "iam" {\n  source = "acme/iam/aws"\n}\n'
                        + role("module.iam.trust"),
        "evil/.terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "iam", "Source": "acme/iam/aws", "Dir": ".terraform/modules/iam"}]}),
        "evil/.terraform/modules/iam/main.tf": Link("/dev/zero")}, [
        ("evil/.terraform/modules/iam/main.tf",
         "symbolic link to a file outside the scanned tree; not read", W)], cached=True),
    "workflow-dev-zero": Case({".github/workflows/deploy.yml": Link("/dev/zero")}, [
        (".github/workflows/deploy.yml",
         "symbolic link to a file outside the scanned tree; not read", W)]),
    "var-file-dev-zero": Case({"vars/prod.tfvars": Link("/dev/zero")}, [
        ("vars/prod.tfvars", "not a regular file; not read", W),
        ("vars/prod.tfvars", "symbolic link to a file outside the scanned tree; not read", W)],
        var_files=["vars/prod.tfvars"]),
    # -- CloudFormation intrinsics over YAML aliases -------------------------------------------
    "cfn-join": Case({"template.yaml": _cloudformation(
        '{"Fn::Join": ["", [' + ", ".join(["*s"] * 2000) + "]]}")}, [
        ("template.yaml", f"Fn::Join {TOO_LONG}; not evaluated", W)]),
    "cfn-sub": Case({"template.yaml": _cloudformation(
        '{"Fn::Sub": ["' + "${a}" * 2000 + '", {a: *s}]}')}, [
        ("template.yaml", f"Fn::Sub {TOO_LONG}; not evaluated", W)]),
    "cfn-join-of-joins": Case({"template.yaml": _cloudformation(
        '{"Fn::Join": ["", [' + ", ".join(["*j"] * 2000) + "]]}")}, [
        ("template.yaml", f"Fn::Join {TOO_LONG}; not evaluated", W),
        ("template.yaml", "the evaluation built more than 64,000,000 characters of strings in "
                          "all; not evaluated", W)]),
    # -- workflow and pipeline expressions -----------------------------------------------------
    "workflow-env": Case({".github/workflows/deploy.yml": WORKFLOW}, [
        (".github/workflows/deploy.yml", f"job deploy: an expression {TOO_LONG}; not read",
         W)]),
    "gitlab-variables": Case({".gitlab-ci.yml": GITLAB}, [
        (".gitlab-ci.yml", f"expanding variables {TOO_LONG}; not read", W)]),
}


def build(case: Case, tree: Path) -> None:
    """The good stack and the case's files, under ``tree``."""
    tree.mkdir(parents=True, exist_ok=True)
    (tree / ".git").mkdir(exist_ok=True)  # the root: no configuration found above it
    (tree / "good.tf").write_text(GOOD)
    for name, content in case.files.items():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target, target)
        elif isinstance(content, Fifo):
            os.mkfifo(target)
        elif isinstance(content, Sized):
            with open(target, "wb") as handle:
                handle.write(content.head + content.fill * (content.size - len(content.head)))
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content() if callable(content) else content)


def scan_case(case: Case, tree: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """The case scanned as the command does (configuration, cache), the outcome as JSON."""
    import oidclint
    from oidclint.cache import Cache
    from oidclint.config import Config
    from oidclint.engine import scan
    from oidclint.reporters import FORMATS

    started = time.perf_counter()
    if case.config is None:
        report = oidclint.scan([tree])
    else:
        cache = Cache(cache_dir) if case.cached and cache_dir else None
        report = scan([tree], Config(**case.config), root=tree,
                      var_files=[tree / v for v in case.var_files], cache=cache, jobs=1)
    return {
        "seconds": time.perf_counter() - started,
        "diagnostics": sorted([d.path, d.message, d.level.name] for d in report.diagnostics),
        "findings": sorted([f.rule_id, f.span.path] for f in report.findings),
        # What the cache spared differs from one run to the next, and only that.
        "json": json.dumps({k: v for k, v in json.loads(FORMATS["json"](report)).items()
                            if k != "files_cached"}),
    }


def run(names: list[str], base: Path, memory: int | None = None) -> dict[str, Any]:
    """Each case built under ``base`` and scanned twice (the second time from the cache
    where it has one), within ``memory`` bytes of address space."""
    if memory is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    results = {}
    for name in names:
        tree = base / name / "tree"
        try:
            build(CASES[name], tree)
            first = scan_case(CASES[name], tree, base / name / "cache")
            second = scan_case(CASES[name], tree, base / name / "cache")
            results[name] = {**first, "same": first["json"] == second["json"],
                             "seconds": max(first["seconds"], second["seconds"])}
            del results[name]["json"]
        except BaseException as exc:  # noqa: BLE001 - MemoryError above all: say which case
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


if __name__ == "__main__":
    # python tests/hostile_inputs.py OUT [NAME ...]: write the trees, to scan them by hand.
    out = Path(sys.argv[1])
    for name in sys.argv[2:] or CASES:
        build(CASES[name], out / name)
        print(out / name)
