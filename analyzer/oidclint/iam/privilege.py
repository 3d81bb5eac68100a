"""What makes a role privileged, as an attacker sees it.

A role is privileged when its permissions are an administrator's (`*` on `*`), or when they
let whoever holds them become one: write the role's own permissions, take over other
principals, or hand any role to a service that runs the holder's code. The ways are the
published privilege escalation paths; ``PATHS`` lists them with their sources, and
docs/facts.md ("Privilege escalation") has the table and what is left out.

What is assumed, so that a finding is a certainty about the policies in the scan:
- an `Allow` counts only without a `Condition` (a conditional allow is not proof);
- a `Deny` that may cover a needed action, with or without a condition, on any resource,
  takes the path away; so does a statement whose effect is not known;
- an action must be allowed on every resource of its kind (`*`, `arn:aws:iam::<account>:role/*`,
  `function:*` ...): a grant on some roles or functions proves nothing;
- permissions boundaries and service control policies are not visible in the code and are
  taken to be absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from oidclint.iam.conditions import action_covers
from oidclint.iam.patterns import Pattern
from oidclint.model import Statement
from oidclint.source import Partial, Unknown

ROLE, USER, POLICY, ANY = "role", "user", "policy", "any"
"""What a needed action must be allowed on: every role, every user, every customer managed
policy of the account, or every resource of its service."""

RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
RHINO_2 = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation-part-2/"
IAM_VULNERABLE = "https://github.com/BishopFox/iam-vulnerable"
PATHFINDING = "https://pathfinding.cloud/paths/"
PASSROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"


@dataclass(frozen=True)
class EscalationPath:
    """A set of permissions that together make their holder an administrator, or give it
    the permissions of roles it does not hold."""

    needs: tuple[tuple[str, str], ...]
    """Actions, each with what it must be allowed on."""
    gives: str
    """What the holder can do, in a sentence's words."""
    source: str
    managed_policy: bool = False
    """The path also needs a customer managed policy attached to the role."""


ECS_TASK = "can run a task as any role ECS tasks may take"


def _passrole(*actions: str, gives: str, source: str) -> EscalationPath:
    # Passing a role to a service needs iam:PassRole on that role (PASSROLE); on every role,
    # it is any role the service may take.
    return EscalationPath((("iam:PassRole", ROLE), *((a, ANY) for a in actions)), gives, source)


PATHS: tuple[EscalationPath, ...] = (
    EscalationPath((("iam:PutRolePolicy", ROLE),),
                   "can write itself an inline policy allowing anything", RHINO + " (12)"),
    EscalationPath((("iam:AttachRolePolicy", ROLE),),
                   "can attach AdministratorAccess to itself", RHINO + " (9)"),
    EscalationPath((("iam:CreatePolicyVersion", POLICY),),
                   "can rewrite the customer managed policy attached to it", PATHFINDING
                   + "iam-001, " + RHINO + " (1)", managed_policy=True),
    EscalationPath((("iam:UpdateAssumeRolePolicy", ROLE), ("sts:AssumeRole", ROLE)),
                   "can make any role of the account trust it, then assume it", RHINO + " (14)"),
    EscalationPath((("iam:CreateAccessKey", USER),),
                   "can create access keys for any IAM user", PATHFINDING + "iam-002, "
                   + RHINO + " (4)"),
    EscalationPath((("iam:CreateLoginProfile", USER),),
                   "can set a console password for any IAM user without one", RHINO + " (5)"),
    EscalationPath((("iam:UpdateLoginProfile", USER),),
                   "can change the console password of any IAM user", RHINO + " (6)"),
    _passrole("ec2:RunInstances", gives="can start an instance as the role of any instance profile",
              source=PATHFINDING + "ec2-001, " + RHINO + " (3)"),
    _passrole("lambda:CreateFunction", "lambda:InvokeFunction",
              gives="can run a function as any role Lambda may take", source=RHINO + " (15)"),
    _passrole("lambda:CreateFunction", "lambda:CreateEventSourceMapping",
              gives="can run a function as any role Lambda may take", source=RHINO + " (17)"),
    _passrole("lambda:CreateFunction", "lambda:AddPermission",
              gives="can run a function as any role Lambda may take", source=IAM_VULNERABLE),
    _passrole("cloudformation:CreateStack",
              gives="can deploy a stack as any role CloudFormation may take",
              source=RHINO + " (21)"),
    _passrole("glue:CreateDevEndpoint", gives="can open a Glue endpoint as any role Glue may take",
              source=RHINO + " (19)"),
    _passrole("glue:CreateJob", "glue:StartJobRun",
              gives="can run a Glue job as any role Glue may take",
              source=PATHFINDING + "glue-003"),
    _passrole("codebuild:CreateProject", "codebuild:StartBuild",
              gives="can run a build as any role CodeBuild may take", source=IAM_VULNERABLE),
    _passrole("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl",
              gives="can open a notebook as any role SageMaker may take", source=RHINO_2),
    _passrole("sagemaker:CreateTrainingJob",
              gives="can run a training job as any role SageMaker may take", source=IAM_VULNERABLE),
    _passrole("sagemaker:CreateProcessingJob",
              gives="can run a processing job as any role SageMaker may take",
              source=IAM_VULNERABLE),
    _passrole("ecs:RegisterTaskDefinition", "ecs:RunTask",
              gives=ECS_TASK, source=PATHFINDING + "ecs-002"),
    _passrole("ecs:RegisterTaskDefinition", "ecs:StartTask",
              gives=ECS_TASK, source=PATHFINDING + "ecs-001"),
    _passrole("ecs:RegisterTaskDefinition", "ecs:CreateService",
              gives=ECS_TASK, source=PATHFINDING + "ecs-003"),
)
"""Escalation paths, in the order a finding names them."""


