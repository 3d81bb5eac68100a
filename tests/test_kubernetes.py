"""Kubernetes manifests and eksctl configs to ServiceAccount workloads and EKS clusters."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.model import Inventory
from oidclint.readers.workloads.kubernetes import parse_kubernetes
from oidclint.source import Partial, SourceFile, Span, Str, Unknown

MANIFESTS = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: payments
    spec:
      template:
        spec:
          serviceAccountName: api
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: api
      namespace: payments
      annotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/payments-api
        eks.amazonaws.com/token-expiration: "86400"
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      eks.amazonaws.com/role-arn: not-a-service-account
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: reports
      annotations:
        eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/reports"
        eks.amazonaws.com/audience: reports.example.com
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: plain
""")

EKSCTL = textwrap.dedent("""\
    apiVersion: eksctl.io/v1alpha5
    kind: ClusterConfig
    metadata:
      name: prod
      region: eu-west-1
    iam:
      withOIDC: true
      serviceAccounts:
        - metadata:
            name: s3-reader
            namespace: backend
          attachPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
        - metadata:
            name: external-dns
          roleName: external-dns
          roleOnly: true
        - metadata:
            name: legacy
            namespace: ops
            annotations:
              eks.amazonaws.com/audience: legacy.example.com
          attachRoleARN: arn:aws:iam::123456789012:role/legacy
""")


def parse(text: str, path: str = "k8s/app.yaml", **options) -> Inventory | None:
    return parse_kubernetes(SourceFile(path, Path(path), text), **options)


def where(text: str, needle: str, path: str = "k8s/app.yaml", nth: int = 0,
          within: str = "") -> Span:
    """The span of ``needle`` in the ``nth`` occurrence of ``within`` (default: of itself)."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(within or needle, offset + 1)
    offset += (within or needle).index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(path, line, column, line, column + len(needle))


def by_name(inventory: Inventory) -> dict:
    return {w.name: w for w in inventory.workloads}


# -- manifests ----------------------------------------------------------------------------


def test_only_annotated_service_accounts_of_a_multi_document_file_are_workloads():
    inventory = parse(MANIFESTS)
    assert inventory.files == ["k8s/app.yaml"] and inventory.diagnostics == []
    assert inventory.clusters == []
    assert set(by_name(inventory)) == {
        "ServiceAccount payments/api",
        "ServiceAccount ${namespace chosen at apply time (metadata.namespace is not set)}/reports",
    }


def test_service_account_workload_with_exact_spans():
    workload = by_name(parse(MANIFESTS))["ServiceAccount payments/api"]
    assert workload.kind == "kubernetes" and workload.cluster is None
    assert workload.span == where(MANIFESTS, "api", nth=1, within="name: api")
    assert workload.role == "arn:aws:iam::123456789012:role/payments-api"
    assert workload.role_span == where(MANIFESTS, "arn:aws:iam::123456789012:role/payments-api")
    assert workload.audience is None  # the issuer's default, sts.amazonaws.com
    (context,) = workload.contexts
    assert context.label == "ServiceAccount payments/api"
    assert context.subject == "system:serviceaccount:payments:api" and not context.pattern
    assert context.span == workload.span and context.claims == {}


def test_token_expiration_is_not_a_session_duration():
    # The annotation sets the projected token's lifetime, not STS DurationSeconds.
    assert by_name(parse(MANIFESTS))["ServiceAccount payments/api"].duration is None


def test_audience_annotation_and_quoted_role():
    (workload,) = [w for w in parse(MANIFESTS).workloads if w.name.endswith("/reports")]
    assert workload.audience == "reports.example.com"
    assert workload.audience.span == where(MANIFESTS, "reports.example.com")
    assert workload.role == "arn:aws:iam::123456789012:role/reports"
    assert workload.role_span.line == where(MANIFESTS, "role/reports").line


def test_missing_namespace_is_chosen_at_apply_time():
    (workload,) = [w for w in parse(MANIFESTS).workloads if w.name.endswith("/reports")]
    (context,) = workload.contexts
    assert isinstance(context.subject, Partial)
    head, namespace, tail = context.subject.parts
    assert (head, tail) == ("system:serviceaccount:", ":reports")
    assert namespace == Unknown("namespace chosen at apply time (metadata.namespace is not set)",
                                where(MANIFESTS, "reports", within="name: reports"))


def test_kustomize_namespace_sets_and_replaces_the_namespace():
    workloads = parse(MANIFESTS, kustomize_namespace="staging").workloads
    assert sorted(str(w.contexts[0].subject) for w in workloads) == [
        "system:serviceaccount:staging:api", "system:serviceaccount:staging:reports"]
    assert sorted(w.name for w in workloads) == [
        "ServiceAccount staging/api", "ServiceAccount staging/reports"]


def test_list_kind_items_are_read():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: worker
              namespace: jobs
              annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::1:role/worker"}
    """)
    (workload,) = parse(text).workloads
    assert workload.contexts[0].subject == "system:serviceaccount:jobs:worker"


