"""Built-in models of registry modules: which model a module source and version constraint
choose, the model files themselves, and a known module at a version without a model."""

from __future__ import annotations

import pytest

from oidclint.engine import scan
from oidclint.hcl.registry import (INDEX, MODELS, find_model, normalise_source, parse_constraint,
    parse_version)
from oidclint.hcl.syntax import parse_file
from registry_models_helpers import (GITHUB_ROLE, IAM, IAM_GIT, IAM_GITHUB, IAM_SSH, IRSA_EKS,
    PHILIPS_LABS, UNFUNCO, WITH_OIDC, folder)


@pytest.mark.parametrize("source, address, ref", [
    (GITHUB_ROLE, GITHUB_ROLE, None),
    (f"registry.terraform.io/{GITHUB_ROLE}", GITHUB_ROLE, None),
    ("Terraform-AWS-Modules/IAM/AWS//modules/iam-github-oidc-role/", GITHUB_ROLE, None),
    (f"{IAM_GIT}//modules/iam-github-oidc-role?ref=v5.39.0", GITHUB_ROLE, "v5.39.0"),
    (f"{IAM_GITHUB}//modules/iam-github-oidc-role?ref=v5.39.0", GITHUB_ROLE, "v5.39.0"),
    (f"{IAM_SSH}//modules/iam-role-for-service-accounts-eks?depth=1&ref=v5.30.0", IRSA_EKS,
     "v5.30.0"),
    ("git@github.com:unfunco/terraform-aws-oidc-github.git?ref=v1.7.1", UNFUNCO, "v1.7.1"),
    ("https://github.com/unfunco/terraform-aws-oidc-github", UNFUNCO, None),
    (UNFUNCO, UNFUNCO, None),
    ("github.com/philips-labs/terraform-aws-github-oidc//modules/provider?ref=v0.8.1",
     f"{PHILIPS_LABS}//modules/provider", "v0.8.1"),
    # The GitHub shorthand takes the path after the repository as the subdirectory, with
    # `//` or without.
    (f"{IAM_GITHUB}/modules/iam-github-oidc-role?ref=e803e25", GITHUB_ROLE, "e803e25"),
    (f"{IAM_GITHUB}/modules//iam-github-oidc-role", GITHUB_ROLE, None),
])
def test_sources_are_normalised(source, address, ref):
    assert normalise_source(source) == (address, ref)


@pytest.mark.parametrize("source", [
    "./modules/role",
    "../shared/role",
    "app.terraform.io/acme/iam/aws//modules/iam-role",
    "github.com/acme/terraform-aws-iam//modules/iam-role",
    "s3::https://s3.amazonaws.com/bucket/module.zip",
    "",
])
def test_other_sources_have_no_model(source):
    assert find_model(source, "5.0.0") is None


def test_unmodelled_submodule_of_a_known_repository_has_no_model():
    assert find_model(f"{IAM}//modules/iam-user", "5.0.0") is None


def test_every_index_entry_names_an_existing_model_folder():
    for entries in INDEX.values():
        for entry in entries:
            assert (MODELS / entry.folder / "main.tf").is_file(), entry.folder


# --- versions ------------------------------------------------------------------------------

