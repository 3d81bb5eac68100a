"""Least-privilege trust synthesis: the narrowest conditions that still admit every way the
workloads linked to a role run, and the tokens that show what they refuse.

The subjects are the ones claim synthesis gives (``claims.tokens_for``): each context of each
linked workload is one exact subject, or a glob when it stands for many refs (a
``workflow_dispatch`` runs on any branch). Exact subjects go under ``StringEquals``; once one
context needs a glob, every value goes under ``StringLike``, since IAM ANDs the conditions of
a statement and two operators on one key would each have to hold (docs/facts.md, section 2).
Values another value already covers are dropped. A subject not fully known (no repository,
an environment from an input, a customised template the scan cannot read) is never guessed:
nothing is proposed.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from oidclint.iam.catalog import Issuer
from oidclint.iam.claims import PROBE, Token, admits, describe, tokens_for
from oidclint.iam.patterns import Pattern, glob_covers, glob_matches
from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX, Ids
from oidclint.model import Condition, Statement, TokenContext, Workload
from oidclint.source import Text

WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
SERVICE_ACCOUNT_KINDS = frozenset({"kubernetes", "eksctl", "eks-addon"})
"""Workload kinds whose subject is a ServiceAccount's, ``system:serviceaccount:<ns>:<name>``."""
REPOSITORY_KINDS = frozenset({"github-actions", "gitlab-ci"})
"""Workload kinds whose subject names the scanned repository (a GitLab project path)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One way a linked workload runs: the workload and the token it presents then."""

    workload: Workload
    token: Token

    @property
    def label(self) -> str:
        return describe(self.workload, self.token.context)


@dataclass(frozen=True, slots=True)
class Proposed:
    """One proposed condition: the operator, the claim (``sub``, ``aud`` ...) and its values."""

    operator: str
    claim: str
    values: tuple[str, ...]


@dataclass(slots=True)
class Narrowing:
    """The conditions proposed for the linked workloads of a role, or why none are."""

    runs: list[Run]
    conditions: tuple[Proposed, ...] = ()
    unknown: list[str] = field(default_factory=list)
    """Why nothing is proposed, one sentence each (a subject not fully known ...)."""
    notes: list[str] = field(default_factory=list)
    """Keys left out of the proposal, and why."""

    @property
    def proposed(self) -> bool:
        return bool(self.conditions) and not self.unknown

    def condition(self, claim: str) -> Proposed | None:
        return next((c for c in self.conditions if c.claim == claim), None)

    def statement(self, host: Text, principal: Text | None = None) -> Statement:
        """The proposed statement, keys written for ``host``: what the proof evaluates."""
        return Statement(
            effect="Allow", actions=[WEB_IDENTITY_ACTION],
            principals={"Federated": [principal or f"oidc-provider/{host}"]},
            conditions=[Condition(c.operator, f"{host}:{c.claim}", list(c.values))
                        for c in self.conditions])

    def summary(self) -> str:
        """The proposal in one line, as a finding's fix names it."""
        return "; ".join(f"`{c.claim}` {c.operator} " + ", ".join(f"`{v}`" for v in c.values)
                         for c in self.conditions)


