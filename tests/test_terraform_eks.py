"""EKS clusters in Terraform and the Kubernetes ServiceAccounts that assume roles: issuers,
names from references, clusters looked up."""

from __future__ import annotations

import pytest

from oidclint.source import Partial, Span, Unknown
from terraform_helpers import scan


EKS_TF = '''\
resource "aws_eks_cluster" "main" {
  name     = var.cluster
  role_arn = "arn:aws:iam::123456789012:role/eks"
}

variable "cluster" {
  default = "prod"
}

resource "aws_iam_role" "api" {
  name = "payments-api"
}

resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = "payments"
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.api.arn
      "eks.amazonaws.com/audience" = "sts.amazonaws.com"
    }
  }
}

resource "kubernetes_service_account" "worker" {
  metadata {
    name = "worker"
    annotations = {
      "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/worker"
    }
  }
}

resource "kubernetes_service_account" "plain" {
  metadata {
    name = "plain"
  }
}
'''


def test_eks_cluster_with_the_issuer_the_evaluator_gives(tmp_path):
    text = EKS_TF + 'locals {\n  issuer = aws_eks_cluster.main.identity[0].oidc[0].issuer\n}\n'
    inventory = scan(tmp_path, {"eks/main.tf": text})
    cluster, = inventory.clusters
    assert cluster.address == "aws_eks_cluster.main" and cluster.scope == "eks"
    assert cluster.name == "prod" and cluster.name.ref == "aws_eks_cluster.main"
    assert cluster.span == Span("eks/main.tf", 1, 1, 4, 2)
    assert isinstance(cluster.issuer, Partial) and cluster.issuer.ref == "aws_eks_cluster.main"
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file
    evaluated = Module("eks", parse_file(text, "eks/main.tf")).local("issuer", cluster.span)
    assert evaluated.parts == cluster.issuer.parts
    assert str(cluster.issuer) == ("https://oidc.eks.${region of aws_eks_cluster.main}"
                                   ".amazonaws.com/id/${OIDC id of aws_eks_cluster.main}")


def test_eks_cluster_without_a_name(tmp_path):
    cluster, = scan(tmp_path, {"main.tf": 'resource "aws_eks_cluster" "c" {}\n'}).clusters
    assert isinstance(cluster.name, Unknown) and cluster.name.origin == "aws_eks_cluster.c.name (not set)"


def test_kubernetes_service_accounts_with_role_annotations(tmp_path):
    inventory = scan(tmp_path, {"main.tf": EKS_TF})
    workloads = {w.name: w for w in inventory.workloads}
    assert set(workloads) == {"ServiceAccount payments/api", "ServiceAccount default/worker"}
    api = workloads["ServiceAccount payments/api"]
    assert api.kind == "kubernetes" and api.cluster == "aws_eks_cluster.main"
    assert api.span == Span("main.tf", 16, 17, 16, 22)
    assert isinstance(api.role, Partial) and api.role.ref == "aws_iam_role.api"
    assert str(api.role) == "arn:aws:iam::${account id of aws_iam_role.api}:role/payments-api"
    assert api.role_span == Span("main.tf", 19, 38, 19, 58)
    assert api.audience == "sts.amazonaws.com"
    context, = api.contexts
    assert context.label == "ServiceAccount payments/api"
    assert context.subject == "system:serviceaccount:payments:api" and not context.pattern
    worker = workloads["ServiceAccount default/worker"]  # the provider's default namespace
    assert worker.role == "arn:aws:iam::123456789012:role/worker"
    assert worker.contexts[0].subject == "system:serviceaccount:default:worker"


def test_service_account_cluster_only_when_the_folder_has_exactly_one(tmp_path):
    two = EKS_TF + 'resource "aws_eks_cluster" "other" {\n  name = "other"\n}\n'
    assert {w.cluster for w in scan(tmp_path, {"main.tf": two}).workloads} == {None}
    alone = EKS_TF.split('resource "aws_iam_role"')[0].replace("aws_eks_cluster", "aws_eks_addon")
    inventory = scan(tmp_path, {"a/main.tf": alone, "b/sa.tf": EKS_TF[EKS_TF.index('resource "kubernetes'):]})
    assert inventory.clusters == [] and {w.cluster for w in inventory.workloads} == {None}


