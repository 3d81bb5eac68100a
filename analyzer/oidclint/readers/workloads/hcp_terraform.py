"""HCP Terraform workspaces managed with the ``tfe`` provider, as workloads: a
``tfe_workspace`` whose environment variables turn on dynamic AWS credentials.

A run authenticates to AWS with a workload identity token when the workspace has the
environment variable ``TFC_AWS_PROVIDER_AUTH=true`` and a role in ``TFC_AWS_RUN_ROLE_ARN``,
or per phase in ``TFC_AWS_PLAN_ROLE_ARN`` / ``TFC_AWS_APPLY_ROLE_ARN`` (each falling back to
the run role); the audience is ``aws.workload.identity`` unless
``TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE`` says otherwise
(https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/aws-configuration).
The variables are ``tfe_variable`` resources of category ``env``, on the workspace or in a
variable set applied to it (``tfe_workspace_variable_set``, ``tfe_project_variable_set``,
or ``global``); a workspace's own variable overrides a set's
(https://developer.hashicorp.com/terraform/cloud-docs/variables#precedence,
https://registry.terraform.io/providers/hashicorp/tfe/latest/docs/resources/variable).

A variable set applied to a project (``tfe_project_variable_set``) stands for the runs of the
project's workspaces the module does not define, their names not known.

The token's ``sub`` is
``organization:<org>:project:<project>:workspace:<workspace>:run_phase:<plan|apply>``
(https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/workload-identity-tokens).
The organisation is the workspace's ``organization``, else the ``tfe`` provider's; the project
the ``tfe_project`` its ``project_id`` names; without one the workspace is in the
organisation's default project, whose name is not known here, as is the project of a
workspace looked up with ``data "tfe_workspace"``
(https://registry.terraform.io/providers/hashicorp/tfe/latest/docs/resources/workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oidclint.hcl.providers import provider_name, resolve
from oidclint.hcl.values import MISSING
from oidclint.model import Inventory, TokenContext, Workload
from oidclint.source import Partial, Span, Str, Text, Unknown, concat

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance, Module

KIND = "hcp-terraform"
AUDIENCE = "aws.workload.identity"
AUTH = "TFC_AWS_PROVIDER_AUTH"
RUN_ROLE = "TFC_AWS_RUN_ROLE_ARN"
PHASE_ROLES = {"plan": "TFC_AWS_PLAN_ROLE_ARN", "apply": "TFC_AWS_APPLY_ROLE_ARN"}
AUDIENCE_VARIABLE = "TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE"
READ_WITH = frozenset({"tfe_variable", "tfe_variable_set", "tfe_workspace_variable_set",
                       "tfe_project_variable_set", "tfe_project"})
"""Resources a workspace is read with: the Terraform reader keeps them."""


@dataclass(frozen=True, slots=True)
class _Variable:
    key: Any
    value: Any
    span: Span | None
    workspace: str | None
    """The workspace (instance address) it is set on, or None."""
    variable_set: str | None


def _ref(value: Any) -> str | None:
    return getattr(value, "ref", None)


def _instances(module: "Module", kind: str, data: bool = False) -> list["Instance"]:
    """The instances of the module's resources (and, with ``data``, data sources) of a type."""
    return [instance for address, block in module.resources.items()
            if (block.type == "resource" or data and block.type == "data")
            and block.labels[0] == kind for instance in module.each_instance(address)]


def _variables(module: "Module") -> list[_Variable]:
    """The ``env`` variables of the module's ``tfe_variable`` resources (read once)."""
    key = ("hcp terraform variables",)
    if key not in module._values:
        found = []
        for instance in _instances(module, "tfe_variable"):
            category = instance.argument("category")
            if not (isinstance(category, str) and category == "env"):
                continue
            attribute = instance.block.attributes.get("value")
            found.append(_Variable(
                instance.argument("key"), instance.argument("value"),
                attribute.value_span if attribute is not None else instance.block.span,
                _ref(instance.argument("workspace_id")),
                _ref(instance.argument("variable_set_id"))))
        module._values[key] = found
    return module._values[key]


def _sets_of(module: "Module", workspace: str, project: str | None) -> set[str]:
    """The variable sets applied to the workspace: to it, to its project, or to every
    workspace of the organisation."""
    applied = {_ref(i.argument("variable_set_id")) for i in
               _instances(module, "tfe_workspace_variable_set")
               if _ref(i.argument("workspace_id")) == workspace}
    if project:
        applied |= {_ref(i.argument("variable_set_id")) for i in
                    _instances(module, "tfe_project_variable_set")
                    if _ref(i.argument("project_id")) == project}
    applied |= {i.address for i in _instances(module, "tfe_variable_set")
                if i.argument("global") is True}
    return {s for s in applied if s}


def _settings(module: "Module", workspace: str, project: str | None) -> dict[str, _Variable]:
    """Key -> variable as the workspace's runs see it: its own over its variable sets'."""
    sets = _sets_of(module, workspace, project)
    settings: dict[str, _Variable] = {}
    for own in (False, True):
        for variable in _variables(module):
            if isinstance(variable.key, str) and (
                    variable.workspace == workspace if own else variable.variable_set in sets):
                settings[str(variable.key)] = variable
    return settings


