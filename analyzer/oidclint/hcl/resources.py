"""What the attributes of AWS resources evaluate to before anything is deployed.

Arguments set in the configuration read back as written; the attributes the provider
computes are built here from what is known (a provider's ARN from its URL, a role's ARN from
its name), with the account, region and generated ids left ``Unknown``. Partition ``aws`` is
written literally in ARNs: the rules only read the part after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from oidclint.hcl.values import MISSING, with_ref
from oidclint.iam.azure_trusts import aks_issuer
from oidclint.iam.eks import eks_issuer as cluster_issuer
from oidclint.iam.managed_policies import BY_NAME as MANAGED_POLICIES
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown, concat

if TYPE_CHECKING:
    from oidclint.hcl.module import Instance

Computed = Callable[["Instance", str, Span], Any]


def computed_attribute(instance: "Instance", name: str, span: Span) -> Any:
    """The value of a computed attribute, or ``MISSING`` when this module does not know it."""
    table = _DATA if instance.is_data else _RESOURCES
    compute = table.get(instance.type, {}).get(name)
    return MISSING if compute is None else compute(instance, name, span)


def _account(instance: "Instance") -> Unknown:
    return Unknown(f"account id of {instance.address}")


def provider_host(instance: "Instance", span: Span) -> Any:
    """The provider's URL without ``https://``.

    The AWS provider stores ``url`` as IAM returns it, without the scheme
    (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/
    iam_openid_connect_provider; its diff suppression re-adds the scheme only to compare with
    the configuration).
    """
    url = instance.argument("url")
    if url is MISSING or url is None:
        if instance.is_data and instance.argument("arn") not in (MISSING, None):
            return Unknown(f"{instance.address}.url", span, instance.address)
        return Unknown(f"{instance.address}.url (not set)", span, instance.address)
    if isinstance(url, str) and url.startswith("https://"):
        return Str(url[len("https://"):], url.span, instance.address)
    head = url.parts[0] if isinstance(url, Partial) else None
    if isinstance(head, str) and head.startswith("https://"):
        return concat((url.parts[0][len("https://"):],) + url.parts[1:], url.span, instance.address)
    return with_ref(url, instance.address)


def _provider_url(instance: "Instance", name: str, span: Span) -> Any:
    return provider_host(instance, span)


def _provider_arn(instance: "Instance", name: str, span: Span) -> Any:
    if instance.is_data:
        arn = instance.argument("arn")
        if arn not in (MISSING, None):
            return with_ref(arn, instance.address)
    host = provider_host(instance, span)
    return concat(("arn:aws:iam::", _account(instance), ":oidc-provider/", host), span,
                  instance.address)


def _provider_client_ids(instance: "Instance", name: str, span: Span) -> Any:
    value = instance.argument(name)
    if value is MISSING:
        return Unknown(f"{instance.address}.{name}", span, instance.address)
    return value


def eks_issuer(instance: "Instance", span: Span) -> Partial:
    """``identity[0].oidc[0].issuer`` of an ``aws_eks_cluster``."""
    return cluster_issuer(instance.address, span)


def _eks_identity(instance: "Instance", name: str, span: Span) -> Any:
    oidc = LDict({Str("issuer", span): eks_issuer(instance, span)}, span=span)
    return LList([LDict({Str("oidc", span): LList([oidc], span=span)}, span=span)], span=span)


def role_name(instance: "Instance", span: Span) -> Any:
    name = instance.argument("name")
    if name is MISSING or name is None:
        prefixed = instance.argument("name_prefix") not in (MISSING, None)
        how = "name_prefix" if prefixed else "not set"
        return Unknown(f"{instance.address}.name (generated, {how})", span, instance.address)
    return with_ref(name, instance.address)


def _role_name(instance: "Instance", name: str, span: Span) -> Any:
    return role_name(instance, span)


def _iam_path(instance: "Instance") -> Any:
    path = instance.argument("path")
    return "/" if path is MISSING or path is None else path


def _role_arn(instance: "Instance", name: str, span: Span) -> Any:
    if instance.is_data and instance.argument("arn") not in (MISSING, None):
        return with_ref(instance.argument("arn"), instance.address)
    return concat(("arn:aws:iam::", _account(instance), ":role", _iam_path(instance),
                   role_name(instance, span)), span, instance.address)


def _policy_arn(instance: "Instance", name: str, span: Span) -> Any:
    if instance.is_data and instance.argument("arn") not in (MISSING, None):
        return with_ref(instance.argument("arn"), instance.address)
    if instance.is_data:
        managed = _aws_managed(instance)
        if managed is not None:
            return Str(MANAGED_POLICIES[managed].arn, span, instance.address)
    return concat(("arn:aws:iam::", _account(instance), ":policy", _iam_path(instance),
                   role_name(instance, span)), span, instance.address)


def _aws_managed(instance: "Instance") -> str | None:
    """The AWS managed policy a ``data "aws_iam_policy"`` looks up by name, when its name is
    one of those oidclint knows (``oidclint.iam.managed_policies``) under ``path_prefix``. The
    data source lists the account's and AWS's policies (ListPolicies, scope
    ``All`` by default) and fails unless exactly one has the name, and AWS's always exists:
    the lookup, when it works, finds AWS's.
    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html"""
    name, prefix = instance.argument("name"), instance.argument("path_prefix")
    if type(name) not in (str, Str) or name not in MANAGED_POLICIES:
        return None
    if prefix not in (MISSING, None) and not (
            type(prefix) in (str, Str) and MANAGED_POLICIES[str(name)].path.startswith(prefix)):
        return None
    return str(name)


def _document_json(instance: "Instance", name: str, span: Span) -> Any:
    return instance.module.policy_document_json(instance, span)


def _rendered(instance: "Instance", name: str, span: Span) -> Any:
    """``data "template_file"``: its ``template`` rendered with ``vars`` (the deprecated
    hashicorp/template provider, https://registry.terraform.io/providers/hashicorp/template/
    latest/docs/data-sources/file), by our own template evaluator."""
    from oidclint.hcl.evaluate import render_template
    from oidclint.hcl.values import EvalError

    template, variables = instance.argument("template"), instance.argument("vars")
    if template is MISSING or template is None:
        return Unknown(f"{instance.address}.rendered (no template)", span, instance.address)
    if variables is MISSING or variables is None:
        variables = LDict(span=span)
    try:
        return render_template(instance.module, template, variables, span,
                               f"{instance.address}.rendered")
    except EvalError as exc:
        return Unknown(f"{instance.address}.rendered: {exc}", span, instance.address)


def _unknown(instance: "Instance", name: str, span: Span) -> Any:
    return Unknown(f"{instance.address}.{name}", span, instance.address)


# --- Kubernetes objects ------------------------------------------------------------------
# The hashicorp/kubernetes provider keeps an object's identity in its single `metadata`
# block. A namespaced object's `id` is `<namespace>/<name>`, a cluster-wide one's (a
# namespace) its name (`buildId` in the provider's kubernetes/structures.go; the import
# sections of https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/
# resources/service_account_v1 and .../namespace_v1), and `metadata.namespace` defaults to
# `default` (same pages, "metadata" arguments).

DEFAULT_NAMESPACE = "default"
_NAMESPACED = frozenset({"kubernetes_service_account", "kubernetes_service_account_v1"})
_CLUSTER_WIDE = frozenset({"kubernetes_namespace", "kubernetes_namespace_v1"})


def _metadata(instance: "Instance", name: str, span: Span) -> Any:
    """``metadata[0].<name>`` as the provider reads it back, or ``MISSING``."""
    from oidclint.hcl.instances import expand

    blocks = expand(instance.module, instance.block, "metadata")
    if len(blocks) != 1 or isinstance(blocks[0], Unknown):
        return MISSING
    value = instance.module.argument(blocks[0], name)
    if value is MISSING:
        value = nested_default(instance, ("metadata",), name, blocks[0], span)
    return value


def _object_name(instance: "Instance", span: Span) -> Any:
    name = _metadata(instance, "name", span)
    if name is MISSING or name is None:
        return Unknown(f"{instance.address}.metadata[0].name (generated)", span,
                       instance.address)
    return name


def _kubernetes_id(instance: "Instance", name: str, span: Span) -> Any:
    if instance.type in _CLUSTER_WIDE:
        return with_ref(_object_name(instance, span), instance.address)
    namespace = _metadata(instance, "namespace", span)
    if namespace is MISSING or namespace is None:
        namespace = Unknown(f"{instance.address}.metadata[0].namespace", span)
    return concat((namespace, "/", _object_name(instance, span)), span, instance.address)


def nested_default(instance: "Instance", path: tuple[str, ...], name: str, block: Any,
                   span: Span) -> Any:
    """What the provider fills in for an argument of a nested block left unset, or
    ``MISSING`` when it is not known here."""
    if path == ("metadata",) and instance.type in _NAMESPACED:
        if name == "namespace":
            return Str(DEFAULT_NAMESPACE, block.span)
        if name == "name":  # set by the API server from `generate_name`
            return Unknown(f"{instance.address}.metadata[0].name (generated)", span,
                           instance.address)
    if path == ("metadata",) and instance.type in _CLUSTER_WIDE and name == "name":
        return Unknown(f"{instance.address}.metadata[0].name (generated)", span,
                       instance.address)
    return MISSING


def _aks_issuer(instance: "Instance", name: str, span: Span) -> Any:
    """``oidc_issuer_url`` of an ``azurerm_kubernetes_cluster`` (``iam.azure_trusts``)."""
    return aks_issuer(instance.address, span)


_RESOURCES: dict[str, dict[str, Computed]] = {
    "azurerm_kubernetes_cluster": {"oidc_issuer_url": _aks_issuer},
    "aws_iam_openid_connect_provider": {
        "url": _provider_url, "arn": _provider_arn, "id": _provider_arn,
        "client_id_list": _provider_client_ids,
    },
    "aws_eks_cluster": {"identity": _eks_identity},
    "aws_iam_role": {"name": _role_name, "id": _role_name, "arn": _role_arn,
                     "unique_id": _unknown, "create_date": _unknown},
    "aws_iam_policy": {"arn": _policy_arn, "id": _policy_arn, "name": _role_name,
                       "policy_id": _unknown},
    **{kind: {"id": _kubernetes_id} for kind in _NAMESPACED | _CLUSTER_WIDE},
}

_DATA: dict[str, dict[str, Computed]] = {
    "azurerm_kubernetes_cluster": {"oidc_issuer_url": _aks_issuer},
    "aws_iam_policy_document": {"json": _document_json, "minified_json": _document_json},
    # https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity
    "aws_caller_identity": {n: _unknown for n in ("account_id", "arn", "user_id", "id")},
    "aws_partition": {n: _unknown for n in ("partition", "dns_suffix", "reverse_dns_prefix", "id")},
    "aws_region": {n: _unknown for n in ("name", "id", "region", "endpoint", "description")},
    "aws_iam_openid_connect_provider": {
        "url": _provider_url, "arn": _provider_arn, "id": _provider_arn,
        "client_id_list": _unknown, "thumbprint_list": _unknown,
    },
    "aws_eks_cluster": {"identity": _eks_identity},
    "aws_iam_role": {"arn": _role_arn, "id": _role_name, "name": _role_name,
                     "assume_role_policy": _unknown},
    "aws_iam_policy": {"arn": _policy_arn, "policy": _unknown},
    "template_file": {"rendered": _rendered},
    **{kind: {"id": _kubernetes_id} for kind in _NAMESPACED | _CLUSTER_WIDE},
}
