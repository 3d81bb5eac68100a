from __future__ import annotations

from oidclint.iam.conditions import condition_holds, patterns, restricts
from oidclint.iam.patterns import input_phrase
from oidclint.model import Condition, Level
from oidclint.rule import Rule
from oidclint_rules.oidc203_wildcard_subject import _value
from oidclint_rules.oidc204_broad_subject import every, tenant_phrase

PROBE = "oidclint-probe"


class PrivilegedRoleBroadTrust(Rule):
    """
    ## What it does
    Flags a privileged role whose trust admits more than one repository, pull requests or any
    branch (GitHub Actions), or any tenant or every repository, project, workspace or
    ServiceAccount of one (every issuer with a subject grammar: the breadth OIDC203 and
    OIDC204 report). Privileged means administrator (`*` on `*`, the AWS managed
    `AdministratorAccess`), or able to become one, as published privilege escalation
    research lists the ways: writing its own permissions (`iam:PutRolePolicy`,
    `iam:AttachRolePolicy`, `iam:*`, the AWS managed `IAMFullAccess`, `iam:CreatePolicyVersion`
    with a customer managed policy attached), taking over other principals
    (`iam:UpdateAssumeRolePolicy` with `sts:AssumeRole`, `iam:CreateAccessKey`,
    `iam:CreateLoginProfile`, `iam:UpdateLoginProfile` on every user), or `iam:PassRole` on
    every role with a service that runs its code as the passed role (Lambda, EC2,
    CloudFormation, Glue, CodeBuild, SageMaker, ECS). Actions granted by wildcards
    (`iam:Put*`) and `NotAction`/`NotResource` statements count; an allow with a condition
    does not, except `iam:PassedToService` on `iam:PassRole`, which holds for the paths of the
    services it names (`AWSLambda_FullAccess` passes any role to Lambda: the Lambda path). A
    deny that may cover a needed action takes the path away. AWS managed policies are read as
    their documents (`AWSLambda_FullAccess`, `AmazonECS_FullAccess`,
    `AmazonSageMakerFullAccess`, `AdministratorAccess-Amplify` ... docs/facts.md, section 10).
    The finding names the permissions and the policies that grant them. A subject built from inputs without a value is read for what
    its known text admits whatever they hold: `repo:${var.org}/*:*` admits every
    repository of that owner, `repo:${var.repo}:*` its pull requests and every branch.

    ## Why it matters
    Pull request workflows run code proposed by anyone who can open a pull request, and any
    branch can be pushed by anyone with write access, without review. A trust like
    `repo:acme/platform:*` on such a role turns any of those into control of the account.

    ## Example
    ```hcl
    values = ["repo:acme/platform:*"]      # sub
    policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    ```

    ## Fix
    Bind the role to one repository and a protected environment or the default branch
    (`repo:acme/platform:environment:production`), and grant only the permissions the
    deployment needs: no IAM writes, and `iam:PassRole` only on the roles it must pass
    (with `iam:PassedToService`).

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html#jf_administrator
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
    - https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
    - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
    - https://github.com/BishopFox/iam-vulnerable
    - https://pathfinding.cloud/
    """

    id = "OIDC209"
    name = "privileged-role-broad-trust"
    level = Level.ERROR
    summary = ("A privileged role's trust admits several repositories, pull requests, any branch "
               "or a whole owner")
    tags = ("security", "oidc")
    security_severity = 8.8

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or issuer.grammar is None or trust.has_unknown_keys:
                continue
            if issuer.kind == "github":
                admitted, where, inputs = _github_reach(trust, issuer)
            else:
                admitted, where, inputs = _reach(trust, issuer)
            if not admitted:
                continue
            privilege = graph.privilege(trust.role)
            if privilege is None:
                continue
            role = trust.role.address
            reach = " and ".join(admitted) + (
                f" (the subject is built from {', '.join(input_phrase(i) for i in inputs)})"
                if inputs else "")
            if privilege.administrator:
                message = (f"{role} has administrator permissions ({privilege.describe()}) and its "
                           f"trust admits {reach}: unreviewed code can take over the account.")
            else:
                message = (f"{role} is privileged: {privilege.describe()}, so it "
                           f"{privilege.path.gives}. Its trust admits {reach}: unreviewed code "
                           "can do the same.")
            yield self.finding(
                where,
                message,
                trust=trust,
                fix="Bind the role to one repository and a protected environment or branch, and "
                "grant least privilege.",
            )