@pytest.mark.parametrize("source, version, model", [
    (GITHUB_ROLE, "~> 5.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, "5.39.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, ">= 5.0, < 6.0", "iam-github-oidc-role/v5"),
    (GITHUB_ROLE, "v5.60.0", "iam-github-oidc-role/v5"),
    (WITH_OIDC, "~> 4.24", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "4.24.1", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "~> 5.0", "iam-assumable-role-with-oidc/v5"),
    (WITH_OIDC, ">= 4.0, < 6.0", "iam-assumable-role-with-oidc/v5"),  # newest admitted
    (WITH_OIDC, ">= 4.0, < 5.0", "iam-assumable-role-with-oidc/v4"),
    (WITH_OIDC, "> 4.0, <= 5.0.0", "iam-assumable-role-with-oidc/v5"),
    (WITH_OIDC, "< 5.0", "iam-assumable-role-with-oidc/v4"),
    (IRSA_EKS, "~> 4.12", "iam-role-for-service-accounts-eks/v5"),
    (IRSA_EKS, "5.30.0", "iam-role-for-service-accounts-eks/v5"),
    (f"{IAM}//modules/iam-role-for-service-accounts", "~> 6.0",
     "iam-role-for-service-accounts/v6"),
    (f"{IAM}//modules/iam-role", "6.2.0", "iam-role/v6"),
    (UNFUNCO, "1.8.1", "unfunco-oidc-github/v1"),
    (UNFUNCO, "~> 1.0", "unfunco-oidc-github/v1"),
    (UNFUNCO, "~> 2.0", "unfunco-oidc-github/v2"),
    (UNFUNCO, "2.0.2", "unfunco-oidc-github/v2"),
    (UNFUNCO, "~> 3.1", "unfunco-oidc-github/v3"),
    (PHILIPS_LABS, "~> 0.8.1", "philips-labs-github-oidc/v0"),
    (PHILIPS_LABS, "0.3.0", "philips-labs-github-oidc/v0"),
    (f"{PHILIPS_LABS}//modules/provider", "~> 0.8", "philips-labs-github-oidc-provider/v0"),
    ("thetestlabs/oidc-with-github-actions/aws", "0.1.4", "thetestlabs-oidc-with-github-actions/v0"),
])
def test_version_constraints_choose_the_model(source, version, model):
    found = find_model(source, version)
    assert found is not None
    assert found.folder == folder(model)
    assert found.note is None


@pytest.mark.parametrize("source", [
    "github.com/philips-labs/terraform-aws-github-oidc?ref=v0.7.1//modules/provider",
    "git::https://github.com/philips-labs/terraform-aws-github-oidc.git?ref=v0.7.1//modules/provider",
    "git::https://github.com/philips-labs/terraform-aws-github-oidc.git//modules/provider?ref=v0.7.1",
])
def test_a_subdirectory_written_after_the_ref_is_the_subdirectory(source):
    from oidclint.hcl.registry import normalise_source

    assert normalise_source(source) == ("philips-labs/github-oidc/aws//modules/provider",
                                        "v0.7.1")
    assert normalise_source("github.com/philips-labs/terraform-aws-github-oidc?ref=v0.7.1") \
        == ("philips-labs/github-oidc/aws", "v0.7.1")


def test_a_tilde_on_the_major_version_alone_lets_it_grow():
    # `~> 4` admits 5.x and 6.x too: the newest modelled line is taken, and the note says
    # that newer releases, which have no model (the submodule is gone in 6.0), are admitted.
    found = find_model(WITH_OIDC, "~> 4")
    assert found.folder == folder("iam-assumable-role-with-oidc/v5")
    assert found.note == ("version '~> 4' also admits releases from 6.0.0 on, which have no "
                          "model: assumed 5.0.0 to before 6.0.0")


def test_git_ref_is_the_version_of_a_git_source():
    found = find_model(f"{IAM_GIT}//modules/iam-assumable-role-with-oidc?ref=v4.24.1", None)
    assert found.folder == folder("iam-assumable-role-with-oidc/v4")
    assert found.note is None
    assert found.major == 4


@pytest.mark.parametrize("version", [None, "", "latest", "master", "~> five"])
def test_missing_or_unparsable_version_picks_the_newest_model_and_says_so(version):
    source = ("github.com/unfunco/terraform-aws-oidc-github?ref=main"
              if version == "master" else UNFUNCO)
    found = find_model(source, None if version == "master" else version)
    assert found.folder == folder("unfunco-oidc-github/v3")
    assert found.note
    assert "newest" in found.note


