from __future__ import annotations

from oidclint.iam.federation import PROBE_SCOPE, PROBE_TENANT, probe_claims
from oidclint.iam.google_cel import Claims, map_attributes
from oidclint.iam.google_members import member_admits
from oidclint.iam.google_trusts import binding_trust
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Partial, Unknown


class WholePoolMember(Rule):
    """
    ## What it does
    Flags a Google Cloud IAM grant (on a service account, or directly on a resource) to a
    member that stands for every identity of a workload identity pool:
    `principalSet://iam.googleapis.com/<pool>/*`, or an attribute, group or subject
    member whose value a token of any repository, project or ServiceAccount carries (for
    example `attribute.ref/refs/heads/main`, or an attribute mapped from a claim every
    token shares). Whether a token of someone else's repository is given one is asked of
    the member with a token of names nobody chose (`oidclint-probe-owner/oidclint-probe`).

    ## Why it matters
    The member does not say which workloads get the role: only the provider's attribute
    condition does. On a shared issuer (GitHub, GitLab.com, HCP Terraform) any repository
    of anyone then gets the role unless the condition pins the owner; with one it still
    gets to every repository of that owner. Google's guidance is never to use `*` in a
    binding. The finding says whether the provider's condition lets in a token of any
    owner (then the grant is open to anyone).

    ## Example
    ```hcl
    member = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/*"
    ```

    ## Fix
    Grant to the repository that needs it:
    `principalSet://iam.googleapis.com/<pool>/attribute.repository/acme/api` (with
    `attribute.repository` mapped from `assertion.repository`), or better by its id
    (`attribute.repository_id`).

    ## References
    - https://github.com/google-github-actions/auth/blob/main/docs/SECURITY_CONSIDERATIONS.md
    - https://cloud.google.com/iam/docs/principal-identifiers
    """

    id = "OIDC211"
    name = "whole-pool-member"
    level = Level.WARNING
    summary = "A Google Cloud grant names every identity of a workload identity pool"
    tags = ("security", "google")
    security_severity = 7.5

    def check(self, graph):
        for binding in graph.google_bindings:
            member, grant = binding.member, binding.grant
            if member is None:
                continue
            trust = binding_trust(binding, graph.inventory)
            if member.kind == "pool":
                what = "names every identity of the pool"
            elif self._admits(binding, trust, member_only=True):
                what = (f"matches a token of any repository (`{member.key}` "
                        f"`{member.value}` is not one repository's)")
            else:
                continue
            anyone = self._admits(binding, trust, member_only=False)
            provider = binding.provider.address
            if anyone and binding.provider.attribute_condition is None:
                tail = f"{provider} has no attribute condition, so anyone on the issuer gets it."
            elif anyone:
                tail = (f"{provider}'s attribute condition lets in a token of any owner, so "
                        "anyone on the issuer gets it.")
            else:
                tail = f"only {provider}'s attribute condition limits who."
            yield self.finding(
                binding.span or grant.span,
                f"Member `{binding.text}` of {grant.address} {what}: {grant.role} goes to "
                f"whatever token the pool exchanges; {tail}",
                address=grant.address,
                level=Level.ERROR if anyone else None,
                fix="Grant to one repository's attribute (`.../attribute.repository/OWNER/"
                    "NAME`, or `attribute.repository_id`).",
                evidence={"fingerprint": str(binding.text)})

    @staticmethod
    def _admits(binding, trust, *, member_only: bool) -> bool:
        """Whether a token of a repository of an owner nobody chose is let in: by the member
        alone (the condition left aside), or by the whole trust. The issuer's audience is
        not what is asked (a provider's default audience names its project number, seldom
        known)."""
        provider = binding.provider
        mapping = provider.attribute_mapping
        issuer = provider.issuer_uri
        kind = trust.kind
        if kind is None or isinstance(mapping, Unknown) or not isinstance(issuer, str) \
                or isinstance(issuer, Partial):
            return False
        claims = probe_claims(kind, PROBE_TENANT, PROBE_SCOPE, str(issuer), None)
        if claims is None:
            return False
        if not member_only:
            return trust.admits(claims) is True
        mapped = map_attributes(mapping or {}, Claims(claims, closed=False))
        return member_admits(binding.member, mapped) is True
