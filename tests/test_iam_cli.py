"""`aws iam create-role --assume-role-policy-document file://...` read from shell scripts,
Makefiles and workflow run steps, never run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidclint.discovery import kind_of
from oidclint.engine import scan
from oidclint.readers.workloads.github_actions import parse_workflows
from oidclint.readers.policies.iam_cli import logical_lines, makefile_commands, parse_scripts, script_commands
from oidclint.source import Partial, SourceFile, Unknown


def found(text: str) -> list[tuple[str, str, str]]:
    return [(c.verb, str(c.role_name), str(c.policy))
            for c in script_commands(textwrap.dedent(text), origin="setup.sh")]


def test_a_literal_command():
    assert found("aws iam create-role --role-name deploy "
                 "--assume-role-policy-document file://trust-policy.json\n") == [
        ("create-role", "deploy", "trust-policy.json")]


def test_continuations_quotes_equals_and_global_options():
    assert found('''\
        aws --profile prod --region eu-west-1 iam create-role \\
            --role-name="deploy" \\
            --assume-role-policy-document 'file://./policies/trust policy.json' # why
        ''') == [("create-role", "deploy", "./policies/trust policy.json")]


def test_update_assume_role_policy_takes_its_policy_document():
    assert found("aws iam update-assume-role-policy --role-name deploy "
                 "--policy-document file://trust.json | tee log\n") == [
        ("update-assume-role-policy", "deploy", "trust.json")]


def test_variables_assigned_once_earlier_are_read():
    assert found('''\
        #!/bin/bash
        set -euo pipefail
        ROLE_NAME=github-deploy  # the role a workflow assumes
        export POLICY="trust.json"
        readonly SUFFIX=prod
        echo a#b; aws iam create-role --role-name "${ROLE_NAME}-$SUFFIX" \\
          --assume-role-policy-document file://$POLICY
        ''') == [("create-role", "github-deploy-prod", "trust.json")]


@pytest.mark.parametrize("script", [
    'ROLE="${ROLE:-deploy}"\naws iam create-role --role-name "$ROLE" '
    "--assume-role-policy-document file://t.json\n",
    "aws iam create-role --role-name ${ROLE-deploy} --assume-role-policy-document file://t.json\n",
    "ROLE=deploy\naws iam create-role --role-name ${ROLE:-other} "
    "--assume-role-policy-document file://t.json\n",
])
def test_a_default_the_script_writes_is_the_value(script):
    """Like a Terraform variable's default: the environment may override it, the repository
    says this."""
    assert found(script) == [("create-role", "deploy", "t.json")]


def test_a_name_for_this_command_only():
    assert found("ROLE=deploy aws iam create-role --role-name $ROLE "
                 "--assume-role-policy-document file://t.json\n") == [
        ("create-role", "deploy", "t.json")]


@pytest.mark.parametrize("script, origin", [
    ("aws iam create-role --role-name $ROLE --assume-role-policy-document file://t.json\n",
     "$ROLE in setup.sh"),
    ("aws iam create-role --role-name ${ROLE:-deploy-$ENV} "
     "--assume-role-policy-document file://t.json\n", "${ROLE:-deploy-$ENV} in setup.sh"),
    ("ROLE=a\nif x; then ROLE=b; fi\naws iam create-role --role-name $ROLE "
     "--assume-role-policy-document file://t.json\n", "$ROLE in setup.sh (given several values)"),
    ("aws iam create-role --role-name $(cat name) --assume-role-policy-document file://t.json\n",
     "$(cat name) in setup.sh"),
])
def test_names_not_given_one_literal_value_stay_unknown(script, origin):
    (command,) = script_commands(script, origin="setup.sh")
    name = command.role_name
    assert isinstance(name, (Unknown, Partial))
    unknown = name if isinstance(name, Unknown) else name.unknowns[0]
    assert unknown.origin == origin
    assert command.policy == "t.json"


def test_arguments_and_special_parameters_are_not_known():
    (command,) = script_commands("aws iam create-role --role-name deploy-$1 "
                                 "--assume-role-policy-document file://t-$@.json\n",
                                 origin="setup.sh")
    assert isinstance(command.role_name, Partial)
    assert str(command.role_name.parts[0]) == "deploy-"
    assert command.role_name.unknowns[0].origin == "$1 in setup.sh"
    assert isinstance(command.policy, Partial) and command.policy.parts[-1] == ".json"
    # In a policy the script writes itself, as in one given inline.
    (written,) = script_commands("cat > t.json <<EOF\n{\"sub\": \"repo:$1/*\", \"n\": \"${2}\"}\nEOF\n"
                                 "aws iam create-role --role-name r "
                                 "--assume-role-policy-document file://t.json\n")
    assert written.written.text == '{"sub": "repo:${1}/*", "n": "${2}"}'


@pytest.mark.parametrize("assignment", ["ORG=<your-org>", "ORG=<<your-org>>", "export ORG=<org>"])
def test_a_placeholder_in_angle_brackets_is_a_value_not_known(assignment):
    script = (f"{assignment}\n"
              "aws iam create-role --role-name ci-$ORG --assume-role-policy-document file://t.json\n"
              "aws iam attach-role-policy --role-name ci-$ORG --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess\n")
    commands = script_commands(script, origin="setup.sh")
    # `<<your-org>>` opens no here-document: the commands after it are read.
    assert [c.verb for c in commands] == ["create-role", "attach-role-policy"]
    name = commands[0].role_name
    assert isinstance(name, Partial) and name.unknowns[0].origin.endswith(" in setup.sh")
    assert "<" in name.unknowns[0].origin


@pytest.mark.parametrize("script", [
    "aws iam create-role --role-name x --assume-role-policy-document fileb://t.json\n",
    "aws iam create-role --role-name x\n",
    "echo aws iam create-role --assume-role-policy-document\n",
    "aws s3 cp --role-name x --assume-role-policy-document file://t.json\n",
    "cat <<EOF\naws iam create-role --role-name 'x --assume-role-policy-document file://t.json\nEOF\n",
])
def test_what_is_not_a_policy_file_use(script):
    assert script_commands(script) == []


def test_logical_lines_keep_where_each_starts():
    text = "a \\\n  b\nc\n"
    assert logical_lines(text) == [(0, "a    b"), (8, "c"), (10, "")]


def test_makefile_variables_and_recipes():
    text = textwrap.dedent('''\
        ROLE := gh-deploy
        POLICY = policies/trust.json  # comment
        REGION ?= eu-west-1
        OTHER ?= other-role
        create:
        \t@aws iam create-role --role-name $(ROLE) --assume-role-policy-document file://$(POLICY)
        \t-aws iam create-role --role-name $(OTHER) --assume-role-policy-document file://t.json
        \tNAME=x; aws iam create-role --role-name $$NAME --assume-role-policy-document file://t.json
        ''')
    commands = makefile_commands(text, "Makefile")
    assert [(str(c.role_name), str(c.policy)) for c in commands] == [
        ("gh-deploy", "policies/trust.json"),
        ("other-role", "t.json"),  # ?= : a default, the environment may override it
        ("x", "t.json")]
    assert [text.count("\n", 0, c.offset) + 1 for c in commands] == [6, 7, 8]


def test_parse_scripts_places_each_use_where_its_command_is(tmp_path):
    text = "#!/bin/sh\n\naws iam create-role --role-name r \\\n  --assume-role-policy-document file://t.json\n"
    inventory = parse_scripts([SourceFile("infra/setup.sh", tmp_path / "setup.sh", text, "script")])
    (use,) = inventory.policy_uses
    assert (use.folder, use.span.path, use.span.line, use.span.column) == ("infra", "infra/setup.sh", 3, 1)


@pytest.mark.parametrize("name, kind", [("setup.sh", "script"), ("bootstrap.bash", "script"),
                                        ("Makefile", "script"), ("GNUmakefile", "script"),
                                        ("rules.mk", "script"), ("README.md", None),
                                        ("setup.py", None)])
def test_discovery_reads_scripts_and_makefiles(name, kind):
    assert kind_of(name) == kind


# -- workflow run steps ------------------------------------------------------------------------

WORKFLOW = '''\
on: workflow_dispatch
env:
  ROLE: api-deploy
jobs:
  bootstrap:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: infra
    steps:
      - env:
          POLICY: trust.json
        run: |
          echo "creating ${{ env.ROLE }}"
          aws iam create-role --role-name "${{ env.ROLE }}" \\
            --assume-role-policy-document "file://$POLICY"
      - run: aws iam create-role --role-name ${{ secrets.ROLE }} --assume-role-policy-document file://x.json
        working-directory: other
'''


def test_workflow_run_steps_with_env_expressions_and_working_directories():
    file = SourceFile("svc/.github/workflows/bootstrap.yml", Path("bootstrap.yml"), WORKFLOW)
    uses = parse_workflows([file]).policy_uses
    assert [(str(u.role_name), str(u.policy), u.folder, u.span.line, u.span.column)
            for u in uses] == [
        ("api-deploy", "trust.json", "svc/infra", 15, 11),
        ("${secrets.ROLE}", "x.json", "svc/other", 17, 14)]


def test_an_attached_managed_policy_is_a_permission_of_the_role_it_names(tmp_path):
    text = ("ROLE=deploy\naws iam attach-role-policy --role-name $ROLE "
            "--policy-arn arn:aws:iam::aws:policy/AdministratorAccess\n")
    inventory = parse_scripts([SourceFile("infra/setup.sh", tmp_path / "setup.sh",
                                          "# create-role --assume-role-policy-document\n" + text,
                                          "script")])
    (policy,) = inventory.policies
    assert (policy.roles, policy.managed_arn, policy.span.line) == (
        ["deploy"], "arn:aws:iam::aws:policy/AdministratorAccess", 3)
    assert inventory.policy_uses == []


_SHELL = st.lists(st.sampled_from([
    "aws", "iam", "create-role", "update-assume-role-policy", "attach-role-policy",
    "--role-name", "--role-name=", "--assume-role-policy-document", "--policy-document",
    "--policy-arn", "file://", "t.json", "$X", "${X", "}", "$(", ")", "`", "'", '"', "\\",
    "\n", "\t", " ", ";", "&&", "|", "#", "X=", "export", "$(X)", "$$", ":=", "?=", "=",
    "if", "then", "<<EOF", "EOF", "\\\n",
]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SHELL)
def test_any_script_or_makefile_reads_without_raising(text):
    for command in script_commands(text, origin="s.sh") + makefile_commands(text, "Makefile"):
        assert command.verb in ("create-role", "update-assume-role-policy", "attach-role-policy")
        assert 0 <= command.offset <= len(text)



# -- permissions a script gives a role ----------------------------------------------------------

PERMISSIONS_SCRIPT = """\
#!/bin/bash
repo="acme/api"
role_name="ci-deploy"
account_id=$(aws sts get-caller-identity --query Account --output text)