def _statement(effect: str, actions: Iterable[str] = (), not_actions: Iterable[str] = (),
               resources: Iterable[str] = ("*",)) -> Statement:
    return Statement(effect=effect, actions=list(actions), not_actions=list(not_actions),
                     resources=list(resources))


MANAGED_POLICIES: dict[str, list[Statement]] = {
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
    "AdministratorAccess": [_statement("Allow", ["*"])],
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMFullAccess.html
    # (the organizations reads it also grants are left out: they escalate nothing)
    "IAMFullAccess": [_statement("Allow", ["iam:*"])],
    # Every action but IAM's, Organizations' and Account's: no iam:PassRole, so none of the
    # paths above on its own; with an iam:PassRole granted elsewhere, all of the services.
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html
    "PowerUserAccess": [_statement("Allow", not_actions=["iam:*", "organizations:*", "account:*"]),
                        _statement("Allow", ["iam:CreateServiceLinkedRole",
                                             "iam:DeleteServiceLinkedRole", "iam:ListRoles"])],
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloudFormationFullAccess.html
    "AWSCloudFormationFullAccess": [_statement("Allow", ["cloudformation:*"])],
}
"""AWS managed policies by name (the end of `arn:aws:iam::aws:policy/<name>`), as
statements; the paths are checked against them like any other policy."""


@dataclass(frozen=True)
class Grant:
    """Where an action comes from: the pattern that allows it, in which policy."""

    action: str
    pattern: str
    policy: str