def test_json_manifest():
    text = json.dumps({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
        "name": "api", "namespace": "web",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/api"}}}, indent=2)
    (workload,) = parse(text, "k8s/sa.json").workloads
    assert workload.role == "arn:aws:iam::1:role/api"
    assert workload.span == where(text, '"api"', "k8s/sa.json")


def test_service_account_without_role_is_of_interest_but_no_workload():
    inventory = parse("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: plain\n")
    assert inventory is not None and inventory.workloads == [] and inventory.diagnostics == []


def test_empty_role_annotation_gives_no_workload():
    text = ("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  annotations:\n"
            "    eks.amazonaws.com/role-arn: ''\n")
    assert parse(text).workloads == []


def test_role_annotation_without_a_name_is_reported():
    text = ("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  generateName: a-\n  annotations:\n"
            "    eks.amazonaws.com/role-arn: arn:aws:iam::1:role/a\n")
    inventory = parse(text)
    (diagnostic,) = inventory.diagnostics
    assert "no metadata.name" in diagnostic.message and diagnostic.span.line == 4
    assert inventory.workloads == []


@pytest.mark.parametrize("text", [
    "",
    "# only a comment\n",
    "name: app\nversion: 1\n",
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n",
    "apiVersion: v2\nkind: ServiceAccount\nmetadata:\n  name: a\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
    "[1, 2, 3]\n",
    "key: [unterminated\n",
])
def test_other_yaml_is_not_a_manifest(text):
    assert parse(text) is None


# -- Helm ---------------------------------------------------------------------------------


def test_helm_template_that_is_not_yaml_is_ignored():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: {{ include "app.fullname" . }}
          annotations:
            {{- toYaml .Values.serviceAccount.annotations | nindent 4 }}
    """)
    assert parse(text, "chart/templates/serviceaccount.yaml") is None


def test_helm_expressions_in_quoted_values_are_unknown():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: "{{ .Release.Name }}-api"
          namespace: "{{ .Release.Namespace }}"
          annotations:
            eks.amazonaws.com/role-arn: "{{ .Values.roleArn }}"
    """)
    (workload,) = parse(text).workloads
    assert workload.role == Unknown("Helm template {{ .Values.roleArn }}", workload.role_span)
    subject = workload.contexts[0].subject
    assert isinstance(subject, Partial)
    assert [p.origin for p in subject.unknowns] == [
        "Helm template {{ .Release.Namespace }}", "Helm template {{ .Release.Name }}"]
    assert subject.known_suffix == "-api"


@pytest.mark.parametrize("value, origin", [
    ("${CARTS_IAM_ROLE}", "CARTS_IAM_ROLE (substituted when the manifest is rendered)"),
    ("${ROLE_ARN:=arn:aws:iam::123456789012:role/x}",
     "ROLE_ARN:=arn:aws:iam::123456789012:role/x (substituted when the manifest is rendered)"),
    ("$ROLE_ARN", "ROLE_ARN (substituted when the manifest is rendered)"),
    ("$(ROLE_ARN)", "kustomize variable $(ROLE_ARN)"),
    ("<ROLE_ARN>", "placeholder <ROLE_ARN>"),
])
def test_role_filled_in_when_rendered_is_unknown_with_its_placeholder(value, origin):
    text = textwrap.dedent(f"""\
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: carts
          namespace: carts
          annotations:
            eks.amazonaws.com/role-arn: "{value}"
    """)
    (workload,) = parse(text).workloads
    assert isinstance(workload.role, Unknown)
    assert workload.role.origin == origin


def test_placeholders_inside_a_role_arn_leave_the_rest_known():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: orders
          namespace: ${NAMESPACE}
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::${AWS_ACCOUNT_ID}:role/orders
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: cart
          namespace: cart
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::<ACCOUNT_ID>:role/cart
    """)
    orders, cart = parse(text).workloads
    assert isinstance(orders.role, Partial)
    assert orders.role.known_suffix == ":role/orders"
    assert [u.origin for u in orders.role.unknowns] == [
        "AWS_ACCOUNT_ID (substituted when the manifest is rendered)"]
    assert [u.origin for u in orders.contexts[0].subject.unknowns] == [
        "NAMESPACE (substituted when the manifest is rendered)"]
    assert isinstance(cart.role, Partial)
    assert [u.origin for u in cart.role.unknowns] == ["placeholder <ACCOUNT_ID>"]


def test_written_out_role_arns_stay_known():
    workload = by_name(parse(MANIFESTS))["ServiceAccount payments/api"]
    assert workload.role == "arn:aws:iam::123456789012:role/payments-api"
    assert isinstance(workload.role, Str)


# -- eksctl -------------------------------------------------------------------------------


def test_eksctl_cluster():
    inventory = parse(EKSCTL, "cluster.yaml")
    (cluster,) = inventory.clusters
    assert cluster.address == "eksctl:prod" and cluster.name == "prod"
    assert cluster.scope == "cluster.yaml"
    assert cluster.span == where(EKSCTL, "prod", "cluster.yaml")
    assert isinstance(cluster.issuer, Partial)
    assert cluster.issuer.known_prefix == "https://oidc.eks.eu-west-1.amazonaws.com/id/"
    assert [u.origin for u in cluster.issuer.unknowns] == ["OIDC id of eksctl cluster prod"]


def test_eksctl_service_accounts():
    workloads = by_name(parse(EKSCTL, "cluster.yaml"))
    assert set(workloads) == {"eksctl ServiceAccount backend/s3-reader",
                              "eksctl ServiceAccount default/external-dns",
                              "eksctl ServiceAccount ops/legacy"}
    reader = workloads["eksctl ServiceAccount backend/s3-reader"]
    assert reader.kind == "eksctl" and reader.cluster == "eksctl:prod"
    assert isinstance(reader.role, Unknown) and reader.role.origin == "role created by eksctl"
    assert reader.span == where(EKSCTL, "s3-reader", "cluster.yaml")
    assert reader.contexts[0].subject == "system:serviceaccount:backend:s3-reader"
    dns = workloads["eksctl ServiceAccount default/external-dns"]
    assert dns.role == "external-dns" and dns.role.ref is None
    assert dns.role_span == where(EKSCTL, "external-dns", "cluster.yaml", nth=1)
    assert dns.contexts[0].subject == "system:serviceaccount:default:external-dns"
    legacy = workloads["eksctl ServiceAccount ops/legacy"]
    assert legacy.role == "arn:aws:iam::123456789012:role/legacy"
    assert legacy.audience == "legacy.example.com"


def test_eksctl_cluster_without_region_has_an_unknown_issuer():
    inventory = parse("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: dev\n")
    (cluster,) = inventory.clusters
    assert cluster.issuer == Unknown("issuer of eksctl cluster dev", cluster.span)
    assert inventory.workloads == []


# -- broken and odd input -----------------------------------------------------------------


def test_broken_manifest_is_a_diagnostic_with_its_position():
    text = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: [api\n"
    inventory = parse(text)
    (diagnostic,) = inventory.diagnostics
    assert diagnostic.message.startswith("YAML syntax error: line ")
    assert diagnostic.path == "k8s/app.yaml" and diagnostic.span.line >= 4
    assert inventory.files == ["k8s/app.yaml"] and inventory.workloads == []


WRONG_TYPES = [
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: [a]\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: null\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, annotations: [x]}\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [a], annotations: "
    "{eks.amazonaws.com/role-arn: x}}\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: 7, namespace: true, annotations: "
    "{eks.amazonaws.com/role-arn: 5, eks.amazonaws.com/audience: [x]}}\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, annotations: "
    "{eks.amazonaws.com/role-arn: {a: b}}}\n",
    "apiVersion: v1\nkind: List\nitems: {a: b}\n",
    "apiVersion: v1\nkind: List\nitems: [1, null, [2]]\n",
    "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: 5\niam: [a]\n",
    "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\niam: {serviceAccounts: {a: b}}\n",
    "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\niam: {serviceAccounts: [1, {metadata: 2}, "
    "{metadata: {name: x, namespace: [y]}, roleName: {a: b}, attachRoleARN: 3}]}\n",
    "apiVersion: [v1]\nkind: {ServiceAccount: 1}\n",
]


@pytest.mark.parametrize("text", WRONG_TYPES)
def test_wrong_types_do_not_crash(text):
    inventory = parse(text)
    assert inventory is None or isinstance(inventory, Inventory)


def test_numbers_where_names_are_expected_read_as_text():
    text = ("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: 7\n  namespace: 2024\n"
            "  annotations: {eks.amazonaws.com/role-arn: arn:aws:iam::1:role/r}\n")
    (workload,) = parse(text).workloads
    assert workload.contexts[0].subject == "system:serviceaccount:2024:7"


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                     st.sampled_from(["", "a", "default", "arn:aws:iam::1:role/r", "{{ x }}", "$V"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([
            "name", "namespace", "annotations", "eks.amazonaws.com/role-arn",
            "eks.amazonaws.com/audience", "metadata", "serviceAccounts", "roleName",
            "attachRoleARN", "region", "items", "kind", "apiVersion"]), inner, max_size=4)),
    max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([("v1", "ServiceAccount"), ("v1", "List"),
                        ("eksctl.io/v1alpha5", "ClusterConfig")]),
       st.dictionaries(st.sampled_from(["metadata", "iam", "items"]), _VALUES, max_size=3))
def test_any_object_shape_reads_without_raising(header, body):
    document = {"apiVersion": header[0], "kind": header[1], **body}
    result = parse(yaml.safe_dump(document))
    if header[1] == "List":  # a list without service accounts is no manifest of interest
        result = result or Inventory()
    assert isinstance(result, Inventory)
    for workload in result.workloads:
        assert workload.contexts and str(workload.contexts[0].subject).startswith(
            "system:serviceaccount:")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("apiVersion: v1\nkind ServiceAccount{}[]-'\"#&*|>")),
               max_size=200))
def test_any_text_is_none_or_an_inventory(text):
    result = parse(text)
    assert result is None or isinstance(result, Inventory)
    assert all(isinstance(w.role, (Str, Partial, Unknown)) for w in (result.workloads if result else []))
