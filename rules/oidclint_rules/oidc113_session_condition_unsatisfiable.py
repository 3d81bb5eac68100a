from __future__ import annotations

from oidclint.iam.claims import DEFAULT_SESSION_NAME
from oidclint.iam.conditions import condition_holds, negated
from oidclint.model import Level, Related
from oidclint.rule import Rule

TAG_KEYS = ("aws:requesttag/", "aws:tagkeys", "sts:transitivetagkeys")


class SessionConditionUnsatisfiable(Rule):
    """
    ## What it does
    Flags trust conditions on the session that a linked workload cannot satisfy: a
    `sts:RoleSessionName` test its session name fails (configure-aws-credentials names the
    session `GitHubActions` unless `role-session-name` says otherwise), or `aws:RequestTag/*`,
    `aws:TagKeys` tests for a GitHub Actions job, whose tokens never carry session tags.

    ## Why it matters
    The condition never holds for that workload, so every attempt ends in `Not authorized to
    perform sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```json
    "StringLike": {"sts:RoleSessionName": "deploy-*"}
    ```

    ## Fix
    Set `role-session-name` to a value the trust admits, or drop session tag conditions for
    issuers that send no tags.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_rolesessionname
    - https://github.com/aws-actions/configure-aws-credentials#session-tagging-and-name
    """

    id = "OIDC113"
    name = "session-condition-unsatisfiable"
    level = Level.ERROR
    summary = "Session name or session tag conditions the linked workload cannot satisfy"
    tags = ("correctness", "workload")

    def check(self, graph):
        return self.for_every_candidate(graph, self._check)

    def _check(self, graph, links):
        for workload, role in links:
            if role.trust is None or not role.trust.read_whole:
                continue  # a statement not read may admit it
            session = workload.session_name
            if session is None:
                session = DEFAULT_SESSION_NAME.get(workload.kind)
            for trust in graph.trusts_for(workload, role):
                for condition in trust.statement.conditions:
                    key = str(condition.key).lower() if isinstance(condition.key, str) else ""
                    if key == "sts:rolesessionname" and isinstance(session, str):
                        if condition_holds(condition, {key: [str(session)]}) is False:
                            yield self._finding(workload, role, condition,
                                                f"session name `{session}`")
                    elif workload.kind == "github-actions" and key.startswith(TAG_KEYS) \
                            and not negated(condition) and not condition.if_exists:
                        yield self._finding(workload, role, condition,
                                            "no session tags (GitHub tokens carry none)")

    def _finding(self, workload, role, condition, what):
        return self.finding(
            condition.key,
            f"{workload.name} presents {what}, which `{condition.operator}` on `{condition.key}` "
            f"in the trust of {role.address} rejects: every attempt is denied.",
            workload=workload,
            address=role.address,
            fallback=[condition, role],  # a key written without a location of its own
            related=[Related(workload.span, workload.name)],
            made_by=[role],
            fix="Make the workload's session match the condition, or relax the condition.",
        )
