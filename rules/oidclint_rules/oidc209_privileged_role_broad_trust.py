from __future__ import annotations

from oidclint.iam.conditions import condition_holds, patterns, restricts
from oidclint.model import Level
from oidclint.rule import Rule

PROBE = "oidclint-probe"


class PrivilegedRoleBroadTrust(Rule):
    """
    ## What it does
    Flags a role with administrator-equivalent permissions (the AWS managed
    `AdministratorAccess` policy, or a policy allowing `*` on `*`) whose GitHub Actions trust
    admits more than one repository, pull requests, or any branch.

    ## Why it matters
    Pull request workflows run code proposed by anyone who can open a pull request, and any
    branch can be pushed by anyone with write access, without review. A trust like
    `repo:acme/platform:*` on an administrator role turns any of those into full control of
    the account.

    ## Example
    ```hcl
    values = ["repo:acme/platform:*"]      # sub
    policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    ```

    ## Fix
    Bind the role to one repository and a protected environment or the default branch
    (`repo:acme/platform:environment:production`), and grant only the permissions the
    deployment needs.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html#jf_administrator
    """

    id = "OIDC209"
    name = "privileged-role-broad-trust"
    level = Level.ERROR
    summary = "An administrator role's trust admits several repositories, pull requests or any branch"
    tags = ("security", "oidc", "github")
    security_severity = 8.8

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or issuer.kind != "github" or trust.has_unknown_keys:
                continue
            subjects = [c for c in trust.subject_conditions() if restricts(c)]
            if not subjects or not graph.is_administrator(trust.role):
                continue
            owner, repo = _pinned(subjects, issuer)
            probes = {
                "pull requests": f"repo:{owner}/{repo}:pull_request",
                "any branch": f"repo:{owner}/{repo}:ref:refs/heads/{PROBE}",
                "other repositories": f"repo:{owner}/{PROBE}:ref:refs/heads/main",
            }
            admitted = [what for what, subject in probes.items()
                        if _admits(trust, subjects, subject)]
            if "other repositories" not in admitted and _repositories_named(subjects, issuer) > 1:
                admitted.append("more than one repository")
            if not admitted:
                continue
            yield self.finding(
                subjects[0].values[0] if subjects[0].values else subjects[0].key,
                f"{trust.role.address} has administrator permissions and its trust admits "
                + " and ".join(admitted)
                + ": unreviewed code can take over the account.",
                trust=trust,
                fallback=[subjects[0].key],
                fix="Bind the role to one repository and a protected environment or branch, and "
                "grant least privilege.",
            )


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


def _admits(trust, subjects, subject: str) -> bool:
    claims = {str(c.key).lower(): [subject] for c in subjects}
    return all(condition_holds(c, claims) is True for c in subjects)
