"""What makes a role privileged, as an attacker sees it.

A role is privileged when its permissions are an administrator's (`*` on `*`), or when they
let whoever holds them become one: write the role's own permissions, take over other
principals, or hand any role to a service that runs the holder's code. The ways are the
published privilege escalation paths; ``PATHS`` lists them with their sources, and
docs/facts.md ("Privilege escalation") has the table and what is left out.

What is assumed, so that a finding is a certainty about the policies in the scan:
- an `Allow` counts only without a `Condition` (a conditional allow is not proof), except a
  condition on `iam:PassedToService` for `iam:PassRole`: the service a path passes the role
  to is known, so that condition is decided per path (PASSED_TO_SERVICE);
- a `Deny` that may cover a needed action, with or without a condition, on any resource,
  takes the path away (unless its `iam:PassedToService` condition is false for the path);
  so does a statement whose effect is not known;
- an action must be allowed on every resource of its kind (`*`, `arn:aws:iam::<account>:role/*`,
  `function:*` ...), of each type it is authorised on (``RESOURCE_TYPES``): a grant on some
  roles or functions, or on instances without the images they start from, proves nothing;
  except on a path that makes its own resources (a new role, a new function): there the
  actions must share one name they are all allowed on (``SHARED``), shown by a name built
  from their own patterns (`role/deploy-*` gives `role/deploy-oidclint-probe`);
- permissions boundaries and service control policies are not visible in the code and are
  taken to be absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from oidclint.iam.conditions import action_covers, condition_holds
from oidclint.iam.managed_policies import POLICIES
from oidclint.iam.patterns import Pattern
from oidclint.model import Condition, Statement
from oidclint.source import Partial, Unknown

ROLE, USER, POLICY, ANY, SHARED, SELF = "role", "user", "policy", "any", "shared", "self"
"""What a needed action must be allowed on: every role, every user, every customer managed
policy of the account, every resource of its service, (``SHARED``) one resource that
every ``SHARED`` action of the path on the same service is allowed on: the role the holder
creates, then writes a policy for and passes; the function it creates, then invokes; or
(``SELF``) the holder itself, ``role/<path><name>``, when its name is known."""

RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
RHINO_2 = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation-part-2/"
IAM_VULNERABLE = "https://github.com/BishopFox/iam-vulnerable"
PATHFINDING = "https://pathfinding.cloud/paths/"
PASSROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
PASSED_TO_SERVICE = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                     "reference_policies_iam-condition-keys.html#ck_PassedToService")


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
    service: str | None = None
    """The service principal the path passes a role to: the value of `iam:PassedToService`
    when the holder calls `iam:PassRole` for it."""


ECS_TASK = "can run a task as any role ECS tasks may take"

# Service principals a role is passed to, as `iam:PassedToService` names them
# (PASSED_TO_SERVICE), as AWS managed policies write them in their `iam:PassRole` conditions
# (docs/facts.md, section 10).
EC2, LAMBDA, CLOUDFORMATION = "ec2.amazonaws.com", "lambda.amazonaws.com", \
    "cloudformation.amazonaws.com"
GLUE, CODEBUILD, SAGEMAKER = "glue.amazonaws.com", "codebuild.amazonaws.com", \
    "sagemaker.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"


def _passrole(*actions: str, to: str, gives: str, source: str) -> EscalationPath:
    # Passing a role to a service needs iam:PassRole on that role (PASSROLE); on every role,
    # it is any role the service may take. `to` is the service principal the role is passed
    # to, as `iam:PassedToService` names it (PASSED_TO_SERVICE).
    return EscalationPath((("iam:PassRole", ROLE), *((a, ANY) for a in actions)), gives, source,
                          service=to)


CREATE_ROLE = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"


def _new_role(*actions: tuple[str, str], to: str, gives: str,
              source: str) -> tuple[EscalationPath, ...]:
    # The holder creates a role (its trust policy is part of the request, so it trusts the
    # service: CREATE_ROLE), gives it any permissions (an inline policy, or attaching
    # AdministratorAccess), and passes it to a service that runs the holder's code. The role
    # need not exist, so the IAM actions need only one role name in common, not every role.
    return tuple(EscalationPath((("iam:CreateRole", SHARED), (write, SHARED),
                                 ("iam:PassRole", SHARED), *actions), gives, source, service=to)
                 for write in ("iam:PutRolePolicy", "iam:AttachRolePolicy"))


PATHS: tuple[EscalationPath, ...] = (
    EscalationPath((("iam:PutRolePolicy", ROLE),),
                   "can write itself an inline policy allowing anything", RHINO + " (12)"),
    EscalationPath((("iam:AttachRolePolicy", ROLE),),
                   "can attach AdministratorAccess to itself", RHINO + " (9)"),
    # The same two on the role itself only (a grant on `role/<project>-*` whose pattern
    # names the holder): it needs no other role.
    EscalationPath((("iam:PutRolePolicy", SELF),),
                   "can write itself an inline policy allowing anything", RHINO + " (12)"),
    EscalationPath((("iam:AttachRolePolicy", SELF),),
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
    _passrole("ec2:RunInstances", to=EC2,
              gives="can start an instance as the role of any instance profile",
              source=PATHFINDING + "ec2-001, " + RHINO + " (3)"),
    _passrole("lambda:CreateFunction", "lambda:InvokeFunction", to=LAMBDA,
              gives="can run a function as any role Lambda may take", source=RHINO + " (15)"),
    _passrole("lambda:CreateFunction", "lambda:CreateEventSourceMapping", to=LAMBDA,
              gives="can run a function as any role Lambda may take", source=RHINO + " (17)"),
    _passrole("lambda:CreateFunction", "lambda:AddPermission", to=LAMBDA,
              gives="can run a function as any role Lambda may take", source=IAM_VULNERABLE),
    _passrole("cloudformation:CreateStack", to=CLOUDFORMATION,
              gives="can deploy a stack as any role CloudFormation may take",
              source=RHINO + " (21)"),
    _passrole("glue:CreateDevEndpoint", to=GLUE,
              gives="can open a Glue endpoint as any role Glue may take",
              source=RHINO + " (19)"),
    _passrole("glue:CreateJob", "glue:StartJobRun", to=GLUE,
              gives="can run a Glue job as any role Glue may take",
              source=PATHFINDING + "glue-003"),
    _passrole("codebuild:CreateProject", "codebuild:StartBuild", to=CODEBUILD,
              gives="can run a build as any role CodeBuild may take", source=IAM_VULNERABLE),
    _passrole("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl",
              to=SAGEMAKER, gives="can open a notebook as any role SageMaker may take",
              source=RHINO_2),
    _passrole("sagemaker:CreateTrainingJob", to=SAGEMAKER,
              gives="can run a training job as any role SageMaker may take", source=IAM_VULNERABLE),
    _passrole("sagemaker:CreateProcessingJob", to=SAGEMAKER,
              gives="can run a processing job as any role SageMaker may take",
              source=IAM_VULNERABLE),
    _passrole("ecs:RegisterTaskDefinition", "ecs:RunTask", to=ECS_TASKS,
              gives=ECS_TASK, source=PATHFINDING + "ecs-002"),
    _passrole("ecs:RegisterTaskDefinition", "ecs:StartTask", to=ECS_TASKS,
              gives=ECS_TASK, source=PATHFINDING + "ecs-001"),
    _passrole("ecs:RegisterTaskDefinition", "ecs:CreateService", to=ECS_TASKS,
              gives=ECS_TASK, source=PATHFINDING + "ecs-003"),
    *_new_role(("lambda:CreateFunction", SHARED), ("lambda:InvokeFunction", SHARED), to=LAMBDA,
               gives="can create a role with any permissions and run a function as it",
               source=f"{RHINO} (15), {CREATE_ROLE}"),
    *_new_role(("ecs:RegisterTaskDefinition", ANY), ("ecs:RunTask", SHARED), to=ECS_TASKS,
               gives="can create a role with any permissions and run a task as it",
               source=f"{PATHFINDING}ecs-002, {CREATE_ROLE}"),
)
"""Escalation paths, in the order a finding names them."""


MANAGED_POLICIES: dict[str, list[Statement]] = {p.name: p.document for p in POLICIES}
"""AWS managed policies by name (the end of `arn:aws:iam::aws:policy/<path><name>`), as
statements (``oidclint.iam.managed_policies``); the paths are checked against them like any
other policy."""


@dataclass(frozen=True)
class Grant:
    """Where an action comes from: the pattern that allows it, in which policy."""

    action: str
    pattern: str
    policy: str
    passed_to: str | None = None
    """The service the allow is limited to by its `iam:PassedToService` condition."""
    resource: str | None = None
    """For a ``SHARED`` action, the `Resource` entry that allows it on the shared name."""


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
        shown: list[str] = []
        together: list[str] = []
        """The actions written before the resource they share (`a`, `b` and `c` on `r`)."""
        for index, grant in enumerate(self.grants):
            same = grant.pattern.lower() == grant.action.lower()
            via = "" if same else f" (by `{grant.pattern}`)"
            to = f" (passed to `{grant.passed_to}`)" if grant.passed_to else ""
            if grant.resource:
                together.append(f"`{grant.action}`{via}{to}")
                following = self.grants[index + 1] if index + 1 < len(self.grants) else None
                if following is None or following.resource != grant.resource:
                    itself = ", which names the role itself" if kinds[grant.action] == SELF \
                        else ""
                    shown.append(_listed(together) + f" on `{grant.resource}`{itself}")
                    together = []
                continue
            where = f" on every {kinds[grant.action]}" if kinds[grant.action] != ANY else ""
            shown.append(f"`{grant.action}`{via}{where}{to}")
        allows = shown[0] + (" with " + " and ".join(shown[1:]) if len(shown) > 1 else "")
        return f"{' and '.join(policies)} {'allow' if len(policies) > 1 else 'allows'} {allows}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


Source = tuple[str, list[Statement]]
"""A policy as a finding names it (`the AWS managed policy IAMFullAccess`, `its policy
aws_iam_role_policy.ci`), with its statements."""


def privilege(sources: list[Source], has_managed_policy: bool,
              own: str | None = None) -> Privilege | None:
    """The first reason, in ``PATHS`` order after administrator, that the statements make
    their holder privileged; None when the known statements prove none. ``own`` is the
    holder's resource name, ``role/<path><name>``, when known (for ``SELF`` paths)."""
    statements = [s for _, ss in sources for s in ss]
    denies = [s for s in statements if not s.allows]
    for name, listed in sources:
        for statement in listed:
            if _allows_everything(statement) and not denies:
                return Privilege(None, (Grant("*", "*", name),))
    for path in PATHS:
        if path.managed_policy and not has_managed_policy \
                or own is None and any(kind == SELF for _, kind in path.needs):
            continue
        grants: dict[str, Grant] = {}
        for action, kind in path.needs:
            if kind == SHARED:
                continue
            grant = _allowed(sources, denies, action, kind, _request(action, path), own)
            if grant is None:
                break
            grants[action] = grant
        else:
            for group in _shared_groups(path):
                shared = _shared(sources, denies, group, path)
                if shared is None:
                    break
                grants.update(shared)
            else:
                return Privilege(path, tuple(grants[action] for action, _ in path.needs))
    return None


