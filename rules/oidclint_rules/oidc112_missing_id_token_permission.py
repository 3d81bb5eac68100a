from __future__ import annotations

from oidclint.model import Level
from oidclint.rule import Rule


class MissingIdTokenPermission(Rule):
    """
    ## What it does
    Flags a GitHub Actions job that assumes a role with OIDC while its effective permissions
    (job level, else workflow level) do not include `id-token: write`.

    ## Why it matters
    GitHub only gives a job an OIDC token with `id-token: write`. Without it
    configure-aws-credentials falls back to other credentials and fails with `Credentials
    could not be loaded, please check your action inputs`.

    ## Example
    ```yaml
    permissions:
      contents: read
    ```

    ## Fix
    Add `id-token: write` to the job's (or workflow's) `permissions`.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#adding-permissions-settings
    - https://github.com/aws-actions/configure-aws-credentials#oidc
    """

    id = "OIDC112"
    name = "missing-id-token-permission"
    level = Level.ERROR
    summary = "A GitHub job uses OIDC but its permissions lack id-token: write"
    tags = ("correctness", "github", "workload")

    def check(self, graph):
        for workload in graph.workloads:
            if workload.kind != "github-actions" or workload.role_chaining:
                continue
            if workload.id_token_permission is not False:
                continue
            yield self.finding(
                workload.permission_span or workload.span,
                f"{workload.name} assumes a role with OIDC but its permissions do not grant "
                "`id-token: write`: the job gets no token and configure-aws-credentials fails with "
                "`Credentials could not be loaded`.",
                workload=workload,
                fallback=[workload.span],
                fix="Add `id-token: write` to the job's permissions.",
            )
