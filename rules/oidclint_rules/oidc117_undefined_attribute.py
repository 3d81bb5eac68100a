from __future__ import annotations

from oidclint.iam.google_cel import Expression, parse
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Unknown


class UndefinedAttribute(Rule):
    """
    ## What it does
    Flags a Google Cloud workload identity pool provider whose `attribute_condition` reads
    an attribute (`attribute.NAME`, `google.groups`, `google.subject`) that its
    `attribute_mapping` does not map, and an IAM member of its pool
    (`principalSet://.../attribute.NAME/...`, `.../group/...`, `principal://.../subject/...`)
    that names such an attribute.

    ## Why it matters
    A condition or a member can only use attributes mapped from the token. A condition
    reading one that is not mapped fails for every token (`The given credential is rejected
    by the attribute condition`), and a member naming one matches no identity, so
    impersonation fails with `Permission 'iam.serviceAccounts.getAccessToken' denied`.
    Nothing gets in, which is safe but not what was meant.

    ## Example
    ```hcl
    attribute_mapping   = { "google.subject" = "assertion.sub" }
    attribute_condition = "attribute.repository_owner == 'acme'"   # not mapped
    ```

    ## Fix
    Map the attribute (`"attribute.repository_owner" = "assertion.repository_owner"`), or
    read the claim directly in the condition (`assertion.repository_owner == 'acme'`).

    ## References
    - https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers
    - https://github.com/google-github-actions/auth/blob/main/docs/TROUBLESHOOTING.md
    """

    id = "OIDC117"
    name = "undefined-attribute"
    level = Level.ERROR
    summary = "A Google Cloud condition or member uses an attribute the mapping never defines"
    tags = ("correctness", "google")

    def check(self, graph):
        seen = set()
        members: dict[tuple, list] = {}
        for binding in graph.google_bindings:
            provider = binding.provider
            mapping = provider.attribute_mapping
            if isinstance(mapping, Unknown):
                continue
            if binding.member is not None and binding.member.key is not None:
                members.setdefault((binding.grant.address, str(binding.text), binding.span),
                                   []).append(binding)
            key = (provider.scope, provider.address)
            if key in seen:
                continue
            seen.add(key)
            condition = provider.attribute_condition
            read = parse(condition) if condition is not None and not isinstance(
                condition, Unknown) else None
            if not isinstance(read, Expression):
                continue
            mapped = set(mapping or {})
            missing = sorted(f"{root}.{name}" for root, name in read.references()
                             if root != "assertion" and f"{root}.{name}" not in mapped)
            if missing:
                yield self.finding(
                    provider.condition_span or provider.span,
                    f"The attribute condition of {provider.address} reads {_listed(missing)}, "
                    "which its attribute mapping does not map: the condition admits no token.",
                    address=provider.address,
                    fix="Map the attribute, or read the token's claim with `assertion.NAME`.",
                    evidence={"fingerprint": ",".join(missing)})
        # A member of a pool is matched through any of the pool's providers: it names an
        # attribute none of them maps, or it is fine.
        for found in members.values():
            first = found[0]
            attribute = first.member.key
            if any(attribute in (b.provider.attribute_mapping or {}) for b in found):
                continue
            providers = ", ".join(sorted({b.provider.address for b in found}))
            yield self.finding(
                first.span or first.grant.span,
                f"Member `{first.text}` of {first.grant.address} names `{attribute}`, which "
                f"{providers} does not map: no identity of the pool is this member.",
                address=first.grant.address,
                fix=f"Map `{attribute}` in the pool's provider, or name an attribute it maps.",
                evidence={"fingerprint": attribute})


def _listed(keys: list[str]) -> str:
    return ", ".join(f"`{key}`" for key in keys)