def test_service_accounts_with_unknown_or_odd_values(tmp_path):
    text = '''\
variable "namespace" {}
resource "kubernetes_service_account" "a" {
  metadata {
    generate_name = "a-"
    namespace     = var.namespace
    annotations   = { "eks.amazonaws.com/role-arn" = var.role }
  }
}
resource "kubernetes_service_account" "b" {
  metadata {
    name        = 7
    annotations = var.annotations
  }
}
resource "kubernetes_service_account" "c" {}
'''
    inventory = scan(tmp_path, {"main.tf": text})
    workload, = inventory.workloads
    subject = workload.contexts[0].subject
    assert isinstance(subject, Partial)
    assert [u.origin for u in subject.unknowns] == [
        "var.namespace (no default)", "kubernetes_service_account.a.metadata.name (generated)"]
    assert isinstance(workload.role, Unknown) and workload.role.origin == "undeclared var.role"
    assert not [d for d in inventory.diagnostics if "could not evaluate" in d.message]


KUBERNETES_OBJECTS_TF = '''\
variable "team" {}

resource "kubernetes_namespace_v1" "app" {
  metadata {
    name = "payments"
  }
}

resource "kubernetes_namespace" "team" {
  metadata {
    name = var.team
  }
}

resource "kubernetes_namespace" "generated" {
  metadata {
    generate_name = "tmp-"
  }
}

resource "kubernetes_service_account_v1" "api" {
  metadata {
    name      = "api"
    namespace = kubernetes_namespace_v1.app.metadata[0].name
  }
}

resource "kubernetes_service_account" "plain" {
  metadata {
    name = "plain"
  }
}

resource "kubernetes_service_account" "many" {
  count = 2
  metadata {
    name      = "worker-${count.index}"
    namespace = kubernetes_namespace.team.id
  }
}

resource "kubernetes_service_account" "dynamic" {
  dynamic "metadata" {
    for_each = var.metadata
    content {
      name = metadata.value
    }
  }
}
'''


@pytest.mark.parametrize("expression, expected", [
    ("kubernetes_namespace_v1.app.metadata[0].name", "payments"),
    ("kubernetes_namespace_v1.app.metadata.0.name", "payments"),
    ("kubernetes_namespace_v1.app.id", "payments"),
    ("kubernetes_service_account_v1.api.metadata[0].namespace", "payments"),
    ("kubernetes_service_account_v1.api.id", "payments/api"),
    ("kubernetes_service_account.plain.metadata[0].namespace", "default"),  # the default
    ("kubernetes_service_account.plain.id", "default/plain"),
    ("kubernetes_service_account.many[1].metadata[0].name", "worker-1"),
    ("kubernetes_service_account_v1.api.metadata[*].name", ["api"]),
    ("kubernetes_namespace_v1.app.metadata", [{"name": "payments"}]),
])
def test_kubernetes_names_from_references(expression, expected):
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file
    from oidclint.hcl.values import plain

    module = Module(".", parse_file(KUBERNETES_OBJECTS_TF + f"locals {{\n  x = {expression}\n}}\n",
                                    "main.tf"))
    assert plain(module.local("x", Span("main.tf", 1))) == expected


