"""AWS managed policies that bear on privilege, as data: for each, the statements of its default
version that grant an action an escalation path needs (``oidclint.iam.privilege.PATHS``).

Only those statements are kept, and in them only the actions a path needs: the rest of each
document (reads, other services) never makes a role privileged, alone or with other policies.
A statement whose condition is on anything but `iam:PassedToService` proves nothing
(``privilege``), so it is left out too. Each policy is named by its reference page,
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html, with the
version read; docs/facts.md (section 10) says which of them make a role privileged alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oidclint.iam.policy import document_from_value
from oidclint.model import Statement

REFERENCE = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"


def allow(*actions: str, on: tuple[str, ...] = ("*",), not_on: tuple[str, ...] = (),
          when: dict | None = None) -> dict:
    """A statement in IAM's JSON form: allow the actions on the resources (or on every
    resource but ``not_on``), under the condition ``when``."""
    statement: dict = {"Effect": "Allow", "Action": list(actions)}
    if not_on:
        statement["NotResource"] = list(not_on)
    else:
        statement["Resource"] = list(on)
    if when:
        statement["Condition"] = when
    return statement


def allow_all_but(*actions: str) -> dict:
    """Allow every action but those (`NotAction`), on every resource."""
    return {"Effect": "Allow", "NotAction": list(actions), "Resource": "*"}


def passed_to(*services: str, operator: str = "StringEquals") -> dict:
    """The condition that limits `iam:PassRole` to the services."""
    return {operator: {"iam:PassedToService": list(services)}}


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    version: str
    """The default version read."""
    statements: list[dict]
    path: str = "/"
    deprecated: bool = False
    """AWS says the policy is on a deprecation path: no new attachment, but roles that had it
    keep it."""
    document: list[Statement] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        parsed = document_from_value({"Version": "2012-10-17", "Statement": self.statements})
        object.__setattr__(self, "document", parsed.statements)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE}{self.name}.html"


SAGEMAKER_NOT_RESOURCES = ("arn:aws:sagemaker:*:*:domain/*", "arn:aws:sagemaker:*:*:user-profile/*",
                           "arn:aws:sagemaker:*:*:app/*", "arn:aws:sagemaker:*:*:flow-definition/*")

POLICIES: tuple[ManagedPolicy, ...] = (
    ManagedPolicy("AdministratorAccess", "v1", [allow("*")]),
    # (the organizations reads it also grants escalate nothing)
    ManagedPolicy("IAMFullAccess", "v2", [allow("iam:*")]),
    # Every action but IAM's, Organizations' and Account's: no iam:PassRole, so none of the
    # paths on its own; with an iam:PassRole granted elsewhere, all of the services.
    ManagedPolicy("PowerUserAccess", "v6", [
        allow_all_but("iam:*", "organizations:*", "account:*"),
        allow("iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles")]),
    # A stack runs with the caller's own permissions unless a role is passed: not alone.
    ManagedPolicy("AWSCloudFormationFullAccess", "v1", [allow("cloudformation:*")]),
    ManagedPolicy("AWSLambda_FullAccess", "v2", [
        allow("lambda:*"),
        allow("iam:PassRole", when=passed_to("lambda.amazonaws.com"))]),
    ManagedPolicy("AWSLambdaFullAccess", "v8", [allow("iam:PassRole", "lambda:*")],
                  deprecated=True),
    ManagedPolicy("AmazonECS_FullAccess", "v21", [
        allow("cloudformation:CreateStack", "ec2:RunInstances", "ecs:*"),
        allow("iam:PassRole", when=passed_to("ecs-tasks.amazonaws.com", operator="StringLike")),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/ecsInfrastructureRole",),
              when=passed_to("ecs.amazonaws.com")),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/ecsInstanceRole*",),
              when=passed_to("ec2.amazonaws.com", "ec2.amazonaws.com.cn", operator="StringLike"))]),
    ManagedPolicy("AmazonEC2ContainerServiceFullAccess", "v4", [
        allow("cloudformation:CreateStack", "ecs:*", "iam:PassRole")], deprecated=True),
    ManagedPolicy("AmazonSageMakerFullAccess", "v27", [
        allow("sagemaker:*", not_on=SAGEMAKER_NOT_RESOURCES + (
            "arn:aws:sagemaker:*:*:space/*", "arn:aws:sagemaker:*:*:partner-app/*",
            "arn:aws:sagemaker:*:*:training-plan/*", "arn:aws:sagemaker:*:*:reserved-capacity/*")),
        allow("glue:CreateJob", "glue:StartJobRun"),
        allow("codebuild:StartBuild", on=("arn:aws:codebuild:*:*:project/sagemaker*",
                                          "arn:aws:codebuild:*:*:build/*")),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/*AmazonSageMaker*",),
              when=passed_to("glue.amazonaws.com", "robomaker.amazonaws.com",
                             "states.amazonaws.com")),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/*",),
              when=passed_to("sagemaker.amazonaws.com"))]),
    ManagedPolicy("DataScientist", "v5", path="/job-function/", statements=[
        allow("cloudformation:CreateStack", "lambda:Create*", "lambda:InvokeFunction"),
        allow("ec2:RunInstances"),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/DataPipelineDefaultRole",
                                  "arn:aws:iam::*:role/DataPipelineDefaultResourceRole",
                                  "arn:aws:iam::*:role/EMR_EC2_DefaultRole",
                                  "arn:aws:iam::*:role/EMR_DefaultRole",
                                  "arn:aws:iam::*:role/kinesis-*")),
        allow("iam:PassRole", when=passed_to("sagemaker.amazonaws.com")),
        allow("sagemaker:*", not_on=SAGEMAKER_NOT_RESOURCES)]),
    # Its statements allowing IAM writes under `aws:CalledVia` (through CloudFormation only)
    # are left out; these are not limited.
    ManagedPolicy("AdministratorAccess-Amplify", "v12", [
        allow("cloudformation:CreateStack", on=("arn:aws:cloudformation:*:*:stack/amplify-*",)),
        allow("sts:AssumeRole", "lambda:CreateFunction", "lambda:AddPermission",
              "lambda:InvokeFunction", "iam:PutRolePolicy", "iam:AttachRolePolicy",
              "iam:PassRole", "iam:CreatePolicyVersion"),
        allow("iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole",
              "lambda:CreateFunction", "lambda:CreateEventSourceMapping",
              "iam:UpdateAssumeRolePolicy")]),
    ManagedPolicy("AmazonElasticMapReduceFullAccess", "v7", [
        allow("cloudformation:CreateStack", "ec2:RunInstances", "iam:PassRole")],
        deprecated=True),
    ManagedPolicy("AWSElasticBeanstalkFullAccess", "v8", [
        allow("ec2:*", "ecs:*", "cloudformation:*", "iam:PassRole", "codebuild:CreateProject",
              "codebuild:StartBuild")], deprecated=True),
    # Its iam:PassRole to SSM, limited by `iam:AssociatedResourceARN`, is left out.
    ManagedPolicy("AWSMarketplaceFullAccess", "v4", [
        allow("cloudformation:CreateStack", "ec2:RunInstances"),
        allow("iam:PassRole", when=passed_to("ec2.amazonaws.com", operator="StringLike"))]),
    ManagedPolicy("AmazonDynamoDBFullAccesswithDataPipeline", "v2", [
        allow("lambda:*"), allow("iam:PassRole"), allow("ec2:RunInstances")], deprecated=True),
    ManagedPolicy("AWSOpsWorksRegisterCLI", "v1", [allow("iam:CreateAccessKey", "iam:PassRole")],
                  deprecated=True),
    # Half a path each: the service, without iam:PassRole on every role to it.
    ManagedPolicy("AmazonEC2FullAccess", "v5", [allow("ec2:*")]),
    ManagedPolicy("AWSCodeBuildAdminAccess", "v15", [allow("codebuild:*")]),
    ManagedPolicy("AmazonDynamoDBFullAccess", "v15", [
        allow("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
        allow("iam:PassRole", when=passed_to("application-autoscaling.amazonaws.com",
                                             "application-autoscaling.amazonaws.com.cn",
                                             "dax.amazonaws.com", operator="StringLike"))]),
    ManagedPolicy("AWSGlueConsoleFullAccess", "v14", [
        allow("glue:*"),
        allow("cloudformation:CreateStack", on=("arn:aws:cloudformation:*:*:stack/aws-glue*/*",)),
        allow("ec2:RunInstances", on=tuple(f"arn:aws:ec2:*:*:{t}/*" for t in (
            "instance", "key-pair", "image", "security-group", "network-interface", "subnet",
            "volume"))),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/AWSGlueServiceRole*",
                                  "arn:aws:iam::*:role/service-role/AWSGlueServiceRole*"),
              when=passed_to("glue.amazonaws.com", operator="StringLike")),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/AWSGlueServiceNotebookRole*",),
              when=passed_to("ec2.amazonaws.com", operator="StringLike"))]),
    # Its ec2:RunInstances (with a launch template condition) and its iam:AttachRolePolicy
    # (of Beanstalk policies only, `iam:PolicyArn`) are left out.
    ManagedPolicy("AdministratorAccess-AWSElasticBeanstalk", "v4", [
        allow("ecs:RegisterTaskDefinition"),
        allow("cloudformation:CreateStack", on=("arn:aws:cloudformation:*:*:stack/awseb-*",
                                                "arn:aws:cloudformation:*:*:stack/eb-*")),
        allow("codebuild:CreateProject", "codebuild:StartBuild",
              on=("arn:aws:codebuild:*:*:project/Elastic-Beanstalk-*",)),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/*",), when=passed_to(
            "elasticbeanstalk.amazonaws.com", "ec2.amazonaws.com", "ec2.amazonaws.com.cn",
            "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
            "ecs.amazonaws.com", "cloudformation.amazonaws.com"))]),
    ManagedPolicy("SystemAdministrator", "v7", path="/job-function/", statements=[
        allow("lambda:Create*", "lambda:InvokeFunction"),
        allow("ec2:RunInstances"),
        allow("iam:PassRole", on=("arn:aws:iam::*:role/rds-monitoring-role",
                                  "arn:aws:iam::*:role/ec2-sysadmin-*",
                                  "arn:aws:iam::*:role/ecr-sysadmin-*",
                                  "arn:aws:iam::*:role/lambda-sysadmin-*"))]),
)
"""The AWS managed policies oidclint reads, in the order docs/facts.md lists them."""

BY_NAME: dict[str, ManagedPolicy] = {p.name: p for p in POLICIES}
