"""Terraform (``.tf``) files to OIDC providers, roles, permission policies, EKS clusters and
the Kubernetes ServiceAccounts that assume roles.

Two entry points: ``file_blocks`` reads a file's top-level blocks (a syntax error costs its
own block), and ``collect_module`` turns an evaluated module into model objects. Each folder
is one module (``scope`` is its path, ``"."`` for the scan root); expressions are evaluated
by ``oidclint.hcl``, and whatever cannot be known stays ``Unknown``. Which modules are roots,
and evaluating them (cached, in worker processes, under time budgets), is the scheduler's
work: ``oidclint.terraform_roots``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from oidclint.hcl import outline
from oidclint.hcl.instances import Scoped, expand
from oidclint.hcl.json_syntax import parse_json_file
from oidclint.hcl.module import Instance, Module
from oidclint.hcl.policy_text import PolicyTextError
from oidclint.hcl.providers import account_scope
from oidclint.hcl.resources import DEFAULT_NAMESPACE, eks_issuer, role_name
from oidclint.hcl.syntax import Block, parse_file
from oidclint.hcl.syntax_errors import syntax_error
from oidclint.hcl.values import (
    MISSING, Encoded, EvalError, ResourceObject, to_number, to_text, with_ref, with_span,
)
from oidclint.iam.eks_addons import addon_service_account
from oidclint.iam.policy import document_from_options, document_from_value, grants_web_identity
from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX
from oidclint.limits import TooLarge
from oidclint.model import (
    Cluster, Diagnostic, Inventory, Level, OidcProvider, PermissionPolicy,
    PodIdentityAssociation, PolicyDocument, Related, Role,
)
from oidclint.readers.helm.terraform import helm_release_workloads
from oidclint.readers.workloads.gke import as_google, gke_service_account
from oidclint.readers.workloads.kubernetes import (
    addon_workload, as_text, irsa_annotations, service_account_workload,
)
from oidclint.readers.workloads.hcp_terraform import (
    COLLECTORS as HCP_COLLECTORS, DATA_COLLECTORS as HCP_DATA_COLLECTORS, READ_WITH,
)
from oidclint.readers.terraform.azure import (
    COLLECTORS as AZURE_COLLECTORS, DATA_COLLECTORS as AZURE_DATA_COLLECTORS, sole_aks_cluster,
)
from oidclint.iam.azure_trusts import aks_issuer
from oidclint.readers.workloads.azure_workload_identity import azure_annotations, for_azure
from oidclint.readers.terraform.cognito import COLLECTORS as COGNITO_COLLECTORS
from oidclint.readers.terraform.github_subjects import COLLECTORS as GITHUB_SUBJECT_COLLECTORS
from oidclint.readers.terraform import google
from oidclint.readers.terraform.unread import unread_call
from oidclint.source import LList, OneOf, Partial, SourceFile, Span, Str, Text, Unknown, concat


_RECOVERIES = 8
"""How many blocks with a syntax error a file may have and still have its others read."""


def file_blocks(file: SourceFile, diagnostics: list[Diagnostic],
            at: Span | None = None) -> list[Block]:
    """The blocks of a file. A syntax error inside one top-level block costs that block,
    not the file: it is blanked out (``outline.without_block``) and the file parsed again,
    so that a typo in an unrelated ``variable`` does not hide the trust next to it. Each
    block lost is reported; when the blocks cannot be told apart, the file is not read."""
    text, errors = file.text, []
    for _ in range(_RECOVERIES + 1):
        try:
            if file.path.endswith(".json"):
                return parse_json_file(text, file.path)
            blocks = parse_file(text, at.path if at else file.path, at=at)
        except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
            error = syntax_error(file, exc)
            recovered = (outline.without_block(text, error.span.line, error.span.column)
                         if isinstance(exc, UnexpectedInput) else None)
            if recovered is None:
                diagnostics.append(errors[0][0] if errors else error)
                return []
            text = recovered[0]
            errors.append((error, recovered[1]))
            continue
        for error, block in errors:
            named = " ".join([block.kind, *(f'"{label}"' for label in block.labels)])
            diagnostics.append(replace(error, message=(
                f"{error.message}; the block {named} is not read, the rest of the file is")))
        return blocks
    diagnostics.append(errors[0][0])
    return []


def collect_module(module: Module, inventory: Inventory) -> None:
    """Everything a module instance declares, then what its module calls declare."""
    for address, block in module.resources.items():
        collect = (_COLLECTORS if block.type == "resource" else _DATA_COLLECTORS).get(
            block.labels[0])
        if collect is None and block.type == "resource":
            collect = google.collector(block.labels[0])
        if collect is None:
            continue
        try:
            for instance in module.each_instance(address):
                before = len(inventory.roles), len(inventory.providers)
                collect(module, instance, inventory)
                _add_origins(module, inventory, before)
        except TooLarge as exc:
            inventory.diagnostics.append(Diagnostic(
                block.path, f"{module.address}{address}: {exc}; not evaluated", span=block.span))
        except Exception as exc:  # noqa: BLE001 - one odd resource must not end the scan
            inventory.diagnostics.append(Diagnostic(
                block.path, f"could not evaluate {module.address}{address}: "
                            f"{type(exc).__name__}: {exc}", span=block.span))
    for name in module.module_calls:
        for call, child in module.children(name):
            if child is not None:
                collect_module(child, inventory)
            else:
                inventory.unread_calls.append(unread_call(module, name, call))
    inventory.roles_elsewhere.extend(module.roles_elsewhere)
    for span, message in module.warnings:
        inventory.diagnostics.append(Diagnostic(span.path, message, Level.NOTE, span=span))
    for span, message in module.problems:
        inventory.diagnostics.append(Diagnostic(span.path, message, Level.WARNING, span=span))


def _add_origins(module: Module, inventory: Inventory, before: tuple[int, int]) -> None:
    """The ``module`` blocks that made a child module's resources, outermost last."""
    if not module.calls:
        return
    origins, address = [], ""
    for call in module.calls:
        name = call.labels[0] if call.labels else "?"
        address += f"module.{name}"
        origins.append(Related(call.span, f"{address}: the module call that sets its inputs"))
        address += "."
    origins.reverse()
    for item in (*inventory.roles[before[0]:], *inventory.providers[before[1]:]):
        item.origins.extend(origins)


