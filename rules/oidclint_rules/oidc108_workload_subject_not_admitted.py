from __future__ import annotations

from dataclasses import replace

from oidclint.iam.claims import (
    admits, describe, refusing_conditions, subject_overlaps, subject_ruled_out,
)
from oidclint.iam.conditions import patterns, restricts
from oidclint.iam.patterns import Pattern
from oidclint.model import Level, Related
from oidclint.rule import Rule


class WorkloadSubjectNotAdmitted(Rule):
    """
    ## What it does
    Links each workload (GitHub Actions job, GitLab CI job, Kubernetes ServiceAccount,
    CircleCI, Buildkite or Bitbucket Pipelines job, HCP Terraform workspace) to the role it
    assumes, works out the subject its token carries in every way it runs (a push to
    each branch, a tag, a pull request, an environment, a namespace and service account), and
    flags the runs whose subject no statement of the role's trust admits. A subject only
    partly known (an environment named by an expression whose values are not written down, a
    namespace from an input) is decided by its known parts when they are enough:
    `repo:acme/api:environment:<x>` never matches a `ref:` pattern, whatever `<x>` is. So
    is a trust pattern known only in part: `repo:${var.repo}:ref:refs/heads/main` refuses a
    push to any other branch, whatever repository the variable names.

    A repository whose subject template the scan declares (Terraform's
    `github_actions_repository_oidc_subject_claim_customization_template`, or the
    organisation's template it opts in to with `use_default = false`) presents its subject
    in that form (`repo:acme/api:ref:refs/heads/main:job_workflow_ref:...`); an
    organisation's template alone leaves the form open, since the repository may opt in
    outside the scan.

    The other claims a trust pins are checked too. A job of a reusable workflow carries its
    caller's subject and names the called file in `job_workflow_ref`
    (`acme/platform/.github/workflows/deploy.yml@refs/tags/v2`): a trust pinning another
    file, repository or ref refuses it, and the message names that claim. A call written
    `@v2` may be a branch or a tag, so it fails only when neither is admitted; the `workflow`
    claim is the name of the workflow that was triggered.

    Job and step `if:` conditions are read: a run they rule out is not checked, and a
    condition such as `github.ref == 'refs/heads/main'` narrows a push to any branch to the
    push to `main`. The level follows what fails: an error when every run of the workload
    fails; a warning when some runs certainly fail (a branch the trigger names, or every
    branch but the admitted ones of a job that runs on each push to any branch); a note when
    a run fails only on a ref a person picks (`workflow_dispatch` from another branch, or
    from a branch when the trust admits tags: the person may pick a tag), or
    when an `if:` that cannot be decided before the run (it reads step outputs or variables,
    or is not understood) may keep the job from running there: the message names it.

    On Google Cloud and Azure the same is asked of the trusts a workload is set to use (its
    workload identity provider and service account, its client id): a token no pool
    provider condition and member, or no federated identity credential, admits is refused.
    Azure matches the subject exactly and case-sensitively, so an environment's token
    (`repo:acme/api:environment:prod`) never meets a credential for a branch.

    ## Why it matters
    This is the most common cause of `Not authorized to perform
    sts:AssumeRoleWithWebIdentity`: a job that gained `environment: production` (its subject
    becomes `repo:<repo>:environment:production`), a push to `release` against a `main`-only
    trust, a `pull_request` job, a ServiceAccount in namespace `payment` against a trust for
    `payments`. The failure only shows when the workflow runs.

    ## Example
    ```yaml
    # .github/workflows/deploy.yml
    on: {push: {branches: [release]}}
    # trust: StringEquals sub = repo:acme/api:ref:refs/heads/main
    ```
    ```yaml
    on: push            # every push to any branch runs the job, and only main is admitted
    jobs:
      deploy:           # no `if: github.ref == 'refs/heads/main'`: a warning
    ```

    ## Fix
    Make the trust admit the subject the workload presents (add the branch, environment or
    service account), or run the workload in the context the trust was written for (filter
    the trigger's branches, or guard the job with `if: github.ref == 'refs/heads/main'`).

    ## References
    - https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
    - https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-with-reusable-workflows
    - https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
    - https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    - https://docs.gitlab.com/ci/secrets/id_token_authentication/
    - https://circleci.com/docs/openid-connect-tokens/
    - https://buildkite.com/docs/agent/v3/cli-oidc
    - https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/workload-identity-tokens
    """

    id = "OIDC108"
    name = "workload-subject-not-admitted"
    level = Level.ERROR
    summary = "A linked workload's token subject is not admitted by the role's trust"
    tags = ("correctness", "oidc", "workload")

    def check(self, graph):
        yield from self._check_roles(graph)
        for workload in graph.workloads:
            for refusal in graph.cloud_refusals(workload):
                if refusal.reason != "subject":
                    continue
                yield self.finding(
                    refusal.token.context.span or workload.span,
                    f"{describe(workload, refusal.token.context)} presents subject "
                    f"`{refusal.value}`, which {_none_of(refusal.trusts)}: {refusal.answer}.",
                    workload=workload,
                    fallback=[workload.span],
                    related=[Related(t.span, t.address) for t in refusal.trusts],
                    fix="Make the trust admit this subject exactly as the token carries it "
                    "(environment, branch or pull request; case matters), or run the "
                    "workload where the trust expects it.",
                )

    def _check_roles(self, graph):
        # A workload that may assume any of several roles of the scan (the same name in
        # several root modules) fails only with a subject that none of them admits.
        for workload, roles in graph.candidate_links():
            trusts = [t for role in roles for t in graph.trusts_for(workload, role)]
            tokens = graph.tokens(workload)
            if not trusts or not tokens or any(_unread(graph, workload, r) for r in roles):
                continue
            failing, partly = [], []
            for token in tokens:
                subject = token.example_subject
                if subject is None:
                    # Partly known (a namespace from an input): decided when its known
                    # parts already disagree with every trust.
                    if token.subject is not None and all(
                            subject_ruled_out(t.statement, token) for t in trusts):
                        failing.append(token)
                    continue
                verdicts = [admits(t.statement, token, t.issuer, subject, check_audience=False)
                            for t in trusts]
                # A trust known only in part (`repo:${var.repo}:ref:refs/heads/main`) still
                # refuses a subject its known parts rule out, whatever the unknown is.
                probe = replace(token, subject=Pattern.of(subject, glob=False))
                if any(v is True or (v is None and not subject_ruled_out(t.statement, probe))
                       for t, v in zip(trusts, verdicts)):
                    continue
                if token.subject.glob and any(subject_overlaps(t.statement, token) for t in trusts):
                    partly.append(token)
                elif token.context.instead is not None and any(
                        subject_overlaps(t.statement, other) for t in trusts
                        for other in graph.tokens(replace(workload,
                                                          contexts=[token.context.instead]))):
                    partly.append(token)  # dispatched from a tag the trust admits, it runs
                else:
                    failing.append(token)
            if not failing and not partly:
                continue
            admitted = _admitted(trusts)
            every = len(failing) == len(tokens)
            for token in failing + partly:
                whole = token in failing
                context = token.context
                # A push to any branch runs on every branch: those the trust does not admit
                # certainly fail. An `if:` not decided here may keep the job from them.
                certain = (whole or context.every_ref) and context.guard is None
                level = Level.ERROR if every else Level.WARNING if certain else Level.NOTE
                others = _other_claims(trusts, token) if whole else None
                presents = f"`{token.subject}`"
                if not token.subject.known:
                    presents = f"`{token.shown}` (whatever the value of {_inputs(token)})"
                elif token.subject.glob:
                    presents = f"subjects like {presents}"
                refused = "with `Not authorized to perform sts:AssumeRoleWithWebIdentity`"
                what = (f"this run fails {refused}" if whole
                        else f"it runs on every such ref and fails {refused} on each one the "
                        "trust does not admit" if context.every_ref
                        else f"this run fails unless it runs on a ref the trust admits {refused}")
                guard = (f" Whether it runs at all is decided by {context.guard}."
                         if context.guard else "")
                one = len(roles) == 1
                where = (context.span if not every else _trust_subject_span(trusts) if one
                         else workload.role_span)
                says = f"{_trust_of(roles)} {'admits' if one else 'admit'} {admitted}"
                if others:
                    presents += " with " + _carried(token, others)
                    says = (f"{_trust_of(roles)} {'admits' if one else 'admit'} that subject "
                            "but only " + _pinned(others))
                    if every and one:
                        where = others[0].span or where
                yield self.finding(
                    where,
                    f"{describe(workload, context)} presents {presents}; {says}: {what}."
                    f"{guard}",
                    workload=workload,
                    address=roles[0].address if every and one else None,
                    fallback=[token.context.span, workload.span, trusts[0].statement, roles[0]],
                    related=_related(workload, token, roles, trusts, every)
                    + _templates(graph, workload),
                    made_by=roles,
                    level=level,
                    fix=(f"Run the job from the workflow the trust pins in `{others[0].claim}`, "
                         "or admit this value in the trust." if others else
                         "Admit this subject in the trust, or run the workload where the trust "
                         "expects."),
                    evidence={"fingerprint": f"{workload.name}|{token.context.label}",
                              "subject": token.shown or str(token.subject),
                              "admitted": admitted},
                )


