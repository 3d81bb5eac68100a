"""CloudFormation templates (YAML or JSON, hand-written, CDK or SAM output) to model objects.

A file is a template by its content, not its name: discovery hands over every YAML/JSON file,
and Kubernetes manifests, workflows or ``package.json`` are simply not templates (``None``).
Everything a template defines shares one scope, its file: the stack deploys to one account.

A resource whose ``Condition`` the template decides false is not created, so it is not read
(``cfn_conditions``); SAM's generated execution roles are read like written ones (``sam``);
a resource CDK synthesized is addressed by its construct path (``cdk``).
"""

from __future__ import annotations

import re
from typing import Any

from oidclint.iam.eks import eks_issuer
from oidclint.iam.policy import as_list, document_from_value
from oidclint.limits import TooLarge, allowance
from oidclint.model import (
    Cluster, Diagnostic, Directive, IdentityPool, IdentityPoolRoles, Inventory, OidcProvider,
    PermissionPolicy, PolicyDocument, Role,
)
from oidclint.readers.cloudformation.values import (
    CDK_OIDC_PROVIDER, EKS_CLUSTER, MANAGED_POLICY, OIDC_PROVIDER, ROLE, intrinsic_name,
    is_no_value, scalar_text,
)
from oidclint.readers.cloudformation.intrinsics import Resolver
from oidclint.located.documents import CLOUDFORMATION, LoadError, load_documents
from oidclint.readers.cloudformation.sam import is_sam, with_implicit_roles
from oidclint.readers.workloads.kubernetes import addon_workload
from oidclint.source import Choice, Partial, SourceFile, Span, Str, Text, Unknown, span_of

# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
# AWS::Service::Thing, Alexa::ASK::Skill, registry types Org::Service::Thing (and ::MODULE),
# Custom::Anything.
_RESOURCE_TYPE = re.compile(
    r"^(?:Custom::[\w@.-]+|[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+(?:::MODULE)?)$")
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")
_TEMPLATE_HINTS = ("AWSTemplateFormatVersion", "AWS::")


def is_cloudformation(document: object) -> bool:
    """True when a loaded YAML/JSON document is a CloudFormation template."""
    if not isinstance(document, dict):
        return False
    if "AWSTemplateFormatVersion" in document:
        return True
    # SAM and other macros: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/transform-section-structure.html
    transform = document.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    if any(isinstance(t, str) and t.startswith("AWS::") for t in transforms):
        return True
    resources = document.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(resource, dict) and isinstance(resource.get("Type"), str)
        and _RESOURCE_TYPE.match(resource["Type"]) is not None
        for resource in resources.values())


def parse_cloudformation(file: SourceFile) -> Inventory | None:
    """The providers, roles and policies a template defines; ``None`` when it is no template."""
    json_mode = file.text.lstrip("\ufeff \t\r\n").startswith("{")
    try:
        documents = load_documents(file.text, file.path, json_mode=json_mode,
                                   schema=CLOUDFORMATION)
    except (LoadError, RecursionError) as exc:
        return _syntax_error(file, str(exc) or "nested too deeply to read")
    except Exception:  # noqa: BLE001 - a constructor's own error, never the scan's end
        return _syntax_error(file, "a value cannot be read")
    templates = [document for document in documents if is_cloudformation(document)]
    if not templates:
        return None
    inventory = Inventory(files=[file.path])
    for template in templates:
        try:
            with allowance():  # what the intrinsics of one template may build in all
                inventory.extend(TemplateReader(file, template).read())
        except RecursionError:
            inventory.diagnostics.append(
                Diagnostic(file.path, "template nested too deeply to analyze"))
        except TooLarge as exc:  # raised outside any one intrinsic function
            inventory.diagnostics.append(Diagnostic(file.path, f"{exc}; not read"))
    return inventory