def _provider(module: Module, instance: Instance, inventory: Inventory) -> None:
    block = instance.block
    url_attribute = block.attributes.get("url")
    url: Any = Unknown(f"{instance.address}.url (not set)", block.span, instance.address)
    if url_attribute is not None:
        url = with_span(instance.argument("url"), url_attribute.value_span)
    inventory.providers.append(OidcProvider(
        address=instance.address,
        url=url,
        client_ids=_list_argument(instance, "client_id_list"),
        thumbprints=_list_argument(instance, "thumbprint_list"),
        span=block.span,
        scope=module.scope,
        account=account_scope(module, block),
    ))


def _role(module: Module, instance: Instance, inventory: Inventory) -> None:
    block = instance.block
    inventory.roles.append(Role(
        address=instance.address,
        name=role_name(instance, block.span),
        trust=_document(module, block, "assume_role_policy"),
        span=block.span,
        scope=module.scope,
        max_session_duration=_whole_number(instance.argument("max_session_duration")),
        iam_path=_iam_path(instance.argument("path")),
    ))
    role = Str(instance.address, block.span, instance.address)
    arns = instance.argument("managed_policy_arns")
    if arns is not MISSING and arns is not None:
        for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
            inventory.policies.append(PermissionPolicy(
                address=f"{instance.address}.managed_policy_arns[{index}]",
                roles=[role], managed_arn=arn,
                span=getattr(arn, "span", None) or getattr(arns, "span", None) or block.span,
                scope=module.scope,
            ))
    for index, inline in enumerate(block.blocks_of("inline_policy")):
        if "policy" not in inline.attributes:
            continue  # an empty inline_policy block removes inline policies
        inventory.policies.append(PermissionPolicy(
            address=f"{instance.address}.inline_policy[{index}]",
            roles=[role], document=_document(module, inline, "policy"), span=inline.span,
            scope=module.scope,
        ))


