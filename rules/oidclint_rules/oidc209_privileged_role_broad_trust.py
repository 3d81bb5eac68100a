from __future__ import annotations

import re

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
    Flags a privileged role whose trust admits code that nobody reviewed: any tenant of a
    shared issuer, or every repository, project, stack ... of one (the breadth OIDC203 and
    OIDC204 report, including an issuer of one customer trusted with no subject condition);
    on a CI system, more than one repository (project, stack ...; one named both by its name
    and by its ids, GitHub's immutable `owner@id/name@id`, is one), or, within one, what the
    issuer gives to unreviewed code: pull requests and any branch on GitHub; any branch on
    GitLab and Buildkite; jobs on any branch on CircleCI (`.../user/*`: the default token
    does not name the branch); every pipeline step on any branch and every deployment
    environment on Bitbucket (`{<repository>}:*`); proposed runs on Spacelift, which a push
    to any branch starts. Privileged means administrator (`*` on `*`, the AWS managed
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
    repository of that owner, `repo:${var.repo}:*` its pull requests and every branch. A
    repository named by a prefix (`repo:acme/platform*`) is probed with a name it admits.
    HCP Terraform workspaces and Kubernetes ServiceAccounts are judged by breadth alone.

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
    Bind the role to one repository (project, stack) and a protected environment or the
    default branch (`repo:acme/platform:environment:production`; a Bitbucket deployment
    environment, `{<repository>}:{<environment>}:*`), and grant only the permissions the
    deployment needs: no IAM writes, and `iam:PassRole` only on the roles it must pass
    (with `iam:PassedToService`).

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    - https://circleci.com/docs/openid-connect-tokens/
    - https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/
    - https://docs.spacelift.io/concepts/run/proposed
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
            admitted, where, inputs = _breadth(trust, issuer.grammar)
            if not admitted:
                continue
            privilege = graph.privilege(trust.role)
            if privilege is None:
                continue
            role = trust.role.address
            reach = _listed(admitted)
            inputs = [i for i in inputs if input_phrase(i) not in reach]
            if inputs:
                reach += f" (the subject is built from {', '.join(map(input_phrase, inputs))})"
            if privilege.administrator:
                message = (f"{role} has administrator permissions ({privilege.describe()}) and its "
                           f"trust admits {reach}: unreviewed code can take over the account.")
            else:
                message = (f"{role} is privileged: {privilege.describe()}, so it "
                           f"{privilege.path.gives}. Its trust admits {reach}: unreviewed code "
                           "can do the same.")
            scope = issuer.grammar.scope_fields[-1].name
            yield self.finding(
                where,
                message,
                trust=trust,
                fix=self.narrowed(
                    graph, trust.role, f"Bind the role to one {scope}"
                    + (" and a protected environment or branch" if issuer.grammar.probes else "")
                    + ", and grant least privilege."),
            )


def _breadth(trust, grammar) -> tuple[list[str], object, tuple[str, ...]]:
    """What the trust admits beyond one project's reviewed code, in the user's words; where
    the finding points; and the inputs the subject is built from."""
    admitted, where, inputs = _tenant_breadth(trust, grammar)
    conditions = [c for c in trust.subject_conditions() if restricts(c)]
    if not conditions:
        return admitted, where, inputs
    subjects = [_concrete(c, grammar) for c in conditions]
    pins = _pinned(subjects, grammar)
    for probe in grammar.probes:
        if probe.admits not in admitted and any(_admits(subjects, _written(probe, pin))
                                                for pin in pins):
            admitted.append(probe.admits)
    # Several repositories (projects ...) of a CI system are several ways in for unreviewed
    # code; named ServiceAccounts or HCP Terraform workspaces are judged by breadth alone.
    scope = grammar.scope_fields[-1].name
    if where is None and grammar.probes and _scopes_named(subjects, grammar) > 1:
        admitted.append(f"more than one {scope}")
    if admitted and where is None:
        first = conditions[0]
        where = first.values[0] if first.values else first.key
        inputs = tuple(dict.fromkeys(i for c in conditions for p in patterns(c)
                                     if p is not None for i in p.origins))
    return admitted, where, inputs


def _tenant_breadth(trust, grammar):
    """Any tenant, or every repository, project ... of one (OIDC203, OIDC204)."""
    reach, condition, pattern = trust.subject_reach()
    if reach not in ("any-tenant", "whole-tenant"):
        return [], None, ()
    tenant = grammar.tenant_field
    if condition is None:  # an issuer of one customer with no subject condition
        scope = grammar.scope_fields[-1].name
        what = (f"every {scope} of every {tenant.name} of {trust.issuer.realm}" if tenant
                else f"every {scope} of {trust.tenant_shown}")
        return [what], trust.statement, ()
    shape = pattern.shape(grammar)
    what = (f"any {tenant.name}" if reach == "any-tenant" else
            f"{every(shape)} of {tenant_phrase(shape, trust)}")
    return [what], _value(condition, pattern), shape.tenant.inputs


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _written(probe, pinned: dict[str, str]) -> str:
    """A probe's subject for the trust's own repository (project ...): each `<field>` the
    trust's value of it, or a name nobody chose where the trust leaves it open."""
    return re.sub(r"<([a-z ]+)>", lambda m: pinned.get(m[1], PROBE), probe.subject)


def _concrete(condition: Condition, grammar) -> Condition:
    """The condition with each partly known value written out (``Shape.concrete``), and its
    key as text: which claim it tests is known, if not the issuer prefix of the key (a
    workspace left as a placeholder)."""
    values = []
    for value, pattern in zip(condition.values, patterns(condition)):
        shape = pattern.shape(grammar) if pattern is not None and not pattern.known \
            else None
        values.append(shape.concrete.text if shape is not None else value)
    return Condition(condition.operator, str(condition.key), values, condition.span)


def _pinned(subjects, grammar) -> list[dict[str, str]]:
    """The fields each value naming the tenant names, so probes differ from it only where it
    is open: values are OR-ed, so what one of them admits, the trust admits."""
    pins = []
    for condition in subjects:
        for pattern in patterns(condition):
            shape = pattern.shape(grammar) if pattern else None
            if shape and shape.tenant.state == "exact":
                pin = {name: _instance(fill) for name, fill in shape.fields.items()
                       if fill.state == "exact" or (fill.state == "wild" and fill.pinned)}
                if pin not in pins:
                    pins.append(pin)
    return pins or [{}]


def _instance(fill) -> str:
    """A value the field admits: its text, with a wildcard matching nothing where it may
    (`api*` is `api`) and one character where it must (`api-?` is `api-x`), so a pattern
    naming repositories by a prefix is probed with one of them."""
    return fill.text if fill.state == "exact" else \
        fill.text.replace("*", "").replace("?", "x")


def _scopes_named(subjects, grammar) -> int:
    """How many repositories (projects ...) the values of the subject conditions name
    (values are OR-ed, conditions AND-ed, so the narrowest condition counts). Only names
    written out count: one not known may be any of the others, and a value standing for any
    number of elements (a `for` over a list not known) may stand for none. A repository
    named both by its name and by its ids (GitHub's immutable form) is one."""
    fields = list(grammar.scope_fields)
    if grammar.tenant_field:
        fields.insert(0, grammar.tenant_field)
    counts = []
    for condition in subjects:
        named = set()
        for pattern in patterns(condition):
            shape = pattern.shape(grammar) if pattern else None
            if shape and all(shape.fields[f.name].state == "exact" for f in fields):
                named.add(tuple(f.identity(shape.fields[f.name].text) for f in fields))
        counts.append(len(named))
    return min(counts) if counts else 0


def _admits(subjects, subject: str) -> bool:
    claims = {str(c.key).lower(): [subject] for c in subjects}
    return all(condition_holds(c, claims) is True for c in subjects)
