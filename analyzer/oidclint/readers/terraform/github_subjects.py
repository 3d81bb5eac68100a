"""Terraform's GitHub OIDC subject claim customisations (the ``integrations/github``
provider), so the subjects of a repository's jobs are synthesised in the declared form.

``github_actions_organization_oidc_subject_claim_customization_template`` sets the
organisation's ``include_claim_keys``. The repository's resource
(``github_actions_repository_oidc_subject_claim_customization_template``) has ``repository``,
``use_default`` and ``include_claim_keys``: ``use_default = true`` is GitHub's default
subject; ``false`` with keys is those keys; ``false`` without keys is the organisation's
template if it has one, else the default:
https://registry.terraform.io/providers/integrations/github/latest/docs/resources/actions_repository_oidc_subject_claim_customization_template
https://registry.terraform.io/providers/integrations/github/latest/docs/resources/actions_organization_oidc_subject_claim_customization_template
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidclint.hcl.values import MISSING, EvalError, to_bool
from oidclint.model import Inventory, SubjectTemplate
from oidclint.source import Partial, Unknown

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance, Module


def _claim_keys(instance: "Instance") -> list | Unknown | None:
    value: Any = instance.argument("include_claim_keys")
    if value is MISSING or value is None:
        return None
    if isinstance(value, list):
        return [k if isinstance(k, (str, Partial, Unknown))
                else Unknown(f"{instance.address}.include_claim_keys", instance.block.span)
                for k in value]
    return Unknown(f"{instance.address}.include_claim_keys", instance.block.span)


def _organisation(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    inventory.subject_templates.append(SubjectTemplate(
        address=instance.address, claim_keys=_claim_keys(instance),
        span=instance.block.span, scope=module.scope))


def _repository(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    repository: Any = instance.argument("repository")
    if not isinstance(repository, (str, Partial, Unknown)):
        repository = Unknown(f"{instance.address}.repository", block.span)
    use_default: Any = instance.argument("use_default")
    try:
        use_default = None if use_default is MISSING else to_bool(use_default)
    except EvalError:
        use_default = Unknown(f"{instance.address}.use_default", block.span)
    if isinstance(use_default, Partial):
        use_default = Unknown(str(use_default), block.span)
    inventory.subject_templates.append(SubjectTemplate(
        address=instance.address, claim_keys=_claim_keys(instance), repository=repository,
        use_default=use_default, span=block.span, scope=module.scope))


COLLECTORS = {
    "github_actions_organization_oidc_subject_claim_customization_template": _organisation,
    "github_actions_repository_oidc_subject_claim_customization_template": _repository,
}
"""Resource types read, and what each becomes (merged into the Terraform reader's table)."""