def _role_policy_attachment(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=_roles(instance.argument("role")),
        managed_arn=_optional(instance.argument("policy_arn")),
        span=instance.block.span,
        scope=module.scope,
    ))


def _role_policy_attachments(module: Module, instance: Instance, inventory: Inventory) -> None:
    """``aws_iam_role_policy_attachments_exclusive``: every ARN of ``policy_arns`` attached to
    ``role_name`` (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/
    iam_role_policy_attachments_exclusive)."""
    arns = instance.argument("policy_arns")
    if arns is MISSING or arns is None:
        return
    for index, arn in enumerate(arns if isinstance(arns, list) else [arns]):
        inventory.policies.append(PermissionPolicy(
            address=f"{instance.address}.policy_arns[{index}]",
            roles=_roles(instance.argument("role_name")), managed_arn=arn,
            span=getattr(arn, "span", None) or instance.block.span, scope=module.scope,
        ))


def _role_policy(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=_roles(instance.argument("role")),
        document=_document(module, instance.block, "policy"),
        span=instance.block.span,
        scope=module.scope,
    ))


def _policy(module: Module, instance: Instance, inventory: Inventory) -> None:
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=[],
        document=_document(module, instance.block, "policy"),
        span=instance.block.span,
        scope=module.scope,
    ))


def _policy_attachment(module: Module, instance: Instance, inventory: Inventory) -> None:
    roles = instance.argument("roles")
    inventory.policies.append(PermissionPolicy(
        address=instance.address,
        roles=[] if roles is MISSING or roles is None else _roles_list(roles),
        managed_arn=_optional(instance.argument("policy_arn")),
        span=instance.block.span,
        scope=module.scope,
    ))


def _eks_cluster(module: Module, instance: Instance, inventory: Inventory) -> None:
    """An ``aws_eks_cluster``, created here or looked up by name (``data``): either way its
    issuer is an EKS issuer (https://registry.terraform.io/providers/hashicorp/aws/latest/
    docs/resources/eks_cluster, .../docs/data-sources/eks_cluster)."""
    block = instance.block
    name = instance.argument("name")
    inventory.clusters.append(Cluster(
        address=instance.address,
        name=(Unknown(f"{instance.address}.name (not set)", block.span, instance.address)
              if name is MISSING or name is None
              else with_ref(_text(name, block.span), instance.address)),
        issuer=eks_issuer(instance, block.span),
        span=block.span,
        scope=module.scope,
    ))


def _service_account(module: Module, instance: Instance, inventory: Inventory) -> None:
    """A ``kubernetes_service_account(_v1)`` whose annotations give it an IAM role (IRSA), a
    Google service account (GKE workload identity, ``readers.workloads.gke``), or the client
    id of an Azure identity (AKS workload identity, ``readers.workloads.azure_workload_identity``).

    The provider defaults ``metadata.namespace`` to ``default`` (https://registry.terraform.io/
    providers/hashicorp/kubernetes/latest/docs/resources/service_account_v1).
    """
    metadata = next(iter(instance.block.blocks_of("metadata")), None)
    if metadata is None:
        return
    annotations = module.argument(metadata, "annotations")
    role, audience = irsa_annotations(annotations)
    google = gke_service_account(annotations, as_text) if role is None else None
    role = role if role is not None else google
    client_id, tenant = azure_annotations(annotations, as_text)
    if role is None and client_id is None:
        return
    name_attribute = metadata.attributes.get("name")
    span = name_attribute.value_span if name_attribute is not None else metadata.span
    name = module.argument(metadata, "name")
    if name is MISSING or name is None:
        name = Unknown(f"{instance.address}.metadata.name (generated)", span, instance.address)
    namespace = module.argument(metadata, "namespace")
    if namespace is MISSING or namespace is None:
        namespace = Str(DEFAULT_NAMESPACE, metadata.span)
    if role is not None:
        workload = service_account_workload(
            _text(name, span), _text(namespace, span), span, role, audience=audience,
            cluster=_sole_cluster(module) if google is None else None, scope=module.scope)
        inventory.workloads.append(as_google(workload) if google is not None else workload)
    if client_id is not None:
        cluster = sole_aks_cluster(module)
        workload = for_azure(service_account_workload(
            _text(name, span), _text(namespace, span), span, client_id,
            cluster=cluster, scope=module.scope), tenant)
        if cluster is not None:
            workload.issuer = aks_issuer(cluster, span)  # its tokens' `iss`, as far as known
        inventory.workloads.append(workload)


