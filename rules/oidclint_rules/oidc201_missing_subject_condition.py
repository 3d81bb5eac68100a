from __future__ import annotations

from oidclint.iam.conditions import negated, restricts, vacuous
from oidclint.iam.federation import CLOUD_TITLES
from oidclint.model import Level
from oidclint.rule import Rule


class MissingSubjectCondition(Rule):
    """
    ## What it does
    Flags an allowing trust statement for a shared issuer (GitHub Actions, gitlab.com, HCP
    Terraform, Buildkite, Google) that has no condition at all on a claim that binds the token
    to you: `sub` (and, for GitHub, `repository`, `repository_id`, `repository_owner_id`,
    `job_workflow_ref`; for gitlab.com, `project_id`, `namespace_id`).

    On Google Cloud and Azure the same holds of a workload identity pool provider with no
    attribute condition whose pool is granted as a whole, and of a federated identity
    credential whose claims matching expression tests no subject: a token from anywhere gets
    the principal. A Google provider for GitHub's issuer with no attribute condition is
    reported whatever its grants are: Google refuses to create it (`Error 400: The attribute
    condition must reference one of the provider's claims`, enforced since about September
    2024), and one created before exchanges any GitHub token for an identity of the pool.

    ## Why it matters
    Anyone can obtain a token from a shared issuer: every GitHub repository in the world gets
    one from `token.actions.githubusercontent.com`. Without a subject restriction, any of them
    can assume the role. Since June 2025 IAM refuses to create or update such a trust
    (`MalformedPolicyDocument`), but roles created before were not re-checked.

    ## Example
    ```json
    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    ```

    ## Fix
    Add `StringEquals` (or a narrow `StringLike`) on `<issuer>:sub` naming your repository and
    branch or environment, e.g. `repo:acme/api:environment:production`.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    - https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions
    - https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials
    """

    id = "OIDC201"
    name = "missing-subject-condition"
    level = Level.ERROR
    summary = "A shared issuer is trusted without any subject restriction"
    tags = ("security", "oidc")
    security_severity = 9.1

    def check(self, graph):
        for trust in graph.shared_issuer_trusts():
            issuer = trust.issuer
            conditions = trust.subject_conditions()
            if any(restricts(c) or negated(c) or vacuous(c) for c in conditions):
                continue
            keys = ", ".join(f"`{k}`" for k in sorted(issuer.subject_keys))
            yield self.finding(
                trust.statement,
                f"The statement trusts {issuer.title} (`{trust.issuer_shown}`) without restricting "
                f"{keys}: any {issuer.title} user or project anywhere can assume "
                f"{trust.role.address}.",
                trust=trust,
                fix=self.narrowed(graph, trust.role,
                                  "Add a `StringEquals` condition on `<issuer>:sub` naming your "
                                  "own repository/project and branch or environment."),
            )
        seen = set()
        for trust in graph.cloud_trusts:
            issuer = trust.kind
            if issuer is None or not issuer.shared or (trust.scope, trust.address) in seen:
                continue
            open_to_all = trust.restriction is None \
                and graph.cloud_reach(trust).kind == "any-tenant"
            if not open_to_all and trust.refused is None:
                continue
            seen.add((trust.scope, trust.address))
            cloud = CLOUD_TITLES[trust.cloud]
            if open_to_all:
                message = (f"{trust.address} trusts {issuer.title} (`{trust.issuer}`) with "
                           f"nothing that restricts the token's subject: any {issuer.title} "
                           f"user or project anywhere can obtain {trust.principal}.")
                if trust.refused is not None:
                    message += (f" {cloud} refuses to create it as written ({trust.refused});"
                                " one created before that check stays open.")
            else:
                message = (f"{trust.address}: {cloud} refuses to create this trust of "
                           f"{issuer.title} (`{trust.issuer}`) as written ({trust.refused}); "
                           "one created before that check exchanges every token of the "
                           "issuer, and only its grants narrow what that token gets.")
            yield self.finding(
                trust.span,
                message,
                address=trust.address,
                related=trust.related,
                fix=_CLOUD_FIX[trust.cloud],
            )


_CLOUD_FIX = {
    "google": "Give the pool provider an `attribute_condition` that names your own "
    "repository or owner (`assertion.repository == 'acme/api'`), and grant the service "
    "account to `principalSet://.../attribute.repository/acme/api` rather than the whole pool.",
    "azure": "Set the credential's `subject` to the one subject of the workload "
    "(`repo:acme/api:environment:production`).",
}
