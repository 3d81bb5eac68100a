from __future__ import annotations

from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX
from oidclint.model import Level
from oidclint.rule import Rule


class WildcardSubject(Rule):
    """
    ## What it does
    Flags a subject pattern that admits any owner, organisation, top-level group or
    namespace: `*`, `repo:*`, `repo:acme*` (which also admits `acme-evil`), `repo:*/api:*`,
    `project_path:*`, `organization:*:project:...`, `system:serviceaccount:*`. A Kubernetes
    issuer (an EKS cluster) trusted with no condition on `sub` at all admits every
    ServiceAccount of the cluster, and is reported the same way. A wildcard written next to
    an input (`repo:${var.org}*/...`) admits other owners whatever the input holds; an input
    alone is never taken for a wildcard.

    ## Why it matters
    A wildcard before the tenant boundary lets strangers in: anyone can create a GitHub
    organisation called `acme-evil`, a GitLab group, an HCP Terraform organisation or, on a
    cluster, a namespace, and obtain a token whose subject matches.

    ## Example
    ```yaml
    StringLike:
      token.actions.githubusercontent.com:sub: "repo:acme*"
    ```

    ## Fix
    Spell the owner out and end it with its separator: `repo:acme/api:ref:refs/heads/main`, or
    at the widest `repo:acme/*`.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
    """

    id = "OIDC203"
    name = "wildcard-subject"
    level = Level.ERROR
    summary = "The subject pattern admits any owner, organisation, group, namespace or tenant"
    tags = ("security", "oidc")
    security_severity = 9.1

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            reach, condition, pattern = trust.subject_reach()
            if reach != "any-tenant":
                continue
            issuer = trust.issuer
            tenant = next(f.name for f in issuer.grammar.parts if getattr(f, "tenant", False))
            if condition is None:  # a Kubernetes issuer with no condition on `sub`
                yield self.finding(
                    trust.statement,
                    f"The statement trusts {issuer.title} (`{trust.issuer_shown}`) without"
                    f" a condition on `sub`: every ServiceAccount of every {tenant} of "
                    f"the cluster can assume {trust.role.address}, as with "
                    f"`{SERVICE_ACCOUNT_PREFIX}*`.",
                    trust=trust,
                    fix=f"Add `StringEquals` on `<issuer>:sub` = `{issuer.grammar.example}`.",
                    evidence={"fingerprint": "no sub condition"},
                )
                continue
            yield self.finding(
                _value(condition, pattern),
                f"Subject pattern `{pattern.shown()}` admits tokens of any {tenant}: whoever "
                f"creates a matching {tenant} on {issuer.title} can assume {trust.role.address}.",
                trust=trust,
                fallback=[condition.key],
                fix=f"Name the {tenant} exactly, e.g. `{issuer.grammar.example}`.",
                evidence={"fingerprint": str(pattern)},
            )


def _value(condition, pattern):
    return next((v for v in condition.values if str(v) == str(pattern) or hasattr(v, "parts")),
                condition.key)