def _shared_groups(path: EscalationPath) -> list[list[str]]:
    """The path's ``SHARED`` actions, by the service their resources belong to."""
    groups: dict[str, list[str]] = {}
    for action, kind in path.needs:
        if kind == SHARED:
            groups.setdefault(action.split(":", 1)[0], []).append(action)
    return list(groups.values())


SHARED_TYPES = {"iam:CreateRole": "role/", "iam:PutRolePolicy": "role/",
                "iam:AttachRolePolicy": "role/", "iam:PassRole": "role/",
                "lambda:CreateFunction": "function:", "lambda:InvokeFunction": "function:",
                "ecs:RunTask": "task-definition/"}
"""The resource type (with its separator) of each ``SHARED`` action, as its ARNs write it
(the service authorization reference linked at ``RESOURCE_TYPES``)."""
PROBE_NAME = "oidclint-probe"


def _shared(sources: list[Source], denies: list[Statement], actions: list[str],
            path: EscalationPath) -> dict[str, Grant] | None:
    """A grant for each action on one resource name that all of them are allowed on, found
    among the names the first action's own `Resource` entries allow; None when none is."""
    allowing: dict[str, list[tuple[str, Statement, str]]] = {}
    for action in actions:
        request = _request(action, path)
        if any(_may_deny(s, action) and _conditions_hold(s, request) is not False
               for s in denies):
            return None
        allowing[action] = [(name, statement, pattern) for name, statements in sources
                            for statement in statements
                            if statement.allows and _conditions_hold(statement, request) is True
                            and (pattern := _action_pattern(statement, action)) is not None]
        if not allowing[action]:
            return None
    first = actions[0]
    service, kind = first.split(":", 1)[0], SHARED_TYPES[first]
    for _, statement, _ in allowing[first]:
        for witness in _witnesses(statement, service, kind):
            grants = {}
            for action in actions:
                hit = next(((name, pattern, entry) for name, candidate, pattern
                            in allowing[action]
                            if (entry := _allowing_entry(candidate, service, witness))
                            is not None), None)
                if hit is None:
                    break
                to = path.service if action == "iam:PassRole" and any(
                    _on_passed_to_service(c) for c in _statement_of(allowing, action, hit)
                    .conditions) else None
                grants[action] = Grant(action, hit[1], hit[0], to, hit[2])
            else:
                return grants
    return None


