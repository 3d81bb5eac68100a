"""What the tests of the Terraform reader share: a folder of Terraform files written and
parsed, a role and the conditions of a statement in it, and a file declaring OIDC
providers."""

from __future__ import annotations

from pathlib import Path

from oidclint.model import Inventory
from oidclint.source import SourceFile
from oidclint.terraform_roots import parse_terraform


def scan(tmp_path: Path, files: dict[str, str]) -> Inventory:
    sources = []
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        sources.append(SourceFile(name, target, text, "terraform"))
    return parse_terraform(sources)


def role(inventory: Inventory, address: str):
    return next(r for r in inventory.roles if r.address == address)


def conditions(statement) -> dict[str, object]:
    return {str(c.key): c for c in statement.conditions}


PROVIDERS_TF = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}
'''
