from __future__ import annotations

from oidclint.model import Fix, Level, TextEdit, Workload
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

    `oidclint scan --fix` does it when the job has its own block-style `permissions` mapping:
    it adds an `id-token: write` entry at the indentation of the others, or turns `id-token:
    read` or `none` into `write`. The other permissions stay as they are (a mapping sets what it
    does not name to `none`). It never adds the entry to the workflow's `permissions`, which
    would give the token to every job, nor edits a flow-style mapping, `read-all`/`write-all`,
    an expression, an alias or the job of a reusable workflow.

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
                f"{workload.name} {_FAILS[workload.cloud]}",
                workload=workload,
                fallback=[workload.span],
                fix="Add `id-token: write` to the job's permissions.",
                autofix=grant_id_token(workload),
            )


_FAILS = {
    "aws": "assumes a role with OIDC but its permissions do not grant `id-token: write`: the "
    "job gets no token and configure-aws-credentials fails with `Credentials could not be "
    "loaded`.",
    # https://github.com/google-github-actions/auth#prerequisites (docs/facts.md, GC5)
    "google": "authenticates to Google Cloud with workload identity federation but its "
    "permissions do not grant `id-token: write`: the job gets no token to exchange.",
    # https://github.com/Azure/login#login-with-openid-connect-oidc-recommended (AZ6)
    "azure": "logs in to Azure with a federated credential but its permissions do not grant "
    "`id-token: write`: the job gets no token to exchange.",
}


def grant_id_token(workload: Workload) -> Fix | None:
    """The edit that grants ``id-token: write`` in the job's own permissions, where that
    reaches no other job and changes no other permission; ``None`` elsewhere.

    A permissions mapping sets what it does not name to ``none``, so one more entry only adds
    the token: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#permissions
    """
    entries = workload.permission_entries
    if entries is None:
        return None
    if entries.id_token is None:
        # Written before the first key, which the edit replaces with itself: a file whose
        # first entry moved since it was read is not edited.
        span, key = entries.first_key
        edit = TextEdit(span, key, f"id-token: write{entries.newline}{entries.indent}{key}")
        return Fix("Add `id-token: write` to the job's permissions.", (edit,))
    span, written = entries.id_token
    if written.strip("'\"") not in ("read", "none"):
        return None  # an expression or a value GitHub refuses: a person decides
    return Fix(f"Grant `id-token: write` instead of `{written}` in the job's permissions.",
               (TextEdit(span, written, "write"),))
