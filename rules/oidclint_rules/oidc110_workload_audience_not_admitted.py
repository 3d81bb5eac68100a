from __future__ import annotations

from oidclint.iam.conditions import patterns, restricts
from oidclint.model import Level, Related
from oidclint.rule import Rule


class WorkloadAudienceNotAdmitted(Rule):
    """
    ## What it does
    Flags a workload whose token audience (the `audience` input of configure-aws-credentials,
    default `sts.amazonaws.com`; a GitLab `id_tokens` `aud`; a ServiceAccount's
    `eks.amazonaws.com/audience`) is not admitted by the role's `aud` condition or not in the
    provider's client id list. When the trust itself requires an audience its provider does
    not list (OIDC107) and the workload asks for either of the two, that one disagreement is
    OIDC107's finding alone.

    On Google Cloud and Azure: none of the trusts the workload is set to use accepts the
    audience it asks for (`api://AzureADTokenExchange` by default for `azure/login`;
    `https://iam.googleapis.com/` and the provider's name for `google-github-actions/auth`).

    ## Why it matters
    STS rejects a token whose audience the provider does not list with `InvalidIdentityToken:
    Incorrect token audience`; a trust whose `aud` condition differs denies it with `Not
    authorized to perform sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```yaml
    - uses: aws-actions/configure-aws-credentials@v4
      with:
        role-to-assume: arn:aws:iam::123456789012:role/deploy
        audience: https://github.com/acme   # the trust requires sts.amazonaws.com
    ```

    ## Fix
    Request the audience the provider and trust expect, or add the workload's audience to both.

    ## References
    - https://github.com/aws-actions/configure-aws-credentials#inputs
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
    """

    id = "OIDC110"
    name = "workload-audience-not-admitted"
    level = Level.ERROR
    summary = "The audience a workload requests is not admitted by the trust or not registered"
    tags = ("correctness", "oidc", "workload")

    def check(self, graph):
        yield from self.for_every_candidate(graph, self._check)
        for workload in graph.workloads:
            for refusal in graph.cloud_refusals(workload):
                if refusal.reason != "audience":
                    continue
                accepted = sorted({f"`{a}`" for t in refusal.trusts for a in t.audiences})
                yield self.finding(
                    workload.span,
                    f"{workload.name} requests audience `{refusal.value}`, but "
                    + ", ".join(sorted({t.address for t in refusal.trusts}))
                    + " accepts only " + ", ".join(accepted) + f": "
                    f"{refusal.answer}.",
                    workload=workload,
                    related=[Related(t.span, t.address) for t in refusal.trusts],
                    fix="Request an audience the trust accepts (the `audience` input), or add "
                    f"`{refusal.value}` to the trust's audiences.",
                )

    def _check(self, graph, links):
        for workload, role in links:
            if role.trust is None or not role.trust.read_whole:
                continue  # a statement not read may admit it
            tokens = graph.tokens(workload)
            audience = tokens[0].audience if tokens else None
            if not audience:
                continue
            for trust in graph.trusts_for(workload, role):
                if _trust_side(trust, audience):
                    continue  # the trust and its provider disagree: OIDC107's one finding
                wanted = [p for c in trust.conditions_on("aud") if restricts(c) for p in patterns(c)]
                if wanted and all(p is not None and p.known for p in wanted) and \
                        not any(p.matches(audience) for p in wanted):
                    yield self.finding(
                        workload.span,
                        f"{workload.name} requests audience `{audience}`, but the trust of "
                        f"{role.address} requires " + ", ".join(f"`{p}`" for p in wanted)
                        + ": STS denies the token.",
                        workload=workload,
                        related=[Related(trust.statement.span, f"trust of {role.address}")]
                        if trust.statement.span else [],
                        made_by=[role],
                        fix="Request the audience the trust requires (configure-aws-credentials "
                        "`audience`, the `id_tokens` `aud`, the ServiceAccount annotation).",
                    )
                    break
                for provider in trust.providers:
                    ids = provider.client_ids
                    if isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids) \
                            and audience not in ids:
                        yield self.finding(
                            workload.span,
                            f"{workload.name} requests audience `{audience}`, which provider "
                            f"{provider.address} does not list: STS answers `Incorrect token "
                            "audience`.",
                            workload=workload,
                            related=[Related(provider.span, f"provider {provider.address}")]
                            if provider.span else [],
                            made_by=[provider],
                            fix=f"Add `{audience}` to the client id list of {provider.address}.",
                        )


def _trust_side(trust, audience: str) -> bool:
    """The trust requires audiences its provider does not list (OIDC107), and the workload
    asks for one side of that disagreement: fixing the trust or the provider fixes the
    workload too, so that is one mistake, not two."""
    return any(audience in provider.client_ids or any(p.matches(audience) for p in wanted)
               for provider, _, wanted in trust.unregistered_audiences())
