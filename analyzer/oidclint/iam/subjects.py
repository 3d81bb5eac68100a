"""The subjects each issuer can produce, as languages a trust pattern can be checked against.

Every documented ``sub`` form of an issuer is a small regular expression over characters
(built here from a handful of combinators, not from ``re``), compiled to an automaton. A
``StringLike`` glob (or a ``StringEquals`` value) admits some real subject exactly when the
product of the glob and the automaton reaches an accepting pair; the search also yields a
witness subject and, when it fails, how far the pattern got.

The forms and their sources are in ``LANGUAGES`` below and in docs/facts.md, sections 4, 5
and "Subject forms". Character classes are deliberately permissive (a value is anything but
``:`` where the vendor does not say more): the check is meant to find patterns no token can
match, never to second-guess a name.

Claim synthesis (``oidclint.iam.claims``) builds workload subjects with the ``*_subject``
functions of this module, so synthesis and the check read the same forms.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from oidclint.iam.patterns import FIELD, UNKNOWN, Pattern
from oidclint.source import Text, Unknown, concat

# --- a tiny regular-expression algebra ---------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """A character class: ``spec`` in ``re`` class syntax (``^:`` = anything but a colon)."""

    spec: str
    sample: str
    label: str

    @functools.cached_property
    def _regex(self) -> re.Pattern:
        return re.compile(f"[{self.spec}]", re.DOTALL)

    def __contains__(self, char: str) -> bool:
        return bool(self._regex.fullmatch(char))


@dataclass(frozen=True)
class Seq:
    items: tuple


@dataclass(frozen=True)
class Alt:
    items: tuple


@dataclass(frozen=True)
class Rep:
    item: object
    at_least_one: bool


def seq(*items) -> Seq:
    return Seq(tuple(items))


def alt(*items) -> Alt:
    return Alt(tuple(items))


def plus(item) -> Rep:
    return Rep(item, True)


def star(item) -> Rep:
    return Rep(item, False)


def opt(item) -> Alt:
    return alt(item, "")


def one_of(*words: str) -> Alt:
    return alt(*words)


# Value classes.
NOT_COLON = Chars(r"^:", "x", "a value")
ANY = Chars(r"\s\S", "x", "anything")
DIGIT = Chars("0-9", "1", "a digit")
HEX = Chars("0-9a-fA-F-", "0", "a hexadecimal id")
GH_NAME = Chars("A-Za-z0-9_.-", "a", "a name")
"""GitHub repository names (letters, digits, ``-``, ``_``, ``.``); never ``@`` or ``:``."""
GH_OWNER = Chars("A-Za-z0-9_-", "a", "an owner name")
"""GitHub account and organization names: letters, digits and ``-`` (``_`` in the names of
enterprise managed users), never ``.``: ``repo:github.com/acme/api:*`` names no owner
(docs/facts.md, section 5)."""
DNS = Chars("a-z0-9-", "a", "a lower-case DNS label")
DNS_SUB = Chars("a-z0-9.-", "a", "a lower-case DNS name")
PATH = Chars(r"A-Za-z0-9_.+-", "a", "a path segment")
REF = Chars(r"^:\s*?\[\\~^\x00-\x1f\x7f", "x", "a ref name")
"""Git ref names never contain ``:``, white space, ``*``, ``?``, ``[``, ``\\``, ``~``, ``^``
or control characters (git-check-ref-format): written where the text is compared exactly
(``StringEquals``, an Azure credential's subject), ``refs/heads/*`` is no ref."""


def word(chars: Chars) -> Rep:
    return plus(chars)


# --- forms -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectForm:
    """One documented ``sub`` form of an issuer."""

    name: str
    language: object
    example: str
    reference: str


@dataclass(frozen=True)
class Repair:
    """A common mistake and its correction; ``<name>`` placeholders are left for the user."""

    mistake: str
    """A regular expression over the pattern text."""
    correction: str
    why: str


@dataclass(frozen=True)
class SubjectLanguage:
    kind: str
    forms: tuple[SubjectForm, ...]
    repairs: tuple[Repair, ...] = ()

    @functools.cached_property
    def automaton(self) -> Automaton:
        return Automaton.of(alt(*(f.language for f in self.forms)))

    @property
    def example(self) -> str:
        return self.forms[0].example


GITHUB_OIDC = "https://docs.github.com/en/actions/reference/security/oidc"
GITHUB_EXAMPLES = GITHUB_OIDC + "#example-subject-claims"
GITHUB_CUSTOM = GITHUB_OIDC + "#customizing-the-subject-claims-for-an-organization-or-repository"
GITLAB_PAYLOAD = "https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload"
GITLAB_CUSTOM = "https://gitlab.com/gitlab-org/gitlab/-/issues/477260"
HCP_TOKENS = ("https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/"
              "workload-identity-tokens")
HCP_STACKS = "https://developer.hashicorp.com/terraform/language/stacks/deploy/authenticate"
BUILDKITE_OIDC = "https://buildkite.com/docs/agent/v3/cli-oidc"
CIRCLECI_OIDC = "https://circleci.com/docs/openid-connect-tokens/"
BITBUCKET_OIDC = ("https://support.atlassian.com/bitbucket-cloud/docs/"
                  "integrate-pipelines-with-resource-servers-using-oidc/")
SPACELIFT_OIDC = "https://docs.spacelift.io/integrations/cloud-providers/oidc/"
EKS_IRSA = "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html"
COGNITO_TRUST = "https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html"
AWS_WIF_KEYS = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                "reference_policies_iam-condition-keys.html#condition-keys-wif")

# GitHub ------------------------------------------------------------------------------
_GH_REPOSITORY = seq(word(GH_OWNER), "/", word(GH_NAME))
_GH_IMMUTABLE = seq(word(GH_OWNER), "@", word(DIGIT), "/", word(GH_NAME), "@", word(DIGIT))
_GH_CONTEXT = alt(
    # refs/heads/<branch>, refs/tags/<tag> and the other refs a workflow can run on
    # (merge queue branches, refs/pull/<n>/merge for some events).
    seq("ref:refs/", word(REF)),
    seq("environment:", word(NOT_COLON)),
    "pull_request",
)
GITHUB_CLAIM_KEYS = (
    "actor", "actor_id", "base_ref", "check_run_id", "enterprise", "enterprise_id",
    "environment", "event_name", "head_ref", "job_workflow_ref", "job_workflow_sha",
    "ref_protected", "ref_type", "repository", "repository_id", "repository_owner",
    "repository_owner_id", "repository_visibility", "run_attempt", "run_id", "run_number",
    "runner_environment", "sha", "workflow", "workflow_ref", "workflow_sha",
)
"""Claims a customised template can include (besides ``repo``, ``context`` and ``ref``)."""
_GH_PAIR = alt(
    seq("repo:", alt(_GH_REPOSITORY, _GH_IMMUTABLE)),
    seq("context:", _GH_CONTEXT),
    seq("ref:refs/", word(REF)),
    *(seq(key + ":", star(NOT_COLON)) for key in GITHUB_CLAIM_KEYS),
)

GITHUB = SubjectLanguage("github", (
    SubjectForm("default", seq("repo:", _GH_REPOSITORY, ":", _GH_CONTEXT),
                "repo:acme/api:ref:refs/heads/main", GITHUB_EXAMPLES),
    SubjectForm("immutable", seq("repo:", _GH_IMMUTABLE, ":", _GH_CONTEXT),
                "repo:acme@1234567/api@89012345:ref:refs/heads/main", GITHUB_EXAMPLES),
    # A customised template starting with `repo`: `key:value` pairs in template order.
    SubjectForm("customised", seq("repo:", alt(_GH_REPOSITORY, _GH_IMMUTABLE),
                                  plus(seq(":", _GH_PAIR))),
                "repo:acme/api:environment:prod:job_workflow_ref:acme/ci/.github/workflows/"
                "deploy.yml@refs/heads/main", GITHUB_CUSTOM),
    # A customised template starting with another claim: accepted whatever follows.
    SubjectForm("customised (other first claim)",
                seq(alt("context", "ref", *GITHUB_CLAIM_KEYS), ":", star(ANY)),
                "repository_owner_id:1234567:context:environment:prod", GITHUB_CUSTOM),
), (
    Repair(r"(:ref:)(?!refs/)", r"\1refs/heads/",
           "GitHub sends the full ref name: `ref:refs/heads/<branch>` or `ref:refs/tags/<tag>`"),
    Repair(r":(branch|heads):", ":ref:refs/heads/", "GitHub has no `branch` segment"),
    Repair(r":(tag|tags):", ":ref:refs/tags/", "GitHub has no `tag` segment"),
    Repair(r":(env|environments|environment_name):", ":environment:",
           "the segment is spelled `environment`"),
    Repair(r"(:environment:[^:]+):pull_request\b", r"\1",
           "a subject names an environment or `pull_request`, never both"),
    Repair(r":environment:[^:]+(:pull_request)\b", r"\1",
           "a subject names an environment or `pull_request`, never both"),
    Repair(r":(pr|pull-request|pull_requests)$", ":pull_request",
           "the pull request context is `pull_request`"),
    Repair(r"^repo:([^/:@]+):([^:/@]+)$", r"repo:\1/\2:<context>",
           "owner and repository are separated by `/`, followed by the context"),
    Repair(r"^repo:([^/:@]+):([^:/@]+):", r"repo:\1/\2:",
           "owner and repository are separated by `/`"),
    Repair(r"^repo:([^/:@]+/[^/:@]+)$", r"repo:\1:<context>",
           "the subject continues with the context (`ref:...`, `environment:...` or "
           "`pull_request`)"),
    Repair(r"^repository:", "repo:", "the default subject starts with `repo:`"),
))

REPOSITORY_CLAIMS = frozenset({"repo", "repository", "repository_id", "repository_owner",
                               "repository_owner_id", "job_workflow_ref"})
"""Claims of a customised GitHub subject whose value GitHub sets from the repository the job
runs in or its owner (`job_workflow_ref` from the reusable workflow's), never from text a
repository chooses. `workflow`, `environment`, `ref`, `actor` ... are names anyone can
give their own workflow, environment or branch."""


def github_binding(pattern: Pattern) -> bool | None:
    """Whether every GitHub subject the pattern matches names, in a claim bound to it, the
    repository or its owner: True; False when a subject some other repository can produce
    matches; None when unknown pieces or wildcards leave it open.

    A customised subject is `claim:value` pairs in the template's order, and GitHub writes a
    `:` inside a value as `%3A` (GITHUB_EXAMPLES, "Filtering for metadata containing `:`";
    GITHUB_CUSTOM): a value ends at the next `:`, so the pairs read one way only, and
    `workflow:deploy:repo:acme/api` names acme/api in its `repo` claim. The `context` claim
    is written in its default form (`environment:prod`, `ref:refs/heads/main`,
    `pull_request`), which reads as pairs too.
    """
    segments = pattern.text.split(":")
    wild = "*?" + UNKNOWN if pattern.glob else UNKNOWN
    at = 0
    while at < len(segments):
        key = segments[at]
        if any(c in key for c in wild):
            return _binding_after(segments[at:], wild)
        if key == "pull_request":
            at += 1
            continue
        if at + 1 >= len(segments):
            return None  # a claim without a value: no template writes it (OIDC115)
        value = segments[at + 1]
        if key in REPOSITORY_CLAIMS and _pins_owner(value, wild):
            return True
        if any(c in value for c in wild):
            return _binding_after(segments[at + 1:], wild)
        at += 2
    return False


def _pins_owner(value: str, wild: str) -> bool:
    """A value that fixes the owner: no wildcard or unknown piece before its first `/` (or at
    all, for ids and owner names)."""
    head = value.split("/", 1)[0]
    return bool(head) and not any(c in head for c in wild) and (
        "/" in value or not any(c in value for c in wild))


def _binding_after(segments: list[str], wild: str) -> bool | None:
    """From a wildcard or unknown piece on, the pairs cannot be told apart: a repository
    claim written after it may bind (undecided); without one, nothing can."""
    rest = segments[1:]
    if any(s in REPOSITORY_CLAIMS or UNKNOWN in s for s in rest):
        return None
    return False if UNKNOWN not in segments[0] else None


# GitLab ------------------------------------------------------------------------------
_GL_PROJECT = seq(word(PATH), plus(seq("/", word(PATH))))
_GL_REF_TYPE = seq("ref_type:", one_of("branch", "tag"))
_GL_REF = seq("ref:", word(REF))

GITLAB = SubjectLanguage("gitlab.com", (
    SubjectForm("default", seq("project_path:", _GL_PROJECT, ":", _GL_REF_TYPE, ":", _GL_REF),
                "project_path:acme/api:ref_type:branch:ref:main", GITLAB_PAYLOAD),
    # ci_id_token_sub_claim_components: project_path first, then these orders only.
    SubjectForm("project_path,ref,ref_type",
                seq("project_path:", _GL_PROJECT, ":", _GL_REF, ":", _GL_REF_TYPE),
                "project_path:acme/api:ref:main:ref_type:branch", GITLAB_CUSTOM),
    SubjectForm("project_path,ref", seq("project_path:", _GL_PROJECT, ":", _GL_REF),
                "project_path:acme/api:ref:main", GITLAB_CUSTOM),
    SubjectForm("project_path,ref_type", seq("project_path:", _GL_PROJECT, ":", _GL_REF_TYPE),
                "project_path:acme/api:ref_type:branch", GITLAB_CUSTOM),
), (
    Repair(r"(:ref:)refs/(heads|tags)/", r"\1", "GitLab's `ref` is the bare branch or tag name"),
    Repair(r":ref_type:(branches|heads)", ":ref_type:branch", "`ref_type` is `branch` or `tag`"),
    Repair(r":ref_type:tags", ":ref_type:tag", "`ref_type` is `branch` or `tag`"),
    Repair(r"^project_path:([^/:]+):", r"project_path:\1/<project>:",
           "`project_path` is the full path `<group>/<project>`"),
    Repair(r"^project_id:[^:]+:", "project_path:<group>/<project>:",
           "GitLab's `sub` always starts with `project_path`"),
))

# HCP Terraform -----------------------------------------------------------------------
_HCP_NAME = word(NOT_COLON)
HCP = SubjectLanguage("hcp-terraform", (
    SubjectForm("workspace run", seq("organization:", _HCP_NAME, ":project:", _HCP_NAME,
                                     ":workspace:", _HCP_NAME, ":run_phase:",
                                     one_of("plan", "apply")),
                "organization:acme:project:platform:workspace:network:run_phase:apply",
                HCP_TOKENS),
    SubjectForm("module test", seq("organization:", _HCP_NAME, ":module:", _HCP_NAME,
                                   ":operation:test_run"),
                "organization:acme:module:vpc:operation:test_run", HCP_TOKENS),
    SubjectForm("stack deployment", seq("organization:", _HCP_NAME, ":project:", _HCP_NAME,
                                        ":stack:", _HCP_NAME, ":deployment:", _HCP_NAME,
                                        ":operation:", _HCP_NAME),
                "organization:acme:project:platform:stack:network:deployment:prod:operation:apply",
                HCP_STACKS),
), (
    Repair(r"^organization:([^:]+):workspace:", r"organization:\1:project:<project>:workspace:",
           "the subject names the project between organisation and workspace"),
    Repair(r"^(organization:[^:]+:project:[^:]+:workspace:[^:]+)$", r"\1:run_phase:<phase>",
           "the subject ends with `run_phase:plan` or `run_phase:apply`"),
    Repair(r":run_phase:(planning|applying|plan_and_apply)$", ":run_phase:<phase>",
           "the run phase is `plan` or `apply`"),
))

# Buildkite ---------------------------------------------------------------------------
BUILDKITE = SubjectLanguage("buildkite", (
    SubjectForm("default", seq("organization:", word(NOT_COLON), ":pipeline:", word(NOT_COLON),
                               ":ref:", word(REF), ":commit:", word(NOT_COLON), ":step:",
                               star(NOT_COLON)),
                "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:0a1b2c:step:deploy",
                BUILDKITE_OIDC),
), (
    Repair(r"^(organization:[^:]+:pipeline:[^:]+:ref:[^:]+)$", r"\1:commit:*:step:*",
           "the subject continues with `:commit:<sha>:step:<key>` (use StringLike)"),
))

# CircleCI ----------------------------------------------------------------------------
_CCI_IDS = seq("org/", word(HEX), "/project/", word(HEX), "/user/", word(HEX))
CIRCLECI = SubjectLanguage("circleci", (
    SubjectForm("V1", _CCI_IDS, "org/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/project/"
                "11111111-2222-3333-4444-555555555555/user/66666666-7777-8888-9999-000000000000",
                CIRCLECI_OIDC),
    SubjectForm("V2", seq(_CCI_IDS, "/vcs-origin/", word(ANY), "/vcs-ref/", word(ANY)),
                "org/0f1e/project/1111/user/6666/vcs-origin/github.com/acme/api/vcs-ref/"
                "refs/heads/main", CIRCLECI_OIDC),
))

# Bitbucket ---------------------------------------------------------------------------
_BB_UUID = seq("{", word(HEX), "}")
BITBUCKET = SubjectLanguage("bitbucket", (
    SubjectForm("step", seq(_BB_UUID, ":", _BB_UUID),
                "{a1b2c3d4-0000-1111-2222-333344445555}:{0f0f0f0f-aaaa-bbbb-cccc-dddddddddddd}",
                BITBUCKET_OIDC),
    SubjectForm("deployment step", seq(_BB_UUID, opt(":"), _BB_UUID, ":", _BB_UUID),
                "{a1b2c3d4-0000-1111-2222-333344445555}{e5e5e5e5-1111-2222-3333-444455556666}:"
                "{0f0f0f0f-aaaa-bbbb-cccc-dddddddddddd}", BITBUCKET_OIDC),
))

# Spacelift ---------------------------------------------------------------------------
SPACELIFT = SubjectLanguage("spacelift", (
    SubjectForm("default", seq("space:", word(NOT_COLON), ":", one_of("stack", "module"), ":",
                               word(NOT_COLON), ":run_type:", word(NOT_COLON), ":scope:",
                               one_of("read", "write")),
                "space:root:stack:network:run_type:TRACKED:scope:write", SPACELIFT_OIDC),
))

# EKS ---------------------------------------------------------------------------------
EKS = SubjectLanguage("eks", (
    SubjectForm("service account", seq("system:serviceaccount:", word(DNS), ":", word(DNS_SUB)),
                "system:serviceaccount:payments:api", EKS_IRSA),
), (
    Repair(r"^system:serviceaccounts:", "system:serviceaccount:",
           "the prefix is `system:serviceaccount:` (singular; `system:serviceaccounts:` is a "
           "Kubernetes group, never a subject)"),
    Repair(r"^serviceaccount:", "system:serviceaccount:", "the subject starts with `system:`"),
    Repair(r"^system:serviceaccount:([^:]+)$", r"system:serviceaccount:<namespace>:\1",
           "the subject names the namespace, then the service account"),
    Repair(r"^system:serviceaccount:([^:]+):([^:]+):[^:]*$", r"system:serviceaccount:\1:\2",
           "the subject ends with the service account name"),
))

# Cognito and Google ------------------------------------------------------------------
COGNITO = SubjectLanguage("cognito", (
    SubjectForm("identity id", seq(word(DNS), ":", word(HEX)),
                "us-east-1:12345678-1234-1234-1234-123456789012", COGNITO_TRUST),
))
GOOGLE = SubjectLanguage("google", (
    SubjectForm("account id", word(DIGIT), "110169484474386276334", AWS_WIF_KEYS),
))

LANGUAGES: dict[str, SubjectLanguage] = {
    lang.kind: lang for lang in (GITHUB, GITLAB, HCP, BUILDKITE, CIRCLECI, BITBUCKET, SPACELIFT,
                                 EKS, COGNITO, GOOGLE)
}
"""Issuer kind (``catalog.Issuer.kind``) to its subject language. Kinds not listed (the
generic issuer, Facebook, Amazon) are never checked."""
LANGUAGES["gitlab-self-managed"] = GITLAB  # the same subject forms as gitlab.com
LANGUAGES["kubernetes"] = EKS  # every Kubernetes API server names ServiceAccounts alike

PLACEHOLDER_SAMPLES = {"context": "pull_request", "namespace": "default", "project": "default",
                       "phase": "apply"}

# --- automaton ---------------------------------------------------------------------------


class Automaton:
    """A Thompson NFA: moves on a literal character or a ``Chars`` class, and epsilons."""

    def __init__(self) -> None:
        self.moves: list[list[tuple[str | Chars, int]]] = []
        self.eps: list[list[int]] = []
        self.start = 0
        self.final = 0

    def _state(self) -> int:
        self.moves.append([])
        self.eps.append([])
        return len(self.moves) - 1

    @classmethod
    def of(cls, node) -> Automaton:
        nfa = cls()
        nfa.start, nfa.final = nfa._build(node)
        return nfa

    def _build(self, node) -> tuple[int, int]:
        start = self._state()
        if isinstance(node, str):
            end = start
            for char in node:
                nxt = self._state()
                self.moves[end].append((char, nxt))
                end = nxt
            return start, end
        if isinstance(node, Chars):
            end = self._state()
            self.moves[start].append((node, end))
            return start, end
        if isinstance(node, Seq):
            end = start
            for item in node.items:
                s, e = self._build(item)
                self.eps[end].append(s)
                end = e
            return start, end
        if isinstance(node, Alt):
            end = self._state()
            for item in node.items:
                s, e = self._build(item)
                self.eps[start].append(s)
                self.eps[e].append(end)
            return start, end
        if isinstance(node, Rep):
            s, e = self._build(node.item)
            end = self._state()
            self.eps[start].append(s)
            self.eps[e].append(s)
            self.eps[e].append(end)
            if not node.at_least_one:
                self.eps[start].append(end)
            return start, end
        raise TypeError(node)

    def accepts(self, text: str) -> bool:
        return meet(self, tuple(("lit", c) for c in text)).witness is not None


@dataclass(frozen=True)
class Meeting:
    """The outcome of intersecting a pattern with a language."""

    witness: str | None
    """A subject of the language the pattern matches; None when there is none."""
    reached: int
    """How many pattern tokens some path consumed: where the pattern stops fitting."""
    expected: tuple[str, ...]
    """What the language could take at ``reached`` (literals, or class labels)."""


def _tokens(pattern: Pattern) -> tuple[tuple[str, str], ...]:
    tokens = []
    for char in pattern.text:
        if char in (UNKNOWN, FIELD) or (pattern.glob and char == "*"):
            tokens.append(("star", ""))
        elif pattern.glob and char == "?":
            tokens.append(("one", ""))
        else:
            tokens.append(("lit", char))
    return tuple(tokens)


MAX_PRODUCT_STATES = 200_000
"""Pairs of (pattern position, automaton state) a search may visit: a second or two, some
30 MB. Patterns up to 175 characters fit whatever they hold (GitHub's automaton has some 1,100
states); longer ones fit unless their wildcards open most of the automaton at every position."""


class TooComplex(Exception):
    """The search needs more than ``MAX_PRODUCT_STATES`` pairs: no verdict either way."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} states")


def meet(nfa: Automaton, tokens: tuple[tuple[str, str], ...],
         limit: int = MAX_PRODUCT_STATES) -> Meeting:
    """Breadth-first search over (pattern position, automaton state) pairs; ``TooComplex``
    past ``limit`` of them."""
    start = (0, nfa.start)
    parent: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue = deque([start])
    reached = 0
    frontier: set[int] = set()
    n = len(tokens)
    while queue:
        node = queue.popleft()
        i, q = node
        if i > reached:
            reached, frontier = i, set()
        if i == reached:
            frontier.add(q)
        if i == n and q == nfa.final:
            chars = []
            while parent[node] is not None:
                node, char = parent[node]
                chars.append(char)
            return Meeting("".join(reversed(chars)), n, ())
        steps: list[tuple[tuple[int, int], str]] = [((i, q2), "") for q2 in nfa.eps[q]]
        if i < n:
            kind, char = tokens[i]
            if kind == "star":
                steps.append(((i + 1, q), ""))
            for label, q2 in nfa.moves[q]:
                sample = label if isinstance(label, str) else label.sample
                if kind == "star":
                    steps.append(((i, q2), sample))
                elif kind == "one":
                    steps.append(((i + 1, q2), sample))
                elif char == label or (isinstance(label, Chars) and char in label):
                    steps.append(((i + 1, q2), char))
        for nxt, char in steps:
            if nxt not in parent:
                parent[nxt] = (node, char)
                queue.append(nxt)
        if len(parent) > limit:
            raise TooComplex(limit)
    expected = []
    for q in frontier:
        for label, _ in nfa.moves[q]:
            text = label if isinstance(label, str) else label.label
            if text not in expected:
                expected.append(text)
        if q == nfa.final and "the end" not in expected:
            expected.append("the end")
    return Meeting(None, reached, tuple(sorted(expected)))


# --- the check -----------------------------------------------------------------------------


def language_for(kind: str | None) -> SubjectLanguage | None:
    return LANGUAGES.get(kind or "")


def matches_some_subject(kind: str, pattern: Pattern) -> Meeting | None:
    """Intersect a pattern with the issuer's language; None when the issuer has none."""
    language = language_for(kind)
    if language is None:
        return None
    return meet(language.automaton, _tokens(pattern))


def accepts(kind: str, subject: str) -> bool:
    """Whether a concrete subject is one the issuer can produce."""
    return bool(matches_some_subject(kind, Pattern(subject, glob=False)).witness is not None)


@dataclass(frozen=True)
class Verdict:
    """Why a pattern is impossible, in the user's terms."""

    pattern: Pattern
    segment: str
    """The part of the pattern that no subject has at that place."""
    prefix: str
    """The part before it that does fit."""
    expected: tuple[str, ...]
    suggestions: tuple[tuple[str, str], ...]
    """Corrected patterns (verified against the language) with the reason."""
    empty_segment: bool
    """The failure is an empty segment or a truncated value (``repo::``, ``repo:``)."""
    volatile: bool = False
    """The pattern fits the language but pins a value that is new on every run."""
    example: str = ""
    """The issuer's main documented form."""


BITBUCKET_STEP = re.compile(r":\{[0-9a-fA-F-]+\}$")


def check(kind: str | None, pattern: Pattern | None) -> Verdict | None:
    """A verdict when no subject of the issuer can match the pattern; None otherwise (also when
    the issuer has no modelled language or the pattern is not known well enough).
    ``TooComplex`` when the search for a matching subject grows past its limit."""
    language = language_for(kind)
    if language is None or pattern is None:
        return None
    meeting = meet(language.automaton, _tokens(pattern))
    if meeting.witness is not None:
        if kind == "bitbucket" and BITBUCKET_STEP.search(pattern.text) and "*" not in \
                pattern.text.rsplit(":", 1)[-1] and UNKNOWN not in pattern.text.rsplit(":", 1)[-1]:
            return Verdict(pattern, pattern.text.rsplit(":", 1)[-1], pattern.text.rsplit(":", 1)[0],
                           (), ((pattern.text.rsplit(":", 1)[0] + ":*",
                                 "match any step of the repository (use StringLike)"),),
                           False, volatile=True, example=language.example)
        return None
    text = pattern.text
    at = meeting.reached
    start = text.rfind(":", 0, at) + 1 if at < len(text) and text[at] != ":" else at
    end = text.find(":", at + 1 if at < len(text) and text[at] == ":" else at)
    end = len(text) if end < 0 else end
    segment = text[start:end]
    before = text[at - 1] if at > 0 else ""
    here = text[at] if at < len(text) else ""
    empty = (here == ":" and before in (":", "/")) or (here in ("/", ":") and before in (":",)) \
        or (at == len(text) and before in (":", "/", ""))
    return Verdict(pattern, segment or text[at:], text[:start], meeting.expected,
                   tuple(suggest(language, pattern)), empty, example=language.example)


def suggest(language: SubjectLanguage, pattern: Pattern) -> Iterable[tuple[str, str]]:
    """Corrections from the issuer's list of common mistakes that the language accepts."""
    seen = set()
    for repair in language.repairs:
        fixed = re.sub(repair.mistake, repair.correction, pattern.text, count=1)
        if fixed == pattern.text or fixed in seen:
            continue
        if not _fits(language, fixed, pattern.glob):
            # A second repair may complete the first (`repo:acme:api:ref:main`).
            for second in language.repairs:
                again = re.sub(second.mistake, second.correction, fixed, count=1)
                if again != fixed and _fits(language, again, pattern.glob):
                    fixed = again
                    break
            else:
                continue
        seen.add(fixed)
        yield fixed.replace(UNKNOWN, "${...}"), repair.why


def _fits(language: SubjectLanguage, corrected: str, glob: bool) -> bool:
    """Whether a corrected pattern (placeholders filled with samples) matches some subject;
    a correction too complex to verify quickly is not suggested (a pattern may be tried with
    every pair of repairs)."""
    probe = re.sub(r"<([a-z]+)>", lambda m: PLACEHOLDER_SAMPLES.get(m[1], "x"), corrected)
    try:
        return meet(language.automaton, _tokens(Pattern(probe, glob)),
                    MAX_PRODUCT_STATES // 10).witness is not None
    except TooComplex:
        return False


# --- subjects for claim synthesis ------------------------------------------------------


def github_subject(repository: str, context: str) -> str:
    """The default GitHub subject: ``repo:<owner>/<repo>:<context>``."""
    return f"repo:{repository}:{context}"


def gitlab_subject(project_path: str, context: str) -> str:
    """The default GitLab subject: ``project_path:<group>/<project>:<ref_type:..:ref:..>``."""
    return f"project_path:{project_path}:{context}"


SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
"""A ServiceAccount's subject is this, the namespace, ``:`` and its name (the EKS form above)."""


Ids = tuple[str | None, str | None]
"""The owner's and the repository's numeric ids of a GitHub repository that issues immutable
subjects, each ``None`` when not known."""


def immutable_github_prefix(repository: str, ids: Ids = (None, None)) -> Text:
    """``repo:<owner>@<owner id>/<repo>@<repo id>:``: the subject prefix of a repository that
    issues immutable subjects (docs/facts.md, section 5), an id not known left unknown."""
    owner, _, name = repository.partition("/")
    owner_id = ids[0] or Unknown(f"the account id of {owner}")
    repo_id = ids[1] or Unknown(f"the repository id of {repository}")
    return concat(("repo:", owner, "@", owner_id, "/", name, "@", repo_id, ":"))


def subject_prefix(workload_kind: str, repository: str | None,
                   immutable: Ids | None = None) -> Text | None:
    """What precedes a context's subject for a workload kind; None when it needs the
    repository and it is unknown; empty for complete subjects (Kubernetes). ``immutable``:
    the GitHub repository issues ``owner@id/name@id`` subjects, with these ids."""
    if workload_kind == "github-actions":
        if not repository:
            return None
        return immutable_github_prefix(repository, immutable) if immutable is not None \
            else github_subject(repository, "")
    if workload_kind == "gitlab-ci":
        return gitlab_subject(repository, "") if repository else None
    return ""
