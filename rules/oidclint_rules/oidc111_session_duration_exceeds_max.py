from __future__ import annotations

from oidclint.model import Level, Related
from oidclint.rule import Rule

DEFAULT_MAX_SESSION = 3600


class SessionDurationExceedsMax(Rule):
    """
    ## What it does
    Flags a workload that asks for a session longer than the role's maximum session duration
    (`max_session_duration`, `MaxSessionDuration`; one hour when not set).

    ## Why it matters
    STS refuses the call: `ValidationError: The requested DurationSeconds exceeds the
    MaxSessionDuration set for this role.`

    ## Example
    ```yaml
    role-duration-seconds: 7200   # the role keeps the default 3600
    ```

    ## Fix
    Ask for at most the role's maximum, or raise `max_session_duration` (up to 43200).

    ## References
    - https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session
    """

    id = "OIDC111"
    name = "session-duration-exceeds-max"
    level = Level.ERROR
    summary = "The requested session duration is above the role's maximum"
    tags = ("correctness", "workload")

    def check(self, graph):
        return self.for_every_candidate(graph, self._check)

    def _check(self, graph, links):
        for workload, role in links:
            if not isinstance(workload.duration, int):
                continue
            maximum = role.max_session_duration
            if maximum is None:
                maximum = DEFAULT_MAX_SESSION
            if not isinstance(maximum, int) or workload.duration <= maximum:
                continue
            yield self.finding(
                workload.span,
                f"{workload.name} asks for {workload.duration} s, but {role.address} allows at most "
                f"{maximum} s: STS fails with `The requested DurationSeconds exceeds the "
                "MaxSessionDuration set for this role`.",
                workload=workload,
                related=[Related(role.span, f"role {role.address}")] if role.span else [],
                made_by=[role],
                fix=f"Ask for at most {maximum} s, or raise the role's maximum session duration.",
            )
