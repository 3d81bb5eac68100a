"""The terraform-aws-modules/eks module's built-in model: its cluster, IRSA provider and
add-ons (``cluster_addons`` up to 20.x, ``addons`` from 21.x), each add-on the workload an
``aws_eks_addon`` is, on the module's cluster; and add-on Pod Identity associations."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.hcl.registry import MODELS, find_model
from oidclint.source import Partial, Unknown

EKS = "terraform-aws-modules/eks/aws"

IRSA = '''
module "addon_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.0"

  role_name = "addon"
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["%s"]
    }
  }
}
'''
"""An IRSA role (5.x) trusting one ServiceAccount of the eks module's cluster."""


def eks_call(version: str | None, addons: str, *, key: str = "cluster_addons",
             name: str = "cluster_name") -> str:
    pinned = f'  version = "{version}"\n' if version else ""
    return (f'module "eks" {{\n  source  = "{EKS}"\n{pinned}\n  {name} = "prod"\n'
            f'  vpc_id = "vpc-0123"\n\n  {key} = {{\n{addons}\n  }}\n}}\n')


def write(root: Path, text: str) -> Path:
    (root / "main.tf").write_text(text, encoding="utf-8")
    return root


def addon_workloads(root: Path):
    graph, _, _ = build_graph([root], root=root)
    return graph, [w for w in graph.inventory.workloads if w.name.startswith("EKS add-on")]


def rules(report) -> list[tuple[str, str | None]]:
    return sorted((f.rule_id, f.address) for f in report.findings)


@pytest.mark.parametrize("version, expected", [
    ("~> 20.0", "eks/v19"), ("~> 21.0", "eks/v19"), ("19.21.0", "eks/v19"),
    ("~> 18.0", "eks/v18"), ("18.29.0", "eks/v18"), ("18.4.0", "eks/v18"),
    ("18.2.1", None), ("~> 17.0", "eks/v17"), ("17.24.0", "eks/v17"), ("~> 16.0", None)])
def test_the_models_stand_for_17_x_and_18_4_on(version, expected):
    found = find_model(EKS, version)
    assert (str(found.folder.relative_to(MODELS)) if found else None) == expected
    assert find_model("git::https://github.com/terraform-aws-modules/terraform-aws-eks.git"
                      "?ref=v20.31.0", None).folder == MODELS / "eks/v19"


@pytest.mark.parametrize("version, key, name", [
    ("~> 20.0", "cluster_addons", "cluster_name"),
    ("~> 21.0", "addons", "name"),
    (None, "addons", "name"),
    (None, "cluster_addons", "cluster_name"),
])
def test_each_add_on_entry_is_the_add_on_workload_on_the_modules_cluster(tmp_path, version,
                                                                          key, name):
    addons = '''\
    coredns = {}
    ebs = {
      name                     = "aws-ebs-csi-driver"
      most_recent              = true
      service_account_role_arn = module.addon_irsa.iam_role_arn
    }
    vpc-cni = {
      service_account_role_arn = "arn:aws:iam::111122223333:role/vpc-cni"
    }'''
    write(tmp_path, eks_call(version, addons, key=key, name=name)
          + IRSA % "kube-system:ebs-csi-controller-sa")
    graph, workloads = addon_workloads(tmp_path)
    # coredns takes no role; the entry's `name` wins over its key.
    assert sorted((w.name, str(w.contexts[0].subject)) for w in workloads) == [
        ("EKS add-on aws-ebs-csi-driver",
         "system:serviceaccount:kube-system:ebs-csi-controller-sa"),
        ("EKS add-on vpc-cni", "system:serviceaccount:kube-system:aws-node")]
    [cluster] = graph.inventory.clusters
    assert cluster.address == "module.eks.aws_eks_cluster.this[0]" and cluster.name == "prod"
    assert {w.cluster for w in workloads} == {cluster.address}
    ebs = next(w for w in workloads if "ebs" in w.name)
    assert [r.address for r in graph.link(ebs).roles] == [
        "module.addon_irsa.aws_iam_role.this[0]"]
    # The workload points at the module call, where the add-on is written.
    assert ebs.span.path == "main.tf" and ebs.span.line == 1
    # The VPC CNI's role is not defined in the scan, as for an `aws_eks_addon`.
    assert [(f.rule_id, f.message.split(" assumes")[0])
            for f in scan([tmp_path], root=tmp_path).findings] == [
        ("OIDC305", "EKS add-on vpc-cni")]


def test_an_add_on_whose_service_account_the_trust_does_not_name_is_oidc108(tmp_path):
    addons = '''\
    aws-ebs-csi-driver = {
      service_account_role_arn = module.addon_irsa.iam_role_arn
    }'''
    write(tmp_path, eks_call("~> 20.0", addons) + IRSA % "kube-system:ebs-csi-driver")
    report = scan([tmp_path], root=tmp_path)
    assert rules(report) == [("OIDC108", "module.addon_irsa.aws_iam_role.this[0]")]