@pytest.mark.parametrize("arguments, model", [
    (["source", "github_repositories", "attach_admin_policy"], "unfunco-oidc-github/v1"),
    (["source", "github_repositories", "attach_read_only_policy", "iam_role_policy_arns"],
     "unfunco-oidc-github/v2"),
    (["source", "github_subjects"], "unfunco-oidc-github/v3"),
    (["source", "an_input_no_release_has"], "unfunco-oidc-github/v3"),
])
def test_a_commit_ref_takes_the_newest_release_line_the_inputs_fit(arguments, model):
    found = find_model("git::https://github.com/unfunco/terraform-aws-oidc-github.git"
                       "?ref=80358ac", None, arguments)
    assert found.folder == folder(model)
    assert "80358ac" in found.note
    # The note says why an older line was taken.
    assert ("arguments fit" in found.note) == (model != "unfunco-oidc-github/v3")


def test_constraint_wider_than_the_models_notes_the_assumption():
    found = find_model(WITH_OIDC, ">= 4.0")
    assert found.folder == folder("iam-assumable-role-with-oidc/v5")
    assert "6.0.0" in found.note


def test_unbounded_constraint_takes_the_newest_model():
    assert find_model(UNFUNCO, ">= 1.0").folder == folder("unfunco-oidc-github/v3")


@pytest.mark.parametrize("source, version", [
    (GITHUB_ROLE, "~> 6.0"),      # merged into iam-role in 6.0
    (GITHUB_ROLE, "4.24.1"),      # not yet written in 4.x
    (IRSA_EKS, "= 4.0.0"),        # the submodule appeared in 4.12
    (f"{IAM}//modules/iam-role", "~> 5.0"),
    (UNFUNCO, "0.8.0"),
    (PHILIPS_LABS, "0.2.2"),      # the conditions were written otherwise before 0.3.0
    ("thetestlabs/oidc-with-github-actions/aws", "0.1.2"),  # another provider ARN
    (WITH_OIDC, "!= 4.24.1, = 4.24.1"),
])
def test_versions_outside_every_model_find_nothing(source, version):
    assert find_model(source, version) is None


@pytest.mark.parametrize("text, admitted, refused", [
    # ranges as the index writes them: [since, until)
    ("~> 5.1.2", [((5, 1, 2), (5, 1, 3)), ((5, 1, 0), (5, 2, 0))],
     [((5, 2, 0), (6, 0, 0)), ((5, 0, 0), (5, 1, 2))]),
    ("~> 5.1", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None), ((4, 0, 0), (5, 1, 0))]),
    # One written part: the major version itself may grow (hashicorp/go-version).
    ("~> 5", [((5, 0, 0), (6, 0, 0)), ((6, 0, 0), None)], [((4, 0, 0), (5, 0, 0))]),
    ("> 5.0.0", [((5, 0, 0), (6, 0, 0))], [((4, 0, 0), (5, 0, 0))]),
    ("<= 5.0.0", [((5, 0, 0), (6, 0, 0))], [((5, 0, 1), (6, 0, 0))]),
    ("< 5.0.0", [((4, 0, 0), (5, 0, 0))], [((5, 0, 0), (6, 0, 0))]),
    ("= 5.3.0", [((5, 0, 0), (6, 0, 0))], [((5, 3, 1), (6, 0, 0)), ((4, 0, 0), (5, 3, 0))]),
    ("5.3", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None)]),
    (">= 4.0, < 6.0, != 5.1.0", [((5, 0, 0), (6, 0, 0))], [((6, 0, 0), None)]),
    ("= 5.1.0, != 5.1.0", [], [((5, 0, 0), (6, 0, 0))]),
])
def test_constraint_clauses(text, admitted, refused):
    constraint = parse_constraint(text)
    for since, until in admitted:
        assert constraint.admits_range(since, until), (since, until)
    for since, until in refused:
        assert not constraint.admits_range(since, until), (since, until)


@pytest.mark.parametrize("text", ["", "latest", ">=", "~> x.y", "5.0,", ">> 5.0"])
def test_unparsable_constraints(text):
    assert parse_constraint(text) is None


def test_versions_accept_a_v_prefix_and_prerelease():
    assert parse_version("v5.39.0") == (5, 39, 0)
    assert parse_version("6.0.0-beta1") == (6, 0, 0)
    assert parse_version("5") == (5, 0, 0)
    assert parse_version("main") is None