@pytest.mark.parametrize("expression, origins", [
    ("kubernetes_namespace.team.metadata[0].name", ["var.team (no default)"]),
    ("kubernetes_service_account.many[0].id", ["var.team (no default)"]),
    ("kubernetes_namespace.generated.metadata[0].name",
     ["kubernetes_namespace.generated.metadata[0].name (generated)"]),
    ("kubernetes_namespace.generated.id",
     ["kubernetes_namespace.generated.metadata[0].name (generated)"]),
    ("kubernetes_service_account.dynamic.metadata[0].name",
     ["kubernetes_service_account.dynamic.metadata[0].name"]),  # dynamic, unknown set
    ("kubernetes_service_account.plain.metadata[1].name",
     ["kubernetes_service_account.plain.metadata[1].name"]),
    ("kubernetes_service_account.plain.metadata.name",
     ["kubernetes_service_account.plain.metadata.name (an index is needed)"]),
    ("kubernetes_service_account.plain.spec[0].name",
     ["kubernetes_service_account.plain.spec[0].name"]),
])
def test_kubernetes_names_that_stay_unknown(expression, origins):
    from oidclint.hcl.module import Module
    from oidclint.hcl.syntax import parse_file

    module = Module(".", parse_file(KUBERNETES_OBJECTS_TF + f"locals {{\n  x = {expression}\n}}\n",
                                    "main.tf"))
    value = module.local("x", Span("main.tf", 1))
    unknowns = value.unknowns if isinstance(value, Partial) else [value]
    assert [u.origin for u in unknowns] == origins


def test_service_account_namespace_and_trust_from_references(tmp_path):
    """The ServiceAccount's namespace and the trust's subject both refer to Kubernetes
    objects: the workload's subject and the trust's pattern are evaluated alike."""
    text = KUBERNETES_OBJECTS_TF.replace(
        '    namespace = kubernetes_namespace_v1.app.metadata[0].name\n',
        '    namespace = kubernetes_namespace_v1.app.metadata[0].name\n'
        '    annotations = { "eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/api" }\n')
    inventory = scan(tmp_path, {"main.tf": text})
    workload, = inventory.workloads
    assert workload.name == "ServiceAccount payments/api"
    assert workload.contexts[0].subject == "system:serviceaccount:payments:api"


def test_a_cluster_looked_up_is_a_cluster_and_its_provider_an_eks_issuer(tmp_path):
    from oidclint.graph import TrustGraph

    text = '''\
data "aws_eks_cluster" "main" {
  name = "payments"
}
data "aws_iam_openid_connect_provider" "by_url" {
  url = data.aws_eks_cluster.main.identity[0].oidc[0].issuer
}
data "aws_iam_openid_connect_provider" "by_arn" {
  arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12"
}
data "aws_iam_openid_connect_provider" "unknown" {
  arn = var.provider_arn
}
resource "aws_iam_role" "r" {
  for_each = {
    url     = data.aws_iam_openid_connect_provider.by_url.arn
    arn     = data.aws_iam_openid_connect_provider.by_arn.arn
    unknown = data.aws_iam_openid_connect_provider.unknown.arn
    built   = "arn:aws:iam::${var.account}:oidc-provider/${trimprefix(data.aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://")}"
  }
  name = each.key
  assume_role_policy = jsonencode({
    Statement = [{
      Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = each.value }
    }]
  })
}
'''
    inventory = scan(tmp_path, {"main.tf": text})
    cluster, = inventory.clusters
    assert cluster.address == "data.aws_eks_cluster.main" and cluster.name == "payments"
    assert str(cluster.issuer).startswith("https://oidc.eks.${region of data.aws_eks_cluster")
    graph = TrustGraph(inventory)
    kinds = {t.role.address: t.issuer.kind if t.issuer else None for t in graph.trusts()}
    assert kinds == {'aws_iam_role.r["arn"]': "eks", 'aws_iam_role.r["built"]': "eks",
                     'aws_iam_role.r["url"]': "eks", 'aws_iam_role.r["unknown"]': None}


def test_service_account_beside_a_cluster_looked_up_runs_in_it(tmp_path):
    text = EKS_TF.replace('resource "aws_eks_cluster" "main"', 'data "aws_eks_cluster" "main"')
    api = next(w for w in scan(tmp_path, {"main.tf": text}).workloads if "api" in w.name)
    assert api.cluster == "data.aws_eks_cluster.main"
