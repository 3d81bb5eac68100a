"""Terragrunt stacks: the units a ``terragrunt.stack.hcl`` generates, each read at its
generated place with the stack's values, and its module evaluated as a root."""

from __future__ import annotations

from pathlib import Path

from oidclint.engine import build_graph, scan
from oidclint.readers.terragrunt.config import Files
from oidclint.readers.terragrunt.stack import read_stack
from oidclint.readers.terragrunt.unit import read_unit
from oidclint.source import Partial, Unknown

TRUST_MODULE = '''\
variable "subject" {
  type = string
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = var.subject }
      }
    }]
  })
}
output "role_name" {
  value = aws_iam_role.deploy.name
}
'''

UNIT = '''\
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}
terraform {
  source = "%s"
}
inputs = {
  subject = "repo:${include.root.locals.org}/${values.repository}:*"
}
'''
"""A catalog unit: its module is found from where the stack generates it (``root.hcl`` is in
the live tree's parent folders, not the catalog's)."""

ROOT = 'locals {\n  org = "acme"\n}\n'


def stack_block(kind: str, name: str, source: str, path: str, values: str) -> str:
    return (f'{kind} "{name}" {{\n  source = "{source}"\n  path   = "{path}"\n'
            f'  values = {{\n{values}\n  }}\n}}\n')


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def findings(report) -> list[tuple[str, str, str | None]]:
    return sorted((f.rule_id, f.span.path, f.address) for f in report.findings)


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


def catalog(root: Path, stack: str, **more: str) -> Path:
    return write(root, {
        "live/root.hcl": ROOT,
        "live/prod/terragrunt.stack.hcl": stack,
        "catalog/units/deploy/terragrunt.hcl": UNIT % "${get_terragrunt_dir()}/../../../"
                                                      "../catalog/modules//trust",
        "catalog/modules/trust/main.tf": TRUST_MODULE,
        **more,
    })


def test_a_stack_unit_is_read_where_it_is_generated_with_the_stacks_values(tmp_path):
    catalog(tmp_path, stack_block("unit", "deploy", "../../catalog/units/deploy", "deploy",
                                  '    repository = "api"'))
    stack = read_stack(Files(tmp_path), "live/prod/terragrunt.stack.hcl")
    assert [(u.path, u.source) for u in stack.units] == [
        ("live/prod/.terragrunt-stack/deploy/terragrunt.hcl",
         "catalog/units/deploy/terragrunt.hcl")]
    assert stack.diagnostics == []
    files = Files(tmp_path)
    read_stack(files, "live/prod/terragrunt.stack.hcl")
    unit = read_unit(files, "catalog/units/deploy/terragrunt.hcl",
                     at=stack.units[0].path, values=stack.units[0].values)
    # root.hcl is found from the generated place; the module through the stack's copy.
    assert unit.includes == ["live/root.hcl"]
    assert unit.module == "catalog/modules/trust"
    assert dict(unit.inputs) == {"subject": "repo:acme/api:*"}
    assert unit.folder == "live/prod/.terragrunt-stack/deploy"


