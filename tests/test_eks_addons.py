"""EKS add-ons given an IAM role for their ServiceAccount, read from Terraform, CloudFormation
and eksctl as the workload of the add-on's own ServiceAccount; EKS Pod Identity is not web
identity and is never read as it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oidclint.engine import build_graph, scan
from oidclint.iam.eks_addons import ADDON_SERVICE_ACCOUNTS, WITHOUT_IAM, addon_service_account
from oidclint.reporters.graph import linked_view, to_mermaid
from oidclint.source import Partial, Unknown

CLUSTER = '''\
resource "aws_eks_cluster" "main" {
  name     = "platform"
  role_arn = "arn:aws:iam::123456789012:role/eks-cluster"
  vpc_config {
    subnet_ids = ["subnet-0a1b2c3d4e5f60718"]
  }
}
resource "aws_iam_openid_connect_provider" "main" {
  url            = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "addon" {
  name = "addon"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.main.arn }
      Condition = { StringEquals = {
        "${replace(aws_iam_openid_connect_provider.main.url, "https://", "")}:sub" = "%(subject)s"
      } }
    }]
  })
}
'''


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


def addon_tf(body: str, subject: str = "system:serviceaccount:kube-system:other") -> dict[str, str]:
    return {"main.tf": CLUSTER % {"subject": subject} + textwrap.dedent(body)}


def workloads(root: Path):
    graph, _, _ = build_graph([root], root=root)
    return graph, [w for w in graph.workloads if w.kind == "eks-addon"]


def subject(workload) -> str:
    return str(workload.contexts[0].subject)


# -- the table ----------------------------------------------------------------------------

def test_every_entry_names_its_vendor_source():
    for addon, account in ADDON_SERVICE_ACCOUNTS.items():
        assert account.source.startswith("https://docs.aws.amazon.com/eks/latest/userguide/"), addon
        assert "#" in account.source, addon  # the add-on's own section
        assert account.namespace and account.name
    for addon, source in WITHOUT_IAM.items():
        assert source.startswith("https://docs.aws.amazon.com/eks/latest/userguide/"), addon
    assert not set(ADDON_SERVICE_ACCOUNTS) & set(WITHOUT_IAM)


@pytest.mark.parametrize("addon, expected", [
    ("vpc-cni", ("kube-system", "aws-node")),
    ("aws-ebs-csi-driver", ("kube-system", "ebs-csi-controller-sa")),
    ("aws-efs-csi-driver", ("kube-system", "efs-csi-controller-sa")),
    ("amazon-cloudwatch-observability", ("amazon-cloudwatch", "cloudwatch-agent")),
    ("aws-mountpoint-s3-csi-driver", ("kube-system", "s3-csi-driver-sa")),
])
def test_known_add_ons(addon, expected):
    found = addon_service_account(addon)
    assert (found.namespace, found.name) == expected


def test_unlisted_add_ons_are_not_guessed():
    assert addon_service_account("adot") is None
    assert addon_service_account("AWS-EBS-CSI-DRIVER") is None  # add-on names are exact


# -- Terraform ----------------------------------------------------------------------------

def test_terraform_add_on_is_its_service_account_on_its_cluster(tmp_path):
    graph, found = workloads(tree(tmp_path, addon_tf('''
        resource "aws_eks_addon" "ebs" {
          cluster_name             = aws_eks_cluster.main.name
          addon_name               = "aws-ebs-csi-driver"
          service_account_role_arn = aws_iam_role.addon.arn
        }
    ''')))
    (workload,) = found
    assert workload.name == "EKS add-on aws-ebs-csi-driver"
    assert subject(workload) == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    assert [r.address for r in graph.assumed_roles(workload)] == ["aws_iam_role.addon"]
    assert graph.cluster_of(workload).address == "aws_eks_cluster.main"
    text = (tmp_path / "main.tf").read_text().splitlines()
    assert "service_account_role_arn" in text[workload.role_span.line - 1]
    assert "addon_name" in text[workload.span.line - 1]


def test_terraform_custom_namespace_and_cluster_by_name(tmp_path):
    graph, (workload,) = workloads(tree(tmp_path, addon_tf('''
        resource "aws_eks_addon" "cni" {
          cluster_name             = "platform"
          addon_name               = "vpc-cni"
          service_account_role_arn = aws_iam_role.addon.arn
          namespace_config {
            namespace = "networking"
          }
        }
    ''')))
    assert subject(workload) == "system:serviceaccount:networking:aws-node"
    assert graph.cluster_of(workload).address == "aws_eks_cluster.main"


def test_terraform_cluster_name_of_no_cluster_in_the_scan(tmp_path):
    graph, (workload,) = workloads(tree(tmp_path, addon_tf('''
        resource "aws_eks_addon" "cni" {
          cluster_name             = "elsewhere"
          addon_name               = "vpc-cni"
          service_account_role_arn = aws_iam_role.addon.arn
        }
    ''')))
    assert graph.cluster_of(workload) is None


@pytest.mark.parametrize("addon", ['"adot"', "var.addon"])
def test_terraform_unknown_add_on_has_an_unknown_service_account(tmp_path, addon):
    graph, (workload,) = workloads(tree(tmp_path, addon_tf(f'''
        variable "addon" {{
          type = string
        }}
        resource "aws_eks_addon" "x" {{
          cluster_name             = aws_eks_cluster.main.name
          addon_name               = {addon}
          service_account_role_arn = aws_iam_role.addon.arn
        }}
    ''')))
    value = workload.contexts[0].subject
    assert isinstance(value, Partial) and str(value).startswith("system:serviceaccount:${")
    assert all(isinstance(p, Unknown) or p in ("system:serviceaccount:", ":")
               for p in value.parts)


@pytest.mark.parametrize("role", ["", 'service_account_role_arn = ""',
                                  "service_account_role_arn = null"])
def test_terraform_add_on_without_a_role_is_no_workload(tmp_path, role):
    _, found = workloads(tree(tmp_path, addon_tf(f'''
        resource "aws_eks_addon" "ebs" {{
          cluster_name = aws_eks_cluster.main.name
          addon_name   = "aws-ebs-csi-driver"
          {role}
        }}
    ''')))
    assert found == []


def test_terraform_add_on_that_needs_no_role_is_no_workload(tmp_path):
    _, found = workloads(tree(tmp_path, addon_tf('''
        resource "aws_eks_addon" "dns" {
          cluster_name             = aws_eks_cluster.main.name
          addon_name               = "coredns"
          service_account_role_arn = aws_iam_role.addon.arn
        }
    ''')))
    assert found == []


def test_terraform_add_on_subject_decides_oidc108(tmp_path):
    body = '''
        resource "aws_eks_addon" "ebs" {
          cluster_name             = aws_eks_cluster.main.name
          addon_name               = "aws-ebs-csi-driver"
          service_account_role_arn = aws_iam_role.addon.arn
        }
    '''
    wrong = scan([tree(tmp_path / "wrong", addon_tf(body))], root=tmp_path / "wrong")
    right = scan([tree(tmp_path / "right", addon_tf(
        body, "system:serviceaccount:kube-system:ebs-csi-controller-sa"))], root=tmp_path / "right")
    assert [f.rule_id for f in wrong.findings if f.rule_id.startswith("OIDC1")] == ["OIDC108"]
    assert not [f for f in right.findings if f.rule_id.startswith("OIDC1")]


def test_add_on_is_drawn_as_an_eks_add_on(tmp_path):
    graph, _ = workloads(tree(tmp_path, addon_tf('''
        resource "aws_eks_addon" "ebs" {
          cluster_name             = aws_eks_cluster.main.name
          addon_name               = "aws-ebs-csi-driver"
          service_account_role_arn = aws_iam_role.addon.arn
        }
    ''')))
    drawing = to_mermaid(linked_view(graph))
    assert '(["EKS add-on aws-ebs-csi-driver"])' in drawing
    assert '|"ServiceAccount kube-system/ebs-csi-controller-sa"|' in drawing
    assert '|"runs in"|' in drawing


# -- CloudFormation -----------------------------------------------------------------------

TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: platform
      RoleArn: arn:aws:iam::123456789012:role/eks
      ResourcesVpcConfig: {SubnetIds: [subnet-1]}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal: {Federated: arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC}
  Addon:
    Type: AWS::EKS::Addon
    Properties:
%s
'''


@pytest.mark.parametrize("properties, expected, cluster", [
    ("      ClusterName: !Ref Cluster\n      AddonName: aws-efs-csi-driver\n"
     "      ServiceAccountRoleArn: !GetAtt Role.Arn",
     "system:serviceaccount:kube-system:efs-csi-controller-sa", "Cluster"),
    ("      ClusterName: platform\n      AddonName: amazon-cloudwatch-observability\n"
     "      ServiceAccountRoleArn: !GetAtt Role.Arn\n      NamespaceConfig: {Namespace: o11y}",
     "system:serviceaccount:o11y:cloudwatch-agent", "Cluster"),
    ("      ClusterName: other\n      AddonName: vpc-cni\n"
     "      ServiceAccountRoleArn: arn:aws:iam::123456789012:role/cni",
     "system:serviceaccount:kube-system:aws-node", None),
])
def test_cloudformation_add_on(tmp_path, properties, expected, cluster):
    graph, (workload,) = workloads(tree(tmp_path, {"stack.yaml": TEMPLATE % properties}))
    assert subject(workload) == expected
    found = graph.cluster_of(workload)
    assert (found.address if found else None) == cluster
    if "GetAtt" in properties:
        assert [r.address for r in graph.assumed_roles(workload)] == ["Role"]


@pytest.mark.parametrize("properties", [
    "      ClusterName: platform\n      AddonName: vpc-cni",
    "      ClusterName: platform\n      AddonName: kube-proxy\n"
    "      ServiceAccountRoleArn: !GetAtt Role.Arn",
])
def test_cloudformation_add_on_without_a_workload(tmp_path, properties):
    _, found = workloads(tree(tmp_path, {"stack.yaml": TEMPLATE % properties}))
    assert found == []


# -- eksctl -------------------------------------------------------------------------------

def test_eksctl_add_ons(tmp_path):
    graph, found = workloads(tree(tmp_path, {"cluster.yaml": '''\
        apiVersion: eksctl.io/v1alpha5
        kind: ClusterConfig
        metadata: {name: platform, region: eu-west-1}
        addons:
          - name: vpc-cni
            attachPolicyARNs: [arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy]
          - name: aws-ebs-csi-driver
            serviceAccountRoleARN: arn:aws:iam::123456789012:role/ebs-csi
          - name: [not, a, name]
            serviceAccountRoleARN: arn:aws:iam::123456789012:role/x
          - just text
    '''}))
    (workload,) = found
    assert subject(workload) == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    assert str(workload.role) == "arn:aws:iam::123456789012:role/ebs-csi"
    assert graph.cluster_of(workload).address == "eksctl:platform"
    report = scan([tmp_path], root=tmp_path)
    notes = sorted(d.message for d in report.diagnostics)
    assert notes == ["`name` of an eksctl addons entry is not a string; not read",
                     "an entry of `addons` is not a mapping; not read"]


# -- EKS Pod Identity ---------------------------------------------------------------------

POD_IDENTITY = '''\
resource "aws_iam_role" "pods" {
  name = "pods"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}
resource "aws_eks_pod_identity_association" "api" {
  cluster_name    = "platform"
  namespace       = "payments"
  service_account = "api"
  role_arn        = aws_iam_role.pods.arn
}
resource "aws_eks_addon" "ebs" {
  cluster_name = "platform"
  addon_name   = "aws-ebs-csi-driver"
  pod_identity_association {
    role_arn        = aws_iam_role.pods.arn
    service_account = "ebs-csi-controller-sa"
  }
}
'''


def test_pod_identity_is_not_web_identity(tmp_path):
    root = tree(tmp_path, {"main.tf": POD_IDENTITY})
    graph, _, _ = build_graph([root], root=root, prefilter=False)
    assert [r.address for r in graph.roles] == ["aws_iam_role.pods"]
    assert graph.workloads == []
    assert list(graph.web_identity_trusts()) == []
    report = scan([root], root=root, prefilter=False)
    assert report.findings == []


def test_terraform_cluster_instances_by_name(tmp_path):
    graph, found = workloads(tree(tmp_path, {"main.tf": '''\
        resource "aws_eks_cluster" "many" {
          for_each = toset(["blue", "green"])
          name     = "payments-${each.key}"
        }
        resource "aws_eks_addon" "cni" {
          for_each                 = aws_eks_cluster.many
          cluster_name             = each.value.name
          addon_name               = "vpc-cni"
          service_account_role_arn = "arn:aws:iam::123456789012:role/cni"
        }
        resource "aws_eks_addon" "unknown" {
          cluster_name             = "payments-red"
          addon_name               = "vpc-cni"
          service_account_role_arn = "arn:aws:iam::123456789012:role/cni"
        }
    '''}))
    clusters = sorted(str(w.cluster) for w in found)
    assert clusters == ['None', 'aws_eks_cluster.many["blue"]', 'aws_eks_cluster.many["green"]']