def _other_claims(trusts, token):
    """When the subject is admitted and other claims refuse the run (`job_workflow_ref`,
    `workflow` ...), the conditions that refuse it in each trust; None when a subject test
    refuses it in any."""
    subject = token.example_subject
    if subject is None:
        return None
    refusing = []
    for trust in trusts:
        conditions = refusing_conditions(trust.statement, token, trust.issuer, subject)
        if not conditions or any(c.claim in ("sub", None) for c in conditions):
            return None
        refusing += conditions
    return refusing


def _carried(token, conditions) -> str:
    """The values the token carries for the claims that refuse it."""
    shown = []
    for claim in dict.fromkeys(c.claim for c in conditions):
        values = token.options.get(claim) or (token.claims.get(claim),)
        shown.append(f"`{claim}` " + " or ".join(f"`{v}`" if v is not None else "none"
                                                   for v in values))
    return " and ".join(shown)


def _pinned(conditions) -> str:
    """What the refusing conditions admit: `job_workflow_ref` `a` or `b`."""
    return " and ".join(
        f"`{c.claim}` " + " or ".join(f"`{p.shown()}`" for p in patterns(c) if p is not None)
        for c in conditions)


def _inputs(token) -> str:
    """The unknown pieces of a partly known subject, as the user wrote them."""
    origins = [f"`{o}`" for o in (token.subject.origins if token.subject else ())]
    return " and ".join(dict.fromkeys(origins)) or "the unknown part"