def test_findings_name_the_unit_and_the_stack_and_the_template_is_no_unit_of_its_own(tmp_path):
    catalog(tmp_path, stack_block("unit", "dev", "../../catalog/units/deploy", "dev",
                                  '    repository = "api"')
            + stack_block("unit", "any", "../../catalog/units/deploy", "any",
                          '    repository = "*"'))
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == [
        ("OIDC204", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]
    related = [(r.span.path, r.span.line, r.label) for r in report.findings[0].related]
    assert ("catalog/units/deploy/terragrunt.hcl", 8, "Terragrunt unit "
            "live/prod/.terragrunt-stack/any: deploys the module with these inputs") in related
    assert ("live/prod/terragrunt.stack.hcl", 8, "Terragrunt stack "
            "live/prod/terragrunt.stack.hcl: unit any (generated at "
            "live/prod/.terragrunt-stack/any)") in related
    # The catalog unit alone (no values, no root.hcl above it) is not evaluated: nothing
    # about it is reported.
    assert report.diagnostics == []


def test_a_value_the_stack_does_not_give_is_unknown(tmp_path):
    catalog(tmp_path, stack_block("unit", "deploy", "../../catalog/units/deploy", "deploy",
                                  '    other = "api"'))
    files = Files(tmp_path)
    stack = read_stack(files, "live/prod/terragrunt.stack.hcl")
    unit = read_unit(files, stack.units[0].source, at=stack.units[0].path,
                     values=stack.units[0].values)
    subject = unit.inputs["subject"]
    assert isinstance(subject, Partial)
    assert [p.origin if isinstance(p, Unknown) else p for p in subject.parts] == [
        "repo:acme/", "values.repository (the stack gives no such value)", ":*"]
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == []  # `repo:acme/<unknown>:*` is not judged every repository


def test_a_unit_read_alone_has_unknown_values(tmp_path):
    write(tmp_path, {"live/app/terragrunt.hcl": 'inputs = {\n  subject = values.subject\n}\n'})
    unit = read_unit(Files(tmp_path), "live/app/terragrunt.hcl")
    assert isinstance(unit.inputs["subject"], Unknown)
    assert "given by a stack that is not read" in unit.inputs["subject"].origin


def test_a_nested_stack_from_this_repository_is_read_with_its_own_values(tmp_path):
    tree = tmp_path / "platform"
    write(tree, {
        "live/root.hcl": ROOT,
        "live/terragrunt.stack.hcl": 'locals {\n  version = "v2.0.0"\n}\n' + stack_block(
            "stack", "services", "git::git@github.com:acme/platform.git//stacks/services"
            "?ref=${local.version}", "services",
            '    version = local.version\n    repository = "*"'),
        "stacks/services/terragrunt.stack.hcl": stack_block(
            "unit", "deploy", "github.com/acme/platform//units/deploy?ref=${values.version}",
            "deploy", '    repository = values.repository'),
        "units/deploy/terragrunt.hcl": UNIT % "${get_repo_root()}/modules//trust",
        "modules/trust/main.tf": TRUST_MODULE,
        ".git/HEAD": "ref: refs/heads/main\n",
    })
    stack = read_stack(Files(tree), "live/terragrunt.stack.hcl")
    assert [u.path for u in stack.units] == [
        "live/.terragrunt-stack/services/.terragrunt-stack/deploy/terragrunt.hcl"]
    assert [r.label.split(":")[0] for r in stack.units[0].origins] == [
        "Terragrunt stack stacks/services/terragrunt.stack.hcl",
        "Terragrunt stack live/terragrunt.stack.hcl"]
    report = scan([tree], root=tree)
    assert findings(report) == [("OIDC204", "units/deploy/terragrunt.hcl",
                                 "aws_iam_role.deploy")]
    # The nested stack file is read only as the outer one's: no unit of its own.
    assert [u.path for u in report_units(tree)] == [
        "live/.terragrunt-stack/services/.terragrunt-stack/deploy/terragrunt.hcl"]


def report_units(root: Path):
    graph, _, _ = build_graph([root], root=root)
    return graph.inventory.units


def test_a_generated_copy_in_the_tree_is_not_read_a_second_time(tmp_path):
    copy = UNIT % "${get_terragrunt_dir()}/../../../../catalog/modules//trust"
    catalog(tmp_path, stack_block("unit", "deploy", "../../catalog/units/deploy", "deploy",
                                  '    repository = "*"'), **{
        "live/prod/.terragrunt-stack/deploy/terragrunt.hcl": copy.replace("*", "stale"),
        "live/prod/.terragrunt-stack/deploy/terragrunt.values.hcl": 'repository = "*"\n'})
    report = scan([tmp_path], root=tmp_path)
    # One unit, read from the stack's source (the copy may be stale: `stack run` writes it
    # again before it runs).
    assert [u.path for u in report_units(tmp_path)] == [
        "live/prod/.terragrunt-stack/deploy/terragrunt.hcl"]
    assert findings(report) == [
        ("OIDC204", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]


def test_the_generated_copy_is_read_when_the_source_is_not_in_the_tree(tmp_path):
    write(tmp_path, {
        "live/root.hcl": ROOT,
        "live/prod/terragrunt.stack.hcl": stack_block(
            "unit", "deploy", "git::https://github.com/acme/catalog.git//units/deploy?ref=v1",
            "deploy", '    repository = "*"'),
        "live/prod/.terragrunt-stack/deploy/terragrunt.hcl":
            UNIT % "${get_terragrunt_dir()}/../../../../modules//trust",
        "modules/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == [
        ("OIDC204", "live/prod/.terragrunt-stack/deploy/terragrunt.hcl", "aws_iam_role.deploy")]
    assert any("the copy generated at live/prod/.terragrunt-stack/deploy is read for it" in m
               for m in messages(report))


def test_a_source_not_here_is_a_note_naming_the_stack_file(tmp_path):
    write(tmp_path, {
        "live/terragrunt.stack.hcl": stack_block(
            "unit", "deploy", "git::https://github.com/acme/catalog.git//units/deploy?ref=v1",
            "deploy", '    repository = "*"')
        + stack_block("unit", "gone", "../units/gone", "gone", "")
        + 'unit "computed" {\n  source = get_env("UNIT")\n  path = "c"\n}\n'
        + 'unit "nowhere" {\n  source = "../units/gone"\n}\n'
        + stack_block("unit", "escape", "../units/gone", "../../..", ""),
    })
    report = scan([tmp_path], root=tmp_path)
    assert sorted(d.message for d in report.diagnostics) == [
        "unit computed: its source is not known (get_env(\"UNIT\") (an environment variable, "
        "known when Terragrunt runs)); not read",
        "unit deploy: the source git::https://github.com/acme/catalog.git//units/deploy?ref=v1 "
        "is downloaded when Terragrunt runs and is not this repository's folder holding a "
        "terragrunt.hcl; not read",
        "unit escape: its path ../../.. leads out of the scanned tree; not read",
        "unit gone: the source ../units/gone (units/gone) holds no terragrunt.hcl; not read",
        "unit nowhere: its path is not known (not a string); not read",
    ]
    assert {d.path for d in report.diagnostics} == {"live/terragrunt.stack.hcl"}


def test_a_stack_that_generates_itself_is_a_cycle_reported_once(tmp_path):
    write(tmp_path, {
        "a/terragrunt.stack.hcl": stack_block("stack", "again", ".", "again", ""),
        "top/terragrunt.stack.hcl": stack_block("stack", "a", "../a", "a", ""),
    })
    report = scan([tmp_path], root=tmp_path)
    assert [m for m in messages(report) if "cycle" in m] == [
        "stack again: a cycle (top/terragrunt.stack.hcl -> a/terragrunt.stack.hcl -> "
        "a/terragrunt.stack.hcl); not followed"]


def test_a_dependency_on_a_sibling_unit_gives_the_outputs_its_module_gives(tmp_path):
    policies = '''\
dependency "role" {
  config_path  = "../role"
  mock_outputs = { role_name = "mock-role" }
}
terraform {
  source = "${get_terragrunt_dir()}/../../../../catalog/modules//admin"
}
inputs = {
  role_name = dependency.role.outputs.role_name
}
'''
    admin = '''\
variable "role_name" {
  type = string
}
resource "aws_iam_role_policy_attachment" "admin" {
  role       = var.role_name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
'''
    catalog(tmp_path, stack_block("unit", "role", "../../catalog/units/deploy", "role",
                                  '    repository = "api"')
            + stack_block("unit", "policies", "../../catalog/units/policies", "policies", ""),
            **{"catalog/units/policies/terragrunt.hcl": policies,
               "catalog/modules/admin/main.tf": admin})
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    [attachment] = graph.inventory.policies
    # Not the mock: the name the role module gives its role, naming no resource of the
    # policies' own module.
    assert attachment.roles == ["deploy"]
    assert getattr(attachment.roles[0], "ref", None) is None
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == [
        ("OIDC209", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]


def test_graph_draws_each_stack_unit_as_a_root(tmp_path):
    from oidclint.reporters.graph import linked_view, to_mermaid

    catalog(tmp_path, stack_block("unit", "dev", "../../catalog/units/deploy", "dev",
                                  '    repository = "api"')
            + stack_block("unit", "prod", "../../catalog/units/deploy", "prod",
                          '    repository = "web"'))
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    drawing = to_mermaid(linked_view(graph))
    units = [line.split("[[", 1)[1] for line in drawing.splitlines() if "[[" in line]
    assert units == [
        '"Terragrunt unit live/prod/.terragrunt-stack/dev<br/>module catalog/modules/trust"]]',
        '"Terragrunt unit live/prod/.terragrunt-stack/prod<br/>module catalog/modules/trust"]]']
    assert drawing.count('-->|"deploys"|') == 2


def test_the_prefilter_keeps_stack_files(tmp_path):
    catalog(tmp_path, stack_block("unit", "deploy", "../../catalog/units/deploy", "deploy",
                                  '    repository = "*"'))
    assert findings(scan([tmp_path], root=tmp_path)) == \
        findings(scan([tmp_path], root=tmp_path, prefilter=False)) == [
            ("OIDC204", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]


def test_edited_values_and_an_edited_shared_include_are_read_again_with_the_cache(tmp_path):
    from oidclint.cache import Cache

    tree = catalog(tmp_path / "tree", stack_block(
        "unit", "dev", "../../catalog/units/deploy", "dev", '    repository = "api"')
        + stack_block("unit", "prod", "../../catalog/units/deploy", "prod",
                      '    repository = "web"'))
    cache = Cache(tmp_path / "cache")
    assert findings(scan([tree], root=tree, cache=cache)) == []
    stack = tree / "live/prod/terragrunt.stack.hcl"
    stack.write_text(stack.read_text().replace('"web"', '"*"'))
    assert findings(scan([tree], root=tree, cache=cache)) == [
        ("OIDC204", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]
    stack.write_text(stack.read_text().replace('"*"', '"web"'))
    assert findings(scan([tree], root=tree, cache=cache)) == []
    # root.hcl, which both units include (by a path written out, which nothing but reading
    # it looks at): the second unit depends on it as much as the first.
    unit = tree / "catalog/units/deploy/terragrunt.hcl"
    unit.write_text(unit.read_text().replace('find_in_parent_folders("root.hcl")',
                                             '"../../../root.hcl"'))
    assert findings(scan([tree], root=tree, cache=cache)) == []
    (tree / "live/root.hcl").write_text('locals {\n  org = "*"\n}\n')
    assert findings(scan([tree], root=tree, cache=cache, jobs=1)) == [
        ("OIDC203", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy"),
        ("OIDC203", "catalog/units/deploy/terragrunt.hcl", "aws_iam_role.deploy")]
