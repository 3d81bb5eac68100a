"""What the tests of CloudFormation intrinsic functions share: a template holding each kind of
parameter, condition, mapping and resource the functions refer to, and expressions written
under a ``Test`` key of it, resolved as the CloudFormation reader resolves them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oidclint.located.documents import load_documents
from oidclint.readers.cloudformation.intrinsics import Resolver
from oidclint.source import SourceFile


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Repo:
    Type: String
    Default: acme/api
  Env:
    Type: String
  Audiences:
    Type: CommaDelimitedList
    Default: "sts.amazonaws.com, api"
  Issuer:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /ci/issuer
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Issuers:
    gitlab:
      host: gitlab.com
      audiences: [a, b]
    "123456789012":
      host: numeric-key.example.com
Resources:
  GitHub:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
  Cluster:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub "https://oidc.eks.${AWS::Region}.amazonaws.com/id/${Env}"
  CdkProvider:
    Type: Custom::AWSCDKOpenIdConnectProvider
    Properties:
      Url: https://gitlab.com
      ClientIDList: [https://gitlab.com]
  Named:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deploy
      Path: /ci/
  Generated:
    Type: AWS::IAM::Role
    Properties: {}
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: admin
  Bucket:
    Type: AWS::S3::Bucket
"""


def resolver_for(expressions: str, template: str = TEMPLATE) -> tuple[Resolver, dict]:
    """A resolver over the template, and the expressions written under a ``Test`` key."""
    text = template + "Test:\n" + textwrap.indent(textwrap.dedent(expressions), "  ")
    document = load_documents(text, "stack.yaml")[0]
    return Resolver(document, SourceFile("stack.yaml", Path("stack.yaml"), text)), document["Test"]


def resolve(expression: str) -> tuple[object, Resolver]:
    resolver, test = resolver_for(f"X: {expression}\n")
    return resolver.resolve(test["X"]), resolver


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)
