from __future__ import annotations

from oidclint.iam.federation import PROBE_SCOPE, PROBE_TENANT, probe_claims, token_claims
from oidclint.iam.google_cel import ByteLength, Claims, subject_length
from oidclint.iam.google_trusts import trusts_of
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Partial, Unknown


class GoogleSubjectMapping(Rule):
    """
    ## What it does
    Flags a Google Cloud workload identity pool provider for an OIDC issuer whose
    `attribute_mapping` maps no `google.subject`, or maps it to a value longer than 127
    bytes for a token it is meant for: the token of a workload linked to it (a
    `google-github-actions/auth` step that names the provider), or a token of the
    issuer for a repository, project or ServiceAccount of short names (`oidclint-probe`).

    ## Why it matters
    Google requires an OIDC provider to map `google.subject`, so the provider is not
    created. A subject over 127 bytes fails every exchange with `The size of mapped
    attribute exceeds the 127 bytes limit`: the job cannot authenticate. When even
    a token of short names is too long, every token is.

    ## Example
    ```hcl
    attribute_mapping = {
      "google.subject" = "assertion.sub + '::' + assertion.job_workflow_ref"
    }
    ```

    ## Fix
    Map `google.subject` to one short claim (`assertion.sub`, or an id such as
    `assertion.repository_id`), and put the other claims in `attribute.NAME` attributes.

    ## References
    - https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/iam_workload_identity_pool_provider
    - https://github.com/google-github-actions/auth/blob/main/docs/TROUBLESHOOTING.md
    """

    id = "OIDC116"
    name = "google-subject-mapping"
    level = Level.ERROR
    summary = "A Google Cloud pool provider maps no google.subject, or one over 127 bytes"
    tags = ("correctness", "google")

    def check(self, graph):
        seen = set()
        for binding in graph.google_bindings:
            provider = binding.provider
            if (provider.scope, provider.address) in seen:
                continue
            seen.add((provider.scope, provider.address))
            mapping = provider.attribute_mapping
            if isinstance(mapping, Unknown):
                continue
            where = provider.mapping_span or provider.span
            if mapping is None or "google.subject" not in mapping:
                yield self.finding(
                    where,
                    f"{provider.address} maps no `google.subject`: Google requires it for "
                    "an OIDC provider, so the provider is not created.",
                    address=provider.address,
                    fix="Map `google.subject` (for example to `assertion.sub`).")
                continue
            for label, claims in self._tokens(graph, provider):
                length = subject_length(mapping, Claims(claims, closed=False))
                if not isinstance(length, ByteLength) or length.exceeds is not True:
                    continue
                size = f"{length.low} bytes" if length.high == length.low \
                    else f"at least {length.low} bytes"
                yield self.finding(
                    where,
                    f"`google.subject` of {provider.address} is {size} "
                    f"for {label}: over Google's limit of 127 bytes, the exchange fails "
                    "with `The size of mapped attribute exceeds the 127 bytes limit`.",
                    address=provider.address,
                    fix="Map `google.subject` to a shorter value; keep other claims in "
                        "`attribute.NAME` attributes.",
                    evidence={"fingerprint": label})
                break  # one token over the limit is enough to say it

    @staticmethod
    def _tokens(graph, provider):
        """(who, claims) of each token the provider is meant for: linked workloads' first,
        then a token of the issuer for names nobody chose."""
        trusts = trusts_of(graph.cloud_trusts, provider)
        for workload in graph.workloads:
            if not any(trust.uses(workload) is True for trust in trusts):
                continue
            for token in graph.tokens(workload):
                claims = token_claims(workload, token)
                if claims is not None:
                    yield f"the token of {workload.name}", claims
        kind = trusts[0].kind if trusts else None
        issuer = provider.issuer_uri
        if kind is not None and isinstance(issuer, str) and not isinstance(issuer, Partial):
            claims = probe_claims(kind, PROBE_TENANT, PROBE_SCOPE, str(issuer), None)
            if claims is not None:
                yield f"a {kind.title} token of `{PROBE_TENANT}/{PROBE_SCOPE}`", claims
