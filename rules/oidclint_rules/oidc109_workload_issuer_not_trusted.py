from __future__ import annotations

from oidclint.iam.claims import issuer_may_fit
from oidclint.model import Level, Related
from oidclint.rule import Rule

KIND_NAMES = {"github-actions": "GitHub Actions", "gitlab-ci": "GitLab CI",
              "kubernetes": "Kubernetes", "eksctl": "Kubernetes", "eks-addon": "Kubernetes",
              "circleci": "CircleCI", "buildkite": "Buildkite",
              "bitbucket-pipelines": "Bitbucket Pipelines", "hcp-terraform": "HCP Terraform"}


class WorkloadIssuerNotTrusted(Rule):
    """
    ## What it does
    Flags a workload whose token issuer is not a Federated principal of the role it assumes:
    a GitHub Actions job assuming a role that trusts only an EKS cluster, a ServiceAccount in
    one cluster assuming a role that trusts another cluster's OIDC provider. A trusted issuer
    known only in part (a provider ARN built from a variable) is reported only when its known
    text rules the workload's issuer out (`oidc.eks.${region}.amazonaws.com/id/${id}` for a
    GitHub Actions job). Two clusters of the same name (one created, the other looked up by
    that name) may be one cluster: not reported.

    On Google Cloud and Azure: none of the trusts the workload is set to use has its issuer.
    Azure compares the issuer character for character, so `https://token.actions.githubusercontent.com/`
    (with a slash) or an AKS issuer without its final slash never matches.

    ## Why it matters
    STS only evaluates statements whose Federated principal is the token's issuer. With none,
    every attempt fails with `Not authorized to perform sts:AssumeRoleWithWebIdentity`, however
    right the conditions look. Copying an IRSA role between clusters without changing the
    provider is a classic.

    ## Example
    ```hcl
    # the ServiceAccount runs in aws_eks_cluster.blue
    identifiers = [aws_iam_openid_connect_provider.green.arn]
    ```

    ## Fix
    Trust the provider of the issuer the workload really uses (its cluster's provider, the
    GitHub Actions provider), or point the workload at the role meant for it.

    ## References
    - https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
    """

    id = "OIDC109"
    name = "workload-issuer-not-trusted"
    level = Level.ERROR
    summary = "A linked workload's issuer is not the role's Federated principal"
    tags = ("correctness", "oidc", "workload")

    def check(self, graph):
        yield from self.for_every_candidate(graph, self._check)
        for workload in graph.workloads:
            for refusal in graph.cloud_refusals(workload):
                if refusal.reason != "issuer":
                    continue
                issuers = ", ".join(sorted({f"`{t.issuer}`" for t in refusal.trusts}))
                yield self.finding(
                    workload.span,
                    f"{workload.name} presents tokens of `{refusal.value}`, but what it is set "
                    f"to use ({refusal.principals}) trusts {issuers}: "
                    f"{refusal.answer}. Issuers are compared character for "
                    "character, scheme and trailing slash included.",
                    workload=workload,
                    related=[Related(t.span, t.address) for t in refusal.trusts],
                    fix=f"Set the issuer to `{refusal.value}` exactly.",
                )

    def _check(self, graph, links):
        for workload, role in links:
            if role.trust is None or not role.trust.read_whole:
                continue  # a statement not read may trust its issuer
            trusts = [t for t in graph.trusts_of_role(role) if t.statement.allows]
            if any(p.kind in ("unknown", "undeclared", "malformed")
                   for t in trusts for p in t.principals):
                continue  # the issuer is not known (or OIDC103 reports the principal)
            fitting = graph.trusts_for(workload, role)
            kind = KIND_NAMES.get(workload.kind, workload.kind)
            if not fitting:
                partly = [h for t in trusts for h in t.partial_hosts]
                if any(issuer_may_fit(workload, h) for h in partly):
                    continue  # what is known of the trusted issuer does not decide
                trusted = sorted({h for t in trusts for h in t.hosts} | {str(h) for h in partly})
                yield self.finding(
                    workload.role_span or workload.span,
                    f"{workload.name} presents a {kind} token, but {role.address} "
                    + ("trusts only " + ", ".join(f"`{h}`" for h in trusted) if trusted else
                       "trusts no web identity issuer")
                    + ": STS finds no statement for its issuer and denies it.",
                    workload=workload,
                    address=None,
                    fallback=[workload.span],
                    related=[Related(role.span, f"role {role.address}")] if role.span else [],
                    made_by=[role],
                    fix=f"Add a statement trusting the {kind} issuer, or assume another role.",
                )
                continue
            cluster = graph.cluster_of(workload)
            if cluster is None:
                continue
            trusted = [graph.cluster_of_provider(p) for t in fitting for p in t.providers]
            if not trusted or None in trusted or any(_may_be_same(c, cluster) for c in trusted):
                continue
            names = ", ".join(sorted({_where(c) for c in trusted}))
            yield self.finding(
                workload.role_span or workload.span,
                f"{workload.name} runs in {_where(cluster)}, but {role.address} trusts the OIDC "
                f"provider of {names}: tokens from this cluster's issuer are denied.",
                workload=workload,
                fallback=[workload.span],
                related=[Related(role.span, f"role {role.address}")] if role.span else [],
                made_by=[role],
                fix=f"Trust the OIDC provider of {_where(cluster)}.",
            )


def _may_be_same(trusted, cluster) -> bool:
    """One cluster, or two of the same known name (a ``data "aws_eks_cluster"`` looking up
    the one a module creates): which account and region each is in is not compared."""
    if trusted is cluster:
        return True
    names = [c.name for c in (trusted, cluster)]
    return all(isinstance(n, str) for n in names) and str(names[0]) == str(names[1])


def _where(cluster) -> str:
    name = f" ({cluster.name})" if isinstance(cluster.name, str) else ""
    return f"{cluster.address}{name} in {cluster.scope}"

