from __future__ import annotations

from oidclint.iam.conditions import holds_when_absent
from oidclint.model import Level
from oidclint.rule import Rule


class UnsupportedClaimKey(Rule):
    """
    ## What it does
    Flags a condition key that names a claim AWS does not expose as a condition key for that
    issuer: `token.actions.githubusercontent.com:repository_owner` or `:event_name`,
    `gitlab.com:project_path`, anything but `sub`, `aud`, `oaud`, `amr` and `email` for EKS,
    HCP Terraform and other issuers.

    ## Why it matters
    IAM accepts unknown keys when the policy is saved, but at run time the key is absent. A
    positive condition on it fails closed (`Not authorized to perform
    sts:AssumeRoleWithWebIdentity` for every token): an error. Under `IfExists`,
    `ForAllValues:` or a negated operator it restricts nothing while looking like a
    safeguard: a warning.

    ## Example
    ```json
    "StringLike": {"gitlab.com:project_path": "acme/*"}
    ```

    ## Fix
    Restrict `sub` instead (its value embeds the repository, project or service account), or
    use a key AWS supports for the issuer (`repository`, `project_id` ...).

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_user-id.html
    """

    id = "OIDC105"
    name = "unsupported-claim-key"
    level = Level.ERROR
    summary = "The condition key names a claim AWS does not expose for that issuer"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            hosts = [h.lower() for h in trust.hosts]
            if issuer is None or not hosts:
                continue
            for condition in trust.statement.conditions:
                prefix, claim = condition.issuer_prefix, condition.claim
                if not isinstance(prefix, str) or claim is None or str(prefix).lower() not in hosts:
                    continue
                if claim in issuer.keys:
                    continue
                vacuous = holds_when_absent(condition)
                effect = ("so this condition restricts nothing" if vacuous else
                          "so this condition never holds and every token is denied")
                yield self.finding(
                    condition.key,
                    f"`{claim}` is not a condition key AWS provides for {issuer.title} tokens; "
                    f"at run time `{condition.key}` is absent, {effect}. Keys available: "
                    + ", ".join(sorted(issuer.keys)) + ".",
                    trust=trust,
                    fix="Restrict `sub` (or a supported key) instead.",
                    # Restricting nothing breaks nothing: not an error, but no safeguard either.
                    level=Level.WARNING if vacuous else None,
                    evidence={"fingerprint": str(condition.key)},
                )