def narrowest(runs: list[Run], issuer: Issuer | None) -> Narrowing:
    """The narrowest conditions that admit every run: exact subjects, or the fewest globs;
    ``job_workflow_ref`` when every run is a job of a reusable workflow; ``environment`` when
    every run is in a named environment; the audiences the runs request."""
    found = Narrowing(runs)
    if not runs:
        found.unknown.append("no workload of the scan is linked to the role")
        return found
    kinds = sorted({run.workload.kind for run in runs})
    if len(kinds) > 1 and not set(kinds) <= SERVICE_ACCOUNT_KINDS:
        found.unknown.append("the linked workloads present tokens of different issuers ("
                             + ", ".join(kinds) + "): each needs a statement of its own")
        return found
    subjects: list[Pattern] = []
    for run in runs:
        subject = run.token.subject
        if subject is None:
            found.unknown.append(f"{run.label}: its subject is not known (the repository, "
                                 "or the subject claim template, is not known)")
        elif not subject.known:
            found.unknown.append(f"{run.label} presents `{run.token.shown}`, only partly "
                                 "known")
        else:
            subjects.append(subject)
    audiences = {run.token.audience for run in runs}
    if None in audiences:
        found.unknown += [f"{run.label} requests an audience not known statically"
                          for run in runs if run.token.audience is None]
    if found.unknown:
        return found
    kept = fewest(subjects)
    glob = any(p.has_wildcard for p in kept)
    if glob and any(not p.glob and ("*" in p.text or "?" in p.text) for p in kept):
        found.unknown.append("an exact subject holds `*` or `?`, which `StringLike` would "
                             "read as a wildcard")
        return found
    conditions = [Proposed("StringEquals", "aud", tuple(sorted(audiences))),
                  Proposed("StringLike" if glob else "StringEquals", "sub",
                           tuple(sorted(p.text for p in kept)))]
    keys = issuer.keys if issuer is not None else frozenset()
    for claim, values, why in (_workflow_refs(runs), _environments(runs)):
        if values and claim in keys:
            conditions.append(Proposed("StringEquals", claim, values))
        elif why:
            found.notes.append(why)
    found.conditions = tuple(conditions)
    return found


def _workflow_refs(runs: list[Run]) -> tuple[str, tuple[str, ...], str]:
    """``job_workflow_ref``: the called files at the refs they run at, when every run is a
    job of a reusable workflow whose ref is known; GitHub documents the claim for those jobs
    only (docs/facts.md, section 5)."""
    claim = "job_workflow_ref"
    if not any(_called(run) for run in runs):
        return claim, (), ""
    values: list[str] = []
    for run in runs:
        options = (run.token.claims[claim],) if claim in run.token.claims \
            else run.token.options.get(claim, (None,))
        if not _called(run) or None in options:
            return claim, (), (f"`{claim}` is left out: {run.label} is not a job of a reusable "
                               "workflow whose ref is known, and a condition on it would "
                               "refuse it")
        values += [v for v in options if v not in values]
    return claim, tuple(values), ""


def _called(run: Run) -> bool:
    return run.workload.job_workflow is not None and run.workload.job_workflow.called


def _environments(runs: list[Run]) -> tuple[str, tuple[str, ...], str]:
    """``environment``: the deployment environments, when every run is in one. A GitHub job
    that names an environment carries the claim, one that names none does not, so a
    condition on it would refuse that one (docs/facts.md, section 5).
    https://docs.github.com/en/actions/reference/security/oidc#custom-claims-provided-by-github
    """
    claim = "environment"
    named = [run.token.claims.get(claim) for run in runs]
    if not any(named):
        return claim, (), ""
    if not all(named) or any(run.workload.kind != "github-actions" for run in runs):
        return claim, (), (f"`{claim}` is left out: not every linked run is in a deployment "
                           "environment, and a condition on it would refuse those that are not")
    return claim, tuple(dict.fromkeys(named)), ""


def fewest(subjects: list[Pattern]) -> list[Pattern]:
    """The subjects without those another one covers, in their order: each kept value admits
    something no other does."""
    kept: list[Pattern] = []
    for pattern in subjects:
        if any(covers(k, pattern) for k in kept):
            continue
        kept = [k for k in kept if not covers(pattern, k)] + [pattern]
    return kept


def covers(outer: Pattern, inner: Pattern) -> bool:
    """Whether every value ``inner`` admits, ``outer`` admits (case-sensitive, as
    ``StringLike`` and ``StringEquals`` are). Sound, not complete: an exact ``inner`` is
    matched by ``outer``'s glob, a glob ``inner`` is covered piece by piece
    (``patterns.glob_covers``)."""
    if not outer.known or not inner.known:
        return False
    if not outer.has_wildcard:
        return not inner.has_wildcard and outer.text == inner.text
    if not inner.has_wildcard:
        return glob_matches(outer.text, inner.text)
    return glob_covers(outer.text, inner.text)