def _logical_id(key: Any) -> str:
    """A resource's logical ID as written: YAML reads ``null:`` or ``true:`` as values."""
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _syntax_error(file: SourceFile, reason: str) -> Inventory | None:
    if not any(hint in file.text for hint in _TEMPLATE_HINTS):
        return None
    position = _SYNTAX_POSITION.match(reason)
    span = Span(file.path, int(position[1]), int(position[2])) if position else None
    diagnostic = Diagnostic(file.path, f"YAML/JSON syntax error: {reason}", span=span)
    return Inventory(diagnostics=[diagnostic], files=[file.path])


class TemplateReader:
    """Reads the IAM resources of one template into an ``Inventory``."""

    def __init__(self, file: SourceFile, template: dict) -> None:
        self.file = file
        self.template = with_implicit_roles(template) if is_sam(template) else template
        self.resolver = Resolver(self.template, file)
        self.inventory = Inventory()

    def read(self) -> Inventory:
        resources = self.template.get("Resources")
        if isinstance(resources, dict):
            for key, resource in resources.items():
                self._resource(_logical_id(key), span_of(key) or span_of(resource), resource)
        elif resources is not None:
            self._problem(span_of(resources), "Resources is not a mapping")
        for span, message in self.resolver.problems:
            self._problem(span, message)
        return self.inventory

    def _problem(self, span: Span | None, message: str) -> None:
        diagnostic = Diagnostic(self.file.path, message, span=span)
        if diagnostic not in self.inventory.diagnostics:
            self.inventory.diagnostics.append(diagnostic)

    def _resource(self, logical: str, span: Span | None, resource: Any) -> None:
        if logical.startswith("Fn::ForEach"):
            return  # AWS::LanguageExtensions loops; the resources they stamp out are not read
        if not isinstance(resource, dict):
            self._problem(span, f"resource {logical} is not a mapping")
            return
        kind = resource.get("Type")
        if not isinstance(kind, str):
            self._problem(span, f"resource {logical} has no Type")
            return
        self._suppressions(logical, span, resource.get("Metadata"))
        read = _READERS.get(str(kind))
        if read is None or not self._created(logical, span, resource.get("Condition")):
            return
        properties = resource.get("Properties")
        if properties is None:
            properties = {}
        elif not isinstance(properties, dict) or intrinsic_name(properties):
            self._problem(span_of(properties) or span, f"the Properties of {logical} cannot be read")
            properties = {}
        read(self, logical, span, properties)

    def _suppressions(self, logical: str, span: Span | None, metadata: Any) -> None:
        """``Metadata: {oidclint: {ignore: [{id: OIDC204, reason: ...}]}}``: JSON templates
        cannot carry comments, so suppressions live with the resource."""
        settings = metadata.get("oidclint") if isinstance(metadata, dict) else None
        if settings is None:
            return
        entries = settings.get("ignore") if isinstance(settings, dict) else None
        if not isinstance(entries, list):
            self._problem(span_of(settings) or span,
                          f"Metadata.oidclint of {logical} must hold an `ignore` list")
            return
        for entry in entries:
            rule = entry.get("id") if isinstance(entry, dict) else None
            reason = entry.get("reason", "") if isinstance(entry, dict) else ""
            if not isinstance(rule, str) or not isinstance(reason, str):
                self._problem(span_of(entry) or span, f"Metadata.oidclint.ignore of {logical}: "
                              "each entry needs an `id` (and a `reason`)")
                continue
            self.inventory.suppressions.append(Directive(
                frozenset({str(rule)}), str(reason), span_of(rule) or span or
                Span(self.file.path, 1), address=self._address(logical)))

    def _created(self, logical: str, span: Span | None, condition: Any) -> bool:
        """False for a resource whose ``Condition`` the template decides false."""
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
        if condition is None:
            return True
        if not isinstance(condition, str):
            self._problem(span_of(condition) or span, f"the Condition of {logical} is not a name")
            return True
        if str(condition) not in self.resolver.conditions:
            self._problem(span_of(condition) or span,
                          f"{logical} names undeclared condition {condition}")
            return True
        return self.resolver.condition(str(condition), span_of(condition)) is not False

    def _address(self, logical: str) -> str:
        return self.resolver.address_of(logical)

    # -- property values ----------------------------------------------------------------

    def _text(self, properties: dict, key: str, logical: str) -> Text | None:
        """A string property, ``None`` when absent."""
        value = _single(self.resolver.resolve(properties.get(key)))
        if value is None:
            return None
        return self._as_text(value, f"{logical}.{key}", span_of(properties.get(key)))

    def _as_text(self, value: Any, label: str, span: Span | None) -> Text:
        if isinstance(value, (str, Partial, Unknown)):
            return value
        text = scalar_text(value)
        if text is None:
            self._problem(span_of(value) or span, f"{label} is not a string")
            return Unknown(label, span_of(value) or span)
        return Str(text, span)

    def _texts(self, properties: dict, key: str, logical: str) -> list[Text] | Unknown:
        """A list-of-strings property (both branches of an ``Fn::If`` taken); ``[]`` when absent."""
        raw = properties.get(key)
        value = self.resolver.resolve(raw)
        label = f"{logical}.{key}"
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, (list, Choice)) and value is not None:
            self._problem(span_of(value) or span_of(raw), f"{label} is not a list")
            if isinstance(value, dict):
                return Unknown(label, span_of(value))
        texts: list[Text] = []
        for item in as_list(value):
            if isinstance(item, (dict, list)):
                self._problem(span_of(item) or span_of(raw), f"an entry of {label} is not a string")
            else:
                texts.append(self._as_text(item, label, span_of(raw)))
        return texts

    def _document(self, raw: Any, span: Span | None) -> PolicyDocument:
        """A policy given as a mapping, or as JSON text (a string, ``Fn::Sub``, ``Fn::Join``)."""
        return document_from_value(self.resolver.json_value(raw), span_of(raw) or span)

    def _entries(self, raw: Any) -> list[Any]:
        """The entries of a list property, unresolved where possible, the branches of an
        ``Fn::If`` that can be taken spliced."""
        if raw is None:
            return []
        if intrinsic_name(raw) == "Fn::If":
            branches = self.resolver.taken_branches(raw[next(iter(raw))])
            if branches is not None:
                return [e for branch in branches if not is_no_value(branch)
                        for e in self._entries(branch)]
        if isinstance(raw, list):
            return [e for item in raw if not is_no_value(item)
                    for e in (self._entries(item) if intrinsic_name(item) == "Fn::If" else [item])]
        return as_list(self.resolver.resolve(raw))

    def _max_session_duration(self, properties: dict, logical: str) -> int | Unknown | None:
        raw = properties.get("MaxSessionDuration")
        value = _single(self.resolver.resolve(raw))
        if value is None or isinstance(value, Unknown):
            return value
        if isinstance(value, Partial):
            return Unknown(str(value), value.span)
        text = scalar_text(value)
        if text is not None and not isinstance(value, bool) and text.isdigit():
            return int(text)
        self._problem(span_of(value) or span_of(raw),
                      f"{logical}.MaxSessionDuration is not a number of seconds")
        return None

    # -- resources ----------------------------------------------------------------------

    def _oidc_provider(self, logical: str, span: Span | None, properties: dict) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-oidcprovider.html
        self._provider(logical, span, properties, "ClientIdList", "ThumbprintList")

    def _cdk_oidc_provider(self, logical: str, span: Span | None, properties: dict) -> None:
        # aws-cdk-lib iam.OpenIdConnectProvider: a custom resource with Url, ClientIDList,
        # ThumbprintList, whose Ref is the provider ARN.
        self._provider(logical, span, properties, "ClientIDList", "ThumbprintList")

    def _provider(self, logical: str, span: Span | None, properties: dict, clients: str,
                  thumbprints: str) -> None:
        url = self._text(properties, "Url", logical)
        self.inventory.providers.append(OidcProvider(
            address=self._address(logical),
            url=url if url is not None else Unknown(f"{logical}.Url (not set)", span,
                                                    ref=self._address(logical)),
            client_ids=self._texts(properties, clients, logical),
            thumbprints=self._texts(properties, thumbprints, logical),
            span=span,
            scope=self.file.path,
        ))

    def _role(self, logical: str, span: Span | None, properties: dict) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
        trust = properties.get("AssumeRolePolicyDocument")
        self.inventory.roles.append(Role(
            address=self._address(logical),
            name=self._text(properties, "RoleName", logical),
            trust=self._document(trust, span) if trust is not None else None,
            span=span,
            scope=self.file.path,
            max_session_duration=self._max_session_duration(properties, logical),
            iam_path=self._text(properties, "Path", logical) if "Path" in properties else "/",
        ))
        address = self._address(logical)
        role = Str(address, span, ref=address)
        arns = self._texts(properties, "ManagedPolicyArns", logical)
        if isinstance(arns, Unknown):
            self.inventory.policies.append(PermissionPolicy(
                address=f"{address}.ManagedPolicyArns", roles=[role], managed_arn=arns,
                span=arns.span or span))
        else:
            for index, arn in enumerate(arns):
                self.inventory.policies.append(PermissionPolicy(
                    address=f"{address}.ManagedPolicyArns[{index}]", roles=[role],
                    managed_arn=arn, span=span_of(arn) or span))
        for index, entry in enumerate(self._entries(properties.get("Policies"))):
            policy = f"{address}.Policies[{index}]"
            if isinstance(entry, dict) and not intrinsic_name(entry) and "PolicyDocument" in entry:
                document = self._document(entry["PolicyDocument"], span_of(entry) or span)
            elif isinstance(entry, Unknown):
                document = document_from_value(entry, span)
            else:
                self._problem(span_of(entry) or span, f"{policy} has no PolicyDocument")
                continue
            self.inventory.policies.append(PermissionPolicy(
                address=policy, roles=[role], document=document, span=span_of(entry) or span))

    def _policy(self, logical: str, span: Span | None, properties: dict,
                managed_arn: Text | None = None) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-policy.html
        roles = self._texts(properties, "Roles", logical)
        raw = properties.get("PolicyDocument")
        self.inventory.policies.append(PermissionPolicy(
            address=self._address(logical),
            roles=[roles] if isinstance(roles, Unknown) else roles,
            managed_arn=managed_arn,
            document=self._document(raw, span) if raw is not None else None,
            span=span,
        ))

    def _managed_policy(self, logical: str, span: Span | None, properties: dict) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-managedpolicy.html
        self._policy(logical, span, properties, managed_arn=self.resolver.ref(logical, span))

    def _role_policy(self, logical: str, span: Span | None, properties: dict) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-rolepolicy.html
        role = self._text(properties, "RoleName", logical)
        raw = properties.get("PolicyDocument")
        self.inventory.policies.append(PermissionPolicy(
            address=self._address(logical),
            roles=[role] if role is not None else [],
            document=self._document(raw, span) if raw is not None else None,
            span=span,
        ))

    def _eks_cluster(self, logical: str, span: Span | None, properties: dict) -> None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-eks-cluster.html
        name = self._text(properties, "Name", logical)
        self.inventory.clusters.append(Cluster(
            address=self._address(logical),
            name=name if name is not None else Unknown(
                f"{logical} name (generated by CloudFormation)", span, ref=self._address(logical)),
            issuer=eks_issuer(logical, span),
            span=span,
            scope=self.file.path,
        ))

    def _eks_addon(self, logical: str, span: Span | None, properties: dict) -> None:
        """An add-on given an IAM role for its ServiceAccount (``ServiceAccountRoleArn``), in
        the namespace ``NamespaceConfig`` names, if any, on the cluster ``ClusterName`` names.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-eks-addon.html
        """
        role = self._text(properties, "ServiceAccountRoleArn", logical)
        if role is None or isinstance(role, str) and not role.strip():
            return
        where = span_of(properties.get("AddonName")) or span or Span(self.file.path, 1)
        addon = self._text(properties, "AddonName", logical) or Unknown(
            f"{logical}.AddonName (not set)", where)
        config = self.resolver.resolve(properties.get("NamespaceConfig"))
        namespace = self._text(config, "Namespace", f"{logical}.NamespaceConfig") \
            if isinstance(config, dict) else None
        workload = addon_workload(
            addon, role, where, role_span=span_of(properties.get("ServiceAccountRoleArn")),
            namespace=namespace, cluster=self._cluster_named(properties.get("ClusterName")),
            scope=self.file.path)
        if workload is not None:
            self.inventory.workloads.append(workload)

    def _cluster_named(self, raw: Any) -> str | None:
        """The address of the template's ``AWS::EKS::Cluster`` a cluster name refers to
        (``Ref``), or whose written ``Name`` it is."""
        name = _single(self.resolver.resolve(raw))
        ref = getattr(name, "ref", None)
        clusters = [logical for logical in self.resolver.resources
                    if self.resolver.type_of(logical) == EKS_CLUSTER]
        if ref:
            return next((self._address(c) for c in clusters if self._address(c) == ref), None)
        if isinstance(name, str) and not isinstance(name, Partial):
            named = [c for c in clusters if self.resolver.resolve(
                self.resolver.property_of(c, "Name")) == name]
            return self._address(named[0]) if len(named) == 1 else None
        return None

    def _identity_pool(self, logical: str, span: Span | None, properties: dict) -> None:
        # AllowUnauthenticatedIdentities is required, a Boolean:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-identitypool.html
        raw = properties.get("AllowUnauthenticatedIdentities")
        value = _single(self.resolver.resolve(raw))
        allows: bool | Unknown | None = None
        if isinstance(value, bool):
            allows = value
        elif isinstance(value, str) and str(value).lower() in ("true", "false"):
            allows = str(value).lower() == "true"
        elif isinstance(value, (Unknown, Partial)):
            allows = Unknown(str(value), span_of(raw) or span)
        elif value is not None:
            self._problem(span_of(raw) or span,
                          f"{logical}.AllowUnauthenticatedIdentities is not a Boolean")
        self.inventory.identity_pools.append(IdentityPool(
            address=self._address(logical), allows_unauthenticated=allows, span=span,
            setting_span=span_of(raw) or span, scope=self.file.path))

    def _pool_roles(self, logical: str, span: Span | None, properties: dict) -> None:
        # Roles maps `authenticated` and `unauthenticated` to role ARNs:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cognito-identitypoolroleattachment.html
        pool = self._text(properties, "IdentityPoolId", logical)
        roles = self.resolver.resolve(properties.get("Roles"))
        self.inventory.pool_roles.append(IdentityPoolRoles(
            address=self._address(logical),
            pool=pool if pool is not None else Unknown(f"{logical}.IdentityPoolId", span),
            roles={str(kind): self._as_text(_single(arn), f"{logical}.Roles.{kind}", span)
                   for kind, arn in roles.items() if not isinstance(arn, (dict, list))}
            if isinstance(roles, dict) else {},
            span=span, scope=self.file.path))


def _single(value: Any) -> Any:
    """A single-valued property: an ``Fn::If`` between different values is not known."""
    if not isinstance(value, Choice):
        return value
    if len({str(o) for o in value.options}) == 1 and value.options[0] is not None:
        return _single(value.options[0])
    return Unknown(value.origin, value.span)


_READERS = {
    OIDC_PROVIDER: TemplateReader._oidc_provider,
    CDK_OIDC_PROVIDER: TemplateReader._cdk_oidc_provider,
    ROLE: TemplateReader._role,
    "AWS::IAM::Policy": TemplateReader._policy,
    MANAGED_POLICY: TemplateReader._managed_policy,
    "AWS::IAM::RolePolicy": TemplateReader._role_policy,
    EKS_CLUSTER: TemplateReader._eks_cluster,
    "AWS::EKS::Addon": TemplateReader._eks_addon,
    "AWS::Cognito::IdentityPool": TemplateReader._identity_pool,
    "AWS::Cognito::IdentityPoolRoleAttachment": TemplateReader._pool_roles,
}
