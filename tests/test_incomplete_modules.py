"""A module is its folder's files: what one of them declares is known only when it was read.

A reference to what no file of a module declares is a mistake (OIDC103 names it) only when
every file of the folder was read; a file with a syntax error, or a link out of the scanned
tree, may hold the declaration. A `.tf` file linked into several folders is a file of each
of their modules, as Terraform reads it.
"""

from __future__ import annotations

from pathlib import Path

from oidclint.engine import scan

TRUST = '''\
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = %s }
      Condition = { StringEquals = {
        "token.actions.githubusercontent.com:sub" = "repo:acme/api:ref:refs/heads/main"
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
      } }
    }]
  })
}
'''
PROVIDER = '''\
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
'''
REMOTE = '''\
data "terraform_remote_state" "oidc" {
  backend = "s3"
  config  = { bucket = "state", key = "oidc.tfstate", region = "eu-west-1" }
}
'''


def write(root: Path, files: dict[str, str], links: dict[str, str] = {}) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for name, target in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)
    return root


def rules(report) -> list[str]:
    return sorted(f.rule_id for f in report.findings)


def test_a_reference_to_what_no_file_declares_is_reported(tmp_path):
    root = write(tmp_path, {"main.tf": TRUST % "aws_iam_openid_connect_provider.github.arn"})
    assert rules(scan([root], root=root)) == ["OIDC103"]


def test_a_declaration_in_a_file_with_a_syntax_error_may_be_there(tmp_path):
    broken = PROVIDER.replace('["sts.amazonaws.com"]', '["sts.amazonaws.com"')
    root = write(tmp_path, {"main.tf": TRUST % "aws_iam_openid_connect_provider.github.arn",
                            "provider.tf": broken})
    report = scan([root], root=root)
    assert rules(report) == []
    assert [(d.path, d.message.split(":")[0]) for d in report.diagnostics] == [
        ("provider.tf", "HCL syntax error")]


def test_a_syntax_error_in_another_folder_changes_nothing(tmp_path):
    broken = PROVIDER.replace('["sts.amazonaws.com"]', '["sts.amazonaws.com"')
    root = write(tmp_path, {"app/main.tf": TRUST % "aws_iam_openid_connect_provider.github.arn",
                            "other/provider.tf": broken})
    assert rules(scan([root], root=root)) == ["OIDC103"]


def test_a_declaration_behind_a_link_out_of_the_scanned_tree_may_be_there(tmp_path):
    write(tmp_path, {"shared/remote.tf": REMOTE})
    stack = write(tmp_path / "stack",
                  {"main.tf": TRUST % "data.terraform_remote_state.oidc.outputs.provider_arn"},
                  {"remote.tf": "../shared/remote.tf"})
    report = scan([stack], root=stack)
    assert rules(report) == []
    assert [d.path for d in report.diagnostics] == ["remote.tf"]


def test_a_file_linked_into_several_folders_is_a_file_of_each_module(tmp_path):
    root = write(tmp_path, {
        ".stub/remote.tf": REMOTE,
        "dev/main.tf": TRUST % "data.terraform_remote_state.oidc.outputs.provider_arn",
        "prod/main.tf": TRUST % "data.terraform_remote_state.oidc.outputs.provider_arn",
        "lone/main.tf": TRUST % "data.terraform_remote_state.oidc.outputs.provider_arn",
    }, {"dev/remote.tf": "../.stub/remote.tf", "prod/remote.tf": "../.stub/remote.tf"})
    report = scan([root], root=root)
    assert report.diagnostics == []
    # Only the folder without the link refers to what it does not declare.
    assert [(f.rule_id, f.span.path) for f in report.findings] == [("OIDC103", "lone/main.tf")]