def _statement_of(allowing, action: str, hit: tuple[str, str, str]) -> Statement:
    return next(s for n, s, p in allowing[action] if (n, p) == hit[:2])


def _witnesses(statement: Statement, service: str, kind: str) -> list[str]:
    """Resource names (the part of the ARN after the region and account) that the
    statement's `Resource` entries allow, one per entry: each wildcard filled in."""
    found = []
    for value in statement.resources:
        if isinstance(value, str) and str(value) == "*":
            found.append(kind + PROBE_NAME)
            continue
        fields = _arn_fields(value)
        if fields is None or "\0" in fields[0] + fields[2] + fields[5]:
            continue
        filled = fields[5].replace("*", PROBE_NAME).replace("?", "x")
        for name in (filled, kind + PROBE_NAME):
            if name.startswith(kind) and Pattern(fields[5]).matches(name) \
                    and Pattern(fields[2]).matches(service):
                found.append(name)
                break
    return found


def _allowing_entry(statement: Statement, service: str, name: str) -> str | None:
    """The `Resource` entry of the statement that allows the named resource of the service
    (any account and region: the role's own); for a `NotResource` statement, its first
    entry when none of them names the resource."""
    if statement.not_resources and not statement.resources:
        if all(isinstance(v, str) and not _names(v, service, name)
               for v in statement.not_resources):
            return "NotResource " + ", ".join(str(v) for v in statement.not_resources)
        return None
    return next((str(v) for v in statement.resources if _names(v, service, name)), None)


