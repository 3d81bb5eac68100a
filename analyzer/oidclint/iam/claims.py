"""Claim synthesis: the tokens a workload presents, and whether a trust statement admits them.

GitHub and GitLab subjects are repository-relative (``repo:<owner>/<repo>:<context>``,
``project_path:<group>/<project>:<context>``), so they need the repository; Kubernetes
ServiceAccount subjects are complete on their own.
https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload
https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oidclint.iam.catalog import GLOBAL_KEY_PREFIXES, Issuer
from oidclint.iam.conditions import STRING_OPERATORS, condition_holds, patterns, restricts
from oidclint.iam.patterns import Pattern, may_intersect
from oidclint.iam.subjects import Ids, subject_prefix
from oidclint.model import Condition, JobWorkflow, Statement, TokenContext, Workload
from oidclint.source import Partial, Text, Unknown, concat

GITHUB_HOST = "token.actions.githubusercontent.com"
DEFAULT_AUDIENCE = {
    # configure-aws-credentials asks for sts.amazonaws.com unless `audience` says otherwise.
    # https://github.com/aws-actions/configure-aws-credentials#inputs
    "github-actions": "sts.amazonaws.com",
    # The EKS pod identity webhook projects a token for sts.amazonaws.com by default.
    # https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    "kubernetes": "sts.amazonaws.com",
    "eksctl": "sts.amazonaws.com",
    "eks-addon": "sts.amazonaws.com",
}
DEFAULT_SESSION_NAME = {"github-actions": "GitHubActions"}
PROBE = "oidclint-probe"


@dataclass(frozen=True, slots=True)
class Token:
    """What a workload's token says in one context."""

    context: TokenContext
    subject: Pattern | None
    """The full subject (a glob when the context stands for many refs), with the pieces not
    known statically marked (``Pattern.known`` is false then); None when nothing decides
    it (no repository, a subject not known at all)."""
    audience: str | None
    claims: dict[str, str]
    """Other claims by name: ``ref``, ``environment``, ``repository`` ..."""
    shown: str = ""
    """The subject as a person reads it, each unknown piece named: ``repo:acme/api:
    environment:${inputs.stage}``."""
    options: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    """Claims known to take one of several values, not which (``job_workflow_ref`` of a
    call at ``@v2``, a branch or a tag); ``None`` among them for a claim that may be
    absent."""

    @property
    def example_subject(self) -> str | None:
        """A concrete subject of this context (a glob's wildcards filled with a probe name)."""
        if self.subject is None or not self.subject.known:
            return None
        return self.subject.text.replace("*", PROBE).replace("?", "x") if self.subject.glob \
            else self.subject.text



def describe(workload: Workload, context: TokenContext) -> str:
    """``deploy.yml job deploy (push to main)``; a ServiceAccount is its own context."""
    return workload.name if context.label == workload.name else f"{workload.name} ({context.label})"


def repository_prefix(workload: Workload, repository: str | None,
                      immutable: Ids | None = None) -> Text | None:
    """The subject before the context, from the same grammar module OIDC115 checks against."""
    return subject_prefix(workload.kind, repository, immutable)


CUSTOM_TEMPLATE_UNKNOWN = Unknown("the repository's subject claim template")
"""A GitHub subject template the scan declares in a way that leaves it open (an
organisation's template the repository may have opted in to by hand)."""


def tokens_for(workload: Workload, repository: str | None,
               template: tuple[str, ...] | Unknown | None = None,
               immutable: Ids | None = None) -> list[Token]:
    """Every token the workload can present, one per context. ``template``: the
    ``include_claim_keys`` of a customised GitHub subject (``None``: the default form;
    ``Unknown``: not known which, so the subject is not known). ``immutable``: the GitHub
    repository issues ``owner@id/name@id`` subjects, with these ids
    (``graph.TrustGraph.immutable_subjects``)."""
    prefix = repository_prefix(workload, repository, immutable)
    if prefix is None and workload.kind == "gitlab-ci":
        # The project is not known (a repository hosted elsewhere, or none named); the rest
        # of the subject may still decide.
        prefix = concat(("project_path:", Unknown("the GitLab project's path"), ":"))
    audience = workload.audience if isinstance(workload.audience, str) else (
        None if workload.audience is not None else DEFAULT_AUDIENCE.get(workload.kind))
    custom = template if workload.kind == "github-actions" else None
    tokens = []
    for context in workload.contexts:
        claims = {k: str(v) for k, v in context.claims.items() if isinstance(v, str)}
        options = {}
        if workload.kind == "github-actions" and repository:
            claims.setdefault("repository", repository)
        if workload.kind == "github-actions" and workload.job_workflow is not None:
            refs = job_workflow_refs(workload.job_workflow, claims.get("ref"), repository)
            if refs and not workload.job_workflow.called:
                # Documented for jobs of reusable workflows only: the job's own file, or
                # no claim at all.
                options["job_workflow_ref"] = (*refs, None)
            elif refs and len(refs) == 1:
                claims["job_workflow_ref"] = refs[0]
            elif refs:
                options["job_workflow_ref"] = refs
            if workload.job_workflow.run is not None:
                claims["workflow"] = workload.job_workflow.run
        subject, shown = None, ""
        if custom is not None:
            if isinstance(custom, tuple) and prefix is not None:
                written = customised_subject(custom, repository, context, claims)
                subject, shown = Pattern.of(written, glob=context.pattern), str(written)
        elif prefix is not None and isinstance(context.subject, (str, Partial)):
            subject = Pattern.of(concat((prefix, context.subject)), glob=context.pattern)
            shown = f"{prefix}{context.subject}"
        tokens.append(Token(context, subject, str(audience) if audience else None, claims,
                            shown, options))
    return tokens


