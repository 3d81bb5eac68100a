"""Kubernetes manifests and eksctl cluster configs to workloads and clusters; the workload of
an EKS add-on given a role, wherever it is declared (``addon_workload``). Argo CD and Flux
objects that install Helm charts are read by ``oidclint.readers.helm.manifests``.

IAM roles for service accounts (IRSA): the pod identity webhook gives every pod of a
ServiceAccount annotated ``eks.amazonaws.com/role-arn`` a projected token for that role; the
audience is ``sts.amazonaws.com`` unless ``eks.amazonaws.com/audience`` names another, and the
token's ``sub`` is ``system:serviceaccount:<namespace>:<name>``.
https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
https://github.com/aws/amazon-eks-pod-identity-webhook (annotations, ``--token-audience``)

``eks.amazonaws.com/token-expiration`` is deliberately not read as the workload's session
duration: it sets the projected token's ``expirationSeconds`` (default 86400, at least 600),
not the ``DurationSeconds`` the SDK asks STS for, so comparing it with the role's maximum
session duration would report failures that do not happen.

A file is read by its content, whatever its name: files without a ServiceAccount or an eksctl
``ClusterConfig`` are not manifests of interest (``None``), so ordinary YAML is no error.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

from oidclint.iam.eks_addons import addon_service_account, needs_no_role
from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX
from oidclint.model import Cluster, Diagnostic, Inventory, Level, TokenContext, Workload
from oidclint.readers.workloads.azure_workload_identity import azure_annotations, for_azure
from oidclint.located.documents import LoadError, NodeLimitError, load_documents
from oidclint.readers.workloads import gke
from oidclint.located.documents import documents as split_documents
from oidclint.source import (
    Partial, SourceFile, Span, Str, Text, Unknown, concat, fill_ins, span_of,
)

ADDON_KIND = "eks-addon"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
EKSCTL_API_PREFIX = "eksctl.io/"
MAX_LIST_DEPTH = 8
"""``kind: List`` inside ``kind: List`` is followed this deep (far beyond real manifests)."""

_RENDERED = re.compile(
    r"\{\{-?(?P<helm>.*?)-?\}\}"
    r"|\$\{(?P<braced>[A-Za-z_]\w*)(?:[:]?[-=?+][^}]*)?\}"
    r"|\$\((?P<kustomize>[A-Za-z_][\w.]*)\)"
    r"|\$(?P<plain>[A-Za-z_]\w*)", re.S)
"""What a tool fills in before the manifest reaches the cluster: Helm and Argo CD
``{{ ... }}``, envsubst and Flux ``${NAME}`` (``${NAME:=default}``), kustomize ``$(NAME)``,
shell ``$NAME``. None of these characters can be part of a Kubernetes name or an IAM ARN."""
# `apiVersion: v1` in block style, `{"apiVersion": "v1"` or `{apiVersion: v1` in flow style.
_API_VERSION = re.compile(r"""(?:^|[\s{,])["']?apiVersion["']?\s*:""", re.M)
_KIND = re.compile(r"""(?:^|[\s{,])["']?kind["']?\s*:""", re.M)
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")


ChartReader = Callable[[dict, "_ManifestReader"], bool]
"""Reads an object that installs a Helm chart into the manifest reader's inventory, and says
whether it was one (``oidclint.readers.helm.manifests.read_chart_object``)."""


def parse_kubernetes(file: SourceFile, *, kustomize_namespace: str | None = None,
                     charts: ChartReader | None = None) -> Inventory | None:
    """ServiceAccount workloads and eksctl clusters of a manifest; ``None`` when it has none.

    ``kustomize_namespace`` is the ``namespace:`` of a ``kustomization.yaml`` that lists this
    file: kustomize sets it on every namespaced object, replacing the one written there
    (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/namespace/).
    ``charts`` reads the Argo CD and Flux objects that install Helm charts (given by the
    caller: the Helm reader builds its workloads with this module's helpers).
    """
    json_mode = file.text.lstrip("\ufeff \t\r\n").startswith("{")
    # Each document on its own: one that cannot be read leaves the others, and one whose text
    # names no kind the reader reads (a ConfigMap of 260,000 keys) is not even parsed.
    unread: list[LoadError] = []
    documents = []
    limit = None
    for lines, text in [(0, file.text)] if json_mode else split_documents(file.text):
        if len(text) > _SMALL and not any(kind in text for kind in _KINDS):
            continue
        try:
            documents += load_documents(text, file.path, json_mode=json_mode, errors=unread,
                                        wanted=_may_hold_workloads, lines=lines)
        except NodeLimitError as exc:
            # What fits is read: the documents before, and the items of a List read in full.
            documents += exc.documents
            limit = str(exc)
            items = _items(exc.truncated)
            if items is not None:
                documents.append(exc.truncated)
                limit = (f"the items of the List past the first {len(items):,} are not read: "
                         f"the file holds more than {exc.limit:,} values (the limit of the "
                         "scan)")
            break
        except LoadError as exc:
            unread.append(exc)
    reader = _ManifestReader(file, kustomize_namespace, charts)
    for document in documents:
        for obj in _objects(document, 0, reader):
            reader.read(obj)
    problems = [_syntax_error(file, str(exc)) for exc in unread]
    if limit is not None and _looks_like_a_manifest(file.text):
        reader.inventory.diagnostics.append(Diagnostic(file.path, limit))
    if not reader.relevant and limit is None:
        return _merged([p for p in problems if p is not None])
    for problem in problems:
        if problem is not None:
            reader.inventory.diagnostics.extend(problem.diagnostics)
    return reader.inventory


def _merged(inventories: list[Inventory]) -> Inventory | None:
    if not inventories:
        return None
    merged = inventories[0]
    for other in inventories[1:]:
        merged.diagnostics.extend(other.diagnostics)
    return merged


def irsa_annotations(annotations: Any) -> tuple[Text | None, Text | None]:
    """The role and audience a ServiceAccount's annotations ask for (``None`` when absent)."""
    if not isinstance(annotations, Mapping):
        return None, None
    role = as_text(annotations.get(ROLE_ANNOTATION), span_of(annotations))
    audience = as_text(annotations.get(AUDIENCE_ANNOTATION), span_of(annotations))
    # The webhook leaves pods of a ServiceAccount with an empty role annotation alone.
    if isinstance(role, str) and not role.strip():
        role = None
    return role, audience


def service_account_workload(name: Text, namespace: Text, span: Span, role: Text,
                             role_span: Span | None = None, audience: Text | None = None, *,
                             kind: str = "kubernetes", title: str = "ServiceAccount",
                             cluster: str | None = None, scope: str = "",
                             named: str | None = None, why: str = "") -> Workload:
    """The workload of a ServiceAccount: one identity, ``system:serviceaccount:<ns>:<name>``.
    ``named``: the workload's own name when it is not the ServiceAccount (a Helm release);
    ``why``: how the name came about, shown with it.

    https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """
    # What is unknown shows as ``${origin}``, as everywhere in messages.
    label = f"ServiceAccount {namespace}/{name}" + (f", {why}" if why else "")
    subject = concat((SERVICE_ACCOUNT_PREFIX, namespace, ":", name), span)
    return Workload(
        kind=kind,
        name=named or f"{title} {namespace}/{name}",
        span=span,
        role=role,
        role_span=role_span or span_of(role) or span,
        audience=audience,
        contexts=[TokenContext(label=label, subject=subject, span=span)],
        cluster=cluster,
        scope=scope,
        logical=(f"ServiceAccount/{namespace}/{name}", "resource"),
    )


def addon_workload(addon: Text, role: Text, span: Span, *, role_span: Span | None = None,
                   namespace: Text | None = None, cluster: str | None = None,
                   scope: str = "") -> Workload | None:
    """The workload of an Amazon EKS add-on given ``role`` for its ServiceAccount
    (``aws_eks_addon``, ``AWS::EKS::Addon``, eksctl ``addons``); ``None`` for an add-on that
    takes no role. ``namespace`` is the custom namespace it is created in, if any.

    The ServiceAccount is the add-on's own (``oidclint.iam.eks_addons``); for an add-on the
    table does not know, its name (and namespace) stay unknown, never guessed.
    """
    if isinstance(addon, str) and needs_no_role(str(addon)):
        return None
    known = addon_service_account(str(addon)) if isinstance(addon, str) else None
    if known is not None:
        name: Text = Str(known.name, span)
        namespace = namespace if namespace is not None else Str(known.namespace, span)
    else:
        name = Unknown(f"the ServiceAccount of EKS add-on {addon} (an add-on oidclint has "
                       "no entry for)", span)
        if namespace is None:
            namespace = Unknown(f"the namespace of EKS add-on {addon}", span)
    workload = service_account_workload(name, namespace, span, role, role_span, kind=ADDON_KIND,
                                        cluster=cluster, scope=scope)
    workload.name = f"EKS add-on {addon}"  # as the user names it; its context names the account
    return workload


def apply_time_namespace(span: Span | None = None) -> Unknown:
    """The namespace of an object that does not set one: ``kubectl -n`` decides."""
    return Unknown("namespace chosen at apply time (metadata.namespace is not set)", span)


def as_text(value: Any, span: Span | None = None) -> Text | None:
    """A string-valued manifest field; what is filled in when the manifest is rendered
    (``_RENDERED``) and fill-in placeholders (``<ACCOUNT_ID>``) become ``Unknown``."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return Str("true" if value else "false", span)
    if isinstance(value, (int, float)):
        return Str(str(value), span)
    if isinstance(value, Str):
        return _rendered_text(value)
    if isinstance(value, str):
        return _rendered_text(Str(value, span))
    return value if isinstance(value, (Unknown, Partial)) else None


def _rendered_text(value: Str) -> Text:
    if "{{" not in value and "$" not in value:
        return fill_ins(value)
    pieces: list[Any] = []
    position = 0
    for match in _RENDERED.finditer(value):
        pieces.append(value[position:match.start()])
        if match["helm"] is not None:
            origin = f"Helm template {{{{{match['helm']}}}}}"
        elif match["kustomize"] is not None:
            origin = f"kustomize variable {match[0]}"
        else:  # `${NAME}` reads as the unknown `${NAME ...}` it stands for
            name = match[0][2:-1] if match["braced"] is not None else match[0][1:]
            origin = f"{name} (substituted when the manifest is rendered)"
        pieces.append(Unknown(origin, value.span))
        position = match.end()
    pieces.append(value[position:])
    return fill_ins(concat([p for p in pieces if p != ""], value.span))


def _items(document: Any) -> list | None:
    """The ``items`` of a ``kind: List`` (or ``ServiceAccountList`` ...) document."""
    if isinstance(document, dict) and isinstance(document.get("kind"), str) \
            and document["kind"].endswith("List") and isinstance(document.get("items"), list):
        return document["items"]
    return None


def _looks_like_a_manifest(text: str) -> bool:
    return bool(_API_VERSION.search(text) and _KIND.search(text))


HELM_KINDS = ("Application", "HelmRelease")
"""Argo CD and Flux objects that install Helm charts (``oidclint.readers.helm.manifests``)."""
_KINDS = ("ServiceAccount", "ClusterConfig", "List", *HELM_KINDS)
"""What a document must say to hold what the reader reads (a list may hold ServiceAccounts)."""
_SMALL = 4096
"""Documents up to this size are parsed whatever they say, so that their errors are seen."""


def _may_hold_workloads(node: Any) -> bool:
    """A parsed document that may hold what the reader reads: any but a mapping whose
    ``kind`` is written as another kind than a ServiceAccount, an eksctl ClusterConfig or a
    list of objects."""
    for key, value in getattr(node, "value", ()) if node.id == "mapping" else ():
        if getattr(key, "value", None) == "kind" and key.id == "scalar":
            return value.id != "scalar" or value.value in ("ServiceAccount", "ClusterConfig",
                                                           *HELM_KINDS) \
                or str(value.value).endswith("List")
    return True


def _objects(document: Any, depth: int, reader: "_ManifestReader") -> Iterator[dict]:
    """The objects of a document: itself, or the items of a ``kind: List`` (an item or
    ``items`` of the wrong type noted by the ``reader``)."""
    if not isinstance(document, dict):
        return
    items = _items(document)
    if items is not None:
        if depth < MAX_LIST_DEPTH:
            odd = [item for item in items if item is not None and not isinstance(item, dict)]
            if odd:  # one note for the List, however many
                reader.wrong(odd[0], dict, "an item of a List" if len(odd) == 1
                             else f"{len(odd):,} items of a List: the first", items)
            for item in items:
                yield from _objects(item, depth + 1, reader)
        return
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in document:
        reader.wrong(document["items"], list, f"`items` of a {kind}", document)
        return
    yield document


def _syntax_error(file: SourceFile, reason: str) -> Inventory | None:
    if "{{" in file.text:
        return None  # a Helm template: not a manifest until rendered
    if not _looks_like_a_manifest(file.text):
        return None
    position = _SYNTAX_POSITION.match(reason)
    span = Span(file.path, int(position[1]), int(position[2])) if position else None
    diagnostic = Diagnostic(file.path, f"YAML syntax error: {reason}", span=span)
    return Inventory(diagnostics=[diagnostic], files=[file.path])


class _ManifestReader:
    """Reads the objects of one file into an ``Inventory``."""

    def __init__(self, file: SourceFile, kustomize_namespace: str | None,
                 charts: ChartReader | None = None) -> None:
        self.file = file
        self.kustomize_namespace = kustomize_namespace
        self.charts = charts
        self.inventory = Inventory(files=[file.path])
        self.relevant = False

    def read(self, obj: dict) -> None:
        api, kind = obj.get("apiVersion"), obj.get("kind")
        if api == "v1" and kind == "ServiceAccount":
            self.relevant = True
            self._service_account(obj)
        elif isinstance(api, str) and api.startswith(EKSCTL_API_PREFIX) and kind == "ClusterConfig":
            self.relevant = True
            self._cluster_config(obj)
        elif kind in HELM_KINDS and self.charts is not None and self.charts(obj, self):
            self.relevant = True

    def _problem(self, span: Span | None, message: str) -> None:
        self.inventory.diagnostics.append(Diagnostic(self.file.path, message, span=span))

    def wrong(self, value: Any, expected: type, field: str, within: Any) -> bool:
        """Whether ``value`` is of the wrong type (neither ``expected`` nor absent), noted with
        the field: the object is read around it."""
        if value is None or isinstance(value, expected) or expected is str and not isinstance(
                value, (dict, list)):
            return False
        noun = {dict: "a mapping", list: "a list", str: "a string"}[expected]
        self.inventory.diagnostics.append(Diagnostic(
            self.file.path, f"{field} is not {noun}; not read", Level.NOTE,
            span=span_of(value) or span_of(within)))
        return True

    def _service_account(self, obj: dict) -> None:
        metadata = obj.get("metadata")
        if self.wrong(metadata, dict, "`metadata` of a ServiceAccount", obj):
            return
        metadata = metadata if isinstance(metadata, dict) else {}
        named = metadata.get("name")
        label = f"ServiceAccount {named}" if isinstance(named, str) else "a ServiceAccount"
        annotations = metadata.get("annotations")
        if self.wrong(annotations, dict, f"`metadata.annotations` of {label}", metadata):
            return
        for key in (ROLE_ANNOTATION, AUDIENCE_ANNOTATION, gke.ANNOTATION):
            if self.wrong((annotations or {}).get(key), str, f"annotation `{key}` of {label}",
                           annotations):
                return
        role, audience = irsa_annotations(annotations)
        google = gke.gke_service_account(annotations, as_text) if role is None else None
        role = role if role is not None else google
        client_id, tenant = azure_annotations(annotations, as_text)
        if role is None and client_id is None:
            return
        where = span_of(metadata) or span_of(obj) or Span(self.file.path, 1)
        if self.wrong(named, str, "`metadata.name` of a ServiceAccount", metadata) or \
                self.wrong(metadata.get("namespace"), str, f"`metadata.namespace` of {label}",
                            metadata):
            return
        name = as_text(named, where)
        if name is None:
            self._problem(where, "ServiceAccount with an IAM role annotation but no metadata.name")
            return
        span = span_of(metadata.get("name")) or where
        namespace: Text | None
        if self.kustomize_namespace is not None:
            namespace = Str(self.kustomize_namespace)
        else:
            namespace = as_text(metadata.get("namespace"), where) or apply_time_namespace(span)
        if role is not None:
            workload = service_account_workload(name, namespace, span, role, audience=audience)
            self.inventory.workloads.append(gke.as_google(workload) if google is not None
                                            else workload)
        if client_id is not None:
            self.inventory.workloads.append(for_azure(
                service_account_workload(name, namespace, span, client_id), tenant))

    def _cluster_config(self, obj: dict) -> None:
        # https://eksctl.io/usage/iamserviceaccounts/ and https://eksctl.io/usage/schema/
        metadata = obj.get("metadata")
        self.wrong(metadata, dict, "`metadata` of an eksctl ClusterConfig", obj)
        metadata = metadata if isinstance(metadata, dict) else {}
        self.wrong(metadata.get("name"), str, "`metadata.name` of an eksctl ClusterConfig",
                    metadata)
        self.wrong(metadata.get("region"), str, "`metadata.region` of an eksctl ClusterConfig",
                    metadata)
        where = span_of(metadata.get("name")) or span_of(obj) or Span(self.file.path, 1)
        name = (as_text(metadata.get("name"), where)
                or Unknown("eksctl cluster name (not set)", where))
        address = f"eksctl:{name}"
        region = as_text(metadata.get("region"), where)
        oidc_id = Unknown(f"OIDC id of eksctl cluster {name}", where)
        issuer = (Unknown(f"issuer of eksctl cluster {name}", where) if region is None
                  else concat(("https://oidc.eks.", region, ".amazonaws.com/id/", oidc_id), where))
        self.inventory.clusters.append(Cluster(
            address=address, name=name, issuer=issuer, span=where, scope=self.file.path))
        iam = obj.get("iam")
        self.wrong(iam, dict, "`iam` of an eksctl ClusterConfig", obj)
        accounts = iam.get("serviceAccounts") if isinstance(iam, dict) else None
        self.wrong(accounts, list, "`iam.serviceAccounts` of an eksctl ClusterConfig", iam)
        for account in accounts if isinstance(accounts, list) else []:
            if isinstance(account, dict):
                self._eksctl_service_account(account, address, where)
            elif account is not None:
                self.wrong(account, dict, "an entry of `iam.serviceAccounts`", accounts)
        addons = obj.get("addons")
        self.wrong(addons, list, "`addons` of an eksctl ClusterConfig", obj)
        for addon in addons if isinstance(addons, list) else []:
            if isinstance(addon, dict):
                self._eksctl_addon(addon, address, where)
            elif addon is not None:
                self.wrong(addon, dict, "an entry of `addons`", addons)

    def _eksctl_addon(self, addon: dict, cluster: str, where: Span) -> None:
        """An add-on given an existing role (``serviceAccountRoleARN``); a role eksctl
        creates from ``attachPolicyARNs`` or ``wellKnownPolicies`` is made for the add-on.
        https://docs.aws.amazon.com/eks/latest/eksctl/addons.html"""
        for field in ("name", "serviceAccountRoleARN"):
            if self.wrong(addon.get(field), str, f"`{field}` of an eksctl addons entry", addon):
                return
        place = span_of(addon) or where
        role = as_text(addon.get("serviceAccountRoleARN"), place)
        if role is None or isinstance(role, str) and not role.strip():
            return
        span = span_of(addon.get("name")) or place
        name = as_text(addon.get("name"), span) or Unknown("eksctl addon name (not set)", span)
        workload = addon_workload(name, role, span, cluster=cluster)
        if workload is not None:
            self.relevant = True
            self.inventory.workloads.append(workload)

    def _eksctl_service_account(self, account: dict, cluster: str, where: Span) -> None:
        metadata = account.get("metadata")
        if self.wrong(metadata, dict, "`metadata` of an eksctl iam.serviceAccounts entry",
                       account):
            return
        metadata = metadata if isinstance(metadata, dict) else {}
        place = span_of(account) or where
        for field in ("name", "namespace"):
            if self.wrong(metadata.get(field), str, f"`metadata.{field}` of an eksctl "
                           "iam.serviceAccounts entry", metadata):
                return
        for field in ("attachRoleARN", "roleName"):
            if self.wrong(account.get(field), str, f"`{field}` of an eksctl "
                           "iam.serviceAccounts entry", account):
                return
        name = as_text(metadata.get("name"), place)
        if name is None:
            self._problem(place, "eksctl iam.serviceAccounts entry without metadata.name")
            return
        span = span_of(metadata.get("name")) or place
        # eksctl's default namespace for an iamserviceaccount is "default".
        namespace = as_text(metadata.get("namespace"), place) or Str("default", span)
        _, audience = irsa_annotations(metadata.get("annotations"))
        # attachRoleARN names an existing role whose trust eksctl does not write; otherwise
        # eksctl creates the role with a trust for exactly this ServiceAccount and cluster.
        role = (as_text(account.get("attachRoleARN"), place)
                or as_text(account.get("roleName"), place)
                or Unknown("role created by eksctl", span))
        self.inventory.workloads.append(service_account_workload(
            name, namespace, span, role, audience=audience, kind="eksctl",
            title="eksctl ServiceAccount", cluster=cluster))
