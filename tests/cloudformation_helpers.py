"""What the tests of the CloudFormation reader share: a short-form template holding a
provider, roles and policies, and a template parsed with the line of a resource and the
trust of a role in it."""

from __future__ import annotations

from pathlib import Path

from oidclint.model import Inventory
from oidclint.readers.cloudformation.reader import parse_cloudformation
from oidclint.source import SourceFile


GITHUB = "token.actions.githubusercontent.com"


SHORT_FORM = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Repository:
    Type: String
    Default: acme/api
  Environment:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  GitHubProvider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList:
        - sts.amazonaws.com
      ThumbprintList: [6938fd4d98bab03faadb97b34396831e3780aea1]
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "deploy-${Environment}"
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal:
              Federated: !Ref GitHubProvider
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: !If
                  - IsProd
                  - [!Sub "repo:${Repository}:ref:refs/heads/main"]
                  - [!Sub "repo:${Repository}:*", "repo:acme/tools:*"]
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        - !Ref DeployPolicy
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: "s3:*", Resource: "*"}
  DeployPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "iam:*", Resource: "*"}]
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref DeployRole, existing-role]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "ec2:*", Resource: "*"}]
  InlinePolicy:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref DeployRole
      PolicyName: inline
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]
"""


def parse(text: str, path: str = "stack.yaml") -> Inventory | None:
    return parse_cloudformation(SourceFile(path, Path(path), text))


def line_of(text: str, needle: str, start: int = 1) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if n >= start and needle in line)


def trust_of(inventory: Inventory, address: str = "DeployRole"):
    role = next(r for r in inventory.roles if r.address == address)
    return role.trust


def conditions(inventory: Inventory, address: str = "DeployRole") -> dict[str, list[str]]:
    statement = trust_of(inventory, address).statements[0]
    return {str(c.key): [str(v) for v in c.values] for c in statement.conditions}
