"""Generate a synthetic infrastructure monorepo for benchmarking oidclint.

    python bench/generate.py OUT --modules 500 --oidc-share 0.05 --seed 1

Most modules are ordinary AWS Terraform (network, buckets, ECS services, Lambda functions with
roles that trust AWS services) or ordinary CloudFormation. A share of them federate a web
identity: a GitHub Actions or EKS (IRSA) provider, roles trusting it, the workflows and
ServiceAccounts that assume those roles, and about 30% of them are broken on purpose. On top of
those, a share (``--cloud-share``) federate into Google Cloud (a GitHub workload identity pool
provider and a service account) or Azure (AKS workload identity through a managed identity's
federated credential), about 30% broken too. The
same seed always gives the same tree.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
from pathlib import Path

ORG = "acme"
ACCOUNT = "123456789012"
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
TEAMS = ["payments", "search", "identity", "billing", "catalog", "growth", "platform", "data"]
NOUNS = ["api", "worker", "ingest", "reports", "gateway", "notifier", "exporter", "scheduler",
         "indexer", "ledger", "checkout", "profile", "media", "audit", "sync", "router"]
BROKEN_KINDS = ["missing-sub", "org-wide", "wildcard-equals"]


def block(text: str, **values) -> str:
    """Dedent a template and fill its %(name)s fields (a literal % is written %%)."""
    return textwrap.dedent(text).lstrip("\n") % values


# --- ordinary Terraform -------------------------------------------------------------------

def network_tf(rng: random.Random, name: str, region: str) -> str:
    azs = ", ".join(f'"{region}{z}"' for z in "abc")
    octet = rng.randrange(0, 250)
    out = block('''
        module "vpc" {
          source  = "terraform-aws-modules/vpc/aws"
          version = "~> 5.8"

          name = "%(name)s"
          cidr = "10.%(o)d.0.0/16"

          azs             = [%(azs)s]
          private_subnets = ["10.%(o)d.1.0/24", "10.%(o)d.2.0/24", "10.%(o)d.3.0/24"]
          public_subnets  = ["10.%(o)d.101.0/24", "10.%(o)d.102.0/24", "10.%(o)d.103.0/24"]

          enable_nat_gateway   = true
          single_nat_gateway   = %(single)s
          enable_dns_hostnames = true

          tags = local.tags
        }

        resource "aws_security_group" "%(name)s" {
          name        = "%(name)s"
          description = "Traffic for %(name)s"
          vpc_id      = module.vpc.vpc_id
          tags        = local.tags
        }
        ''', name=name, o=octet, azs=azs, single=rng.choice(["true", "false"]))
    for i in range(rng.randint(3, 14)):
        port = rng.choice([443, 8080, 5432, 6379, 9090, 3000])
        out += "\n" + block('''
            resource "aws_vpc_security_group_ingress_rule" "%(name)s_%(i)d" {
              security_group_id = aws_security_group.%(name)s.id
              description       = "Allow %(port)d from the private subnets (%(i)d)"
              cidr_ipv4         = module.vpc.private_subnets_cidr_blocks[%(az)d]
              from_port         = %(port)d
              to_port           = %(port)d
              ip_protocol       = "tcp"
            }
            ''', name=name, i=i, port=port, az=i % 3)
    out += "\n" + block('''
        resource "aws_vpc_security_group_egress_rule" "%(name)s_all" {
          security_group_id = aws_security_group.%(name)s.id
          cidr_ipv4         = "0.0.0.0/0"
          ip_protocol       = "-1"
        }

        resource "aws_vpc_endpoint" "s3" {
          vpc_id            = module.vpc.vpc_id
          service_name      = "com.amazonaws.%(region)s.s3"
          vpc_endpoint_type = "Gateway"
          route_table_ids   = module.vpc.private_route_table_ids
        }
        ''', name=name, region=region)
    return out


def bucket_tf(rng: random.Random, name: str, label: str) -> str:
    days = rng.choice([30, 90, 365])
    return block('''
        resource "aws_s3_bucket" "%(label)s" {
          bucket = "${local.prefix}-%(name)s-%(label)s"
          tags   = local.tags
        }

        resource "aws_s3_bucket_versioning" "%(label)s" {
          bucket = aws_s3_bucket.%(label)s.id
          versioning_configuration {
            status = "Enabled"
          }
        }

        resource "aws_s3_bucket_server_side_encryption_configuration" "%(label)s" {
          bucket = aws_s3_bucket.%(label)s.id
          rule {
            apply_server_side_encryption_by_default {
              sse_algorithm     = "aws:kms"
              kms_master_key_id = var.kms_key_arn
            }
            bucket_key_enabled = true
          }
        }

        resource "aws_s3_bucket_public_access_block" "%(label)s" {
          bucket                  = aws_s3_bucket.%(label)s.id
          block_public_acls       = true
          block_public_policy     = true
          ignore_public_acls      = true
          restrict_public_buckets = true
        }

        resource "aws_s3_bucket_lifecycle_configuration" "%(label)s" {
          bucket = aws_s3_bucket.%(label)s.id
          rule {
            id     = "expire-noncurrent"
            status = "Enabled"
            filter {}
            noncurrent_version_expiration {
              noncurrent_days = %(days)d
            }
          }
        }

        data "aws_iam_policy_document" "%(label)s_bucket" {
          statement {
            sid     = "DenyInsecureTransport"
            effect  = "Deny"
            actions = ["s3:*"]
            resources = [
              aws_s3_bucket.%(label)s.arn,
              "${aws_s3_bucket.%(label)s.arn}/*",
            ]
            principals {
              type        = "*"
              identifiers = ["*"]
            }
            condition {
              test     = "Bool"
              variable = "aws:SecureTransport"
              values   = ["false"]
            }
          }

          statement {
            sid       = "AllowReadFromAccount"
            actions   = ["s3:GetObject", "s3:ListBucket"]
            resources = [aws_s3_bucket.%(label)s.arn, "${aws_s3_bucket.%(label)s.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = ["arn:aws:iam::%(account)s:root"]
            }
          }
        }

        resource "aws_s3_bucket_policy" "%(label)s" {
          bucket = aws_s3_bucket.%(label)s.id
          policy = data.aws_iam_policy_document.%(label)s_bucket.json
        }
        ''', name=name, label=label, days=days, account=ACCOUNT)


def ecs_tf(rng: random.Random, name: str, region: str) -> str:
    env = ",\n".join(
        f'          {{ name = "{k}", value = "{v}" }}'
        for k, v in [("AWS_REGION", region), ("SERVICE_NAME", name),
                     ("LOG_LEVEL", rng.choice(["info", "debug", "warn"]))])
    return block('''
        resource "aws_iam_role" "%(name)s_task" {
          name = "%(name)s-task"
          assume_role_policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { Service = "ecs-tasks.amazonaws.com" }
              Action    = "sts:AssumeRole"
              Condition = {
                ArnLike = { "aws:SourceArn" = "arn:aws:ecs:%(region)s:%(account)s:*" }
              }
            }]
          })
          tags = local.tags
        }

        resource "aws_iam_role" "%(name)s_execution" {
          name = "%(name)s-execution"
          assume_role_policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Principal = { Service = "ecs-tasks.amazonaws.com" }
              Action    = "sts:AssumeRole"
            }]
          })
        }

        resource "aws_iam_role_policy_attachment" "%(name)s_execution" {
          role       = aws_iam_role.%(name)s_execution.name
          policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        }

        resource "aws_iam_role_policy" "%(name)s_task" {
          name = "runtime"
          role = aws_iam_role.%(name)s_task.id
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [
              {
                Effect   = "Allow"
                Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
                Resource = "arn:aws:sqs:%(region)s:%(account)s:%(name)s-*"
              },
              {
                Effect   = "Allow"
                Action   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
                Resource = "arn:aws:ssm:%(region)s:%(account)s:parameter/%(name)s/*"
              },
            ]
          })
        }

        resource "aws_cloudwatch_log_group" "%(name)s" {
          name              = "/ecs/%(name)s"
          retention_in_days = %(retention)d
        }

        resource "aws_ecs_task_definition" "%(name)s" {
          family                   = "%(name)s"
          requires_compatibilities = ["FARGATE"]
          network_mode             = "awsvpc"
          cpu                      = %(cpu)d
          memory                   = %(mem)d
          task_role_arn            = aws_iam_role.%(name)s_task.arn
          execution_role_arn       = aws_iam_role.%(name)s_execution.arn
          container_definitions = jsonencode([
            {
              name      = "%(name)s"
              image     = "%(account)s.dkr.ecr.%(region)s.amazonaws.com/%(name)s:${var.image_tag}"
              essential = true
              portMappings = [{ containerPort = 8080, protocol = "tcp" }]
              environment = [
        %(env)s
              ]
              logConfiguration = {
                logDriver = "awslogs"
                options = {
                  awslogs-group         = aws_cloudwatch_log_group.%(name)s.name
                  awslogs-region        = "%(region)s"
                  awslogs-stream-prefix = "app"
                }
              }
            }
          ])
        }

        resource "aws_ecs_service" "%(name)s" {
          name            = "%(name)s"
          cluster         = var.cluster_arn
          task_definition = aws_ecs_task_definition.%(name)s.arn
          desired_count   = var.desired_count
          launch_type     = "FARGATE"

          network_configuration {
            subnets         = var.private_subnet_ids
            security_groups = var.security_group_ids
          }

          deployment_circuit_breaker {
            enable   = true
            rollback = true
          }
        }
        ''', name=name, region=region, account=ACCOUNT, env=env,
        retention=rng.choice([14, 30, 90]), cpu=rng.choice([256, 512, 1024]),
        mem=rng.choice([512, 1024, 2048]))


def lambda_tf(rng: random.Random, name: str, region: str) -> str:
    return block('''
        data "aws_iam_policy_document" "%(name)s_assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = ["lambda.amazonaws.com"]
            }
          }
        }

        resource "aws_iam_role" "%(name)s_lambda" {
          name               = "%(name)s-lambda"
          assume_role_policy = data.aws_iam_policy_document.%(name)s_assume.json
        }

        resource "aws_iam_role_policy_attachment" "%(name)s_basic" {
          role       = aws_iam_role.%(name)s_lambda.name
          policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        }

        resource "aws_sqs_queue" "%(name)s_dlq" {
          name                      = "%(name)s-dlq"
          message_retention_seconds = 1209600
        }

        resource "aws_sqs_queue" "%(name)s" {
          name                       = "%(name)s"
          visibility_timeout_seconds = %(timeout)d
          redrive_policy = jsonencode({
            deadLetterTargetArn = aws_sqs_queue.%(name)s_dlq.arn
            maxReceiveCount     = 5
          })
        }

        resource "aws_lambda_function" "%(name)s" {
          function_name = "%(name)s"
          role          = aws_iam_role.%(name)s_lambda.arn
          runtime       = "%(runtime)s"
          handler       = "main.handler"
          s3_bucket     = var.artifact_bucket
          s3_key        = "%(name)s/${var.image_tag}.zip"
          timeout       = %(timeout)d
          memory_size   = %(mem)d

          environment {
            variables = {
              QUEUE_URL = aws_sqs_queue.%(name)s.url
              REGION    = "%(region)s"
            }
          }
        }

        resource "aws_lambda_event_source_mapping" "%(name)s" {
          event_source_arn = aws_sqs_queue.%(name)s.arn
          function_name    = aws_lambda_function.%(name)s.arn
          batch_size       = %(batch)d
        }
        ''', name=name, region=region, timeout=rng.choice([30, 60, 300]),
        runtime=rng.choice(["python3.12", "nodejs20.x", "provided.al2023"]),
        mem=rng.choice([128, 256, 512]), batch=rng.choice([1, 10, 25]))


def monitoring_tf(rng: random.Random, name: str) -> str:
    """CloudWatch alarms: the long, repetitive file many real modules have."""
    out = ""
    for i in range(rng.randint(10, 68)):
        metric = rng.choice(["Errors", "Throttles", "Duration", "ApproximateAgeOfOldestMessage",
                             "CPUUtilization", "MemoryUtilization", "5XXError"])
        out += block('''
            resource "aws_cloudwatch_metric_alarm" "%(name)s_%(i)d" {
              alarm_name          = "%(name)s-%(metric)s-%(i)d"
              alarm_description   = "%(metric)s above threshold for %(name)s"
              comparison_operator = "GreaterThanThreshold"
              evaluation_periods  = %(periods)d
              metric_name         = "%(metric)s"
              namespace           = "%(namespace)s"
              period              = 300
              statistic           = "Sum"
              threshold           = %(threshold)d
              treat_missing_data  = "notBreaching"
              alarm_actions       = [var.alarm_topic_arn]
              dimensions = {
                ServiceName = "%(name)s"
              }
            }

            ''', name=name, i=i, metric=metric, periods=rng.choice([1, 2, 3]),
            namespace=rng.choice(["AWS/Lambda", "AWS/ECS", "AWS/SQS"]),
            threshold=rng.choice([1, 5, 10, 80]))
    return out + 'variable "alarm_topic_arn" {\n  type    = string\n  default = ""\n}\n'


def shared_module_call(rng: random.Random, name: str) -> str:
    which = rng.choice(["s3-bucket", "alarms", "ecr-repository"])
    return block('''
        module "%(label)s" {
          source = "../../modules/%(which)s"
          name   = "%(name)s"
          tags   = local.tags
        }
        ''', label=which.replace("-", "_"), which=which, name=name)


def variables_tf(rng: random.Random, name: str) -> str:
    out = ""
    specs = [("image_tag", "string", '"latest"', "Image or artifact version to deploy."),
             ("desired_count", "number", str(rng.choice([1, 2, 3])), "Number of tasks."),
             ("cluster_arn", "string", None, "ECS cluster to run in."),
             ("private_subnet_ids", "list(string)", "[]", "Subnets for tasks."),
             ("security_group_ids", "list(string)", "[]", "Security groups for tasks."),
             ("kms_key_arn", "string", None, "KMS key for bucket encryption."),
             ("artifact_bucket", "string", f'"{ORG}-artifacts"', "Bucket holding build artifacts."),
             ("environment", "string", f'"{rng.choice(["prod", "staging", "dev"])}"', "Environment name.")]
    for var, typ, default, desc in specs:
        out += f'variable "{var}" {{\n  description = "{desc}"\n  type        = {typ}\n'
        if default is not None:
            out += f"  default     = {default}\n"
        out += "}\n\n"
    return out + block('''
        variable "tags" {
          description = "Extra tags for %(name)s."
          type        = map(string)
          default     = {}
        }
        ''', name=name)


def locals_tf(team: str, name: str) -> str:
    return block('''
        locals {
          prefix = "%(org)s-${var.environment}"
          tags = merge(var.tags, {
            Team        = "%(team)s"
            Service     = "%(name)s"
            Environment = var.environment
            ManagedBy   = "terraform"
          })
        }
        ''', org=ORG, team=team, name=name)


def outputs_tf(names: list[str]) -> str:
    return "".join(f'output "{n}" {{\n  value = {ref}\n}}\n\n' for n, ref in names)


def versions_tf(region: str) -> str:
    return block('''
        terraform {
          required_version = ">= 1.6"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = "~> 5.40"
            }
          }
        }

        provider "aws" {
          region = "%(region)s"
        }
        ''', region=region)


# --- OIDC Terraform -------------------------------------------------------------------------

GITHUB_URL = "token.actions.githubusercontent.com"


def github_trust(rng: random.Random, name: str, repo: str, broken: str | None,
                 provider_ref: str) -> str:
    sub_test, subs = "StringEquals", [f"repo:{repo}:ref:refs/heads/main",
                                      f"repo:{repo}:environment:production"]
    if broken == "org-wide":
        sub_test, subs = "StringLike", [f"repo:{ORG}/*"]
    elif broken == "wildcard-equals":
        subs = [f"repo:{repo}:*"]
    if rng.random() < 0.5:
        sub_condition = "" if broken == "missing-sub" else block('''
            condition {
              test     = "%(test)s"
              variable = "%(url)s:sub"
              values   = [%(subs)s]
            }
            ''', test=sub_test, url=GITHUB_URL, subs=", ".join(f'"{s}"' for s in subs))
        return block('''
            data "aws_iam_policy_document" "%(name)s_ci_trust" {
              statement {
                actions = ["sts:AssumeRoleWithWebIdentity"]
                principals {
                  type        = "Federated"
                  identifiers = [%(provider)s]
                }
                condition {
                  test     = "StringEquals"
                  variable = "%(url)s:aud"
                  values   = ["sts.amazonaws.com"]
                }
            %(sub)s  }
            }

            resource "aws_iam_role" "%(name)s_ci" {
              name               = "%(name)s-ci"
              assume_role_policy = data.aws_iam_policy_document.%(name)s_ci_trust.json
            }
            ''', name=name, provider=provider_ref, url=GITHUB_URL,
            sub=textwrap.indent(sub_condition, "    "))
    conditions = {"StringEquals": {f"{GITHUB_URL}:aud": ["sts.amazonaws.com"]}}
    if broken != "missing-sub":
        conditions.setdefault(sub_test, {})[f"{GITHUB_URL}:sub"] = subs
    cond = "\n".join(
        f'        {test} = {{\n' + "\n".join(
            f'          "{k}" = [{", ".join(json.dumps(v) for v in vals)}]'
            for k, vals in keys.items()) + "\n        }"
        for test, keys in conditions.items())
    return block('''
        resource "aws_iam_role" "%(name)s_ci" {
          name = "%(name)s-ci"
          assume_role_policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect    = "Allow"
              Action    = "sts:AssumeRoleWithWebIdentity"
              Principal = { Federated = %(provider)s }
              Condition = {
        %(cond)s
              }
            }]
          })
        }
        ''', name=name, provider=provider_ref, cond=cond)


def irsa_trust(label: str, name: str, namespace: str, broken: str | None) -> str:
    sub_test, sub = "StringEquals", f"system:serviceaccount:{namespace}:{name}"
    if broken == "org-wide":
        sub_test, sub = "StringLike", "system:serviceaccount:*:*"
    elif broken == "wildcard-equals":
        sub = f"system:serviceaccount:{namespace}:*"
    sub_condition = "" if broken == "missing-sub" else block('''
        condition {
          test     = "%(test)s"
          variable = "${local.oidc_issuer}:sub"
          values   = ["%(sub)s"]
        }
        ''', test=sub_test, sub=sub)
    return block('''
        data "aws_eks_cluster" "this" {
          name = var.cluster_name
        }

        locals {
          oidc_issuer = replace(data.aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
        }

        data "aws_iam_policy_document" "%(label)s_irsa" {
          statement {
            actions = ["sts:AssumeRoleWithWebIdentity"]
            principals {
              type        = "Federated"
              identifiers = ["arn:aws:iam::%(account)s:oidc-provider/${local.oidc_issuer}"]
            }
            condition {
              test     = "StringEquals"
              variable = "${local.oidc_issuer}:aud"
              values   = ["sts.amazonaws.com"]
            }
        %(sub)s  }
        }

        resource "aws_iam_role" "%(label)s_irsa" {
          name               = "%(name)s-irsa"
          assume_role_policy = data.aws_iam_policy_document.%(label)s_irsa.json
        }

        variable "cluster_name" {
          type    = string
          default = "main"
        }
        ''', label=label, name=name, account=ACCOUNT, sub=textwrap.indent(sub_condition, "    "))


def github_workflow(name: str, region: str, module_dir: str) -> str:
    return block('''
        name: deploy %(name)s

        on:
          push:
            branches: [main]
            paths: ["%(dir)s/**"]
          workflow_dispatch: {}

        permissions:
          id-token: write
          contents: read

        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - uses: actions/checkout@v4
              - uses: aws-actions/configure-aws-credentials@v4
                with:
                  role-to-assume: arn:aws:iam::%(account)s:role/%(name)s-ci
                  aws-region: %(region)s
              - uses: hashicorp/setup-terraform@v3
              - name: Apply
                working-directory: %(dir)s
                run: |
                  terraform init -input=false
                  terraform apply -input=false -auto-approve
        ''', name=name, region=region, dir=module_dir, account=ACCOUNT)


def service_account_yaml(name: str, namespace: str, region: str) -> str:
    return block('''
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: %(name)s
          namespace: %(ns)s
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::%(account)s:role/%(name)s-irsa
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %(name)s
          namespace: %(ns)s
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: %(name)s
          template:
            metadata:
              labels:
                app: %(name)s
            spec:
              serviceAccountName: %(name)s
              containers:
                - name: app
                  image: %(account)s.dkr.ecr.%(region)s.amazonaws.com/%(name)s:1.0.0
                  env:
                    - name: AWS_REGION
                      value: %(region)s
        ''', name=name, ns=namespace, account=ACCOUNT, region=region)


# --- CloudFormation -------------------------------------------------------------------------

def cfn_template(rng: random.Random, name: str, oidc: bool, broken: str | None) -> str:
    resources = {}
    for i in range(rng.randint(1, 4)):
        resources[f"Queue{i}"] = {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"{name}-{i}", "VisibilityTimeout": 60,
            "KmsMasterKeyId": "alias/aws/sqs"}}
    resources["Bucket"] = {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": {"Fn::Sub": f"{ORG}-{name}-${{AWS::Region}}"},
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {k: True for k in (
            "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}}}
    resources["FunctionRole"] = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]}}
    resources["Function"] = {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": name, "Runtime": "python3.12", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
        "Code": {"ZipFile": "def handler(event, context):\n    return {'ok': True}\n"}}}
    if oidc:
        condition = {"StringEquals": {f"{GITHUB_URL}:aud": "sts.amazonaws.com"}}
        if broken == "org-wide":
            condition["StringLike"] = {f"{GITHUB_URL}:sub": f"repo:{ORG}/*"}
        elif broken == "wildcard-equals":
            condition["StringEquals"][f"{GITHUB_URL}:sub"] = f"repo:{ORG}/{name}:*"
        elif broken is None:
            condition["StringEquals"][f"{GITHUB_URL}:sub"] = (
                f"repo:{ORG}/{name}:ref:refs/heads/main")
        resources["DeployRole"] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": f"{name}-ci",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": {"Fn::Sub":
                    f"arn:aws:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_URL}"}},
                "Condition": condition}]}}}
    template = {"AWSTemplateFormatVersion": "2010-09-09",
                "Description": f"{name}: queues, bucket and function",
                "Resources": resources,
                "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}}}
    return json.dumps(template, indent=2) + "\n"


# --- the tree -------------------------------------------------------------------------------

SHARED_MODULES = {
    "s3-bucket": 'resource "aws_s3_bucket" "this" {\n  bucket = var.name\n  tags   = var.tags\n}\n',
    "alarms": 'resource "aws_cloudwatch_metric_alarm" "errors" {\n  alarm_name          = "${var.name}-errors"\n'
              '  comparison_operator = "GreaterThanThreshold"\n  evaluation_periods  = 1\n'
              '  metric_name         = "Errors"\n  namespace           = "AWS/Lambda"\n'
              '  period              = 300\n  statistic           = "Sum"\n  threshold           = 5\n}\n',
    "ecr-repository": 'resource "aws_ecr_repository" "this" {\n  name                 = var.name\n'
                      '  image_tag_mutability = "IMMUTABLE"\n  tags                 = var.tags\n}\n',
}
SHARED_VARIABLES = ('variable "name" {\n  type = string\n}\n\n'
                    'variable "tags" {\n  type    = map(string)\n  default = {}\n}\n')


class Tree:
    """Writes files under a root and counts them."""

    def __init__(self, root: Path):
        self.root, self.files, self.bytes = root, 0, 0

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)


def terraform_module(tree: Tree, rng: random.Random, mdir: str, name: str, team: str,
                     region: str, oidc: str | None, broken: str | None) -> None:
    main, outputs = "", []
    if rng.random() < 0.5:
        main += network_tf(rng, name, region) + "\n"
        outputs.append(("vpc_id", "module.vpc.vpc_id"))
    for label in ["data", "logs", "exports", "archive"][:rng.randint(1, 4)]:
        main += bucket_tf(rng, name, label) + "\n"
        outputs.append((f"{label}_bucket", f"aws_s3_bucket.{label}.bucket"))
    compute = rng.random()
    svc = name.replace("-", "_")
    if compute < 0.45:
        main += ecs_tf(rng, svc, region)
        outputs.append(("task_role_arn", f"aws_iam_role.{svc}_task.arn"))
    elif compute < 0.85:
        main += lambda_tf(rng, svc, region)
        outputs.append(("function_arn", f"aws_lambda_function.{svc}.arn"))
    if rng.random() < 0.5:
        main += "\n" + shared_module_call(rng, name)
    tree.write(f"{mdir}/main.tf", main)
    tree.write(f"{mdir}/variables.tf", locals_tf(team, name) + "\n" + variables_tf(rng, name))
    if rng.random() < 0.45:
        tree.write(f"{mdir}/outputs.tf", outputs_tf(outputs))
    if rng.random() < 0.15:
        tree.write(f"{mdir}/versions.tf", versions_tf(region))
    if rng.random() < 0.3:
        tree.write(f"{mdir}/monitoring.tf", monitoring_tf(rng, svc))

    if oidc == "github":
        repo = f"{ORG}/{name}"
        if rng.random() < 0.4:
            tree.write(f"{mdir}/oidc.tf", block('''
                resource "aws_iam_openid_connect_provider" "github" {
                  url            = "https://%(url)s"
                  client_id_list = ["sts.amazonaws.com"]
                }
                ''', url=GITHUB_URL))
            provider = "aws_iam_openid_connect_provider.github.arn"
        else:
            provider = f'"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_URL}"'
        tree.write(f"{mdir}/ci_role.tf", github_trust(rng, svc, repo, broken, provider))
        tree.write(f".github/workflows/{name}.yml", github_workflow(f"{svc}", region, mdir))
    elif oidc == "irsa":
        namespace = team
        tree.write(f"{mdir}/irsa.tf", irsa_trust(svc, name, namespace, broken))
        tree.write(f"{mdir}/k8s/serviceaccount.yaml", service_account_yaml(name, namespace, region))


def google_module(rng: random.Random, name: str, broken: bool) -> tuple[str, str]:
    """A GitHub workload identity pool provider and a service account granted to one
    repository through it, used by the repository's workflow; broken ones grant the whole
    pool behind a condition that pins only the owner."""
    short = str(rng.randint(10000, 99999))
    project = f"{ORG}-{name}"[:30]
    member = "*" if broken else f"attribute.repository/{ORG}/{name}"
    condition = (f"assertion.repository_owner == '{ORG}'" if broken
                 else f"assertion.repository == '{ORG}/{name}'")
    tf = block('''
        resource "google_iam_workload_identity_pool" "ci" {
          project                   = "%(project)s"
          workload_identity_pool_id = "ci-%(short)s"
        }

        resource "google_iam_workload_identity_pool_provider" "github" {
          project                            = "%(project)s"
          workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
          workload_identity_pool_provider_id = "github"
          attribute_mapping = {
            "google.subject"       = "assertion.sub"
            "attribute.repository" = "assertion.repository"
          }
          attribute_condition = "%(condition)s"
          oidc {
            issuer_uri = "https://token.actions.githubusercontent.com"
          }
        }

        resource "google_service_account" "deploy" {
          project    = "%(project)s"
          account_id = "deploy-%(short)s"
        }

        resource "google_service_account_iam_member" "ci" {
          service_account_id = google_service_account.deploy.name
          role               = "roles/iam.workloadIdentityUser"
          member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/%(member)s"
        }
        ''', project=project, short=short, condition=condition, member=member)
    workflow = block('''
        name: deploy %(name)s
        on:
          push:
            branches: [main]
        jobs:
          deploy:
            runs-on: ubuntu-latest
            permissions:
              id-token: write
              contents: read
            steps:
              - uses: actions/checkout@v4
              - uses: google-github-actions/auth@v2
                with:
                  workload_identity_provider: projects/%(number)s/locations/global/workloadIdentityPools/ci-%(short)s/providers/github
                  service_account: deploy-%(short)s@%(project)s.iam.gserviceaccount.com
        ''', name=name, number=rng.randint(10**11, 10**12 - 1), short=short, project=project)
    return tf, workflow


def azure_module(rng: random.Random, name: str, broken: bool) -> tuple[str, str]:
    """AKS workload identity: a cluster's ServiceAccount given a user-assigned identity
    whose federated credential names it; in broken ones the credential names another
    namespace. Also a workflow deploying with that identity through `azure/login`."""
    namespace = name.split("-")[0]
    tf = block('''
        resource "azurerm_kubernetes_cluster" "main" {
          name                = "%(name)s"
          location            = "westeurope"
          resource_group_name = "rg-%(name)s"
          dns_prefix          = "%(name)s"
          oidc_issuer_enabled       = true
          workload_identity_enabled = true
        }

        resource "azurerm_user_assigned_identity" "app" {
          name                = "%(name)s-app"
          location            = "westeurope"
          resource_group_name = "rg-%(name)s"
        }

        resource "azurerm_federated_identity_credential" "app" {
          name                = "app"
          resource_group_name = "rg-%(name)s"
          parent_id           = azurerm_user_assigned_identity.app.id
          audience            = ["api://AzureADTokenExchange"]
          issuer              = azurerm_kubernetes_cluster.main.oidc_issuer_url
          subject             = "system:serviceaccount:%(trusted)s:app"
        }

        resource "kubernetes_service_account_v1" "app" {
          metadata {
            name      = "app"
            namespace = "%(namespace)s"
            annotations = {
              "azure.workload.identity/client-id" = azurerm_user_assigned_identity.app.client_id
            }
          }
        }
        ''', name=name, namespace=namespace,
        trusted=f"{namespace}-old" if broken else namespace)
    workflow = block('''
        name: deploy %(name)s
        on:
          push:
            branches: [main]
        permissions:
          id-token: write
          contents: read
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - uses: actions/checkout@v4
              - uses: azure/login@v2
                with:
                  client-id: ${{ vars.AZURE_CLIENT_ID }}
                  tenant-id: ${{ vars.AZURE_TENANT_ID }}
                  subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
        ''', name=name)
    return tf, workflow


def generate(out: Path, modules: int, oidc_share: float, seed: int,
             cloud_share: float = 0.02) -> dict:
    rng = random.Random(seed)
    tree = Tree(out)
    for shared, body in SHARED_MODULES.items():
        tree.write(f"modules/{shared}/main.tf", body)
        tree.write(f"modules/{shared}/variables.tf", SHARED_VARIABLES)
    tree.write(".github/workflows/lint.yml", block('''
        name: lint
        on: [pull_request]
        jobs:
          fmt:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: hashicorp/setup-terraform@v3
              - run: terraform fmt -check -recursive
        '''))

    oidc_count = round(modules * oidc_share)
    oidc_modules = set(rng.sample(range(modules), oidc_count))
    broken_count = 0
    for i in range(modules):
        team = rng.choice(TEAMS)
        name = f"{team}-{rng.choice(NOUNS)}-{i:05d}"
        region = rng.choice(REGIONS)
        mdir = f"services/{team}/{name}"
        oidc = broken = None
        if i in oidc_modules:
            oidc = rng.choice(["github", "github", "irsa", "cfn"])
            if rng.random() < 0.3:
                broken = rng.choice(BROKEN_KINDS)
                broken_count += 1
        if oidc == "cfn" or (oidc is None and rng.random() < 0.12):
            tree.write(f"{mdir}/template.json", cfn_template(rng, name, oidc == "cfn", broken))
            if rng.random() < 0.5:
                tree.write(f"{mdir}/parameters.json",
                           json.dumps([{"ParameterKey": "Environment", "ParameterValue": "prod"}],
                                      indent=2) + "\n")
            continue
        terraform_module(tree, rng, mdir, name, team, region, oidc, broken)
    # Google Cloud and Azure modules come from a stream of their own: the AWS tree of a seed
    # stays the same whatever their share.
    clouds = random.Random(seed * 7919 + 17)
    cloud_count = round(modules * cloud_share)
    for i in range(cloud_count):
        team = clouds.choice(TEAMS)
        name = f"{team}-{clouds.choice(NOUNS)}-gcp{i:03d}" if i % 2 == 0 \
            else f"{team}-{clouds.choice(NOUNS)}-az{i:03d}"
        broken = clouds.random() < 0.3
        broken_count += broken
        tf, workflow = (google_module if i % 2 == 0 else azure_module)(clouds, name, broken)
        tree.write(f"services/{team}/{name}/main.tf", tf)
        tree.write(f".github/workflows/{name}.yml", workflow)
    return {"files": tree.files, "bytes": tree.bytes, "modules": modules + cloud_count,
            "oidc_modules": oidc_count + cloud_count, "broken_oidc_modules": broken_count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to create (must not exist or be empty)")
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--oidc-share", type=float, default=0.05,
                        help="fraction of modules with OIDC federation (default: 0.05)")
    parser.add_argument("--cloud-share", type=float, default=0.02,
                        help="modules federating into Google Cloud or Azure, added as a "
                        "fraction of --modules (default: 0.02)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    summary = generate(args.out, args.modules, args.oidc_share, args.seed, args.cloud_share)
    print(f"{summary['files']} files, {summary['bytes'] / 1e6:.1f} MB, "
          f"{summary['modules']} modules, {summary['oidc_modules']} with OIDC "
          f"({summary['broken_oidc_modules']} broken)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
