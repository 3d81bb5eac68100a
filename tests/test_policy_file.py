"""Standalone trust policy files (`trust-policy.json`) as roles, named by the commands that
create roles from them, and not reported twice when Terraform reads them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from oidclint.engine import scan
from oidclint.readers.policies.policy_file import parse_policy_file
from oidclint.source import Partial, SourceFile, Unknown

GITHUB = "token.actions.githubusercontent.com"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}},
    }],
}


def parse(text: str, path: str = "trust-policy.json"):
    return parse_policy_file(SourceFile(path, Path(path), text))


def test_a_json_trust_policy_is_a_role_addressed_by_its_file():
    inventory = parse(json.dumps(TRUST, indent=2))
    (role,) = inventory.roles
    assert role.address == role.scope == "trust-policy.json"
    assert isinstance(role.name, Unknown)
    (statement,) = role.trust.statements
    assert statement.federated == [f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"]
    assert statement.span.line == 4


def test_a_yaml_trust_policy_with_an_unquoted_version():
    inventory = parse(textwrap.dedent(f'''\
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {{Federated: cognito-identity.amazonaws.com}}
            Action: sts:AssumeRoleWithWebIdentity
        '''), "trust.yaml")
    assert inventory.diagnostics == []
    assert inventory.roles[0].trust.statements[0].federated == ["cognito-identity.amazonaws.com"]


@pytest.mark.parametrize("document", [
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": {"Service": "ec2.amazonaws.com"}}]},
    {"Statement": [], "Resources": {}},   # not only policy keys
    {"name": "package", "Statement": "x"},
    [TRUST],
])
def test_what_is_not_a_standalone_web_identity_trust(document):
    assert parse(json.dumps(document)) is None


def test_placeholders_of_templating_tools_are_unknown():
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Condition"]["StringLike"][f"{GITHUB}:sub"] = \
        "repo:${GITHUB_ORG}/{{ repo }}:*"
    (statement,) = parse(json.dumps(trust)).roles[0].trust.statements
    sub = next(c for c in statement.conditions if c.claim == "sub")
    (value,) = sub.values
    assert isinstance(value, Partial)
    assert [u.origin for u in value.unknowns] == ["${GITHUB_ORG}", "{{ repo }}"]


def test_a_broken_file_is_reported_only_when_it_looks_like_a_web_identity_trust():
    broken = parse('{"Statement": [{"Action": "sts:AssumeRoleWithWebIdentity",}')
    assert [d.message.split(":")[0] for d in broken.diagnostics] == ["JSON syntax error"]
    assert parse('{"Statement": [{"Action": "s3:GetObject",}') is None


def test_a_terraform_template_is_said_to_be_one_not_a_broken_policy():
    template = parse(textwrap.dedent('''\
        {
          "Version": "2012-10-17",
          "Statement": [
            %{ for subject in subjects ~}
            {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
             "Principal": {"Federated": "${provider_arn}"},
             "Condition": {"StringLike": {"app.terraform.io:sub": "${subject}"}}}
            %{ endfor ~}
          ]
        }
    '''), "files/trust.json")
    (note,) = template.diagnostics
    assert note.level.value == "note" and note.path == "files/trust.json"
    assert "Terraform template" in note.message and "templatefile()" in note.message
    assert template.roles == []


# -- the tree: names from commands, files Terraform reads ----------------------------------

def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


WORKFLOW = f'''\
on: {{push: {{branches: [main]}}}}
permissions: {{id-token: write}}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/NAME
'''


def roles_and_findings(root: Path, prefilter: bool = True):
    report = scan([root], root=root, repository="acme/api", prefilter=prefilter)
    assert report.diagnostics == []
    return sorted({(f.rule_id, f.span.path, f.address) for f in report.findings})


def test_a_script_names_the_role_a_workload_assumes(tmp_path):
    root = write(tmp_path, {
        "iam/trust-policy.json": json.dumps(TRUST, indent=2),
        "iam/create.sh": "ROLE=deploy\naws iam create-role --role-name $ROLE "
                         "--assume-role-policy-document file://trust-policy.json\n",
        ".github/workflows/deploy.yml": WORKFLOW.replace("NAME", "deploy"),
    })
    found = roles_and_findings(root)
    assert ("OIDC204", "iam/trust-policy.json", "iam/trust-policy.json") in found
    assert not any(rule == "OIDC305" for rule, _, _ in found)  # linked: the role is defined


def test_an_unnamed_policy_file_leaves_the_workload_unlinked(tmp_path):
    root = write(tmp_path, {
        "iam/trust-policy.json": json.dumps(TRUST, indent=2),
        ".github/workflows/deploy.yml": WORKFLOW.replace("NAME", "deploy"),
    })
    found = roles_and_findings(root)
    assert ("OIDC204", "iam/trust-policy.json", "iam/trust-policy.json") in found
    assert any(rule == "OIDC305" for rule, _, _ in found)


@pytest.mark.parametrize("command", [
    "file://iam/trust-policy.json",              # from the root
    "file://${SCRIPT_DIR}/trust-policy.json",    # an unknown folder, one file of that name
])
def test_paths_from_the_root_and_paths_with_an_unknown_folder(tmp_path, command):
    root = write(tmp_path, {
        "iam/trust-policy.json": json.dumps(TRUST, indent=2),
        "scripts/create.sh": f"aws iam create-role --role-name deploy "
                             f"--assume-role-policy-document {command}\n",
        ".github/workflows/deploy.yml": WORKFLOW.replace("NAME", "deploy"),
    })
    assert not any(rule == "OIDC305" for rule, _, _ in roles_and_findings(root))


def test_one_file_for_two_roles_is_two_roles(tmp_path):
    root = write(tmp_path, {
        "trust.json": json.dumps(TRUST, indent=2),
        "Makefile": "roles:\n\taws iam create-role --role-name a --assume-role-policy-document "
                    "file://trust.json\n\taws iam create-role --role-name b "
                    "--assume-role-policy-document file://trust.json\n",
    })
    found = roles_and_findings(root)
    assert [(rule, address) for rule, _, address in found if rule == "OIDC204"] == [
        ("OIDC204", 'trust.json["a"]'), ("OIDC204", 'trust.json["b"]')]


@pytest.mark.parametrize("prefilter", [True, False])
def test_a_file_terraform_reads_is_reported_once_at_the_terraform_role(tmp_path, prefilter):
    root = write(tmp_path, {
        "trust-policy.json": json.dumps(TRUST, indent=2),
        "main.tf": '''\
            resource "aws_iam_openid_connect_provider" "github" {
              url            = "https://token.actions.githubusercontent.com"
              client_id_list = ["sts.amazonaws.com"]
            }

            resource "aws_iam_role" "deploy" {
              name               = "deploy"
              assume_role_policy = file("${path.module}/trust-policy.json")
            }
            ''',
    })
    found = roles_and_findings(root, prefilter)
    assert [f for f in found if f[0] == "OIDC204"] == [
        ("OIDC204", "trust-policy.json", "aws_iam_role.deploy")]


def test_the_prefilter_keeps_scripts_that_create_roles_and_only_those(tmp_path):
    from oidclint.prefilter import Prefilter

    files = [SourceFile("a.sh", tmp_path / "a.sh", "aws iam create-role --role-name x "
                        "--assume-role-policy-document file://t.json\n", "script"),
             SourceFile("b.sh", tmp_path / "b.sh", "aws s3 ls  # oidc federated\n", "script")]
    selection = Prefilter().select(files)
    assert [f.path for f in selection.keep] == ["a.sh"]


# -- trust policies a script writes itself (here-documents) ---------------------------------

HEREDOC = '''\
#!/bin/bash
ORG=acme
cat > trust-policy.json <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:$ORG/*"}}
  }]
}
EOF
aws iam create-role --role-name deploy --assume-role-policy-document file://trust-policy.json
'''


def written_roles(text: str, path: str = "infra/setup.sh"):
    from oidclint.readers.policies.iam_cli import parse_scripts

    return parse_scripts([SourceFile(path, Path(path), text, "script")]).roles


def test_a_trust_the_script_writes_is_the_role_it_creates():
    (role,) = written_roles(HEREDOC)
    assert (role.address, role.name, role.scope) == (
        'infra/trust-policy.json["deploy"]', "deploy", "infra/setup.sh")
    (statement,) = role.trust.statements
    (sub,) = [c for c in statement.conditions if c.claim == "sub"]
    assert sub.values == ["repo:acme/*"]  # $ORG as the script set it
    assert (sub.values[0].span.path, sub.values[0].span.line) == ("infra/setup.sh", 10)
    assert isinstance(statement.federated[0], Partial)  # ${ACCOUNT}: not known
    assert role.origins[0].span.line == 14


@pytest.mark.parametrize("federated", [
    "arn:aws:iam::$(aws sts get-caller-identity --query Account --output text):oidc-provider/$HOST",
    "arn:aws:iam::`aws sts get-caller-identity --query Account --output text`:oidc-provider/$HOST",
    "arn:aws:iam::$(printf %s $(cat account)):oidc-provider/token.actions.githubusercontent.com",
])
def test_a_command_in_a_here_document_prints_what_is_not_known(federated):
    """The shell runs `$(...)` and backquotes in an unquoted here-document: the account it
    prints is not known, not a malformed account id."""
    text = HEREDOC.replace(
        "arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com", federated)
    (role,) = written_roles(text)
    (principal,) = role.trust.statements[0].federated
    assert isinstance(principal, Partial)
    assert "$(" not in str(principal) and "`" not in str(principal)
    (quoted,) = written_roles(text.replace("<<EOF", "<<'EOF'"))
    assert str(quoted.trust.statements[0].federated[0]) == federated  # written as it is


@pytest.mark.parametrize("change, expected", [
    (("<<EOF", "<<'EOF'"), "repo:$ORG/*"),                   # quoted: written as it is
    (("cat > trust-policy.json <<EOF", "cat <<EOF > trust-policy.json"), "repo:acme/*"),
    (("cat > trust-policy.json <<EOF", "tee trust-policy.json <<EOF >/dev/null"), "repo:acme/*"),
])
def test_here_document_forms(change, expected):
    (role,) = written_roles(HEREDOC.replace(*change))
    (sub,) = [c for c in role.trust.statements[0].conditions if c.claim == "sub"]
    assert str(sub.values[0]) == expected


LAMBDA_TRUST = HEREDOC.replace(
    '"Federated": "arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"',
    '"Service": "lambda.amazonaws.com"').replace(
    '"Action": "sts:AssumeRoleWithWebIdentity"', '"Action": "sts:AssumeRole"')


@pytest.mark.parametrize("text", [
    LAMBDA_TRUST,                                                    # not web identity
    HEREDOC.replace('"Version": "2012-10-17",', '"Version": "2012-10-17",,'),  # IAM refuses it
    HEREDOC.replace("file://trust-policy.json", "file://other.json"),  # another file
])
def test_what_a_script_writes_that_is_no_role_of_its_own(text):
    assert written_roles(text) == []


def test_the_lines_of_a_here_document_are_not_commands():
    text = ("cat > README <<'END'\naws iam create-role --role-name x "
            "--assume-role-policy-document file://t.json\nEND\n")
    from oidclint.readers.policies.iam_cli import script_commands

    assert script_commands(text) == []


def test_a_trust_given_inline_in_the_command():
    text = ('ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)\n'
            'GITHUB_USER=octo\n'
            'aws iam create-role --role-name IaC --assume-role-policy-document "{\\"Statement\\":'
            '[{\\"Effect\\":\\"Allow\\",\\"Principal\\":{\\"Federated\\":\\"arn:aws:iam::${ACCOUNT_ID}:'
            'oidc-provider/token.actions.githubusercontent.com\\"},\\"Action\\":'
            '\\"sts:AssumeRoleWithWebIdentity\\",\\"Condition\\":{\\"StringLike\\":'
            '{\\"token.actions.githubusercontent.com:sub\\":[\\"repo:${GITHUB_USER}/*:*\\"]}}}]}"\n')
    (role,) = written_roles(text, "scripts/iac-role.sh")
    assert (role.address, role.name) == ('scripts/iac-role.sh["IaC"]', "IaC")
    (sub,) = [c for c in role.trust.statements[0].conditions if c.claim == "sub"]
    assert sub.values == ["repo:octo/*:*"]
    assert (sub.values[0].span.path, sub.values[0].span.line) == ("scripts/iac-role.sh", 3)
