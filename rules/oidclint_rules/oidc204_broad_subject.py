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
    (`organization:acme:project:networking:workspace:*:...`, `project_path:acme/sub/*`,
    one Spacelift space `space:production:*`) admits less and is reported as a note.

    On Google Cloud and Azure the same is asked of a pool provider's attribute condition with
    its grant, and of a federated identity credential's claims matching expression: when a
    token of a repository nobody chose, under an owner the restriction names, would get in.

    Some issuers serve one customer, named in their URL: a CircleCI organization
    (`oidc.circleci.com/org/<id>`), a Bitbucket workspace, a Spacelift account. A trust of
    one of them that restricts no subject (only `aud`, which is the organization, workspace
    or account itself) admits every project, repository or stack of that customer, and so
    does a pattern open there (`org/<id>/project/*/...`, `*:*`); a placeholder left in the
    URL (`.../workspaces/<your_workspace>/...`) or an input leaves the customer unknown, not
    the verdict.

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
    permissions minimal and suppress this finding with a reason, or list the owner (or the
    CircleCI organization id, Bitbucket workspace or Spacelift account) under
    `trusted-owners` in the configuration: the finding is then a note. On CircleCI, restrict
    `sub` to `org/<id>/project/<project>/user/*` or the `oidc.circleci.com/project-id` key;
    on Bitbucket to `{<repository uuid>}:*`; on Spacelift to `*:stack:<id>:*`.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#configuring-the-oidc-trust-with-the-cloud
    - https://circleci.com/docs/openid-connect-tokens/
    - https://support.atlassian.com/bitbucket-cloud/docs/deploy-on-aws-using-bitbucket-pipelines-openid-connect/
    - https://docs.spacelift.io/integrations/cloud-providers/oidc/aws-oidc
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
            grammar = issuer.grammar
            if condition is None:  # an issuer of one customer, no subject restriction
                scope = grammar.scope_fields[-1].name
                trusted = _trusted(trust, None, graph)
                keys = ", ".join(f"`{k}`" for k in sorted(issuer.subject_keys))
                yield self.finding(
                    trust.statement,
                    f"The statement trusts {issuer.title} (`{trust.issuer_shown}`) without "
                    f"restricting {keys}: every {scope} of {trust.tenant_shown}, including "
                    f"ones created later, can assume {trust.role.address}"
                    + (" (a trusted owner in the configuration)." if trusted else "."),
                    trust=trust,
                    fix=self.narrowed(graph, trust.role,
                                      f"Add `StringLike` on `<issuer>:sub` naming the {scope} "
                                      "(and branch or environment) that needs the role, in the "
                                      f"form `{grammar.example}`."),
                    level=Level.NOTE if trusted else None,
                    evidence={"fingerprint": "no sub condition"},
                )
                continue
            shape = pattern.shape(grammar)
            scope = shape.open_scope
            trusted = _trusted(trust, shape, graph)
            owner = tenant_phrase(shape, trust)
            tenant = grammar.tenant_field.name if grammar.tenant_field else issuer.tenant
            where = owner
            if scope.parent:
                parent, text = scope.parent
                # A GitLab subgroup path holds its group already.
                where = f"{parent} {text}" + (f" of {owner}" if parent != tenant else "")
            # Where the issuer's URL names the customer, the message has named the issuer.
            on = "" if issuer.tenant else f" on {issuer.title}"
            yield self.finding(
                _value(condition, pattern),
                f"Subject pattern `{pattern.shown()}` admits {every(shape)} of {where}{on}, "
                f"including ones created later, to assume {trust.role.address}"
                + (f" ({owner} is a trusted owner in the configuration)." if trusted else
                   f": the {tenant} comes from an input, but the wildcard after it is written "
                   "out." if shape.tenant.state != "exact" else "."),
                trust=trust,
                fallback=[condition.key],
                fix=self.narrowed(graph, trust.role, f"Name the {scope.field} (and branch or "
                                  "environment) that needs the role."),
                # Within one project or subgroup the owner has already narrowed it down.
                level=Level.NOTE if trusted or scope.parent else None,
                evidence={"fingerprint": str(pattern)},
            )
        owners = {o.lower() for o in graph.config.trusted_owners}
        for trust in graph.cloud_trusts:
            issuer = trust.kind
            found = graph.cloud_reach(trust)
            if found.kind != "whole-tenant" or issuer is None or issuer.grammar is None:
                continue
            tenant = issuer.grammar.tenant_field.name if issuer.grammar.tenant_field \
                else issuer.tenant
            scope = issuer.grammar.scope_fields[0].name if issuer.grammar.scope_fields \
                else "project"
            trusted = str(found.tenant).lower() in owners
            yield self.finding(
                trust.restriction,
                f"{trust.address}: what restricts the token admits every {scope} of the "
                f"{tenant} `{found.tenant}` on {issuer.title}, including ones created later, "
                f"to obtain {trust.principal}"
                + (" (a trusted owner in the configuration)." if trusted else "."),
                address=trust.address,
                fallback=[trust.span],
                related=trust.related,
                fix=f"Name the {scope} (and branch or environment) that needs it.",
                level=Level.NOTE if trusted else None,
                evidence={"fingerprint": str(trust.restriction)},
            )


def _trusted(trust, shape, graph) -> bool:
    """The trust's tenant is one the configuration lists as the user's own (`trusted-owners`):
    the customer its issuer's URL names, or the owner its subject pins. Owner and group names
    are case-insensitive on GitHub and GitLab."""
    owners = {o.lower() for o in graph.config.trusted_owners}
    issuer = trust.issuer
    if issuer.tenant:
        return any((issuer.tenant_of(host) or "").lower() in owners
                   for host, found in trust.issuers if found is issuer)
    return shape is not None and shape.tenant.state == "exact" and \
        shape.tenant.text.lower() in owners


def tenant_phrase(shape, trust) -> str:
    """The owner as the message names it: `acme`, the input it comes from, or the customer
    the issuer's URL names."""
    tenant = shape.tenant
    field = shape.grammar.tenant_field
    if field is None:
        return trust.tenant_shown
    if tenant.state == "exact":
        return tenant.text
    inputs = " and ".join(input_phrase(o) for o in tenant.inputs) or "an input"
    return f"the {field.name} named by {inputs}"


def every(shape) -> str:
    """`every repository`; `every workspace of every project` when scopes below the open one
    are open too (an HCP Terraform project and its workspaces)."""
    scope = shape.open_scope
    names = [name for name, _ in shape.scopes]
    below = [name for name, fill in shape.scopes[names.index(scope.field) + 1:]
             if fill.state == "wild" and fill.starts_wild]
    return "".join(f"every {name} of " for name in reversed(below)) + f"every {scope.field}"