def _helm_release(module: Module, instance: Instance, inventory: Inventory) -> None:
    """A ``helm_release`` whose chart creates ServiceAccounts with an IAM role."""
    inventory.workloads.extend(helm_release_workloads(module, instance, _sole_cluster(module)))


def _pod_identity(module: Module, instance: Instance, inventory: Inventory) -> None:
    """An ``aws_eks_pod_identity_association``: the ServiceAccount it names, whose pods also
    get the Pod Identity agent's credentials
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html)."""
    span = instance.block.span
    parts = []
    for name in ("namespace", "service_account"):
        value = instance.argument(name)
        parts.append(Unknown(f"{instance.address}.{name} (not set)", span)
                     if value is MISSING or value is None else _text(value, span))
    inventory.pod_identities.append(PodIdentityAssociation(
        concat((SERVICE_ACCOUNT_PREFIX, parts[0], ":", parts[1]), span), span,
        module.scope))


def _sole_cluster(module: Module) -> str | None:
    """The EKS cluster of the module, when it has exactly one: its ServiceAccounts' issuer."""
    clusters = [module.address + address for address, block in module.resources.items()
                if block.labels[0] == "aws_eks_cluster"]
    return clusters[0] if len(clusters) == 1 else None


def _eks_addon(module: Module, instance: Instance, inventory: Inventory) -> None:
    """An ``aws_eks_addon`` given an IAM role for its ServiceAccount
    (``service_account_role_arn``), in the namespace ``namespace_config`` names, if any, on
    the cluster ``cluster_name`` names (https://registry.terraform.io/providers/hashicorp/aws/
    latest/docs/resources/eks_addon); and its ``pod_identity_association`` blocks, each a Pod
    Identity association of a ServiceAccount in the add-on's namespace, as an
    ``aws_eks_pod_identity_association`` is."""
    block = instance.block
    named = block.attributes.get("addon_name")
    span = named.value_span if named is not None else block.span
    addon = instance.argument("addon_name")
    addon = (Unknown(f"{instance.address}.addon_name (not set)", span, instance.address)
             if addon is MISSING or addon is None else _text(addon, span))
    namespace = None
    for config in block.blocks_of("namespace_config"):
        value = module.argument(config, "namespace")
        if value is not MISSING and value is not None:
            namespace = _text(value, config.span)
    _addon_pod_identities(module, instance, addon, namespace, inventory)
    role = instance.argument("service_account_role_arn")
    if role is MISSING or role is None or isinstance(role, str) and not role.strip():
        return
    role_span = block.attributes["service_account_role_arn"].value_span
    workload = addon_workload(
        addon, _text(role, role_span), span, role_span=role_span, namespace=namespace,
        cluster=_cluster_named(module, instance.argument("cluster_name")), scope=module.scope)
    if workload is not None:
        inventory.workloads.append(workload)


def _addon_pod_identities(module: Module, instance: Instance, addon: Any, namespace: Any,
                          inventory: Inventory) -> None:
    """The add-on's ``pod_identity_association`` blocks (``dynamic`` ones expanded)."""
    associations = expand(module, instance.block, "pod_identity_association")
    if not associations:
        return
    span = instance.block.span
    if namespace is None:
        known = addon_service_account(str(addon)) if isinstance(addon, str) and not isinstance(
            addon, Partial) else None
        namespace = Str(known.namespace, span) if known is not None else \
            Unknown(f"the namespace of EKS add-on {addon}", span)
    for association in associations:
        account = Unknown(f"{instance.address}.pod_identity_association (not known)", span) \
            if isinstance(association, Unknown) else module.argument(association,
                                                                     "service_account")
        if account is MISSING or account is None:
            account = Unknown(f"{instance.address}.pod_identity_association.service_account "
                              "(not set)", span)
        inventory.pod_identities.append(PodIdentityAssociation(
            concat((SERVICE_ACCOUNT_PREFIX, namespace, ":", _text(account, span)), span), span,
            module.scope))