def _reach(trust, issuer):
    """Any issuer: every tenant, or every repository, project ... of one (OIDC203, OIDC204)."""
    reach, condition, pattern = trust.subject_reach()
    if reach not in ("any-tenant", "whole-tenant"):
        return [], None, ()
    if condition is None:  # a Kubernetes issuer with no condition on `sub`
        return ["every ServiceAccount of the cluster"], trust.statement, ()
    shape = pattern.shape(issuer.grammar)
    tenant = next(f.name for f in issuer.grammar.parts if getattr(f, "tenant", False))
    what = f"any {tenant}" if reach == "any-tenant" else f"{every(shape)} of {tenant_phrase(shape)}"
    return [what], _value(condition, pattern), shape.tenant.inputs


def _github_reach(trust, issuer):
    """Pull requests, any branch, other repositories: probed on the subject patterns, each
    unknown piece read as a made-up name (what they admit whatever the input holds)."""
    conditions = [c for c in trust.subject_conditions() if restricts(c)]
    if not conditions:
        return [], None, ()
    subjects = [_concrete(c, issuer) for c in conditions]
    owner, repo = _pinned(subjects, issuer)
    probes = {
        "pull requests": f"repo:{owner}/{repo}:pull_request",
        "any branch": f"repo:{owner}/{repo}:ref:refs/heads/{PROBE}",
        "other repositories": f"repo:{owner}/{PROBE}:ref:refs/heads/main",
    }
    admitted = [what for what, subject in probes.items() if _admits(subjects, subject)]
    if "other repositories" not in admitted and _repositories_named(subjects, issuer) > 1:
        admitted.append("more than one repository")
    inputs = tuple(dict.fromkeys(i for c in conditions for p in patterns(c) if p is not None
                                 for i in p.origins))
    first = conditions[0]
    return admitted, first.values[0] if first.values else first.key, inputs


def _concrete(condition: Condition, issuer) -> Condition:
    """The condition with each partly known value written out (``Shape.concrete``)."""
    values = []
    for value, pattern in zip(condition.values, patterns(condition)):
        shape = pattern.shape(issuer.grammar) if pattern is not None and not pattern.known \
            else None
        values.append(shape.concrete.text if shape is not None else value)
    return Condition(condition.operator, condition.key, values, condition.span)


def _pinned(subjects, issuer) -> tuple[str, str]:
    """Owner and repository named by the trust, so probes differ only where it is open."""
    for condition in subjects:
        for pattern in patterns(condition):
            shape = pattern.shape(issuer.grammar) if pattern else None
            if shape and shape.fields["owner"].state == "exact":
                repo = shape.fields["repository"]
                return shape.fields["owner"].text, repo.text if repo.state == "exact" else PROBE
    return PROBE, PROBE


def _repositories_named(subjects, issuer) -> int:
    """How many repositories the values of the subject conditions name (values are OR-ed,
    conditions AND-ed, so the narrowest condition counts)."""
    counts = []
    for condition in subjects:
        named = set()
        for pattern in patterns(condition):
            shape = pattern.shape(issuer.grammar) if pattern else None
            if shape:
                named.add((shape.fields["owner"].text, shape.fields["repository"].text))
        counts.append(len(named))
    return min(counts) if counts else 0


def _admits(subjects, subject: str) -> bool:
    claims = {str(c.key).lower(): [subject] for c in subjects}
    return all(condition_holds(c, claims) is True for c in subjects)