def _names(value: object, service: str, name: str) -> bool:
    if isinstance(value, str) and str(value) == "*":
        return True
    fields = _arn_fields(value)
    if fields is None or "\0" in fields[0] + fields[2] + fields[5]:
        return False
    return (Pattern(fields[0]).matches("arn") and Pattern(fields[2]).matches(service)
            and Pattern(fields[5]).matches(name))


def _allows_everything(statement: Statement) -> bool:
    actions = {str(a) for a in statement.actions if isinstance(a, str)}
    return (statement.allows and not statement.conditions and bool(actions & {"*", "*:*"})
            and any(str(r) == "*" for r in statement.resources if isinstance(r, str)))


PASSED_TO_SERVICE_KEY = "iam:passedtoservice"

Request = dict[str, list[str]] | None
"""What is known of the request context of a needed action: `iam:PassedToService` for an
`iam:PassRole` of a path that passes the role to a service, nothing (None) otherwise."""


def _request(action: str, path: EscalationPath) -> Request:
    if action == "iam:PassRole" and path.service is not None:
        return {PASSED_TO_SERVICE_KEY: [path.service]}
    return None


def _conditions_hold(statement: Statement, request: Request) -> bool | None:
    """Whether every condition of the statement holds for the needed action: a condition on
    `iam:PassedToService` is decided by the service the path passes the role to; any other
    condition (`iam:AssociatedResourceArn`, `aws:ResourceTag/...`, `aws:RequestedRegion`
    ...) depends on the request, and is None."""
    verdict: bool | None = True
    for condition in statement.conditions:
        result = (condition_holds(condition, request) if request is not None
                  and _on_passed_to_service(condition) else None)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def _on_passed_to_service(condition: Condition) -> bool:
    return isinstance(condition.key, str) and str(condition.key).lower() == PASSED_TO_SERVICE_KEY


def _allowed(sources: list[Source], denies: list[Statement], action: str,
             kind: str, request: Request, own: str | None = None) -> Grant | None:
    if any(_may_deny(s, action) and _conditions_hold(s, request) is not False for s in denies):
        return None
    for name, statements in sources:
        for statement in statements:
            if not statement.allows or _conditions_hold(statement, request) is not True:
                continue
            pattern = _action_pattern(statement, action)
            if pattern is None:
                continue
            if kind == SELF:
                entry = _allowing_entry(statement, action.split(":", 1)[0], str(own))
                if entry is not None:
                    return Grant(action, pattern, name, resource=entry)
                continue
            if _on_every(statement, action, kind):
                to = request[PASSED_TO_SERVICE_KEY][0] if request and statement.conditions \
                    else None
                return Grant(action, pattern, name, to)
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

RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "lambda:CreateFunction": ("function",), "lambda:InvokeFunction": ("function",),
    "lambda:AddPermission": ("function",), "lambda:CreateEventSourceMapping": (),
    "cloudformation:CreateStack": ("stack",),
    "glue:CreateDevEndpoint": ("devEndpoint",), "glue:CreateJob": ("job",),
    "glue:StartJobRun": ("job",),
    "codebuild:CreateProject": ("project",), "codebuild:StartBuild": ("project",),
    "sagemaker:CreateNotebookInstance": ("notebook-instance",),
    "sagemaker:CreatePresignedNotebookInstanceUrl": ("notebook-instance",),
    "sagemaker:CreateTrainingJob": ("training-job",),
    "sagemaker:CreateProcessingJob": ("processing-job",),
    "ecs:RegisterTaskDefinition": (), "ecs:RunTask": ("task-definition",),
    "ecs:StartTask": ("task-definition",), "ecs:CreateService": ("service",),
    # An instance is launched from an image, with a network interface in a subnet and a
    # security group, and volumes: the caller needs every one of them.
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances
    "ec2:RunInstances": ("image", "instance", "network-interface", "security-group", "subnet",
                         "volume"),
}
"""For each action a path needs on any resource of its service (``ANY``), the resource types
(the start of the ARN's resource part, `function` in `function:name`) it is authorised on
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
Every one must be covered; none means the action takes no resource-level permission, and only
`*` allows it."""


def _on_every(statement: Statement, action: str, kind: str) -> bool:
    """The statement's resources include every resource of the kind (any account of the
    ARN: it is the role's own, whichever it is)."""
    service = action.split(":", 1)[0]
    if kind != ANY:
        wanted: tuple[str | None, ...] = (None,)
    else:
        wanted = RESOURCE_TYPES[action] or (None,)
    if statement.not_resources and not statement.resources:
        return not any(_covers_some(r, service, kind, t) for r in statement.not_resources
                       for t in wanted)
    return all(any(_covers_all(r, service, kind, t) for r in statement.resources)
               for t in wanted)


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


def _covers_all(value: object, service: str, kind: str, resource_type: str | None) -> bool:
    """Whether a `Resource` entry covers every resource of the kind (for ``ANY``, every
    resource of the type, or of the service when the type is None)."""
    if isinstance(value, str) and str(value) == "*":
        return True
    fields = _arn_fields(value)
    if fields is None or "\0" in fields[0] + fields[2] + fields[5]:
        return False  # an unknown account or partition is the role's own; others decide
    arn, _, arn_service, _, _, resource = fields
    if not (Pattern(arn).matches("arn") and Pattern(arn_service).matches(service)):
        return False
    if kind != ANY:
        return Pattern(resource).matches(PROBES[kind])
    # `*`, or every resource of the type: `function:*`, `instance/*`, `stack/*`.
    head = resource.rstrip("*")
    if not resource.endswith("*") or "*" in head or "?" in head:
        return False
    return head == "" or resource_type is not None and head in (resource_type + ":",
                                                                 resource_type + "/")


def _covers_some(value: object, service: str, kind: str, resource_type: str | None) -> bool:
    """Whether a `NotResource` entry may leave out resources of the kind: any ARN of the
    service that may name one of the type (or any, when the type is None), or anything
    unknown, may."""
    fields = _arn_fields(value)
    if fields is None:
        return not isinstance(value, str) or Pattern(str(value)).matches(
            f"arn:aws:{service}::123456789012:{PROBES.get(kind, 'x')}")
    if "\0" in fields[2]:
        return True
    if not Pattern(fields[2]).matches(service):
        return False
    if kind == ANY and resource_type is not None:
        return _may_name_type(fields[5], resource_type)
    return True


def _may_name_type(resource: str, resource_type: str) -> bool:
    """Whether an ARN's resource part may name a resource of the type: it does unless it
    starts with another type's name and separator (`domain/*` never names a training job)."""
    for index, char in enumerate(resource):
        if char in "*?\0":
            return True
        if char in ":/":
            return resource[:index] == resource_type
    return resource == resource_type