def _text(value: Any, what: str, span: Span | None) -> Text:
    if isinstance(value, (str, Partial, Unknown)):
        return value
    return Unknown(what, span)


def _workspace(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    project_id = instance.argument("project_id")
    project_ref = _ref(project_id) if project_id not in (MISSING, None) else None
    settings = _settings(module, instance.address, project_ref)
    name = _text(instance.argument("name"), f"{instance.address}.name", instance.block.span)
    _runs(module, instance, settings, (
        _organization(module, instance), _project(module, instance, project_id, project_ref),
        name), inventory)


def _project_set(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    """A variable set applied to a project: the runs of every workspace of the project get
    its variables. Workspaces of the module in that project are read as workspaces (their
    own variables over the set's); this stands for the others, whose names are not known."""
    project_ref = _ref(instance.argument("project_id"))
    set_ref = _ref(instance.argument("variable_set_id"))
    if project_ref is None or set_ref is None:
        return
    for workspace in _instances(module, "tfe_workspace"):
        if _ref(workspace.argument("project_id")) == project_ref:
            return
    sets = {set_ref} | {i.address for i in _instances(module, "tfe_variable_set")
                        if i.argument("global") is True}
    settings = {str(v.key): v for v in _variables(module)
                if isinstance(v.key, str) and v.variable_set in sets}
    project = next((p for p in _instances(module, "tfe_project", data=True)
                    if p.address == project_ref), None)
    span = instance.block.span
    if project is None:
        organization: Text = Unknown(f"the organization of {project_ref}", span)
        name: Text = Unknown(f"the name of {project_ref}", span)
    else:
        organization = _organization(module, project)
        name = _text(project.argument("name"), f"{project.address}.name", span)
    _runs(module, instance, settings, (
        organization, name, Unknown(f"a workspace of project {name}", span)), inventory)


def _runs(module: "Module", instance: "Instance", settings: dict[str, _Variable],
          names: tuple[Text, Text, Text], inventory: Inventory) -> None:
    """The workloads of a workspace's runs (or of the workspaces of a project), ``names``
    their organisation, project and workspace, when its variables turn dynamic AWS
    credentials on."""
    block = instance.block
    auth = settings.get(AUTH)
    if auth is None or not (isinstance(auth.value, str) and auth.value.lower() == "true"):
        return  # dynamic credentials off, or not known to be on
    roles = {phase: settings.get(PHASE_ROLES[phase]) or settings.get(RUN_ROLE)
             for phase in ("plan", "apply")}
    if not any(roles.values()):
        return
    audience = settings.get(AUDIENCE_VARIABLE)
    organization, project, workspace = names
    prefix = ("organization:", organization, ":project:", project, ":workspace:", workspace,
              ":run_phase:")
    # One workload per role: the run role for both phases, or a role for each.
    groups: dict[int, tuple[_Variable, list[str]]] = {}
    for phase, variable in roles.items():
        if variable is not None:
            groups.setdefault(id(variable), (variable, []))[1].append(phase)
    for variable, phases in groups.values():
        inventory.workloads.append(Workload(
            kind=KIND,
            name=instance.address if len(groups) == 1 else f"{instance.address} {phases[0]}",
            span=block.span,
            role=_text(variable.value, str(variable.key), variable.span),
            role_span=variable.span,
            audience=_text(audience.value, AUDIENCE_VARIABLE, audience.span)
            if audience is not None else Str(AUDIENCE, block.span),
            contexts=[TokenContext(p, concat((*prefix, p), block.span,
                                             what="building a subject"), span=block.span)
                      for p in phases],
            scope=module.scope,
        ))


def _organization(module: "Module", instance: "Instance") -> Text:
    value = instance.argument("organization")
    if value in (MISSING, None):
        found = resolve(module, provider_name(instance.block))
        if found is not None and found[1] is not None:
            value = found[0].argument(found[1], "organization")
    if value in (MISSING, None):
        return Unknown("the tfe provider's organization", instance.block.span)
    return _text(value, f"{instance.address}.organization", instance.block.span)


def _project(module: "Module", instance: "Instance", project_id: Any,
             project_ref: str | None) -> Text:
    span = instance.block.span
    if instance.is_data:  # a workspace looked up by name: its project is not in the code
        return Unknown(f"the project of {instance.address}", span)
    if project_id in (MISSING, None):
        return Unknown("the organization's default project", span)
    for candidate in _instances(module, "tfe_project", data=True):
        if candidate.address == project_ref:
            return _text(candidate.argument("name"), f"{candidate.address}.name", span)
    return Unknown(f"the project {project_ref or 'project_id'} names", span)


COLLECTORS = {"tfe_workspace": _workspace, "tfe_project_variable_set": _project_set}
"""Resource types read, and what each becomes (merged into the Terraform reader's table)."""
DATA_COLLECTORS = {"tfe_workspace": _workspace}
"""A workspace looked up by name (``data "tfe_workspace"``) is read alike."""