def customised_subject(keys: tuple[str, ...], repository: str, context: TokenContext,
                       claims: dict[str, str]) -> Text:
    """A GitHub subject in a customised template's form: ``key:value`` pairs in the
    template's order, ``repo`` for the repository, the ``context`` written as in the default
    form (``environment:prod``), each ``:`` inside a value as ``%3A``; a claim the scan
    cannot know (ids, the actor, a ref of an environment's run) is an unknown piece.
    https://docs.github.com/en/actions/reference/security/oidc#customizing-the-subject-claims-for-an-organization-or-repository
    """
    ref = claims.get("ref")
    known = {
        "repo": repository, "repository": repository,
        "repository_owner": repository.split("/", 1)[0],
        "ref": ref,
        "ref_type": ("branch" if ref.startswith("refs/heads/") else "tag"
                     if ref.startswith("refs/tags/") else None) if ref else None,
        "environment": context.claims.get("environment"),
        "event_name": context.event,
        "job_workflow_ref": claims.get("job_workflow_ref"),
        "workflow": claims.get("workflow"),
    }
    pieces: list = []
    for key in keys:
        if pieces:
            pieces.append(":")
        if key == "context":
            pieces.append(context.subject)
            continue
        value = known.get(key)
        if isinstance(value, str):
            value = value.replace(":", "%3A")
        elif not isinstance(value, Partial):
            value = Unknown(key)
        pieces += [f"{key}:", value]
    return concat(pieces)


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def job_workflow_refs(called: JobWorkflow, run_ref: str | None,
                      repository: str | None = None) -> tuple[str, ...] | None:
    """The values a GitHub token's ``job_workflow_ref`` may take:
    ``<owner>/<repo>/<path>@<ref>``, the ref in full (``@refs/heads/main``) or a commit SHA
    (https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-with-reusable-workflows).
    A call written with a bare name (``@v2``, ``@main``) may name a branch or a tag, so
    either. ``None`` when the repository or the ref is not known (a run on any branch)."""
    owner_repo = called.repository or repository
    ref = called.ref if called.ref is not None else run_ref
    if owner_repo is None or ref is None or any(c in ref for c in "*?"):
        return None
    head = f"{owner_repo}/{called.path}@"
    if called.ref is None or ref.startswith("refs/") or _COMMIT.match(ref):
        return (head + ref,)
    return (f"{head}refs/heads/{ref}", f"{head}refs/tags/{ref}")


def claim_values(token: Token, claim: str, subject: str) -> list[str] | None:
    """What the token carries for a claim; None when it does not carry it."""
    if claim == "sub":
        return [subject]
    if claim == "aud":
        return [token.audience] if token.audience else None
    value = token.claims.get(claim)
    return [value] if value is not None else None


def admits(statement: Statement, token: Token, issuer: Issuer | None, subject: str, *,
           check_audience: bool = True) -> bool | None:
    """Whether every condition of the statement holds for the token with this subject.

    Each condition is judged by its claim, whatever issuer its key names (a key for another
    issuer is OIDC104's finding). Conditions on claims the synthesis does not know
    (``actor``, ``repository_id``, ``job_workflow_ref`` of a run on any branch) and on global
    keys leave the answer open or to other rules rather than failing it.
    """
    verdict: bool | None = True
    for _, result in _outcomes(statement, token, issuer, subject, check_audience):
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def refusing_conditions(statement: Statement, token: Token, issuer: Issuer | None,
                        subject: str) -> list[Condition]:
    """The conditions of the statement that fail for the token with this subject."""
    return [c for c, result in _outcomes(statement, token, issuer, subject, False)
            if result is False]


