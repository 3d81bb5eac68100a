from __future__ import annotations

from oidclint.iam.patterns import input_phrase
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint_rules.oidc203_wildcard_subject import _value


class BroadSubject(Rule):
    """
    ## What it does
    Flags a subject pattern that pins the owner (organisation, group, namespace) but admits
    every repository, project, workspace or service account under it: `repo:acme/*`,
    `project_path:acme/*`, `organization:acme:project:*:...`,
    `system:serviceaccount:payments:*`. The owner may come from an input without a value
    (`repo:${var.org}/*:*`, a CloudFormation `!Sub repo:${GitHubOrganization}/*:*` whose
    parameter has no default): whatever the input holds, the `*` after it admits every
    repository of that owner. A pattern open only below a pinned project or subgroup
    (`organization:acme:project:networking:workspace:*:...`, `project_path:acme/sub/*`)
    admits less and is reported as a note.

    ## Why it matters
    Every repository of the organisation, including ones created later and forks inside it,
    and every branch of each, can assume the role. One compromised or careless repository is
    enough to reach what the role can touch.

    ## Example
    ```yaml
    StringLike:
      token.actions.githubusercontent.com:sub: "repo:acme/*"
    ```

    ## Fix
    List the repositories (and branches or environments) that need the role:
    `repo:acme/api:environment:production`. If an organisation-wide role is intended, keep its
    permissions minimal and suppress this finding with a reason, or list the owner under
    `trusted-owners` in the configuration: the finding is then a note.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#configuring-the-oidc-trust-with-the-cloud
    """

    id = "OIDC204"
    name = "broad-subject"
    level = Level.WARNING
    summary = "The subject pattern admits every repository, project, workspace or service account of an owner"
    tags = ("security", "oidc")
    security_severity = 5.3

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            reach, condition, pattern = trust.subject_reach()
            if reach not in ("whole-tenant", "within-tenant"):
                continue
            issuer = trust.issuer
            shape = pattern.shape(issuer.grammar)
            scope = shape.open_scope
            owner = tenant_phrase(shape)
            tenant = next(f.name for f in issuer.grammar.parts if getattr(f, "tenant", False))
            where = owner
            if scope.parent:
                parent, text = scope.parent
                # A GitLab subgroup path holds its group already.
                where = f"{parent} {text}" + (f" of {owner}" if parent != tenant else "")
            # Owner and group names are case-insensitive on GitHub and GitLab.
            trusted = shape.tenant.state == "exact" and shape.tenant.text.lower() in {
                o.lower() for o in graph.config.trusted_owners}
            yield self.finding(
                _value(condition, pattern),
                f"Subject pattern `{pattern.shown()}` admits {every(shape)} of {where} on "
                f"{issuer.title}, including ones created later, to assume {trust.role.address}"
                + (f" ({owner} is a trusted owner in the configuration)." if trusted else
                   f": the {tenant} comes from an input, but the wildcard after it is written "
                   "out." if shape.tenant.state != "exact" else "."),
                trust=trust,
                fallback=[condition.key],
                fix=f"Name the {scope.field} (and branch or environment) that needs the role.",
                # Within one project or subgroup the owner has already narrowed it down.
                level=Level.NOTE if trusted or scope.parent else None,
                evidence={"fingerprint": str(pattern)},
            )


def tenant_phrase(shape) -> str:
    """The owner as the message names it: `acme`, or the input it comes from."""
    tenant = shape.tenant
    if tenant.state == "exact":
        return tenant.text
    field = next(f.name for f in shape.grammar.parts if getattr(f, "tenant", False))
    inputs = " and ".join(input_phrase(o) for o in tenant.inputs) or "an input"
    return f"the {field} named by {inputs}"


def every(shape) -> str:
    """`every repository`; `every workspace of every project` when scopes below the open one
    are open too (an HCP Terraform project and its workspaces)."""
    scope = shape.open_scope
    names = [name for name, _ in shape.scopes]
    below = [name for name, fill in shape.scopes[names.index(scope.field) + 1:]
             if fill.state == "wild" and fill.starts_wild]
    return "".join(f"every {name} of " for name in reversed(below)) + f"every {scope.field}"
