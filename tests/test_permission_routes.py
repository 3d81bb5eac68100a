"""Every way Terraform and CloudFormation give a role permissions reaches ``graph.grants``:
an administrator policy attached by any of them makes the role an administrator."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oidclint.engine import build_graph

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
EVERYTHING = '{ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] }'
NOTHING_MUCH = ('{ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
                'Action = "s3:GetObject", Resource = "*" }] }')

ROLE_TF = '''\
resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = "{}"
  %(inside)s
}
'''

TERRAFORM_ROUTES = {
    "managed_policy_arns": ('managed_policy_arns = ["%(arn)s"]', ""),
    "inline_policy": ('inline_policy {\n    name = "all"\n    policy = jsonencode(%(doc)s)\n  }',
                      ""),
    "aws_iam_role_policy_attachment": ("", '''\
        resource "aws_iam_role_policy_attachment" "x" {
          role       = aws_iam_role.deploy.name
          policy_arn = "%(arn)s"
        }'''),
    "aws_iam_role_policy_attachments_exclusive": ("", '''\
        resource "aws_iam_role_policy_attachments_exclusive" "x" {
          role_name   = aws_iam_role.deploy.name
          policy_arns = ["%(arn)s"]
        }'''),
    "aws_iam_policy_attachment": ("", '''\
        resource "aws_iam_policy_attachment" "x" {
          name       = "x"
          roles      = [aws_iam_role.deploy.name]
          policy_arn = "%(arn)s"
        }'''),
    "aws_iam_role_policy": ("", '''\
        resource "aws_iam_role_policy" "x" {
          role   = aws_iam_role.deploy.id
          policy = jsonencode(%(doc)s)
        }'''),
    "aws_iam_policy and its attachment": ("", '''\
        resource "aws_iam_policy" "x" {
          policy = jsonencode(%(doc)s)
        }
        resource "aws_iam_role_policy_attachment" "x" {
          role       = aws_iam_role.deploy.name
          policy_arn = aws_iam_policy.x.arn
        }'''),
    "aws_iam_role_policy with aws_iam_role_policies_exclusive": ("", '''\
        resource "aws_iam_role_policy" "x" {
          name   = "all"
          role   = aws_iam_role.deploy.name
          policy = jsonencode(%(doc)s)
        }
        resource "aws_iam_role_policies_exclusive" "x" {
          role_name    = aws_iam_role.deploy.name
          policy_names = [aws_iam_role_policy.x.name]
        }'''),
}

ROLE_CFN = '''\
Resources:
  Deploy:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deploy
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
%(inside)s
%(beside)s
'''

CFN_ROUTES = {
    "ManagedPolicyArns": ("      ManagedPolicyArns: ['%(arn)s']", ""),
    "Policies": ("      Policies:\n        - PolicyName: all\n          PolicyDocument: %(doc)s",
                 ""),
    "AWS::IAM::ManagedPolicy Roles": ("", '''\
  All:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Deploy]
      PolicyDocument: %(doc)s'''),
    "AWS::IAM::Policy Roles": ("", '''\
  All:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: all
      Roles: [!Ref Deploy]
      PolicyDocument: %(doc)s'''),
    "AWS::IAM::RolePolicy": ("", '''\
  All:
    Type: AWS::IAM::RolePolicy
    Properties:
      PolicyName: all
      RoleName: !Ref Deploy
      PolicyDocument: %(doc)s'''),
}
CFN_EVERYTHING = '{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}'
CFN_NOTHING_MUCH = ('{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", '
                    'Resource: "*"}]}')


def administrator(root: Path, name: str, text: str) -> bool:
    (root / name).write_text(text)
    graph, _, _ = build_graph([root], root=root, prefilter=False)
    (role,) = graph.roles
    return graph.is_administrator(role)


@pytest.mark.parametrize("route", sorted(TERRAFORM_ROUTES))
@pytest.mark.parametrize("admin", [True, False])
def test_terraform_routes(tmp_path, route, admin):
    inside, beside = TERRAFORM_ROUTES[route]
    values = {"arn": ADMIN if admin else READ_ONLY, "doc": EVERYTHING if admin else NOTHING_MUCH}
    text = ROLE_TF % {"inside": inside % values} + textwrap.dedent(beside % values)
    assert administrator(tmp_path, "main.tf", text) is admin


@pytest.mark.parametrize("route", sorted(CFN_ROUTES))
@pytest.mark.parametrize("admin", [True, False])
def test_cloudformation_routes(tmp_path, route, admin):
    inside, beside = CFN_ROUTES[route]
    values = {"arn": ADMIN if admin else READ_ONLY,
              "doc": CFN_EVERYTHING if admin else CFN_NOTHING_MUCH}
    text = ROLE_CFN % {"inside": inside % values, "beside": beside % values}
    assert administrator(tmp_path, "template.yaml", text) is admin
