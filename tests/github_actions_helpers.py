"""What the tests of the GitHub Actions workflow reader share: workflows given as text and
parsed together, a one-job workflow around a configure-aws-credentials step, a reusable
workflow and its caller, and a composite action and a workflow using it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oidclint.model import Inventory, Workload
from oidclint.readers.workloads.github_actions import parse_workflows
from oidclint.source import SourceFile


WORKFLOWS = ".github/workflows"
ROLE = "arn:aws:iam::123456789012:role/deploy"
ACTION = "aws-actions/configure-aws-credentials@v4"


def parse(files: dict[str, str], default_branch: str | None = None) -> Inventory:
    """Workflows given as {file name: YAML}, parsed together."""
    sources = [SourceFile(f"{WORKFLOWS}/{name}", Path(name), textwrap.dedent(text))
               for name, text in files.items()]
    return parse_workflows(sources, default_branch=default_branch)


def only(files: dict[str, str] | str, default_branch: str | None = None) -> Workload:
    if isinstance(files, str):
        files = {"deploy.yml": files}
    workloads = parse(files, default_branch).workloads
    assert len(workloads) == 1, [w.name for w in workloads]
    return workloads[0]


def subjects(workload: Workload) -> list[tuple[str, str, bool]]:
    return [(c.label, str(c.subject), c.pattern) for c in workload.contexts]


def job(on: str, body: str = "", permissions: str = "permissions:\n  id-token: write\n",
        role: str = ROLE) -> str:
    """A workflow of one job `deploy` with one configure-aws-credentials step."""
    body = textwrap.indent(textwrap.dedent(body), "    ")
    return (f"{textwrap.dedent(on)}{permissions}jobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
            f"{body}    steps:\n      - uses: {ACTION}\n        with:\n"
            f"          role-to-assume: {role}\n")


# -- reusable workflows ------------------------------------------------------------------------

CALLEE = textwrap.dedent("""\
    on:
      workflow_call:
        inputs:
          role: {type: string, required: true}
          region: {type: string, default: eu-west-1}
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          - uses: aws-actions/configure-aws-credentials@v4
            with:
              role-to-assume: ${{ inputs.role }}
              aws-region: ${{ inputs.region }}
    """)


def caller(role_line: str, permissions: str = "permissions:\n  id-token: write\n") -> str:
    return (f"on:\n  push:\n    branches: [main]\n{permissions}jobs:\n  release:\n"
            f"    uses: ./.github/workflows/build.yml\n    with:\n      {role_line}\n")


# -- composite actions -------------------------------------------------------------------------

LOGIN = textwrap.dedent("""\
    name: login
    description: assume a role
    inputs:
      role: {description: role, required: true}
      session: {description: session name, default: ci-login}
    runs:
      using: composite
      steps:
        - shell: bash
          run: echo logging in
        - uses: aws-actions/configure-aws-credentials@v4
          with:
            role-to-assume: ${{ inputs.role }}
            role-session-name: ${{ inputs.session }}-${{ env.STAGE }}
    """)


def parse_tree(files: dict[str, str]) -> Inventory:
    """Workflows and actions given as {path from the repository root: YAML}."""
    sources = [SourceFile(path, Path(path), textwrap.dedent(text))
               for path, text in files.items()]
    return parse_workflows(sources)


def using(action: str, given: str = "", env: str = "") -> str:
    return (f"on: {{push: {{branches: [main]}}}}\npermissions: {{id-token: write}}\n"
            f"env: {{STAGE: prod}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: actions/checkout@v4\n      - uses: {action}\n{given}{env}")
