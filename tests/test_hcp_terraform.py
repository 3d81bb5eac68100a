"""HCP Terraform workspaces (tfe provider) to workloads: dynamic AWS credentials turned on
by environment variables, on the workspace or in variable sets, and the subject of each
run phase."""

from __future__ import annotations

from pathlib import Path

from oidclint.iam.claims import tokens_for
from oidclint.iam.patterns import UNKNOWN
from oidclint.model import Inventory
from oidclint.source import SourceFile
from oidclint.terraform_roots import parse_terraform

ROLE = "arn:aws:iam::123456789012:role/tfc"


def scan(tmp_path: Path, text: str) -> Inventory:
    target = tmp_path / "main.tf"
    target.write_text(text)
    return parse_terraform([SourceFile("main.tf", target, text, "terraform")])


def variable(name: str, key: str, value: str, category: str = "env",
             on: str = "workspace_id = tfe_workspace.ws.id") -> str:
    return f'''
resource "tfe_variable" "{name}" {{
  {on}
  key      = "{key}"
  value    = {value}
  category = "{category}"
}}
'''


def subjects(workload) -> list[str]:
    return [t.subject.text.replace(UNKNOWN, "?") for t in tokens_for(workload, None)]


def test_run_role_gives_both_phases_in_the_default_project(tmp_path):
    inventory = scan(tmp_path, '''
resource "tfe_workspace" "ws" {
  name         = "network"
  organization = "acme"
}
''' + variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"')
        + variable("role", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"'))
    [workload] = inventory.workloads
    assert workload.kind == "hcp-terraform" and workload.name == "tfe_workspace.ws"
    assert workload.role == ROLE and workload.audience == "aws.workload.identity"
    assert [c.label for c in workload.contexts] == ["plan", "apply"]
    assert subjects(workload) == [
        f"organization:acme:project:?:workspace:network:run_phase:{phase}"
        for phase in ("plan", "apply")]
    assert "default project" in workload.contexts[0].subject.parts[1].origin


def test_variable_set_global_provider_organization_and_instances(tmp_path):
    inventory = scan(tmp_path, '''
provider "tfe" {
  organization = "acme"
}

data "tfe_project" "ops" {
  name = "ops"
}

resource "tfe_workspace" "ws" {
  for_each   = toset(["dev", "prod"])
  name       = "app-${each.key}"
  project_id = data.tfe_project.ops.id
}

resource "tfe_variable_set" "aws" {
  name   = "aws"
  global = true
}
''' + variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"',
               on="variable_set_id = tfe_variable_set.aws.id")
        + variable("role", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"',
                   on="variable_set_id = tfe_variable_set.aws.id")
        + variable("audience", "TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE", '"custom"',
                   on='workspace_id = tfe_workspace.ws["prod"].id'))
    dev, prod = inventory.workloads
    assert (dev.name, prod.name) == ('tfe_workspace.ws["dev"]', 'tfe_workspace.ws["prod"]')
    assert subjects(dev)[1] == "organization:acme:project:ops:workspace:app-dev:run_phase:apply"
    assert (dev.audience, prod.audience) == ("aws.workload.identity", "custom")


def test_no_workload_unless_auth_is_on_as_an_environment_variable(tmp_path):
    workspace = 'resource "tfe_workspace" "ws" {\n  name = "network"\n}\n'
    role = variable("role", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"')
    for auth in (variable("auth", "TFC_AWS_PROVIDER_AUTH", '"false"'),
                 variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"', category="terraform"),
                 variable("auth", "TFC_AWS_PROVIDER_AUTH", "var.auth"), ""):
        assert scan(tmp_path, workspace + auth + role + 'variable "auth" {}\n').workloads == []


def test_a_role_per_phase_is_two_workloads(tmp_path):
    inventory = scan(tmp_path, '''
resource "tfe_workspace" "ws" {
  name = "network"
}
''' + variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"')
        + variable("run", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"')
        + variable("plan", "TFC_AWS_PLAN_ROLE_ARN", f'"{ROLE}-read"'))
    plan, apply = inventory.workloads
    assert (plan.name, plan.role) == ("tfe_workspace.ws plan", f"{ROLE}-read")
    assert (apply.name, apply.role) == ("tfe_workspace.ws apply", ROLE)
    assert subjects(plan) == [
        "organization:?:project:?:workspace:network:run_phase:plan"]


def test_a_workspace_looked_up_by_name(tmp_path):
    inventory = scan(tmp_path, '''
data "tfe_workspace" "ws" {
  name         = "network"
  organization = "acme"
}
''' + variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"',
               on="workspace_id = data.tfe_workspace.ws.id")
        + variable("role", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"',
                   on="workspace_id = data.tfe_workspace.ws.id"))
    [workload] = inventory.workloads
    assert workload.name == "data.tfe_workspace.ws"
    assert subjects(workload)[0] == "organization:acme:project:?:workspace:network:run_phase:plan"


PROJECT_SET = '''
data "tfe_project" "platform" {
  name         = "platform"
  organization = "acme"
}

resource "tfe_variable_set" "aws" {
  name         = "aws"
  organization = "acme"
}

resource "tfe_project_variable_set" "platform" {
  variable_set_id = tfe_variable_set.aws.id
  project_id      = data.tfe_project.platform.id
}
''' + variable("auth", "TFC_AWS_PROVIDER_AUTH", '"true"',
               on="variable_set_id = tfe_variable_set.aws.id") \
    + variable("role", "TFC_AWS_RUN_ROLE_ARN", f'"{ROLE}"',
               on="variable_set_id = tfe_variable_set.aws.id")


def test_a_variable_set_applied_to_a_project_stands_for_its_workspaces(tmp_path):
    [workload] = scan(tmp_path, PROJECT_SET).workloads
    assert workload.name == "tfe_project_variable_set.platform"
    assert workload.role == ROLE and workload.audience == "aws.workload.identity"
    assert subjects(workload) == [
        f"organization:acme:project:platform:workspace:?:run_phase:{phase}"
        for phase in ("plan", "apply")]


def test_a_workspace_of_the_project_is_read_as_itself_not_again_for_the_project(tmp_path):
    inventory = scan(tmp_path, PROJECT_SET + '''
resource "tfe_workspace" "network" {
  name         = "network"
  organization = "acme"
  project_id   = data.tfe_project.platform.id
}
''')
    [workload] = inventory.workloads
    assert workload.name == "tfe_workspace.network"
    assert subjects(workload)[0] == \
        "organization:acme:project:platform:workspace:network:run_phase:plan"


def test_a_project_set_without_credentials_is_no_workload(tmp_path):
    text = PROJECT_SET.replace('"TFC_AWS_PROVIDER_AUTH", value    = "true"', "")
    text = text.replace('key      = "TFC_AWS_PROVIDER_AUTH"', 'key      = "TF_LOG"')
    assert scan(tmp_path, text).workloads == []
