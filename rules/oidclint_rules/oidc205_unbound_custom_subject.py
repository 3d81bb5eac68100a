from __future__ import annotations

from oidclint.iam.conditions import patterns, restricts
from oidclint.iam.subjects import check, github_binding
from oidclint.model import Level
from oidclint.rule import Rule


class UnboundCustomSubject(Rule):
    """
    ## What it does
    Flags a GitHub subject value that binds no repository or owner, such as
    `environment:production`, `ref:refs/heads/main` or `workflow:deploy:repo:*`, when no
    other condition restricts `repository`, `repository_id`, `repository_owner_id` or
    `job_workflow_ref`. A customised subject is read as `claim:value` pairs: GitHub writes a
    `:` inside a value as `%3A`, so `workflow:deploy:repo:acme/api:ref:refs/heads/main` does
    name `acme/api` in its `repo` claim and is bound, while `environment:repo:ref:...` only
    names an environment called `repo`. A value no template can produce (`invalid`) is
    OIDC115's alone.

    ## Why it matters
    Organisations can customise the subject template (`include_claim_keys`). A trust written
    for a template without `repo` matches tokens from any repository on GitHub whose own
    template yields the same text: any repository can create an environment called
    `production` and push to a branch called `main`.

    ## Example
    ```json
    "StringEquals": {"token.actions.githubusercontent.com:sub": "environment:production"}
    ```

    ## Fix
    Include the repository or owner in the subject template and the trust
    (`repository_owner_id:123456:environment:production`), or add a `StringEquals` condition on
    `token.actions.githubusercontent.com:repository_owner_id` or `:repository`.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#customizing-the-subject-claims-for-an-organization-or-repository
    """

    id = "OIDC205"
    name = "unbound-custom-subject"
    level = Level.ERROR
    summary = "A GitHub subject binds no repository or owner (only environment, ref, workflow ...)"
    tags = ("security", "oidc", "github")
    security_severity = 8.8

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or issuer.kind != "github":
                continue
            effective = [c for c in trust.subject_conditions() if restricts(c)]
            if not effective or any(c.claim != "sub" for c in effective):
                continue  # repository, repository_owner_id ... already bind it
            unbound_by_condition = [(c, [p for p in patterns(c) if _unbound(p)]) for c in effective]
            if any(not unbound for _, unbound in unbound_by_condition):
                continue  # conditions are AND-ed: one that binds the owner is enough
            condition, unbound = unbound_by_condition[0]
            yield self.finding(
                next(v for v in condition.values if str(v) == unbound[0].text),
                f"Subject `{unbound[0]}` names no repository or owner in a claim GitHub binds "
                f"to them: any GitHub repository whose subject template produces it can assume "
                f"{trust.role.address}.",
                trust=trust,
                fallback=[condition.key],
                fix=self.narrowed(graph, trust.role,
                                  "Bind the owner: add `repository_owner_id` to the subject "
                                  "template and the trust, or a `StringEquals` condition on "
                                  "`repository_owner_id`."),
                evidence={"fingerprint": unbound[0].text},
            )


def _unbound(pattern) -> bool:
    """A value of a customised template that a stranger's repository can produce. The
    default form (`repo:` first) and a leading wildcard are OIDC203/OIDC204's, a value no
    template produces OIDC115's."""
    if pattern is None or not pattern.known or pattern.text.startswith(("repo:", "*", "?")):
        return False
    return github_binding(pattern) is False and check("github", pattern) is None