# --- model files ---------------------------------------------------------------------------

MODEL_FILES = sorted(MODELS.rglob("*.tf"))


def test_there_is_a_model_file_for_every_model_folder():
    folders = {entry.folder for entries in INDEX.values() for entry in entries}
    assert {str(p.parent.relative_to(MODELS)) for p in MODEL_FILES} == folders


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(MODELS)))
def test_model_files_parse(path):
    text = path.read_text(encoding="utf-8")
    blocks = parse_file(text, str(path))
    kinds = {block.type for block in blocks}
    # A module without outputs is modelled without them (its header says so).
    assert "variable" in kinds and ("output" in kinds or "has no outputs" in text)


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(MODELS)))
def test_model_files_say_what_they_model_and_what_they_leave_out(path):
    head = path.read_text(encoding="utf-8").split("\nvariable", 1)[0]
    assert head.startswith("# oidclint model of ")
    assert "https://github.com/" in head
    assert "Left out:" in head


# --- a known module at a version without a model ---------------------------------------------

WORKFLOW = '''\
on: push
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/%s
          aws-region: eu-west-1
'''


@pytest.mark.parametrize("call, assumed, noted", [
    # iam-github-oidc-role was first written in 5.x
    (f'source = "{GITHUB_ROLE}"\n  version = "~> 4.0"\n  name = "deploy"', "deploy", True),
    # a git source's ref is its version; the role name is a prefix in 6.x
    (f'source = "{IAM_GIT}//modules/iam-role?ref=v5.30.0"\n  name = "deploy"', "deploy-a1b2",
     True),
    (f'source = "{UNFUNCO}"\n  version = "0.8.0"\n  iam_role_name = "ci-${{var.env}}"',
     "ci-prod", True),
    (f'source = "{IRSA_EKS}"\n  version = "= 4.0.0"\n  role_name_prefix = "irsa-"', "irsa-x1",
     True),
    # not a known module: no note about versions; it is given the name, so it may define
    # the role the workflow assumes (code the scan cannot read), and the role is not noted
    # as missing either
    ('source = "app.terraform.io/acme/iam/aws"\n  version = "1.0.0"\n  name = "deploy"',
     "deploy", False),
])
def test_a_registry_version_without_a_model_is_noted_once_and_its_role_is_elsewhere(
        tmp_path, call, assumed, noted):
    (tmp_path / "main.tf").write_text(
        'variable "env" {}\n'
        f'module "role" {{\n  for_each = toset(["a", "b"])\n  {call}\n}}\n')
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % assumed)
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    notes = [d for d in report.diagnostics if "has no built-in model" in d.message]
    not_found = [f for f in report.findings if f.rule_id == "OIDC305"]
    if noted:
        note, = notes
        assert note.message.startswith("module.role: ") and note.span.line == 2
        assert "version '" in note.message and "the models cover" in note.message
        assert not not_found
    else:
        assert not notes and not not_found


def test_roles_of_unmodelled_calls_do_not_hide_other_roles(tmp_path):
    (tmp_path / "main.tf").write_text(
        f'module "role" {{\n  source = "{GITHUB_ROLE}"\n  version = "4.24.1"\n'
        '  name = "deploy"\n}\n')
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % "release")
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    assert [f.rule_id for f in report.findings] == ["OIDC305"]


def test_a_registry_version_without_a_model_is_noted_in_json_too(tmp_path):
    import json

    call = {"module": {"role": {"source": GITHUB_ROLE, "version": "~> 4.0", "name": "deploy"}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(call, indent=2))
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW % "deploy")
    report = scan([tmp_path], root=tmp_path, repository="acme/api")
    note, = [d for d in report.diagnostics if "has no built-in model" in d.message]
    assert note.path == "main.tf.json" and "'~> 4.0'" in note.message
    assert not [f for f in report.findings if f.rule_id == "OIDC305"]
