from __future__ import annotations

from oidclint.iam.federation import PROBE_TENANT
from oidclint.model import Level
from oidclint.rule import Rule


class WildcardSubject(Rule):
    """
    ## What it does
    Flags a subject pattern that admits any owner, organisation, top-level group or
    namespace: `*`, `repo:*`, `repo:acme*` (which also admits `acme-evil`), `repo:*/api:*`,
    `project_path:*`, `organization:*:project:...`, `system:serviceaccount:*`. A Kubernetes
    issuer (an EKS cluster) trusted with no condition on `sub` at all admits every
    ServiceAccount of the cluster, and a self-managed GitLab instance every project of every
    group on it: each is reported the same way. A wildcard written next to an input
    (`repo:${var.org}*/...`) admits other owners whatever the input holds; an input alone is
    never taken for a wildcard. On an issuer whose URL names the customer (a CircleCI
    organization, a Bitbucket workspace, a Spacelift account) no subject reaches another
    customer: its widest patterns are OIDC204's.

    On Google Cloud and Azure the same is asked of what restricts a pool provider and its
    grant (the attribute condition, a `principalSet://` member) or a federated identity
    credential (its claims matching expression): when a token of an owner nobody chose
    would get in, it is reported here, whatever language the restriction is written in.

    ## Why it matters
    A wildcard before the tenant boundary lets strangers in: anyone can create a GitHub
    organisation called `acme-evil`, a GitLab group (on gitlab.com, or on an instance where
    users may create groups, as they may by default), an HCP Terraform organisation or, on a
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
    - https://docs.gitlab.com/administration/user_settings/#prevent-users-from-creating-top-level-groups
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
            grammar = issuer.grammar
            tenant = grammar.tenant_field.name
            if condition is None:  # a cluster or an instance with no condition on `sub`
                scope = grammar.scope_fields[-1].name
                yield self.finding(
                    trust.statement,
                    f"The statement trusts {issuer.title} (`{trust.issuer_shown}`) without"
                    f" a condition on `sub`: every {scope} of every {tenant} of "
                    f"{issuer.realm} can assume {trust.role.address}, as with "
                    f"`{grammar.head}*`.",
                    trust=trust,
                    fix=self.narrowed(graph, trust.role, f"Add `StringEquals` on `<issuer>:sub`"
                                      f" = `{issuer.grammar.example}`."),
                    evidence={"fingerprint": "no sub condition"},
                )
                continue
            yield self.finding(
                _value(condition, pattern),
                f"Subject pattern `{pattern.shown()}` admits tokens of any {tenant}: whoever "
                f"creates a matching {tenant} on {issuer.title} can assume {trust.role.address}.",
                trust=trust,
                fallback=[condition.key],
                fix=self.narrowed(graph, trust.role,
                                  f"Name the {tenant} exactly, e.g. `{issuer.grammar.example}`."),
                evidence={"fingerprint": str(pattern)},
            )
        for trust in graph.cloud_trusts:
            issuer = trust.kind
            if issuer is None or issuer.grammar is None or issuer.grammar.tenant_field is None:
                continue
            if trust.restriction is None and issuer.shared:
                continue  # OIDC201's: nothing restricts the subject at all
            if graph.cloud_reach(trust).kind != "any-tenant":
                continue
            tenant = issuer.grammar.tenant_field.name
            what = ("what restricts the token" if trust.restriction is not None
                    else "nothing restricts the subject, so it")
            yield self.finding(
                trust.restriction,
                f"{trust.address}: {what} admits tokens of any {tenant} of {issuer.title} "
                f"(a token of a {tenant} named `{PROBE_TENANT}` would get in): whoever "
                f"creates a matching {tenant} can obtain {trust.principal}.",
                address=trust.address,
                fallback=[trust.span],
                related=trust.related,
                fix=f"Name the {tenant} exactly, e.g. `{issuer.grammar.example}`.",
                evidence={"fingerprint": str(trust.restriction)},
            )


def _value(condition, pattern):
    return next((v for v in condition.values if str(v) == str(pattern) or hasattr(v, "parts")),
                condition.key)