trust_policy_json='{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::'$account_id':oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:'$repo':*"}}
  }]
}'

out=$(aws iam create-role --role-name $role_name --assume-role-policy-document "$trust_policy_json" 2>&1)

cat > deploy-policy.json <<POLICY
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
POLICY
aws iam create-policy --policy-name DeployPolicy --policy-document file://deploy-policy.json
aws iam attach-role-policy --role-name $role_name --policy-arn "arn:aws:iam::${account_id}:policy/DeployPolicy"

all='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
aws iam put-role-policy --role-name $role_name --policy-name s3 --policy-document "$all"
"""


def test_commands_in_substitutions_and_json_kept_in_variables_are_read():
    commands = script_commands(PERMISSIONS_SCRIPT, origin="setup.sh")
    assert [(c.verb, str(c.role_name), str(c.policy_name)) for c in commands] == [
        ("create-role", "ci-deploy", "None"),
        ("create-policy", "DeployPolicy", "DeployPolicy"),
        ("attach-role-policy", "ci-deploy", "DeployPolicy"),
        ("put-role-policy", "ci-deploy", "s3"),
    ]
    trust = commands[0].written.text
    assert '"repo:acme/api:*"' in trust and "${command_output}" in trust


def test_a_scripts_managed_and_inline_policies_make_its_role_privileged(tmp_path):
    (tmp_path / "setup.sh").write_text(PERMISSIONS_SCRIPT, encoding="utf-8")
    report = scan([tmp_path])
    (finding,) = [f for f in report.findings if f.rule_id == "OIDC209"]
    assert "iam:*" in finding.message and "DeployPolicy" in finding.message


def test_a_command_handed_whole_to_a_function_is_read():
    assert found('run "aws iam create-role --role-name ci '
                 '--assume-role-policy-document file://trust.json"\n'
                 "eval 'aws iam attach-role-policy --role-name ci --policy-arn "
                 "arn:aws:iam::aws:policy/ReadOnlyAccess'\n") == [
        ("create-role", "ci", "trust.json"),
        ("attach-role-policy", "ci", "arn:aws:iam::aws:policy/ReadOnlyAccess")]
    assert found('echo "aws iam is not run here"\n') == []


def test_permissions_policy_files_the_commands_name_are_read_from_the_tree(tmp_path):
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "setup.sh").write_text(
        "aws iam put-role-policy --role-name ci --policy-name deploy "
        "--policy-document file://policy.json\n"
        "aws iam put-role-policy --role-name ci --policy-name from-root "
        "--policy-document file://shared/extra.json\n"
        "aws iam put-role-policy --role-name ci --policy-name gone "
        "--policy-document file:///tmp/generated.json\n"
        "aws iam put-role-policy --role-name ci --policy-name outside "
        "--policy-document file://../../secret.json\n", encoding="utf-8")
    (tmp_path / "ops" / "policy.json").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::${BUCKET}/*"}]}', encoding="utf-8")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "extra.json").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}',
        encoding="utf-8")
    script = tmp_path / "ops" / "setup.sh"
    file = SourceFile("ops/setup.sh", script, script.read_text(encoding="utf-8"), "script")
    policies = parse_scripts([file]).policies
    assert [(p.address.split(" (")[0], p.roles) for p in policies] == [
        ("aws iam put-role-policy deploy", ["ci"]),
        ("aws iam put-role-policy from-root", ["ci"])]
    deploy, extra = (p.document.statements[0] for p in policies)
    # A placeholder the file leaves for a tool to fill in is unknown; spans are the file's.
    assert isinstance(deploy.resources[0], Partial)
    assert deploy.span.path == "ops/policy.json" and extra.span.path == "shared/extra.json"


def test_a_policy_that_is_not_json_is_named_not_dropped(tmp_path):
    (tmp_path / "setup.sh").write_text(
        "aws iam put-role-policy --role-name ci --policy-name deploy "
        "--policy-document file://broken.json\n"
        "aws iam put-role-policy --role-name ci --policy-name fine "
        "--policy-document file://fine.json\n"
        "aws iam put-role-policy --role-name ci --policy-name folder "
        "--policy-document file://folder.json\n"
        "cat > trust.json <<JSON\n"
        '{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",\n'
        "JSON\n"
        "aws iam create-role --role-name ci --assume-role-policy-document file://trust.json\n"
        "cat > notes.json <<JSON\n"
        '{"just": [text\n'
        "JSON\n"
        "aws iam create-role --role-name other --assume-role-policy-document file://notes.json\n",
        encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"Statement": [{"Effect": "Allow"}\n',
                                          encoding="utf-8")
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "fine.json").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
        encoding="utf-8")
    script = tmp_path / "setup.sh"
    inventory = parse_scripts([SourceFile("setup.sh", script, script.read_text(encoding="utf-8"),
                                          "script")])
    # The readable policy is read; the broken file and the broken trust are each named with
    # the reason, once; a text that is no trust at all is nobody's business.
    assert [p.address.split(" (")[0] for p in inventory.policies] == [
        "aws iam put-role-policy fine"]
    assert inventory.roles == []
    said = [(d.path, d.level.value, d.message) for d in inventory.diagnostics]
    assert len(said) == 3
    assert said[0][0] == "broken.json" and said[0][1] == "note"
    assert "not JSON" in said[0][2] and "setup.sh:1" in said[0][2]
    # A file the scan refuses says why, in the tree's words (no path of the machine).
    assert said[1][0] == "folder.json" and said[1][1] == "note"
    assert said[1][2].startswith("not a regular file") and str(tmp_path) not in said[1][2]
    assert said[2][0] == "setup.sh" and said[2][1] == "warning"
    assert "trust policy of `aws iam create-role` is not JSON" in said[2][2]


def test_the_prefilter_keeps_every_script_the_reader_reads():
    from oidclint.prefilter import SCRIPT_MARKERS
    from oidclint.readers.policies.iam_cli import MARKERS

    assert SCRIPT_MARKERS == MARKERS


def test_an_arguments_default_is_its_value_and_a_bare_argument_stays_unknown():
    commands = script_commands(
        'REPO="${1:-acme/api}"\nOWNER="$2"\n'
        'aws iam create-role --role-name "ci-${REPO#*/}" --assume-role-policy-document file://t.json\n'
        'aws iam create-role --role-name "ci-${1:-api}" --assume-role-policy-document file://t.json\n'
        'aws iam create-role --role-name "ci-$OWNER" --assume-role-policy-document file://t.json\n',
        origin="setup.sh")
    names = [c.role_name for c in commands]
    assert str(names[1]) == "ci-api"
    assert isinstance(names[2], Partial) and not isinstance(names[2], str)