def _outcomes(statement: Statement, token: Token, issuer: Issuer | None, subject: str,
              check_audience: bool) -> list[tuple[Condition, bool | None]]:
    """Each judged condition with whether it holds for the token."""
    outcomes = []
    for condition in statement.conditions:
        claim = condition.claim
        prefix = condition.issuer_prefix
        if isinstance(prefix, str) and str(prefix).lower() in GLOBAL_KEY_PREFIXES:
            continue  # session name and tags: OIDC113
        if claim == "aud" and not check_audience:
            continue
        values = claim_values(token, claim, subject) if claim is not None else None
        test = Condition(condition.operator, claim, condition.values)
        if claim is None:
            result = None
        elif values is None and claim in token.options:
            # One of these values, not known which: decided only when they all agree.
            results = {condition_holds(test, {claim: [v]} if v is not None else {})
                       for v in token.options[claim]}
            result = results.pop() if len(results) == 1 else None
        elif values is None and claim not in ("sub", "aud") and (issuer is None or claim in issuer.keys):
            result = None  # a real claim whose value the synthesis cannot know
        else:
            result = condition_holds(test, {claim: values} if values else {})
        outcomes.append((condition, result))
    return outcomes


def subject_overlaps(statement: Statement, token: Token) -> bool:
    """Whether some subject of a glob context passes the statement's positive sub tests."""
    if token.subject is None:
        return False
    for condition in statement.conditions:
        if condition.claim != "sub" or not restricts(condition):
            continue
        # An unknown value, or two patterns too long to compare, may overlap.
        if not any(p is None or p.intersects(token.subject) is not False
                   for p in patterns(condition)):
            return False
    return True


def subject_ruled_out(statement: Statement, token: Token) -> bool:
    """Whether a positive ``sub`` test of the statement admits none of the subjects the
    token can carry, decided on its known parts when some are unknown: a ServiceAccount
    ``api`` in an unknown namespace never matches a trust for ``...:worker``."""
    if token.subject is None:
        return False
    for condition in statement.conditions:
        if condition.claim != "sub" or not restricts(condition):
            continue
        _, ignore_case = STRING_OPERATORS[condition.base_operator]
        if all(p is not None and may_intersect(p, token.subject, ignore_case) is False
               for p in patterns(condition)):
            return True
    return False


ISSUER_KINDS = {
    "github-actions": ("github",),
    "gitlab-ci": ("gitlab.com", "gitlab-self-managed", "generic"),
    "kubernetes": ("generic",),  # and every issuer of ServiceAccount tokens
    "eksctl": ("eks",),  # eksctl makes EKS clusters only
    "eks-addon": ("eks",),  # an EKS add-on runs on an EKS cluster
    "circleci": ("circleci",),
    "buildkite": ("buildkite",),
    "bitbucket-pipelines": ("bitbucket",),
    "hcp-terraform": ("hcp-terraform",),  # a Terraform Enterprise host is another issuer
}


ISSUER_HOSTS = {
    # GitHub issues tokens from token.actions.githubusercontent.com, from
    # token.actions.githubusercontent.com/<enterprise slug> when the enterprise customises its
    # issuer, and from token.actions.<subdomain>.ghe.com on GHE.com.
    # https://docs.github.com/en/actions/reference/security/oidc
    "github-actions": ("token.actions.githubusercontent.com", "token.actions.githubusercontent.com/*",
                       "token.actions.*.ghe.com", "token.actions.*.ghe.com/*"),
    # One issuer per CircleCI organization and per Bitbucket workspace; Buildkite's hosted
    # agents and its custom domains (docs/facts.md, sections 3 and 4).
    "circleci": ("oidc.circleci.com/org/*",),
    "buildkite": ("agent.buildkite.com", "agent.*.buildkite.dev", "agent.*.buildkite.site"),
    "bitbucket-pipelines": ("api.bitbucket.org/2.0/workspaces/*/pipelines-config/identity/oidc",),
}
"""The issuer hosts a workload kind's tokens can come from, as globs; kinds whose issuer can
be anyone's (a self-managed GitLab, any Kubernetes cluster) are not listed."""


def issuer_may_fit(workload: Workload, host: Partial | Unknown) -> bool:
    """Whether an issuer host known only in part can be the one the workload's tokens come
    from: False only when its known text rules that out."""
    globs = ISSUER_HOSTS.get(workload.kind)
    if globs is None or isinstance(host, Unknown):
        return True
    pattern = Pattern("".join("*" if isinstance(p, Unknown) else p for p in host.parts).lower())
    return any(pattern.intersects(Pattern(glob)) for glob in globs)


def issuer_fits(workload: Workload, issuer: Issuer | None) -> bool:
    """Whether a statement trusting this issuer kind could be meant for the workload."""
    if issuer is None:
        return False
    if workload.kind == "kubernetes" and issuer.service_accounts:
        return True
    return issuer.kind in ISSUER_KINDS.get(workload.kind, ())