def _admitted(trusts) -> str:
    """The subjects the trust admits; when it restricts other claims only, those (a failing
    `repository` condition is not about the subject)."""
    values, others = [], []
    for trust in trusts:
        for condition in trust.statement.conditions:
            if not restricts(condition) or condition.claim in (None, "aud"):
                continue
            shown = [f"`{p.shown()}`" for p in patterns(condition) if p is not None]
            if condition.claim == "sub":
                values += shown
            elif not str(condition.key).lower().startswith(("aws:", "sts:")):
                others += [f"`{condition.claim}` {v}" for v in shown]
    return (", ".join(dict.fromkeys(values)) or
            "only tokens with " + " or ".join(dict.fromkeys(others)) if values or others else
            "none of its tokens")


def _templates(graph, workload):
    """The subject templates the scan declares, which gave a GitHub job its subject's form."""
    if workload.kind != "github-actions" or not isinstance(graph.subject_template(), tuple):
        return []
    return [Related(t.span, f"subject claim template {t.address}")
            for t in graph.subject_templates if t.span]


def _trust_subject_span(trusts):
    for trust in trusts:
        for condition in trust.statement.conditions:
            if condition.claim == "sub":
                return condition.span
    return trusts[0].statement.span


def _unread(graph, workload, role) -> bool:
    """Whether the role might admit the workload through a trust read only in part: a
    statement whose effect is not known, or, when none of its statements is for the
    workload's issuer kind, the trust policy or the issuer of an allowing statement."""
    document = role.trust
    if document is None or not document.read_whole:
        return True
    if graph.trusts_for(workload, role):
        return False
    return any(t.statement.allows and (t.statement.unknown is not None or not t.issuers)
               for t in graph.trusts_of_role(role))


def _trust_of(roles) -> str:
    """Whose trust a message speaks of: the role's, or each candidate's (``graph.Link``)."""
    if len(roles) == 1:
        return f"the trust of {roles[0].address}"
    return (f"the trusts of the {len(roles)} roles named `{roles[0].name}` it may assume ("
            + ", ".join(f"{r.address} in {r.scope}" for r in roles) + ")")


def _related(workload, token, roles, trusts, every):
    related = []
    if every:
        span = token.context.span or workload.span
        related.append(Related(span, describe(workload, token.context)))
    for role in roles:
        span = _trust_subject_span([t for t in trusts if t.role is role] or trusts)
        if span and (len(roles) > 1 or not every):
            related.append(Related(span, f"subject condition of {role.address}"))
    for span, address in dict.fromkeys((p.span, p.address) for t in trusts for p in t.providers
                                       if p.span):
        related.append(Related(span, f"OIDC provider {address}"))
    return related


def _none_of(trusts) -> str:
    """``X does not admit`` for one trust, ``none of X, Y admits`` for several."""
    names = sorted({t.address for t in trusts})
    return f"{names[0]} does not admit" if len(names) == 1 else \
        f"none of {', '.join(names)} admits"