def test_a_variable_declared_in_a_file_not_read_takes_its_callers_value(tmp_path):
    """The module cannot be deployed until the file is fixed, and then the variable holds
    what the caller passes: the trust is read with it. A variable the caller does not pass
    stays unknown (its default, if any, is in the file not read)."""
    module = TRUST.replace('"repo:acme/api:ref:refs/heads/main"', "var.subject").replace(
        '"sts.amazonaws.com"\n      } }', "var.audience\n      } }")
    root = write(tmp_path, {
        "modules/role/main.tf": PROVIDER + module % "aws_iam_openid_connect_provider.github.arn",
        "modules/role/variables.tf": 'variable "subject" {\n  description = "an "odd" one"\n}\n',
        "main.tf": 'module "role" {\n  source  = "./modules/role"\n  subject = "repo:acme/*"\n}\n',
    })
    report = scan([root], root=root)
    # `repo:acme/*` under StringEquals: the caller's value is the one checked.
    assert [(f.rule_id, f.address) for f in report.findings] == [
        ("OIDC106", "module.role.aws_iam_role.deploy")]
    assert [d.path for d in report.diagnostics] == ["modules/role/variables.tf"]


# A syntax error costs its own top-level block, not the whole file.

def test_the_blocks_around_a_syntax_error_are_read(tmp_path):
    """The default of `audience` sits next to the broken `subject` block: it is read, and so
    is the caller's subject; only the broken block is reported as not read."""
    module = TRUST.replace('"repo:acme/api:ref:refs/heads/main"', "var.subject").replace(
        '"sts.amazonaws.com"\n      } }', "var.audience\n      } }")
    root = write(tmp_path, {
        "modules/role/main.tf": PROVIDER + module % "aws_iam_openid_connect_provider.github.arn",
        "modules/role/variables.tf": (
            'variable "audience" {\n  default = "sts.amazonaws.com"\n}\n\n'
            'variable "subject" {\n  description = "an "odd" one"\n}\n\n'
            'variable "region" {\n  default = "eu-west-1"\n}\n'),
        "main.tf": 'module "role" {\n  source  = "./modules/role"\n  subject = "repo:acme/*"\n}\n',
    })
    report = scan([root], root=root)
    assert [(f.rule_id, f.address) for f in report.findings] == [
        ("OIDC106", "module.role.aws_iam_role.deploy")]
    assert [(d.path, d.message) for d in report.diagnostics] == [(
        "modules/role/variables.tf",
        "HCL syntax error: line 7, column 1: unexpected '}'; the block variable "
        '"subject" is not read, the rest of the file is')]


def test_a_trust_next_to_a_broken_block_is_checked(tmp_path):
    broken = PROVIDER.replace('["sts.amazonaws.com"]', '["sts.amazonaws.com"')
    wide = TRUST.replace("repo:acme/api:ref:refs/heads/main", "repo:acme/*")
    root = write(tmp_path, {"main.tf": broken + wide % '"arn:aws:iam::123456789012:oidc-provider/'
                                                      'token.actions.githubusercontent.com"'})
    report = scan([root], root=root)
    assert rules(report) == ["OIDC106"]
    assert [(d.path, d.message.split("; ")[1]) for d in report.diagnostics] == [
        ("main.tf", 'the block resource "aws_iam_openid_connect_provider" "github" is not read, '
                    "the rest of the file is")]


def test_each_broken_block_is_reported(tmp_path):
    root = write(tmp_path, {"variables.tf": (
        'variable "a" {\n  default = "x" "y"\n}\n'
        'variable "b" {\n  default = "fine"\n}\n'
        'variable "c" {\n  default = [1,, 2]\n}\n')})
    report = scan([root], root=root, prefilter=False)
    assert [(d.span.line, d.message.split("; ")[1]) for d in report.diagnostics] == [
        (2, 'the block variable "a" is not read, the rest of the file is'),
        (8, 'the block variable "c" is not read, the rest of the file is')]


def test_a_file_whose_blocks_cannot_be_told_apart_is_not_read(tmp_path):
    """An unclosed block swallows the end of the file: nothing of it is taken."""
    wide = TRUST.replace("repo:acme/api:ref:refs/heads/main", "repo:acme/*")
    text = ('variable "a" {\n  default = "x"\n\n'
            + wide % '"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"')
    root = write(tmp_path, {"main.tf": text})
    report = scan([root], root=root)
    assert rules(report) == []
    assert [d.message for d in report.diagnostics] == [
        "HCL syntax error: line 19, column 1: unexpected end of file"]
