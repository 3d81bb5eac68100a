"""A module call with ``count`` or ``for_each`` used whole (``for_each = module.x``,
``values(module.x)``, ``module.x[*].name``): its instances as a map by key or a list by index,
each the object of its outputs, as Terraform gives them
(https://developer.hashicorp.com/terraform/language/modules/syntax#accessing-module-output-values)."""

from __future__ import annotations

from oidclint.engine import build_graph, scan

ROLE_MODULE = '''
variable "repository" {
  type = string
}

resource "aws_iam_role" "this" {
  name = "deploy-${replace(var.repository, "/", "-")}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:${var.repository}:*" }
      }
    }]
  })
}

output "role" {
  value = aws_iam_role.this
}

output "name" {
  value = aws_iam_role.this.name
}
'''


def _tree(tmp_path, caller: str):
    (tmp_path / "role").mkdir()
    (tmp_path / "role" / "main.tf").write_text(ROLE_MODULE, encoding="utf-8")
    (tmp_path / "main.tf").write_text(caller, encoding="utf-8")


def _attached(tmp_path) -> dict[str, list[str]]:
    graph, _, _ = build_graph([tmp_path])
    return {policy.address: sorted(str(r) for r in policy.roles)
            for policy in graph.inventory.policies}


def test_for_each_over_a_module_with_for_each_gives_each_instance_its_outputs(tmp_path):
    _tree(tmp_path, '''
module "deploy" {
  source     = "./role"
  for_each   = toset(["acme/api", "acme/web"])
  repository = each.value
}

resource "aws_iam_role_policy_attachment" "admin" {
  for_each   = module.deploy
  role       = each.value.role.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
''')
    assert _attached(tmp_path) == {
        'aws_iam_role_policy_attachment.admin["acme/api"]': ["deploy-acme-api"],
        'aws_iam_role_policy_attachment.admin["acme/web"]': ["deploy-acme-web"],
    }
    report = scan([tmp_path])
    found = sorted(f.address for f in report.findings if f.rule_id == "OIDC209")
    assert found == ['module.deploy["acme/api"].aws_iam_role.this',
                     'module.deploy["acme/web"].aws_iam_role.this']


def test_a_module_with_count_is_a_list_of_its_outputs(tmp_path):
    _tree(tmp_path, '''
module "deploy" {
  source     = "./role"
  count      = 2
  repository = ["acme/api", "acme/web"][count.index]
}

resource "aws_iam_role_policy_attachment" "admin" {
  count      = length(module.deploy)
  role       = (module.deploy[*].name)[count.index]
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy_attachment" "each" {
  for_each   = toset([for m in module.deploy : m.name])
  role       = each.value
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
''')
    attached = _attached(tmp_path)
    assert attached["aws_iam_role_policy_attachment.admin[0]"] == ["deploy-acme-api"]
    assert attached["aws_iam_role_policy_attachment.admin[1]"] == ["deploy-acme-web"]
    assert sorted(k for k in attached if k.startswith("aws_iam_role_policy_attachment.each")) \
        == ['aws_iam_role_policy_attachment.each["deploy-acme-api"]',
            'aws_iam_role_policy_attachment.each["deploy-acme-web"]']


def test_a_module_whose_instances_are_not_known_stays_unknown(tmp_path):
    _tree(tmp_path, '''
variable "repositories" {
  type = set(string)
}

module "deploy" {
  source     = "./role"
  for_each   = var.repositories
  repository = each.value
}

resource "aws_iam_role_policy_attachment" "admin" {
  for_each   = module.deploy
  role       = each.value.role.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
''')
    attached = _attached(tmp_path)
    assert list(attached) == ["aws_iam_role_policy_attachment.admin"]
    assert attached["aws_iam_role_policy_attachment.admin"][0].startswith("${")
