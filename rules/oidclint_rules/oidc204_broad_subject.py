from __future__ import annotations

from oidclint.model import Level
from oidclint.rule import Rule
from oidclint_rules.oidc203_wildcard_subject import _value


class BroadSubject(Rule):
    """
    ## What it does
    Flags a subject pattern that pins the owner (organisation, group, namespace) but admits
    every repository, project, workspace or service account under it: `repo:acme/*`,
    `project_path:acme/*`, `organization:acme:project:*:...`,
    `system:serviceaccount:payments:*`.

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
            if reach != "whole-tenant":
                continue
            issuer = trust.issuer
            shape = pattern.shape(issuer.grammar)
            scope = shape.broad_scope
            owner = shape.tenant.text
            # Owner and group names are case-insensitive on GitHub and GitLab.
            trusted = owner.lower() in {o.lower() for o in graph.config.trusted_owners}
            yield self.finding(
                _value(condition, pattern),
                f"Subject pattern `{pattern}` admits every {scope} of {owner} on "
                f"{issuer.title}, including ones created later, to assume {trust.role.address}"
                + (f" ({owner} is a trusted owner in the configuration)." if trusted else "."),
                trust=trust,
                fallback=[condition.key],
                fix=f"Name the {scope} (and branch or environment) that needs the role.",
                level=Level.NOTE if trusted else None,
                evidence={"fingerprint": str(pattern)},
            )
