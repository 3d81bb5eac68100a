"""What makes a role privileged: administrator, or a published escalation path, read from its
policies as IAM evaluates them (wildcards, NotAction, NotResource), never from a conditional
allow, and never past a deny that may cover a needed action."""

from __future__ import annotations

import pytest

from oidclint.iam.policy import document_from_value
from oidclint.iam.privilege import MANAGED_POLICIES, privilege


def statements(*entries: dict) -> list:
    return document_from_value({"Version": "2012-10-17", "Statement": list(entries)}).statements


def allow(actions, resources="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def found(*entries: dict, managed: tuple[str, ...] = (), customer_managed: bool = False):
    sources = [(f"the AWS managed policy {m}", MANAGED_POLICIES[m]) for m in managed]
    if entries:
        sources.append(("its policy inline", statements(*entries)))
    return privilege(sources, customer_managed)


def needs(result) -> list[str] | None:
    if result is None:
        return None
    return ["*"] if result.administrator else [action for action, _ in result.path.needs]


PASS_LAMBDA = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]


@pytest.mark.parametrize("entries, expected", [
    ([allow("*")], ["*"]),
    ([allow(["iam:PutRolePolicy"])], ["iam:PutRolePolicy"]),
    ([allow(["iam:Put*"])], ["iam:PutRolePolicy"]),
    ([allow(["iam:*Policy*"])], ["iam:PutRolePolicy"]),
    ([allow(["IAM:attachrolepolicy"])], ["iam:AttachRolePolicy"]),
    ([allow(["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"])],
     ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]),
    ([allow("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/*")], ["iam:CreateAccessKey"]),
    ([allow(PASS_LAMBDA)], PASS_LAMBDA),
    # Granted by different statements (and resources written per service).
    ([allow("iam:PassRole", "arn:aws:iam::123456789012:role/*"),
      allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "arn:aws:lambda:*:*:function:*")],
     PASS_LAMBDA),
    ([allow(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"])],
     ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"]),
    ([allow(["iam:PassRole", "cloudformation:*"])], ["iam:PassRole", "cloudformation:CreateStack"]),
    # NotAction allows what it does not name; NotResource every resource it does not name.
    ([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}], ["iam:PutRolePolicy"]),
    ([{"Effect": "Allow", "Action": "iam:PutRolePolicy",
       "NotResource": "arn:aws:s3:::logs/*"}], ["iam:PutRolePolicy"]),
])
def test_escalation_paths_are_found_however_the_actions_are_written(entries, expected):
    assert needs(found(*entries)) == expected


@pytest.mark.parametrize("entries", [
    [allow(["s3:*", "dynamodb:*"])],
    [allow(["iam:Get*", "iam:List*", "iam:PassRole"])],
    # On some roles or functions only: proves nothing about every one.
    [allow("iam:PutRolePolicy", "arn:aws:iam::123456789012:role/ci-*")],
    [allow("iam:PassRole", "arn:aws:iam::123456789012:role/lambda-runner"),
     allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
    [allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
    # A conditional allow is not proof.
    [allow(PASS_LAMBDA, Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})],
    # A deny that may cover a needed action takes the path away, conditional or not.
    [allow("iam:*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                      "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}}}],
    [allow("*"), {"Effect": "Deny", "NotAction": ["s3:*"], "Resource": "*"}],
    [{"Effect": "Allow", "Action": "iam:PutRolePolicy",
      "NotResource": "arn:aws:iam::123456789012:role/admin"}],
    # Rewriting a policy version escalates only with a customer managed policy attached.
    [allow("iam:CreatePolicyVersion")],
])
def test_nothing_is_claimed_that_the_policies_do_not_prove(entries):
    assert found(*entries) is None


def test_an_unrelated_deny_keeps_the_paths_but_not_administrator():
    result = found(allow("*"), {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
    assert needs(result) == ["iam:PutRolePolicy"]
    assert "`iam:PutRolePolicy` (by `*`) on every role" in result.describe()


def test_a_policy_version_is_rewritten_when_a_customer_managed_policy_is_attached():
    assert needs(found(allow("iam:CreatePolicyVersion"), customer_managed=True)) == [
        "iam:CreatePolicyVersion"]


@pytest.mark.parametrize("managed, expected", [
    (("AdministratorAccess",), ["*"]),
    (("IAMFullAccess",), ["iam:PutRolePolicy"]),
    (("PowerUserAccess",), None),  # no iam:PassRole and no IAM writes
    (("AWSCloudFormationFullAccess",), None),  # stacks run with the caller's own permissions
])
def test_aws_managed_policies_are_read_as_their_documents(managed, expected):
    assert needs(found(managed=managed)) == expected


def test_power_user_with_pass_role_elsewhere_runs_code_as_any_role():
    result = found(allow("iam:PassRole"), managed=("PowerUserAccess",))
    assert needs(result) == ["iam:PassRole", "ec2:RunInstances"]
    assert result.describe() == (
        "its policy inline and the AWS managed policy PowerUserAccess allow `iam:PassRole` on "
        "every role with `ec2:RunInstances` (by `NotAction iam:*, organizations:*, account:*`)")


def test_the_finding_names_the_permission():
    assert found(allow(PASS_LAMBDA)).describe() == (
        "its policy inline allows `iam:PassRole` on every role with `lambda:CreateFunction` and "
        "`lambda:InvokeFunction`")
    assert found(managed=("AdministratorAccess",)).describe() == (
        "the AWS managed policy AdministratorAccess allows `*` on `*`")
