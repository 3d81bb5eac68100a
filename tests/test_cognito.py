"""Cognito identity pools: read from Terraform and CloudFormation, linked to the trusts whose
`aud` names them (or to the roles their roles attachment names), and what OIDC207 makes of
a pool that lets no guests in."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oidclint.graph import TrustGraph
from oidclint.model import Inventory, Level
from oidclint.readers.cloudformation.reader import parse_cloudformation
from oidclint.source import SourceFile, Unknown
from oidclint.terraform_roots import parse_terraform
from oidclint_rules.oidc207_cognito_unauthenticated_access import CognitoUnauthenticatedAccess


def terraform(tmp_path: Path, text: str) -> Inventory:
    target = tmp_path / "main.tf"
    target.write_text(textwrap.dedent(text))
    return parse_terraform([SourceFile("main.tf", target, target.read_text(), "terraform")])


def template(text: str) -> Inventory:
    return parse_cloudformation(SourceFile("stack.yaml", Path("stack.yaml"), textwrap.dedent(text)))


def trust_tf(aud: str, amr: str = "") -> str:
    amr_block = f'"ForAnyValue:StringLike" = {{ "cognito-identity.amazonaws.com:amr" = "{amr}" }}' \
        if amr else ""
    return f'''
        resource "aws_iam_role" "app" {{
          name = "app"
          assume_role_policy = jsonencode({{
            Version = "2012-10-17"
            Statement = [{{
              Effect    = "Allow"
              Principal = {{ Federated = "cognito-identity.amazonaws.com" }}
              Action    = "sts:AssumeRoleWithWebIdentity"
              Condition = {{
                {aud}
                {amr_block}
              }}
            }}]
          }})
        }}
        '''


def pool_tf(name: str, allow: str | None) -> str:
    setting = f"allow_unauthenticated_identities = {allow}" if allow is not None else ""
    return f'''
        resource "aws_cognito_identity_pool" "{name}" {{
          identity_pool_name = "{name}"
          {setting}
        }}
        '''


def aud(*values: str) -> str:
    return ('StringEquals = { "cognito-identity.amazonaws.com:aud" = [' + ", ".join(values)
            + "] }")


ATTACH = '''
    resource "aws_cognito_identity_pool_roles_attachment" "main" {
      identity_pool_id = aws_cognito_identity_pool.main.id
      roles = { authenticated = aws_iam_role.app.arn }
    }
    '''
LITERAL = '"eu-west-1:0f3c1c2e-6a0b-4a58-9a64-3c8b8f2d9e11"'


def pools_of(inventory: Inventory):
    graph = TrustGraph(inventory)
    (trust,) = list(graph.web_identity_trusts())
    pools = graph.identity_pools(trust)
    return None if pools is None else [p.address for p in pools]


# -- reading ---------------------------------------------------------------------------------

def test_terraform_pool_setting_default_true_and_unknown(tmp_path):
    inventory = terraform(tmp_path, pool_tf("off", None) + pool_tf("on", "true")
                          + pool_tf("asked", "var.guests") + 'variable "guests" {}\n')
    found = {p.address: p.allows_unauthenticated for p in inventory.identity_pools}
    assert found["aws_cognito_identity_pool.off"] is False  # the provider's default
    assert found["aws_cognito_identity_pool.on"] is True
    assert isinstance(found["aws_cognito_identity_pool.asked"], Unknown)


def test_terraform_roles_attachment_names_pool_and_roles(tmp_path):
    inventory = terraform(tmp_path, pool_tf("main", "false") + trust_tf(aud(LITERAL)) + ATTACH)
    (attachment,) = inventory.pool_roles
    assert attachment.pool.ref == "aws_cognito_identity_pool.main"
    assert attachment.roles["authenticated"].ref == "aws_iam_role.app"


def test_cloudformation_pool_and_attachment():
    inventory = template('''\
        AWSTemplateFormatVersion: 2010-09-09
        Parameters:
          Guests: {Type: String, Default: "true"}
        Resources:
          Pool:
            Type: AWS::Cognito::IdentityPool
            Properties: {AllowUnauthenticatedIdentities: !Ref Guests}
          Unset:
            Type: AWS::Cognito::IdentityPool
            Properties: {IdentityPoolName: unset}
          Roles:
            Type: AWS::Cognito::IdentityPoolRoleAttachment
            Properties:
              IdentityPoolId: !Ref Pool
              Roles: {unauthenticated: "arn:aws:iam::123456789012:role/guest"}
        ''')
    assert [(p.address, p.allows_unauthenticated) for p in inventory.identity_pools] == [
        ("Pool", True), ("Unset", None)]
    (attachment,) = inventory.pool_roles
    assert attachment.pool.ref == "Pool"
    assert attachment.roles == {"unauthenticated": "arn:aws:iam::123456789012:role/guest"}


def test_a_pool_setting_that_is_not_a_boolean_is_reported():
    inventory = template('''\
        Resources:
          Pool:
            Type: AWS::Cognito::IdentityPool
            Properties: {AllowUnauthenticatedIdentities: [true]}
        ''')
    assert [d.message for d in inventory.diagnostics] == [
        "Pool.AllowUnauthenticatedIdentities is not a Boolean"]
    assert inventory.identity_pools[0].allows_unauthenticated is None


# -- the pools of a trust ----------------------------------------------------------------------

@pytest.mark.parametrize("condition, extra, expected", [
    (aud("aws_cognito_identity_pool.main.id"), "", ["aws_cognito_identity_pool.main"]),
    (aud(LITERAL), ATTACH, ["aws_cognito_identity_pool.main"]),
    (aud("aws_cognito_identity_pool.main.id", "aws_cognito_identity_pool.other.id"), "",
     ["aws_cognito_identity_pool.main", "aws_cognito_identity_pool.other"]),
    # Not known to name only pools of the scan:
    ("", ATTACH, None),                                   # no aud restriction
    (aud(LITERAL), "", None),                             # an id, and no attachment
    (aud("var.pool_id"), ATTACH, None),                   # an id not known
    (aud("aws_cognito_identity_pool.main.id", LITERAL), "", None),
    ('StringLike = { "cognito-identity.amazonaws.com:aud" = "eu-west-1:*" }', ATTACH, None),
])
def test_identity_pools_of_a_trust(tmp_path, condition, extra, expected):
    text = pool_tf("main", "false") + pool_tf("other", "true") + trust_tf(condition) + extra \
        + 'variable "pool_id" {}\n'
    assert pools_of(terraform(tmp_path, text)) == expected


def test_an_attachment_naming_a_pool_not_in_the_scan_leaves_the_pools_unknown(tmp_path):
    text = pool_tf("main", "false") + trust_tf(aud(LITERAL)) + ATTACH + '''
        resource "aws_cognito_identity_pool_roles_attachment" "elsewhere" {
          identity_pool_id = var.pool_id
          roles = { authenticated = aws_iam_role.app.arn }
        }
        variable "pool_id" {}
        '''
    assert pools_of(terraform(tmp_path, text)) is None


# -- OIDC207 --------------------------------------------------------------------------------

def levels(inventory: Inventory) -> list[Level]:
    return [f.level for f in CognitoUnauthenticatedAccess().check(TrustGraph(inventory))]


@pytest.mark.parametrize("pools, condition, expected", [
    ([("main", "false")], aud("aws_cognito_identity_pool.main.id"), [Level.NOTE]),
    ([("main", None)], aud("aws_cognito_identity_pool.main.id"), [Level.NOTE]),  # default
    ([("main", "true")], aud("aws_cognito_identity_pool.main.id"), [Level.WARNING]),
    ([("main", "var.guests")], aud("aws_cognito_identity_pool.main.id"), [Level.WARNING]),
    ([("main", "false"), ("other", "true")],
     aud("aws_cognito_identity_pool.main.id", "aws_cognito_identity_pool.other.id"),
     [Level.WARNING]),
    ([("main", "false")], "", [Level.WARNING]),  # any pool's guests, not only this one's
])
@pytest.mark.parametrize("amr", ["", "unauthenticated"])
def test_oidc207_is_a_note_only_when_every_admitted_pool_lets_no_guests_in(
        tmp_path, pools, condition, expected, amr):
    text = "".join(pool_tf(n, a) for n, a in pools) + trust_tf(condition, amr) \
        + 'variable "guests" {}\n'
    assert levels(terraform(tmp_path, text)) == expected


def test_an_authenticated_only_trust_is_not_reported_whatever_the_pool(tmp_path):
    text = pool_tf("main", "true") + trust_tf(aud("aws_cognito_identity_pool.main.id"),
                                              "authenticated")
    assert levels(terraform(tmp_path, text)) == []
