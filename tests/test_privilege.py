"""What makes a role privileged: administrator, or a published escalation path, read from its
policies as IAM evaluates them (wildcards, NotAction, NotResource), never from a conditional
allow, and never past a deny that may cover a needed action."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.engine import scan
from oidclint.iam.policy import document_from_value
from oidclint.iam.managed_policies import BY_NAME, POLICIES
from oidclint.iam.privilege import ANY, MANAGED_POLICIES, PATHS, RESOURCE_TYPES, privilege


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
    # A conditional allow is not proof: `iam:PassedToService` is in the request of
    # iam:PassRole only, so it does not prove lambda:CreateFunction.
    [allow(PASS_LAMBDA,
           Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})],
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


LAMBDA_PATH = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]
NOTEBOOK_PATH = ["iam:PassRole", "sagemaker:CreateNotebookInstance",
                 "sagemaker:CreatePresignedNotebookInstanceUrl"]
EC2_PATH = ["iam:PassRole", "ec2:RunInstances"]


@pytest.mark.parametrize("managed, expected", [
    (("AdministratorAccess",), ["*"]),
    (("IAMFullAccess",), ["iam:PutRolePolicy"]),
    (("PowerUserAccess",), None),  # no iam:PassRole and no IAM writes
    (("AWSCloudFormationFullAccess",), None),  # stacks run with the caller's own permissions
    (("AWSLambda_FullAccess",), LAMBDA_PATH),  # iam:PassRole to Lambda only: the Lambda path
    (("AWSLambdaFullAccess",), LAMBDA_PATH),
    (("AmazonECS_FullAccess",), ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]),
    (("AmazonEC2ContainerServiceFullAccess",), ["iam:PassRole", "cloudformation:CreateStack"]),
    (("AmazonSageMakerFullAccess",), NOTEBOOK_PATH),
    (("DataScientist",), NOTEBOOK_PATH),
    (("AdministratorAccess-Amplify",), ["iam:PutRolePolicy"]),
    (("AmazonElasticMapReduceFullAccess",), EC2_PATH),
    (("AWSElasticBeanstalkFullAccess",), EC2_PATH),
    (("AWSMarketplaceFullAccess",), EC2_PATH),
    (("AmazonDynamoDBFullAccesswithDataPipeline",), EC2_PATH),
    (("AWSOpsWorksRegisterCLI",), ["iam:CreateAccessKey"]),
    # The service without iam:PassRole on every role to it.
    (("AmazonEC2FullAccess",), None),
    (("AWSCodeBuildAdminAccess",), None),
    (("AmazonDynamoDBFullAccess",), None),  # passes roles to autoscaling and DAX only
    (("AWSGlueConsoleFullAccess",), None),  # passes AWSGlueServiceRole* roles only
    (("AdministratorAccess-AWSElasticBeanstalk",), None),  # stacks and builds of its own only
    (("SystemAdministrator",), None),  # passes *-sysadmin-* roles only
    # Halves that meet: one passes any role to the service the other runs.
    (("AdministratorAccess-AWSElasticBeanstalk", "AWSCloudFormationFullAccess"),
     ["iam:PassRole", "cloudformation:CreateStack"]),
    (("AdministratorAccess-AWSElasticBeanstalk", "AmazonEC2FullAccess"), EC2_PATH),
    (("AWSLambda_FullAccess", "AmazonEC2FullAccess"), LAMBDA_PATH),
    (("AmazonECS_FullAccess", "AWSCodeBuildAdminAccess"),
     ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]),
])
def test_aws_managed_policies_are_read_as_their_documents(managed, expected):
    assert needs(found(managed=managed)) == expected


@pytest.mark.parametrize("half", ["AmazonEC2FullAccess", "AWSCodeBuildAdminAccess",
                                  "AWSGlueConsoleFullAccess", "SystemAdministrator"])
def test_a_service_half_with_pass_role_elsewhere_is_privileged(half):
    assert found(allow("iam:PassRole"), managed=(half,)) is not None


def test_every_managed_policy_names_its_reference_page_and_arn():
    for policy in POLICIES:
        assert policy.reference == (
            f"https://docs.aws.amazon.com/aws-managed-policy/latest/reference/{policy.name}.html")
        assert policy.arn.startswith("arn:aws:iam::aws:policy/") and policy.arn.endswith(
            "/" + policy.name)
        assert policy.version.startswith("v") and policy.document
    assert BY_NAME["DataScientist"].arn == "arn:aws:iam::aws:policy/job-function/DataScientist"


PASSED_TO = "iam:PassedToService"


@pytest.mark.parametrize("condition, expected", [
    ({"StringEquals": {PASSED_TO: "lambda.amazonaws.com"}}, LAMBDA_PATH),
    ({"StringEquals": {PASSED_TO: ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]}},
     LAMBDA_PATH),
    ({"StringLike": {PASSED_TO: "lambda.*"}}, LAMBDA_PATH),
    ({"StringLike": {PASSED_TO: "*.amazonaws.com"}}, EC2_PATH),  # every service: the first path
    ({"ForAnyValue:StringEquals": {PASSED_TO: "lambda.amazonaws.com"}}, LAMBDA_PATH),
    ({"StringEqualsIgnoreCase": {"IAM:passedtoservice": "LAMBDA.amazonaws.com"}}, LAMBDA_PATH),
    ({"StringNotEquals": {PASSED_TO: "ec2.amazonaws.com"}}, LAMBDA_PATH),
    # To another service: not the Lambda path.
    ({"StringEquals": {PASSED_TO: "ecs-tasks.amazonaws.com"}}, None),
    ({"StringLike": {PASSED_TO: "lambda.amazonaws.com.cn"}}, None),
    ({"StringNotEquals": {PASSED_TO: "lambda.amazonaws.com"}}, EC2_PATH),
    # Any other condition depends on the request: proves nothing.
    ({"StringEquals": {PASSED_TO: "lambda.amazonaws.com"},
      "ArnLike": {"iam:AssociatedResourceArn": "arn:aws:lambda:*:*:function:*"}}, None),
    ({"StringEquals": {PASSED_TO: "lambda.amazonaws.com", "aws:ResourceTag/team": "ci"}}, None),
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, None),
])
def test_a_pass_role_condition_on_the_service_is_decided_per_path(condition, expected):
    result = found(allow("iam:PassRole", Condition=condition),
                   allow(["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances"]))
    assert needs(result) == expected


@pytest.mark.parametrize("deny, expected", [
    # A deny of passing roles to EC2 leaves the Lambda path.
    ({"StringEquals": {PASSED_TO: "ec2.amazonaws.com"}}, LAMBDA_PATH),
    # Denied to every service but Lambda: the EC2 path goes, the Lambda path stays.
    ({"StringNotEquals": {PASSED_TO: "lambda.amazonaws.com"}}, LAMBDA_PATH),
    ({"StringEquals": {PASSED_TO: "lambda.amazonaws.com"}}, EC2_PATH),
    ({"StringLike": {PASSED_TO: "*"}}, None),
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, None),  # may deny: no path
])
def test_a_deny_on_the_passed_service_takes_away_only_its_paths(deny, expected):
    result = found(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction",
                          "ec2:RunInstances"]),
                   {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
                    "Condition": deny})
    assert needs(result) == expected


def test_the_finding_names_the_service_a_role_is_passed_to():
    assert found(managed=("AWSLambda_FullAccess",)).describe() == (
        "the AWS managed policy AWSLambda_FullAccess allows `iam:PassRole` on every role (passed "
        "to `lambda.amazonaws.com`) with `lambda:CreateFunction` (by `lambda:*`) and "
        "`lambda:InvokeFunction` (by `lambda:*`)")


FIXTURES = Path(__file__).parent / "fixtures" / "OIDC209"


@pytest.mark.parametrize("fixture, names", [
    ("positive-lambda-full-access", "the AWS managed policy AWSLambda_FullAccess allows "
     "`iam:PassRole` on every role (passed to `lambda.amazonaws.com`)"),
    ("positive-managed-halves-meet", "the AWS managed policy "
     "AdministratorAccess-AWSElasticBeanstalk and the AWS managed policy "
     "AWSCloudFormationFullAccess allow `iam:PassRole`"),
    ("positive-job-function-looked-up", "the AWS managed policy DataScientist allows"),
])
def test_a_finding_names_the_managed_policy_and_the_permission(fixture, names):
    [finding] = [f for f in scan([FIXTURES / fixture], root=FIXTURES / fixture).findings
                 if f.rule_id == "OIDC209"]
    assert names in " ".join(finding.message.split())


@pytest.mark.parametrize("resources, expected", [
    (["*"], EC2_PATH),
    (["arn:aws:ec2:*:*:*"], EC2_PATH),
    ([f"arn:aws:ec2:*:*:{t}/*" for t in ("image", "instance", "network-interface",
                                          "security-group", "subnet", "volume")], EC2_PATH),
    # An instance needs an image, a subnet, a network interface, security groups, volumes:
    # a grant on instances alone launches nothing.
    (["arn:aws:ec2:*:*:instance/*"], None),
    (["arn:aws:ec2:*::image/*", "arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:security-group/*"],
     None),
])
def test_an_instance_launch_needs_every_resource_it_uses(resources, expected):
    assert needs(found(allow("iam:PassRole"), allow("ec2:RunInstances", resources))) == expected


@pytest.mark.parametrize("entry, expected", [
    # Every resource of the action's own type proves it; of another type, nothing.
    (allow(["sagemaker:CreateTrainingJob"], "arn:aws:sagemaker:*:*:training-job/*"),
     ["iam:PassRole", "sagemaker:CreateTrainingJob"]),
    (allow(["sagemaker:CreateTrainingJob"], "arn:aws:sagemaker:*:*:training-plan/*"), None),
    (allow(["ecs:RegisterTaskDefinition", "ecs:RunTask"], "arn:aws:ecs:*:*:task-definition/*"),
     None),  # registering takes no resource: only `*` allows it
    # NotResource leaving out other types of the service leaves the action's own.
    ({"Effect": "Allow", "Action": "sagemaker:*",
      "NotResource": ["arn:aws:sagemaker:*:*:domain/*", "arn:aws:sagemaker:*:*:app/*"]},
     NOTEBOOK_PATH),
    ({"Effect": "Allow", "Action": "sagemaker:*",
      "NotResource": ["arn:aws:sagemaker:*:*:notebook-instance/*",
                      "arn:aws:sagemaker:*:*:training-job/*",
                      "arn:aws:sagemaker:*:*:processing-*"]},
     None),
])
def test_service_actions_are_checked_on_their_own_resource_type(entry, expected):
    assert needs(found(allow("iam:PassRole"), entry)) == expected


def test_every_service_action_of_a_path_has_its_resource_types():
    assert {a for p in PATHS for a, kind in p.needs if kind == ANY} <= set(RESOURCE_TYPES)


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


# A path that makes its own role: the IAM actions need one role name in common, not every
# role; the service's actions one function (or task definition) in common.

NEW_ROLE_LAMBDA = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole",
                   "lambda:CreateFunction", "lambda:InvokeFunction"]
ROLES = "arn:aws:iam::123456789012:role/"
FUNCTIONS = "arn:aws:lambda:eu-west-1:123456789012:function:"


@pytest.mark.parametrize("entries, expected", [
    # Everything scoped to names the holder chooses: xplorers-anything.
    ([allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"], ROLES + "xplorers*"),
      allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "xplorers*")],
     NEW_ROLE_LAMBDA),
    # Prefixes that overlap: a name both allow exists.
    ([allow("iam:CreateRole", ROLES + "ci-*"), allow("iam:AttachRolePolicy", ROLES + "ci-*"),
      allow("iam:PassRole", ROLES + "c*"),
      allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "*")],
     ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole", "lambda:CreateFunction",
      "lambda:InvokeFunction"]),
    # A task definition family of its own, registered and run.
    ([allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"], ROLES + "jobs-*"),
      allow("ecs:RegisterTaskDefinition"),
      allow("ecs:RunTask", "arn:aws:ecs:*:123456789012:task-definition/jobs-*")],
     ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole", "ecs:RegisterTaskDefinition",
      "ecs:RunTask"]),
])
def test_a_role_it_creates_itself_and_runs_code_as(entries, expected):
    assert needs(found(*entries)) == expected


@pytest.mark.parametrize("entries", [
    # The role it may create is not one it may pass.
    [allow(["iam:CreateRole", "iam:PutRolePolicy"], ROLES + "app-*"),
     allow("iam:PassRole", ROLES + "lambda-*"),
     allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "*")],
    # It may not give the new role any permissions.
    [allow(["iam:CreateRole", "iam:PassRole"], ROLES + "app-*"),
     allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "*")],
    # The function it may create is not one it may invoke.
    [allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"], ROLES + "app-*"),
     allow("lambda:CreateFunction", FUNCTIONS + "build-*"),
     allow("lambda:InvokeFunction", FUNCTIONS + "report-*")],
    # A permissions boundary required on every role it creates: a conditional allow.
    [allow("iam:CreateRole", ROLES + "app-*", Condition={"StringEquals": {
        "iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/boundary"}}),
     allow(["iam:PutRolePolicy", "iam:PassRole"], ROLES + "app-*"),
     allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "*")],
    # A deny that may cover a needed action takes the path away.
    [allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"], ROLES + "app-*"),
     {"Effect": "Deny", "Action": "iam:CreateRole", "Resource": ROLES + "app-admin"},
     allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "*")],
])
def test_a_role_it_creates_proves_nothing_unless_every_step_meets(entries):
    assert found(*entries) is None


def test_the_finding_names_the_role_and_function_it_may_make():
    result = found(allow(["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"],
                         ROLES + "xplorers*"),
                   allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS + "xplorers*"))
    assert result.path.gives == "can create a role with any permissions and run a function as it"
    assert result.describe() == (
        f"its policy inline allows `iam:CreateRole`, `iam:PutRolePolicy` and `iam:PassRole` on "
        f"`{ROLES}xplorers*` with `lambda:CreateFunction` and `lambda:InvokeFunction` on "
        f"`{FUNCTIONS}xplorers*`")