def test_an_add_on_not_in_the_table_has_no_service_account_guessed(tmp_path):
    addons = '''\
    acme-agent = {
      service_account_role_arn = module.addon_irsa.iam_role_arn
    }'''
    write(tmp_path, eks_call("~> 21.0", addons, key="addons", name="name")
          + IRSA % "kube-system:acme-agent")
    _, [workload] = addon_workloads(tmp_path)
    subject = workload.contexts[0].subject
    assert isinstance(subject, (Partial, Unknown))
    assert "an add-on oidclint has no entry for" in repr(subject)
    assert scan([tmp_path], root=tmp_path).findings == []


def test_without_irsa_the_module_creates_no_provider(tmp_path):
    write(tmp_path, eks_call("~> 20.0", "").replace('vpc_id', 'enable_irsa = false\n  vpc_id'))
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    assert graph.inventory.providers == []
    assert len(graph.inventory.clusters) == 1


def test_a_pod_identity_association_on_the_add_on_means_it_is_not_judged(tmp_path):
    addons = '''\
    vpc-cni = {
      service_account_role_arn = module.addon_irsa.iam_role_arn
      pod_identity_association = [{
        role_arn        = "arn:aws:iam::111122223333:role/vpc-cni"
        service_account = "aws-node"
      }]
    }'''
    write(tmp_path, eks_call("~> 21.0", addons, key="addons", name="name")
          + IRSA % "kube-system:vpc-cni")
    graph, [workload] = addon_workloads(tmp_path)
    assert [str(a.subject) for a in graph.inventory.pod_identities] == [
        "system:serviceaccount:kube-system:aws-node"]
    assert graph.also_pod_identity(workload)
    assert scan([tmp_path], root=tmp_path).findings == []
    # Without the association, the mismatch is reported.
    write(tmp_path, (tmp_path / "main.tf").read_text().replace(
        "pod_identity_association", "unused_setting"))
    assert rules(scan([tmp_path], root=tmp_path)) == [
        ("OIDC108", "module.addon_irsa.aws_iam_role.this[0]")]


def test_an_aws_eks_addon_pod_identity_association_names_its_service_account(tmp_path):
    write(tmp_path, '''\
resource "aws_eks_addon" "cni" {
  cluster_name             = "prod"
  addon_name               = "vpc-cni"
  service_account_role_arn = "arn:aws:iam::111122223333:role/vpc-cni"
  namespace_config {
    namespace = "networking"
  }
  pod_identity_association {
    role_arn        = "arn:aws:iam::111122223333:role/vpc-cni-pod"
    service_account = "aws-node"
  }
}
resource "aws_eks_addon" "unknown" {
  cluster_name = "prod"
  addon_name   = "acme-agent"
  dynamic "pod_identity_association" {
    for_each = var.accounts
    content {
      role_arn        = "arn:aws:iam::111122223333:role/acme"
      service_account = pod_identity_association.value
    }
  }
}
variable "accounts" {
  type    = list(string)
  default = ["agent"]
}
''')
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    subjects = [a.subject for a in graph.inventory.pod_identities]
    assert str(subjects[0]) == "system:serviceaccount:networking:aws-node"
    # An add-on the table does not know: its namespace is not guessed.
    assert isinstance(subjects[1], Partial)
    assert "the namespace of EKS add-on acme-agent" in repr(subjects[1])


@pytest.mark.parametrize("version, switch, provider", [
    ("18.29.0", "", True), ("18.29.0", "enable_irsa = false", False),
    ("17.24.0", "", False), ("17.24.0", "enable_irsa = true", True),
    ("~> 17.0", "enable_irsa = true\n  create_eks = false", False)])
def test_17_x_creates_the_irsa_provider_only_when_asked_and_18_4_on_by_default(
        tmp_path, version, switch, provider):
    write(tmp_path, eks_call(version, "").replace("cluster_addons = {\n\n  }", switch))
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    assert [p.address for p in graph.inventory.providers] == (
        ["module.eks.aws_iam_openid_connect_provider.oidc_provider[0]"] if provider else [])


@pytest.mark.parametrize("version, switch", [("18.29.0", ""), ("17.24.0", "enable_irsa = true")])
def test_an_older_release_s_provider_is_the_issuer_of_the_roles_that_name_it(tmp_path,
                                                                           version, switch):
    """An IRSA role trusting the 17.x or 18.x cluster's provider through `oidc_provider_arn`,
    and a ServiceAccount on that cluster (named by `cluster_id`, the 17.x and 18.x output
    of the cluster's name) the trust does not name: OIDC108."""
    write(tmp_path, eks_call(version, "").replace("cluster_addons = {\n\n  }", switch)
          + IRSA % "apps:api" + '''
resource "aws_eks_addon" "ebs" {
  cluster_name             = module.eks.cluster_id
  addon_name               = "aws-ebs-csi-driver"
  service_account_role_arn = module.addon_irsa.iam_role_arn
}
''')
    assert rules(scan([tmp_path], root=tmp_path)) == [
        ("OIDC108", "module.addon_irsa.aws_iam_role.this[0]")]
    # Without the provider (17.x by default), the role trusts no issuer the scan knows.
    if switch:
        write(tmp_path, (tmp_path / "main.tf").read_text().replace(switch, ""))
        assert "OIDC108" not in [rule for rule, _ in rules(scan([tmp_path], root=tmp_path))]
