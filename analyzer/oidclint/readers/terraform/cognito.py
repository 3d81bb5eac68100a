"""Terraform's Cognito identity pools and their default roles, for the trusts that name them.

``aws_cognito_identity_pool.allow_unauthenticated_identities`` is optional and false by
default (the provider's schema, ``internal/service/cognitoidentity/pool.go``;
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_identity_pool).
``aws_cognito_identity_pool_roles_attachment.roles`` maps ``authenticated`` and
``unauthenticated`` to role ARNs
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_identity_pool_roles_attachment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oidclint.hcl.values import MISSING, EvalError, to_bool
from oidclint.model import IdentityPool, IdentityPoolRoles, Inventory
from oidclint.source import Partial, Unknown

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance, Module


def _identity_pool(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    setting = block.attributes.get("allow_unauthenticated_identities")
    value: Any = instance.argument("allow_unauthenticated_identities")
    if value is MISSING or value is None:
        allows: bool | Unknown = False
    else:
        try:
            allows = to_bool(value)
        except EvalError:
            allows = Unknown(f"{instance.address}.allow_unauthenticated_identities", block.span)
        if isinstance(allows, Partial):
            allows = Unknown(str(allows), block.span)
    inventory.identity_pools.append(IdentityPool(
        address=instance.address, allows_unauthenticated=allows, span=block.span,
        setting_span=setting.value_span if setting is not None else block.span,
        scope=module.scope))


def _roles_attachment(module: "Module", instance: "Instance", inventory: Inventory) -> None:
    block = instance.block
    pool = instance.argument("identity_pool_id")
    roles = instance.argument("roles")
    inventory.pool_roles.append(IdentityPoolRoles(
        address=instance.address,
        pool=pool if isinstance(pool, (str, Partial, Unknown))
        else Unknown(f"{instance.address}.identity_pool_id", block.span),
        roles={str(kind): arn for kind, arn in roles.items()
               if isinstance(arn, (str, Partial, Unknown))} if isinstance(roles, dict) else {},
        span=block.span, scope=module.scope))


COLLECTORS = {
    "aws_cognito_identity_pool": _identity_pool,
    "aws_cognito_identity_pool_roles_attachment": _roles_attachment,
}
"""Resource types read, and what each becomes (merged into the Terraform reader's table)."""