def _cluster_named(module: Module, name: Any) -> str | None:
    """The ``aws_eks_cluster`` instance of the module whose name is ``name`` (a created
    cluster before a looked-up one); ``None`` when the name is not known or names none, or
    several."""
    if not isinstance(name, str) or isinstance(name, Partial):
        return None
    for kind in ("resource", "data"):
        found = {instance.address
                 for address, block in module.resources.items()
                 if block.type == kind and block.labels[0] == "aws_eks_cluster"
                 for instance in module.each_instance(address)
                 if _same_text(instance.argument("name"), name)}
        if found:
            return found.pop() if len(found) == 1 else None
    return None


def _same_text(value: Any, text: str) -> bool:
    return isinstance(value, str) and not isinstance(value, Partial) and str(value) == text


_COLLECTORS = {
    "aws_iam_openid_connect_provider": _provider,
    "aws_iam_role": _role,
    "aws_iam_role_policy_attachment": _role_policy_attachment,
    "aws_iam_role_policy_attachments_exclusive": _role_policy_attachments,
    "aws_iam_role_policy": _role_policy,
    "aws_iam_policy": _policy,
    "aws_iam_policy_attachment": _policy_attachment,
    "aws_eks_cluster": _eks_cluster,
    "aws_eks_addon": _eks_addon,
    "kubernetes_service_account": _service_account,
    "kubernetes_service_account_v1": _service_account,
    "helm_release": _helm_release,
    "aws_eks_pod_identity_association": _pod_identity,
    **COGNITO_COLLECTORS,
    **HCP_COLLECTORS,
    **GITHUB_SUBJECT_COLLECTORS,
    **google.COLLECTORS,
    **AZURE_COLLECTORS,
}
"""Resource types read, and what each becomes."""
def _trust_document(module: Module, instance: Instance, inventory: Inventory) -> None:
    """A ``data "aws_iam_policy_document"`` that is a web identity trust, as the trust of the
    role it is written for: passed to a module the scan cannot read, or out as an output, it
    is checked all the same. When a role of the scan uses it, it is dropped again
    (``oidclint.readers.policies.policy_file.link_policy_files``): the role's findings are enough."""
    if instance.local_address in _documents_in_use(module):
        return  # a role's trust, or part of another document: checked there
    span = instance.block.span
    encoded = module.policy_document_json(instance, span)
    if not isinstance(encoded, Encoded):
        return
    document = document_from_value(encoded.decoded, span)
    if not grants_web_identity(document):
        return
    inventory.roles.append(Role(
        address=instance.address,
        name=Unknown(f"the role {instance.address} is written for"),
        trust=document, span=span, scope=module.scope, standalone=True))


_BUILT_FROM_DOCUMENTS = {
    ("resource", "aws_iam_role"): ("assume_role_policy",),
    ("data", "aws_iam_policy_document"): ("source_policy_documents", "override_policy_documents",
                                          "source_json", "override_json"),
}


def _documents_in_use(module: Module) -> set[str]:
    """The policy documents of a module that a role's ``assume_role_policy`` or another
    document is built from, whatever their instances (a role with ``count = 0`` still makes
    its document no trust of its own)."""
    key = ("documents in use",)
    if key not in module._values:
        used: set[str] = set()
        for block in module.resources.values():
            for name in _BUILT_FROM_DOCUMENTS.get((block.type, block.labels[0]), ()):
                attribute = block.attributes.get(name)
                if attribute is not None:
                    used |= _document_references(attribute.value)
        module._values[key] = used
    return module._values[key]


def _document_references(value: Any) -> set[str]:
    """``data.aws_iam_policy_document.NAME`` for each document an expression names."""
    words = [str(token) for token in value.scan_values(
        lambda v: isinstance(v, Token) and v.type == "NAME")] if isinstance(value, Tree) \
        else str(value).replace("[", ".").split(".")
    return {f"data.aws_iam_policy_document.{after}"
            for before, after in zip(words, words[1:]) if before == "aws_iam_policy_document"}


