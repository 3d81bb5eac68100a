from __future__ import annotations

import re

from oidclint.iam.conditions import patterns, restricts
from oidclint.model import Level
from oidclint.rule import Rule

_LEGACY = re.compile(r"repo:([^/@:*?]+)/([^@:*?]+):")


class LegacyGithubSubject(Rule):
    """
    ## What it does
    For GitHub repositories you declare as issuing immutable subjects
    (`--immutable-subjects OWNER/NAME`), flags trust patterns that still name them in the old
    `repo:<owner>/<name>:...` form.

    ## Why it matters
    Repositories created after 2026-07-15 (and ones renamed, transferred or opted in) get
    subjects of the form `repo:<owner>@<owner-id>/<name>@<repo-id>:<context>`. A pattern in the
    old form never matches their tokens: every run fails with `Not authorized to perform
    sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```json
    "StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/api:ref:refs/heads/main"}
    ```

    ## Fix
    Write the subject with the ids: `repo:acme@1234567/api@89012345:ref:refs/heads/main`
    (the ids are in the repository's API response, `owner.id` and `id`).

    ## References
    - https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
    """

    id = "OIDC114"
    name = "legacy-github-subject"
    level = Level.ERROR
    summary = "Trust patterns use repo:owner/name for a repository that issues immutable subjects"
    tags = ("correctness", "github")

    def check(self, graph):
        if not graph.immutable_repositories:
            return
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or issuer.kind != "github":
                continue
            for condition in trust.conditions_on("sub"):
                if not restricts(condition):
                    continue
                for value, pattern in zip(condition.values, patterns(condition)):
                    match = _LEGACY.match(pattern.text) if pattern else None
                    if not match or f"{match[1]}/{match[2]}" not in graph.immutable_repositories:
                        continue
                    yield self.finding(
                        value,
                        f"`{pattern}` names {match[1]}/{match[2]} in the old form, but its tokens "
                        f"carry `repo:{match[1]}@<owner-id>/{match[2]}@<repo-id>:...`: the pattern "
                        "never matches them.",
                        trust=trust,
                        fallback=[condition.key],
                        fix="Use the immutable form with the owner and repository ids.",
                        evidence={"fingerprint": str(pattern)},
                    )