@dataclass(frozen=True)
class Privilege:
    """Why a role is privileged: administrator, or an escalation path and its grants."""

    path: EscalationPath | None
    grants: tuple[Grant, ...]

    @property
    def administrator(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        """`AdministratorAccess allows * on *`, `its policy aws_iam_role_policy.ci allows
        iam:PassRole on every role with lambda:CreateFunction and lambda:InvokeFunction`."""
        if self.path is None:
            grant = self.grants[0]
            return f"{grant.policy} allows `*` on `*`"
        policies = list(dict.fromkeys(g.policy for g in self.grants))
        kinds = dict(self.path.needs)
        shown = []
        for grant in self.grants:
            same = grant.pattern.lower() == grant.action.lower()
            via = "" if same else f" (by `{grant.pattern}`)"
            where = f" on every {kinds[grant.action]}" if kinds[grant.action] != ANY else ""
            shown.append(f"`{grant.action}`{via}{where}")
        allows = shown[0] + (" with " + " and ".join(shown[1:]) if len(shown) > 1 else "")
        return f"{' and '.join(policies)} {'allow' if len(policies) > 1 else 'allows'} {allows}"


Source = tuple[str, list[Statement]]
"""A policy as a finding names it (`the AWS managed policy IAMFullAccess`, `its policy
aws_iam_role_policy.ci`), with its statements."""


def privilege(sources: list[Source], has_managed_policy: bool) -> Privilege | None:
    """The first reason, in ``PATHS`` order after administrator, that the statements make
    their holder privileged; None when the known statements prove none."""
    statements = [s for _, ss in sources for s in ss]
    denies = [s for s in statements if not s.allows]
    for name, own in sources:
        for statement in own:
            if _allows_everything(statement) and not denies:
                return Privilege(None, (Grant("*", "*", name),))
    for path in PATHS:
        if path.managed_policy and not has_managed_policy:
            continue
        grants = []
        for action, kind in path.needs:
            grant = _allowed(sources, denies, action, kind)
            if grant is None:
                break
            grants.append(grant)
        else:
            return Privilege(path, tuple(grants))
    return None


def _allows_everything(statement: Statement) -> bool:
    actions = {str(a) for a in statement.actions if isinstance(a, str)}
    return (statement.allows and not statement.conditions and bool(actions & {"*", "*:*"})
            and any(str(r) == "*" for r in statement.resources if isinstance(r, str)))


def _allowed(sources: list[Source], denies: list[Statement], action: str,
             kind: str) -> Grant | None:
    if any(_may_deny(s, action) for s in denies):
        return None
    for name, statements in sources:
        for statement in statements:
            if not statement.allows or statement.conditions:
                continue
            pattern = _action_pattern(statement, action)
            if pattern is not None and _on_every(statement, action, kind):
                return Grant(action, pattern, name)
    return None


def _action_pattern(statement: Statement, action: str) -> str | None:
    """The `Action` entry that allows the action (or the `NotAction` list that leaves it)."""
    for value in statement.actions:
        if isinstance(value, str) and action_covers(str(value), action):
            return str(value)
    if statement.not_actions and not statement.actions:
        texts = [str(v) for v in statement.not_actions if isinstance(v, str)]
        if len(texts) == len(statement.not_actions) and not any(action_covers(t, action)
                                                                for t in texts):
            return "NotAction " + ", ".join(texts)
    return None


def _may_deny(statement: Statement, action: str) -> bool:
    """A statement that is, or may be, a Deny of the action (on some resource)."""
    if isinstance(statement.effect, str) and statement.effect == "Allow":
        return False
    if statement.unknown is not None or not isinstance(statement.effect, str):
        return True
    if any(not isinstance(v, str) or action_covers(str(v), action) for v in statement.actions):
        return True
    if statement.not_actions:
        return not all(isinstance(v, str) and action_covers(str(v), action)
                       for v in statement.not_actions)
    return False


PROBES = {ROLE: "role/oidclint-probe", USER: "user/oidclint-probe",
          POLICY: "policy/oidclint-probe"}


def _on_every(statement: Statement, action: str, kind: str) -> bool:
    """The statement's resources include every resource of the kind (any account of the
    ARN: it is the role's own, whichever it is)."""
    service = action.split(":", 1)[0]
    if statement.not_resources and not statement.resources:
        return not any(_covers_some(r, service, kind) for r in statement.not_resources)
    return any(_covers_all(r, service, kind) for r in statement.resources)


def _arn_fields(value: object) -> list[str] | None:
    """An ARN pattern's six fields, an unknown piece read as `\\0`; None when not an ARN."""
    if isinstance(value, Partial):
        text = "".join("\0" if isinstance(p, Unknown) else p for p in value.parts)
    elif isinstance(value, str):
        text = str(value)
    else:
        return None
    fields = text.split(":", 5)
    return fields if len(fields) == 6 else None


def _covers_all(value: object, service: str, kind: str) -> bool:
    if isinstance(value, str) and str(value) == "*":
        return True
    fields = _arn_fields(value)
    if fields is None or "\0" in fields[0] + fields[2] + fields[5]:
        return False  # an unknown account or partition is the role's own; others decide
    arn, _, arn_service, _, _, resource = fields
    if not (Pattern(arn).matches("arn") and Pattern(arn_service).matches(service)):
        return False
    if kind == ANY:
        # `*`, or every resource of one type: `function:*`, `instance/*`, `stack/*`.
        head = resource.rstrip("*")
        return resource.endswith("*") and "*" not in head and "?" not in head and (
            head == "" or head[-1] in ":/" and not any(c in head[:-1] for c in ":/"))
    return Pattern(resource).matches(PROBES[kind])


def _covers_some(value: object, service: str, kind: str) -> bool:
    """Whether a `NotResource` entry may leave out resources of the kind: any ARN of the
    service, or anything unknown, may."""
    fields = _arn_fields(value)
    if fields is None:
        return not isinstance(value, str) or Pattern(str(value)).matches(
            f"arn:aws:{service}::123456789012:{PROBES.get(kind, 'x')}")
    return "\0" in fields[2] or Pattern(fields[2]).matches(service)