@dataclass(frozen=True, slots=True)
class Probe:
    """A token from outside the linked workloads: another owner, repository, branch,
    environment or ServiceAccount, made by the same claim synthesis as theirs."""

    what: str
    token: Token

    @property
    def subject(self) -> str:
        return self.token.example_subject or ""


def probes(runs: list[Run], repository: str | None,
           template: tuple[str, ...] | None = None, immutable: Ids | None = None) -> list[Probe]:
    """Tokens of workloads like the first linked one, moved to another owner, repository,
    branch, environment, pull request or ServiceAccount."""
    if not runs:
        return []
    first = runs[0]
    workload, context = first.workload, first.token.context
    found: list[Probe] = []

    def probe(what: str, contexts: list[TokenContext], where: str | None = repository,
              ids: Ids | None = immutable) -> None:
        changed = dataclasses.replace(workload, contexts=contexts)
        for token in tokens_for(changed, where, template, ids)[:1]:
            if token.example_subject is not None:
                found.append(Probe(what, token))

    if workload.kind in REPOSITORY_KINDS and repository and "/" in repository:
        owner, _, rest = repository.partition("/")
        head, _, name = repository.rpartition("/")
        # Names that extend the real ones: a pattern open after the owner or the name
        # (`repo:acme*`) admits them.
        probe("another owner", [context], f"{owner}-{PROBE}/{rest}", None)
        probe("another repository", [context], f"{head}/{name}-{PROBE}", None)
        probe("another branch", [_context(workload.kind, "branch")])
        if workload.kind == "github-actions":
            probe("another environment", [_context(workload.kind, "environment")])
            probe("a pull request", [_context(workload.kind, "pull_request")])
    elif workload.kind in SERVICE_ACCOUNT_KINDS and isinstance(context.subject, str) \
            and str(context.subject).startswith(SERVICE_ACCOUNT_PREFIX):
        namespace, _, name = str(context.subject)[len(SERVICE_ACCOUNT_PREFIX):].partition(":")
        probe("another ServiceAccount", [_service_account(namespace, f"{name}-{PROBE}")])
        probe("another namespace", [_service_account(f"{namespace}-{PROBE}", name)])
    return found


def _context(kind: str, what: str) -> TokenContext:
    """A context of a GitHub or GitLab job no linked workload is known to run in."""
    if what == "environment":
        return TokenContext(f"environment {PROBE}", f"environment:{PROBE}",
                            claims={"environment": PROBE})
    if what == "pull_request":
        return TokenContext("pull_request", "pull_request",
                            claims={"ref": "refs/pull/1/merge"}, event="pull_request")
    if kind == "gitlab-ci":
        return TokenContext(f"branch {PROBE}", f"ref_type:branch:ref:{PROBE}",
                            claims={"ref_type": "branch", "ref": PROBE})
    return TokenContext(f"push to {PROBE}", f"ref:refs/heads/{PROBE}",
                        claims={"ref": f"refs/heads/{PROBE}"}, event="push")


def _service_account(namespace: str, name: str) -> TokenContext:
    subject = f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"
    return TokenContext(f"ServiceAccount {namespace}/{name}", subject)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the proposed statement admits a token, and which linked run presents it."""

    admitted: bool | None
    presented_by: Run | None = None


def judge(statement: Statement, token: Token, issuer: Issuer | None,
          runs: list[Run]) -> Verdict:
    """The proposed statement evaluated for a token (``claims.admits``, as the rules do); for
    a glob context, every subject of it is admitted only if a proposed value covers the
    glob. ``presented_by``: a linked run whose subjects include the token's."""
    subject = token.example_subject
    if subject is None:
        return Verdict(None)
    verdict = admits(statement, token, issuer, subject)
    if verdict and token.subject is not None and token.subject.has_wildcard:
        values = [Pattern(str(v), glob=c.base_operator == "StringLike")
                  for c in statement.conditions if c.claim == "sub" for v in c.values]
        verdict = any(covers(v, token.subject) for v in values)
    by = next((run for run in runs if run.token.subject is not None
               and run.token.subject.matches(subject)), None)
    return Verdict(verdict, by)
