"""Which AWS provider configuration creates a resource, and which account that points at.

A resource uses the default configuration of its provider (``aws``) unless its ``provider``
meta-argument names another (``aws.prod``); a child module's configurations are those its
call passes in ``providers = { aws = aws.prod }``, or else its caller's default, or its own
``provider`` blocks
(https://developer.hashicorp.com/terraform/language/meta-arguments/resource-provider,
https://developer.hashicorp.com/terraform/language/modules/develop/providers).

IAM is global to an account, so of a configuration only what chooses the account matters:
its credentials (``profile``, keys, shared files), the role it assumes and the accounts it
allows (https://registry.terraform.io/providers/hashicorp/aws/latest/docs#argument-reference);
the region does not. Two configurations whose account settings are the same, and known, reach
the same account; otherwise they are different scopes, or one is unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark import Tree

from oidclint.hcl.syntax import Block, is_tree, name_of, subtrees
from oidclint.hcl.values import MISSING, has_unknown, json_text

if TYPE_CHECKING:
    from oidclint.hcl.instances import Scoped
    from oidclint.hcl.module import Module

ACCOUNT_SETTINGS = ("profile", "access_key", "shared_credentials_files", "shared_config_files",
                    "allowed_account_ids")
ROLE_SETTINGS = ("assume_role", "assume_role_with_web_identity")


def account_scope(module: "Module", resource: "Scoped") -> str | None:
    """The account the resource's provider configuration points at, as a key: within one
    root module, equal keys are the same account; ``None`` when that is not known."""
    found = resolve(module, provider_name(resource))
    if found is None:
        return None
    owner, block, address = found
    settings = account_settings(owner, block)
    # Settings not all known: only the same configuration is certainly the same account.
    return settings if settings is not None else address


def provider_name(resource: "Scoped") -> str:
    """``aws.prod`` from ``provider = aws.prod``; else the default of the resource type's
    provider, the type's first word (``aws`` for ``aws_iam_role``)."""
    attribute = resource.attributes.get("provider")
    if attribute is not None:
        text = reference_text(attribute.value)
        if text:
            return text
    return resource.labels[0].split("_", 1)[0]


def resolve(module: "Module", name: str) -> tuple["Module", Block | None, str] | None:
    """The module that declares the configuration ``name`` is in ``module``, its block
    (``None`` for the empty default of a root module) and its address; ``None`` when it
    cannot be followed."""
    seen = 0
    while seen < 64:
        seen += 1
        block = provider_blocks(module).get(name)
        if block is not None:
            return module, block, f"{module.address}provider.{name}"
        caller = module.caller
        if caller is None:
            # An undeclared default is the empty configuration; an undeclared alias is an
            # error Terraform reports.
            return (module, None, f"provider.{name}") if "." not in name else None
        mapped = module.provider_map.get(name)
        if mapped is None and "." in name:
            return None  # an alias must be passed by the call
        module, name = caller, mapped or name
    return None


def provider_blocks(module: "Module") -> dict[str, Block]:
    """The ``provider`` blocks of a module by configuration name (``aws``, ``aws.prod``)."""
    found = module.provider_configurations
    if found is None:
        found = {}
        for block in module.provider_declarations:
            alias = block.attributes.get("alias")
            name = block.labels[0]
            if alias is not None:
                text = reference_text(alias.value)
                if not text:
                    continue
                name = f"{name}.{text}"
            found.setdefault(name, block)
        module.provider_configurations = found
    return found


def account_settings(module: "Module", block: Block | None) -> str | None:
    """What chooses the account, as canonical JSON; ``None`` when some of it is unknown."""
    if block is None:
        return json_text({})
    settings: dict[str, Any] = {}
    for name in ACCOUNT_SETTINGS:
        value = module.argument(block, name)
        if value is not MISSING and value is not None:
            settings[name] = value
    for name in ROLE_SETTINGS:
        roles = [module.argument(b, "role_arn") for b in block.blocks_of(name)]
        written = module.argument(block, name)  # `.tf.json` writes the block as an object
        for item in written if isinstance(written, list) else [written]:
            if isinstance(item, dict):
                roles += [v for k, v in item.items() if str(k) == "role_arn"]
        roles = [r for r in roles if r is not MISSING and r is not None]
        if roles:
            settings[name] = roles
    return None if has_unknown(settings) else json_text(settings)


def provider_pairs(module: "Module", call: "Scoped") -> dict[str, str]:
    """A module call's ``providers``: the child's configuration name -> the caller's."""
    attribute = call.attributes.get("providers")
    node = _inner(attribute.value) if attribute is not None else None
    if not is_tree(node, "object"):
        return {}
    pairs = {}
    for elem in subtrees(node):
        key, value = elem.children[0], elem.children[-1]
        child = reference_text(subtrees(key)[0] if is_tree(key, "object_elem_key") else key)
        parent = reference_text(value)
        if child and parent:
            pairs[child] = parent
    return pairs


def reference_text(tree: Any) -> str:
    """``aws.prod`` written as a reference or, in ``.tf.json``, as a string."""
    node = _inner(tree)
    if is_tree(node, "string"):
        return name_of(node).strip()
    if is_tree(node, "identifier", "get_attr_expr_term"):
        return name_of(node).replace(" ", "").strip()
    return ""


def _inner(tree: Any) -> Any:
    while isinstance(tree, Tree) and tree.data in ("expression", "expr_term") \
            and len(subtrees(tree)) == 1:
        tree = subtrees(tree)[0]
    return tree