_DATA_COLLECTORS = {"aws_eks_cluster": _eks_cluster, "aws_iam_policy_document": _trust_document,
                    **HCP_DATA_COLLECTORS, **AZURE_DATA_COLLECTORS}
"""Data sources read: a cluster looked up is the issuer of the ServiceAccounts beside it; a
policy document may be the trust of a role the scan does not see."""
COLLECTED = google.ResourceTypes(frozenset(_COLLECTORS) | READ_WITH | google.READ_WITH)


def _document(module: Module, block: Scoped, name: str) -> PolicyDocument | None:
    """The policy an argument holds (``jsonencode``, policy document data source, JSON text)."""
    attribute = block.attributes.get(name)
    if attribute is None:
        return None
    span = attribute.value_span
    value = module.argument(block, name)
    if isinstance(value, OneOf):  # `local.dev ? jsonencode({...}) : jsonencode({...})`
        documents = [_located_policy(module, name, option, span) for option in value.options]
        problems = [problem for _, problem in documents if problem is not None]
        document = document_from_options([located for located, _ in documents],
                                         Unknown(value.origin, value.span or span), span)
        document.problems[:0] = problems
        return document
    located, problem = _located_policy(module, name, value, span)
    if problem is not None:
        return PolicyDocument(span=span, problems=[problem])
    return document_from_value(located, span)


def _located_policy(module: Module, name: str, value: Any,
                    span: Span) -> tuple[Any, tuple[Span, str] | None]:
    """A policy argument's value as a located JSON value, or why it is none."""
    rejected = _not_a_string(name, value)
    if rejected:
        return None, (span, rejected)
    try:
        return module.located_policy(value), None
    except PolicyTextError as exc:
        return None, (exc.span or span, str(exc))
    except RecursionError:
        return None, (span, "the policy is nested too deeply")


def _not_a_string(name: str, value: Any) -> str | None:
    """Why Terraform rejects a policy argument that is not a string, or ``None``.

    The AWS provider types ``assume_role_policy`` and ``policy`` as strings
    (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role), and
    Terraform converts only primitive values to strings: an object is refused at plan time
    (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types).
    """
    if isinstance(value, ResourceObject):
        if value.origin.startswith("data.aws_iam_policy_document."):
            return (f"`{name}` must be a JSON string; Terraform rejects the object "
                    f"`{value.origin}`: use `{value.origin}.json`")
        return f"`{name}` must be a JSON string; Terraform rejects the object `{value.origin}`"
    if isinstance(value, (dict, list)) and not isinstance(value, Encoded):
        kind = "an object" if isinstance(value, dict) else "a list"
        return f"`{name}` must be a JSON string; Terraform rejects {kind}: wrap it in jsonencode()"
    return None


def _list_argument(instance: Instance, name: str) -> Any:
    value = instance.argument(name)
    if value is MISSING or value is None:
        return LList([], span=instance.block.span)
    if isinstance(value, (Unknown, list)):
        return value
    return LList([value], span=getattr(value, "span", None))


def _roles(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return [value]


def _roles_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    return [value]


def _text(value: Any, span: Span) -> Any:
    """A string argument: numbers and booleans as Terraform converts them, others unknown."""
    try:
        return to_text(value, span)
    except EvalError as exc:
        return Unknown(f"not a string: {exc}", span)


def _optional(value: Any) -> Any:
    return None if value is MISSING else value


def _iam_path(value: Any) -> Text | None:
    """A role's ``path``: ``/`` when not set (the provider's default)."""
    if value is MISSING or value is None:
        return "/"
    return value if isinstance(value, (str, Partial, Unknown)) else None


def _whole_number(value: Any) -> int | Unknown | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Partial):
        return Unknown(str(value), value.span)
    try:
        number = to_number(value)
    except EvalError:
        return Unknown(f"max_session_duration {value!r} is not a number",
                       getattr(value, "span", None))
    if isinstance(number, float) and not number.is_integer():
        return Unknown(f"max_session_duration {value!r} is not a whole number", None)
    return int(number)

