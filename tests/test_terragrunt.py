"""Terragrunt units: a ``terragrunt.hcl`` read with its includes, locals, dependencies and
the files it reads, and its module evaluated with its inputs, once per unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.cache import Cache
from oidclint.engine import build_graph, scan
from oidclint.model import Level
from oidclint.readers.terragrunt.config import MAX_CONFIG_BYTES, MAX_DEPTH, Files
from oidclint.readers.terragrunt.sources import written_sources
from oidclint.readers.terragrunt.unit import read_unit
from oidclint.source import Unknown

TRUST_MODULE = '''\
variable "subject" {
  type    = string
  default = "repo:*"
}
variable "provider_arn" {
  type    = string
  default = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = var.provider_arn }
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = var.subject }
      }
    }]
  })
}
'''
"""A GitHub trust whose subject is an input; its default (``repo:*``) admits anyone."""

UNIT = '''\
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}
terraform {
  source = "../../modules//trust"
}
inputs = {
  subject = "repo:${include.root.locals.org}/%s:*"
}
'''
ROOT = 'locals {\n  org = "acme"\n}\n'


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def unit_of(root: Path, path: str = "live/app/terragrunt.hcl"):
    return read_unit(Files(root), path)


def findings(report) -> list[tuple[str, str, str | None]]:
    return sorted((f.rule_id, f.span.path, f.address) for f in report.findings)


def messages(report) -> list[str]:
    return [d.message for d in report.diagnostics]


# --- reading a unit -------------------------------------------------------------------------

def test_inputs_come_from_includes_exposed_locals_and_read_configurations(tmp_path):
    write(tmp_path, {
        "root.hcl": 'locals {\n  org = "acme"\n}\ninputs = {\n  owner = local.org\n'
                    '  region = "eu-west-1"\n}\n',
        "live/env.hcl": 'locals {\n  environment = "prod"\n}\n',
        "live/app/terragrunt.hcl": '''\
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}
inputs = {
  region  = "us-east-1"
  subject = "repo:${include.root.locals.org}/api:environment:${local.env.locals.environment}"
}
''',
    })
    unit = unit_of(tmp_path)
    assert unit.includes == ["root.hcl"]
    assert dict(unit.inputs) == {"owner": "acme", "region": "us-east-1",
                                 "subject": "repo:acme/api:environment:prod"}
    # Each value remembers where it is written: an included file's value, its file.
    assert unit.inputs["owner"].span.path == "root.hcl"
    assert unit.inputs["subject"].span.path == "live/app/terragrunt.hcl"
    assert unit.diagnostics == []


def test_an_include_not_exposed_gives_nothing_known(tmp_path):
    write(tmp_path, {
        "root.hcl": ROOT,
        "live/app/terragrunt.hcl": 'include "root" {\n  path = find_in_parent_folders('
                                   '"root.hcl")\n}\ninputs = {\n  org = include.root.locals.org'
                                   '\n}\n',
    })
    value = unit_of(tmp_path).inputs["org"]
    assert isinstance(value, Unknown) and "expose" in value.origin


def test_an_unnamed_include_is_exposed_as_include_itself(tmp_path):
    write(tmp_path, {
        "terragrunt.hcl": ROOT,
        "live/app/terragrunt.hcl": 'include {\n  path   = find_in_parent_folders()\n'
                                   '  expose = true\n}\ninputs = {\n  org = include.locals.org\n'
                                   '}\n',
    })
    unit = unit_of(tmp_path)
    assert unit.inputs["org"] == "acme" and unit.includes == ["terragrunt.hcl"]


@pytest.mark.parametrize("strategy, expected", [
    ("shallow", {"tags": {"team": "payments"}, "subjects": ["b"], "name": "child"}),
    ("deep", {"tags": {"owner": "platform", "team": "payments"}, "subjects": ["a", "b"],
              "name": "child"}),
    ("no_merge", {"tags": {"team": "payments"}, "subjects": ["b"]}),
])
def test_merge_strategies(tmp_path, strategy, expected):
    write(tmp_path, {
        "root.hcl": 'inputs = {\n  tags = { owner = "platform" }\n  subjects = ["a"]\n'
                    '  name = "parent"\n}\n',
        "live/app/terragrunt.hcl": f'include "root" {{\n  path = find_in_parent_folders('
                                   f'"root.hcl")\n  merge_strategy = "{strategy}"\n}}\n'
                                   'inputs = {\n  tags = { team = "payments" }\n'
                                   '  subjects = ["b"]\n'
                                   + ('  name = "child"\n' if strategy != "no_merge" else "")
                                   + '}\n',
    })
    assert _plain(unit_of(tmp_path).inputs) == expected


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def test_dependency_outputs_are_the_mock_outputs_when_given_else_unknown(tmp_path):
    write(tmp_path, {"live/app/terragrunt.hcl": '''\
dependency "oidc" {
  config_path  = "../oidc"
  mock_outputs = { arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
}
dependency "vpc" {
  config_path = "../vpc"
}
inputs = {
  provider_arn = dependency.oidc.outputs.arn
  vpc_id       = dependency.vpc.outputs.vpc_id
}
'''})
    inputs = unit_of(tmp_path).inputs
    assert inputs["provider_arn"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert inputs["provider_arn"].span.line == 3
    assert isinstance(inputs["vpc_id"], Unknown)
    assert "../vpc" in inputs["vpc_id"].origin and "applied" in inputs["vpc_id"].origin


def test_get_env_is_unknown_even_with_a_default(tmp_path):
    write(tmp_path, {"live/app/terragrunt.hcl":
                     'inputs = {\n  repo = get_env("REPOSITORY", "acme/api")\n}\n'})
    value = unit_of(tmp_path).inputs["repo"]
    assert isinstance(value, Unknown) and 'get_env("REPOSITORY")' in value.origin


def test_paths_speak_of_the_unit_even_in_an_included_file(tmp_path):
    write(tmp_path, {
        "root.hcl": 'inputs = {\n  key = "${path_relative_to_include()}/state"\n'
                    '  from = path_relative_from_include()\n'
                    '  unit = basename(get_terragrunt_dir())\n'
                    '  parent = basename(get_parent_terragrunt_dir())\n}\n',
        "live/app/terragrunt.hcl": 'include "root" {\n  path = find_in_parent_folders('
                                   '"root.hcl")\n}\n',
    })
    inputs = unit_of(tmp_path).inputs
    assert inputs["key"] == "live/app/state"
    assert inputs["from"] == "../.."
    assert inputs["unit"] == "app"
    assert inputs["parent"] == tmp_path.name


def test_find_in_parent_folders_skips_the_units_own_folder_and_takes_a_fallback(tmp_path):
    write(tmp_path, {
        "live/app/env.hcl": 'locals {\n  name = "own"\n}\n',
        "live/env.hcl": 'locals {\n  name = "parent"\n}\n',
        "live/app/terragrunt.hcl": '''\
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}
inputs = {
  name     = local.env.locals.name
  fallback = find_in_parent_folders("nowhere.hcl", "none")
  missing  = find_in_parent_folders("nowhere.hcl")
}
''',
    })
    unit = unit_of(tmp_path)
    assert unit.inputs["name"] == "parent"
    assert unit.inputs["fallback"] == "none"
    assert isinstance(unit.inputs["missing"], Unknown)
    assert [d.message for d in unit.diagnostics] == [
        'find_in_parent_folders("nowhere.hcl"): no parent folder of live/app in the scanned '
        'tree holds it']


def test_read_terragrunt_config_evaluates_the_file_as_itself_and_takes_a_default(tmp_path):
    write(tmp_path, {
        "live/region/region.hcl": 'locals {\n  here = basename(get_terragrunt_dir())\n}\n',
        "live/region/app/terragrunt.hcl": '''\
locals {
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  absent  = read_terragrunt_config("absent.hcl", { locals = { here = "default" } })
}
inputs = {
  region = local.region.locals.here
  absent = local.absent.locals.here
}
''',
    })
    unit = unit_of(tmp_path, "live/region/app/terragrunt.hcl")
    assert unit.inputs["region"] == "region"
    assert unit.inputs["absent"] == "default"
    assert unit.diagnostics == []


# --- what cannot be read ----------------------------------------------------------------------

@pytest.mark.parametrize("files, expected", [
    # Two files including each other.
    ({"live/app/terragrunt.hcl": 'include "a" {\n  path = "../a.hcl"\n}\n',
      "live/a.hcl": 'include "b" {\n  path = "b.hcl"\n}\n',
      "live/app/b.hcl": 'include "a" {\n  path = "../a.hcl"\n}\n'},
     "include a: a cycle (live/a.hcl -> live/app/b.hcl -> live/a.hcl); not followed"),
    # A file reading itself.
    ({"live/app/terragrunt.hcl":
      'locals {\n  self = read_terragrunt_config("terragrunt.hcl")\n}\n'
      'inputs = {\n  x = local.self.locals\n}\n'},
     "read_terragrunt_config: a cycle (live/app/terragrunt.hcl -> live/app/terragrunt.hcl); "
     "not followed"),
])
def test_cycles_are_reported_and_not_followed(tmp_path, files, expected):
    write(tmp_path, files)
    unit = unit_of(tmp_path)
    assert expected in [d.message for d in unit.diagnostics]
    assert all(d.level == Level.WARNING for d in unit.diagnostics)


def test_configurations_read_one_inside_another_stop_at_the_depth_limit(tmp_path):
    files = {"live/app/terragrunt.hcl":
             'locals {\n  next = read_terragrunt_config("c0.hcl")\n}\n'
             'inputs = {\n  next = local.next\n}\n'}
    for i in range(MAX_DEPTH + 4):
        files[f"live/app/c{i}.hcl"] = (f'locals {{\n  next = read_terragrunt_config('
                                       f'"c{i + 1}.hcl")\n}}\n')
    write(tmp_path, files)
    unit = unit_of(tmp_path)
    assert [d.message for d in unit.diagnostics] == [
        f"read_terragrunt_config: more than {MAX_DEPTH} configuration files read one inside "
        "another; not followed"]


def test_an_included_file_over_the_size_limit_is_reported_not_read(tmp_path):
    write(tmp_path, {
        "root.hcl": "# " + "x" * MAX_CONFIG_BYTES + "\n",
        "live/app/terragrunt.hcl": 'include "root" {\n  path = find_in_parent_folders('
                                   '"root.hcl")\n}\n',
    })
    unit = unit_of(tmp_path)
    assert [d.message for d in unit.diagnostics] == [
        f"include root: root.hcl: larger than the {MAX_CONFIG_BYTES:,}-byte limit "
        f"({MAX_CONFIG_BYTES + 3:,} bytes); not read"]
    # Whatever the file would have given the unit is not known: no variable is taken as unset.
    assert "anything" in unit.inputs and isinstance(unit.inputs["anything"], Unknown)


def test_a_syntax_error_in_an_included_file_is_reported_and_its_inputs_are_unknown(tmp_path):
    write(tmp_path, {
        "root.hcl": 'inputs = {\n  subject = "repo:acme/api:*"\n',
        "live/app/terragrunt.hcl": UNIT % "api",
        "modules/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == []  # the default subject (`repo:*`) is not taken
    assert any(m.startswith("HCL syntax error") and m.endswith("; the file is not read")
               for m in messages(report))
    assert any(d.path == "root.hcl" for d in report.diagnostics)


@pytest.mark.parametrize("source, expected", [
    ("../../modules//nowhere", "the module source ../../modules//nowhere (modules/nowhere) "
                               "holds no Terraform files; the unit is not evaluated"),
    ("../../../../outside", "the module source ../../../../outside is outside the scanned "
                            "tree; the unit is not evaluated (scan a folder that holds both)"),
    ("git::https://example.com/acme/modules.git//trust?ref=v1",
     "the module source git::https://example.com/acme/modules.git//trust?ref=v1 is downloaded "
     "when Terragrunt runs and no copy of it is in the scanned tree (nor in "
     ".terragrunt-cache); the unit is not evaluated"),
    ("${get_env(\"MODULES\")}/trust", 'the module source is not known (get_env("MODULES") '
                                      "(an environment variable, known when Terragrunt runs)); "
                                      "the unit is not evaluated"),
])
def test_a_source_not_here_is_a_clear_warning_and_the_scan_goes_on(tmp_path, source, expected):
    write(tmp_path, {
        "live/app/terragrunt.hcl": f'terraform {{\n  source = "{source}"\n}}\n',
        "modules/trust/main.tf": TRUST_MODULE,
        "other/main.tf": TRUST_MODULE.replace('"repo:*"', '"repo:acme/*"'),
    })
    report = scan([tmp_path], root=tmp_path)
    warnings = [d for d in report.diagnostics if d.path == "live/app/terragrunt.hcl"]
    assert [(d.message, d.level, d.span.line) for d in warnings] == [
        (expected, Level.WARNING, 2)]
    assert ("OIDC204", "other/main.tf", "aws_iam_role.deploy") in findings(report)


# --- units evaluated ----------------------------------------------------------------------------

def test_each_unit_evaluates_the_module_with_its_inputs_and_names_its_terragrunt_hcl(tmp_path):
    write(tmp_path, {
        "root.hcl": ROOT,
        "live/dev/terragrunt.hcl": UNIT % "api",
        "live/prod/terragrunt.hcl": UNIT.replace("%s", "*"),
        "modules/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tmp_path], root=tmp_path)
    # The module folder's own default (`repo:*`, OIDC203) is never reported: it is evaluated
    # per unit; prod's input admits every repository of acme.
    assert findings(report) == [("OIDC204", "live/prod/terragrunt.hcl", "aws_iam_role.deploy")]
    finding = report.findings[0]
    assert ("live/prod/terragrunt.hcl", "Terragrunt unit live/prod: deploys the module with "
            "these inputs") in [(r.span.path, r.label) for r in finding.related]
    assert finding.span.line == 9  # the input itself, where the fix goes
    assert report.diagnostics == []


def test_a_module_folder_no_unit_deploys_is_still_a_root(tmp_path):
    write(tmp_path, {
        "live/app/terragrunt.hcl": 'terraform {\n  source = "../../modules//trust"\n}\n'
                                   'inputs = {\n  subject = "repo:acme/api:*"'
                                   '\n}\n',
        "modules/trust/main.tf": TRUST_MODULE,
        "standalone/main.tf": TRUST_MODULE,
    })
    assert findings(scan([tmp_path], root=tmp_path)) == [
        ("OIDC203", "standalone/main.tf", "aws_iam_role.deploy")]


def test_a_unit_without_source_deploys_the_code_beside_it(tmp_path):
    write(tmp_path, {
        "live/app/terragrunt.hcl": 'inputs = {\n  subject = "repo:acme/*"\n}\n',
        "live/app/main.tf": TRUST_MODULE,
    })
    assert findings(scan([tmp_path], root=tmp_path)) == [
        ("OIDC204", "live/app/terragrunt.hcl", "aws_iam_role.deploy")]


def test_tfvars_beside_the_code_override_the_units_inputs(tmp_path):
    write(tmp_path, {
        "live/app/terragrunt.hcl": 'inputs = {\n  subject = "repo:acme/api:*"'
                                   '\n}\n',
        "live/app/main.tf": TRUST_MODULE,
        "live/app/terraform.tfvars": 'subject = "repo:acme/*"\n',
    })
    assert findings(scan([tmp_path], root=tmp_path)) == [
        ("OIDC204", "live/app/terraform.tfvars", "aws_iam_role.deploy")]


def test_a_file_units_include_is_not_a_unit(tmp_path):
    # An old-style root terragrunt.hcl beside Terraform code would otherwise be a unit.
    write(tmp_path, {
        "terragrunt.hcl": ROOT,
        "main.tf": "# shared settings\n",
        "live/app/terragrunt.hcl": UNIT.replace('find_in_parent_folders("root.hcl")',
                                                "find_in_parent_folders()")
                                       .replace("%s", "*"),
        "modules/trust/main.tf": TRUST_MODULE,
    })
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    assert [(r.address, r.scope) for r in graph.inventory.roles] == [
        ("aws_iam_role.deploy", "live/app")]


def test_the_code_terragrunt_downloaded_is_read_from_terragrunt_cache(tmp_path):
    source = "git::https://example.com/acme/modules.git//trust?ref=v1"
    write(tmp_path, {
        "live/app/terragrunt.hcl": f'terraform {{\n  source = "{source}"\n}}\n'
                                   'inputs = {\n  subject = "repo:acme/*"\n}\n',
        "live/app/.terragrunt-cache/aaa/bbb/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == [("OIDC204", "live/app/terragrunt.hcl", "aws_iam_role.deploy")]
    assert [(d.message, d.level) for d in report.diagnostics] == [
        ("the module source is read from the copy Terragrunt downloaded, "
         "live/app/.terragrunt-cache/aaa/bbb/trust", Level.NOTE)]
    # Two copies: which one runs is not known.
    write(tmp_path, {"live/app/.terragrunt-cache/ccc/ddd/trust/main.tf": TRUST_MODULE})
    report = scan([tmp_path], root=tmp_path)
    assert findings(report) == []
    assert "holds 2 copies" in messages(report)[0]


def test_a_git_source_naming_the_scanned_repository_reads_its_own_folder(tmp_path):
    tree = tmp_path / "infrastructure"
    write(tree, {
        "live/app/terragrunt.hcl": 'terraform {\n  source = "git::git@github.com:acme/'
                                   'infrastructure.git//modules/trust?ref=v1.2.0"\n}\n'
                                   'inputs = {\n  subject = "repo:acme/*"\n}\n',
        "modules/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tree], root=tree)
    assert findings(report) == [("OIDC204", "live/app/terragrunt.hcl", "aws_iam_role.deploy")]
    assert messages(report) == [
        "the module source git::git@github.com:acme/infrastructure.git//modules/trust?ref=v1.2.0 "
        "names this repository: its modules/trust, as checked out, is read for it"]


def test_the_prefilter_keeps_units_whose_module_matters(tmp_path):
    write(tmp_path, {
        "root.hcl": ROOT,
        "live/app/terragrunt.hcl": UNIT % "*",
        "modules/trust/main.tf": TRUST_MODULE,
        "live/bucket/terragrunt.hcl": 'terraform {\n  source = "../../modules//bucket"\n}\n',
        "modules/bucket/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n',
    })
    with_prefilter = scan([tmp_path], root=tmp_path)
    without = scan([tmp_path], root=tmp_path, prefilter=False)
    assert findings(with_prefilter) == findings(without) == [
        ("OIDC204", "live/app/terragrunt.hcl", "aws_iam_role.deploy")]
    # The bucket unit and its module; root.hcl is read, as the app unit's include.
    assert with_prefilter.files_skipped == 2


def test_written_sources_are_read_from_the_text():
    assert written_sources('terraform {\n  source = "../../modules//trust?ref=x"\n}\n',
                           "live/app") == ["../../modules/trust"]
    assert written_sources('terraform {\n  source = "${get_terragrunt_dir()}/../m"\n}\n',
                           "live/app") == ["../m"]
    assert written_sources('terraform {\n  source = "${get_repo_root()}/modules//x"\n}\n',
                           "live/app") == ["../../modules/x"]
    assert written_sources('terraform {\n  source = "${local.base}/x"\n}\n', "live") is None
    assert written_sources('include "root" {\n  path = "../root.hcl"\n}\n', "live") is None


def test_an_edited_included_file_is_read_again_with_the_cache(tmp_path):
    tree = write(tmp_path / "tree", {
        "root.hcl": 'locals {\n  org = "acme"\n}\ninputs = {\n  subject = '
                    '"repo:acme/api:*"\n}\n',
        "live/app/terragrunt.hcl": 'include "root" {\n  path = find_in_parent_folders('
                                   '"root.hcl")\n}\nterraform {\n  source = '
                                   '"../../modules//trust"\n}\n',
        "modules/trust/main.tf": TRUST_MODULE,
    })
    cache = Cache(tmp_path / "cache")
    assert findings(scan([tree], root=tree, cache=cache)) == []
    (tree / "root.hcl").write_text('inputs = {\n  subject = "repo:acme/*"\n}\n')
    assert findings(scan([tree], root=tree, cache=cache)) == [
        ("OIDC204", "root.hcl", "aws_iam_role.deploy")]
    assert findings(scan([tree], root=tree, cache=cache, jobs=1)) == [
        ("OIDC204", "root.hcl", "aws_iam_role.deploy")]


def test_graph_draws_each_unit_as_a_root_deploying_its_roles(tmp_path):
    from oidclint.reporters.graph import linked_view, to_mermaid

    write(tmp_path, {
        "root.hcl": ROOT,
        "live/dev/terragrunt.hcl": UNIT % "api",
        "live/prod/terragrunt.hcl": UNIT % "*",
        "modules/trust/main.tf": TRUST_MODULE,
    })
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    drawing = to_mermaid(linked_view(graph))
    units = [line for line in drawing.splitlines() if "[[" in line]
    assert [line.split("[[", 1)[1] for line in units] == [
        '"Terragrunt unit live/dev<br/>module modules/trust"]]',
        '"Terragrunt unit live/prod<br/>module modules/trust"]]']
    assert drawing.count('-->|"deploys"|') == 2


def test_a_source_whose_ref_alone_is_unknown_still_names_its_code(tmp_path):
    tree = tmp_path / "catalog"
    write(tree, {
        "units/role/terragrunt.hcl": 'terraform {\n  source = "git::git@github.com:acme/'
                                     'catalog.git//modules/trust?ref=${values.version}"\n}\n'
                                     'inputs = {\n  subject = "repo:acme/*"\n}\n',
        "modules/trust/main.tf": TRUST_MODULE,
    })
    report = scan([tree], root=tree)
    assert findings(report) == [("OIDC204", "units/role/terragrunt.hcl", "aws_iam_role.deploy")]
    assert messages(report) == [
        "the module source git::git@github.com:acme/catalog.git//modules/trust names this "
        "repository: its modules/trust, as checked out, is read for it"]


@pytest.mark.parametrize("strategy, said", [('"overlay"', "overlay is not one Terragrunt knows"),
                                            ('get_env("MERGE")', "is not known")])
def test_a_merge_strategy_not_known_leaves_the_inputs_unknown(tmp_path, strategy, said):
    write(tmp_path, {
        "root.hcl": 'inputs = {\n  subject = "repo:acme/api:*"\n}\n',
        "live/app/terragrunt.hcl": f'include "root" {{\n  path = find_in_parent_folders('
                                   f'"root.hcl")\n  merge_strategy = {strategy}\n}}\n',
    })
    unit = unit_of(tmp_path)
    assert [d.message for d in unit.diagnostics] == [
        f"include root: merge_strategy {said}; what it merges is not read"]
    assert isinstance(unit.inputs["subject"], Unknown)


@pytest.mark.parametrize("source", [
    "tfr:///terraform-aws-modules/iam/aws//modules/iam-github-oidc-role?version=5.39.0",
    "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git"
    "//modules/iam-github-oidc-role?ref=v5.39.0",
])
def test_a_registry_module_with_a_built_in_model_is_evaluated_for_the_unit(tmp_path, source):
    write(tmp_path, {"live/app/terragrunt.hcl":
                     f'terraform {{\n  source = "{source}"\n}}\n'
                     'inputs = {\n  name     = "deploy"\n  subjects = ["acme/*"]\n}\n'})
    report = scan([tmp_path], root=tmp_path)
    # What the model makes is shown at the unit's source, as at a module call; the model
    # keeps the module's own `iss` and `ForAllValues` conditions (OIDC105, OIDC210).
    assert sorted((f.rule_id, f.span.path, f.span.line, f.address) for f in report.findings) == [
        ("OIDC105", "live/app/terragrunt.hcl", 2, "aws_iam_role.this[0]"),
        ("OIDC204", "live/app/terragrunt.hcl", 2, "aws_iam_role.this[0]"),
        ("OIDC210", "live/app/terragrunt.hcl", 2, "aws_iam_role.this[0]")]
    assert report.diagnostics == []
    graph, _, _ = build_graph([tmp_path], root=tmp_path)
    assert [u.module for u in graph.inventory.units] == [
        "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role (built-in model)"]


def test_a_role_named_by_a_unit_whose_code_is_not_here_is_defined_elsewhere(tmp_path):
    write(tmp_path, {
        "live/app/terragrunt.hcl": 'terraform {\n  source = "git::https://example.com/acme/'
                                   'modules.git//role?ref=v1"\n}\ninputs = {\n'
                                   '  name = "deploy"\n}\n',
        ".github/workflows/deploy.yml": (
            "on: push\npermissions:\n  id-token: write\njobs:\n  deploy:\n"
            "    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
            "          role-to-assume: arn:aws:iam::111122223333:role/deploy\n"
            "          aws-region: eu-west-1\n"),
    })
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    assert [f.rule_id for f in report.findings] == []
    graph, _, _ = build_graph([tmp_path], root=tmp_path, repository="acme/api")
    assert graph.inventory.roles_elsewhere == ["deploy*"]
