"""Generated graphs for the properties every rule keeps (test_rule_contract.py,
test_rule_certainty.py): the providers, roles, policies, clusters, identity pools and workloads
of a scan, with unknown and partly known values (``repo:${var.org}/*``, an EKS issuer derived
from its cluster), empty and odd strings, values of the wrong type where the model takes
anything, principals of every kind, statements without spans.

The objects are built as the readers build them: a role, a provider, a cluster, a policy and a
workload always have a span (the readers take it from the resource or the file:
``test_readers_give_every_resource_and_workload_a_location``); a statement, a condition or a
value may not, and a finding about one then points at its resource.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from oidclint.config import Config
from oidclint.graph import TrustGraph
from oidclint.iam.eks import eks_issuer
from oidclint.iam.policy import document_from_value
from oidclint.model import (
    Cluster,
    Condition,
    IdentityPool,
    IdentityPoolRoles,
    Inventory,
    OidcProvider,
    PermissionPolicy,
    PolicyDocument,
    Role,
    Statement,
    TokenContext,
    UnreadModuleCall,
    Workload,
)
from oidclint.source import Choice, Partial, Span, Str, Unknown, concat

SETTINGS = settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow,
                                                             HealthCheck.data_too_large])

# --- located strings ----------------------------------------------------------------------
# Values come from fixed pools (each string with and without a span): drawing one is cheap,
# so each example can hold a whole scan's worth of resources.

PATHS = ["main.tf", "modules/oidc/main.tf", "template.yaml", ".github/workflows/deploy.yml",
         "k8s/service account ü.yaml"]
SPANS = [Span(path, line, column, line, column + 12)
         for path, line, column in zip(PATHS * 2, (3, 17, 40, 8, 2, 120, 5, 61, 33, 9),
                                       (1, 5, 9, 3, 11, 7, 1, 15, 2, 4))]


def located(texts: list[str]) -> list[Str]:
    """Each text without a span and with one."""
    return [Str(text, span) for i, text in enumerate(texts) for span in (None, SPANS[i % 10])]


def pick(items: list) -> st.SearchStrategy:
    return st.sampled_from(items)


ORIGINS = ["var.org", "var.repo (no default)", "local.subject", "secrets.AWS_ROLE_ARN",
           "data.aws_caller_identity.current.account_id", "GitHubOrganization (no Default)",
           "Fn::If IsProd", "module.oidc.subject", "var.namespace", "inputs.environment"]
UNKNOWNS = [Unknown(origin, SPANS[i] if i % 2 else None) for i, origin in enumerate(ORIGINS)]


def partial(*pieces: str | None, span: Span | None = SPANS[0]) -> Partial:
    """A partly known string; each ``None`` piece is a different unknown."""
    unknown = iter(UNKNOWNS)
    return concat([next(unknown) if p is None else p for p in pieces], span)


ODD = ["", "*", "?", ":", "/", "**", "*:*", "://", "https://", " ", "invalid", "Ünïcødé/例え",
       "repo:äcme/ü:*", "a" * 300, "repo:acme/api:ref:refs/heads/" + "x" * 500 + "*",
       "${{ github.repository }}", "[bold]markup[/]", "`tick`"]
"""Odd but possible strings: empty, lone wildcards and separators, non-ASCII, very long (but
bounded, so examples stay quick)."""

# --- issuers ------------------------------------------------------------------------------

HOSTS = {
    "github": ["token.actions.githubusercontent.com", "token.actions.githubusercontent.com/acme",
               "token.actions.acme.ghe.com"],
    "gitlab": ["gitlab.com", "gitlab.example.com"],
    "hcp": ["app.terraform.io"],
    "eks": ["oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789",
            "oidc.eks.cn-north-1.amazonaws.com.cn/id/0A1B2C", "oidc.eks.amazonaws.com"],
    "cognito": ["cognito-identity.amazonaws.com"],
    "google": ["accounts.google.com"],
    "generic": ["auth.example.com", "oidc.circleci.com/org/0f1e2d", "agent.buildkite.com",
                "acme.app.spacelift.io", "graph.facebook.com", "www.amazon.com",
                "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
                "TOKEN.ACTIONS.GITHUBUSERCONTENT.COM"],
}
KINDS = sorted(HOSTS)
BUILTIN = {"cognito", "google"}
CLUSTERS = ["aws_eks_cluster.main", "aws_eks_cluster.other", "EksCluster"]


def eks_host(cluster: str) -> Partial:
    """The host of a cluster's issuer, as ``replace(<issuer>, "https://", "")`` gives it."""
    issuer = eks_issuer(cluster, None)
    return concat((issuer.parts[0][len("https://"):],) + issuer.parts[1:], None, cluster)


ALL_HOSTS = located(sum(HOSTS.values(), []))
VARIABLE_HOSTS = {
    # An IRSA module's `var.oidc_provider` or region: the kind shows, the cluster does not.
    "eks": [partial("oidc.eks.", None, ".amazonaws.com/id/", None, span=None), UNKNOWNS[8]],
    "github": [partial("token.actions.", None, ".ghe.com", span=None)],
    "gitlab": [partial(None, "/gitlab", span=None)],
}
HOST_POOL = {kind: located(HOSTS[kind]) + [eks_host(c) for c in CLUSTERS if kind == "eks"]
             + VARIABLE_HOSTS.get(kind, []) for kind in KINDS}
"""The issuer host a statement of each kind names (in its principal and its keys)."""
NOISY_HOSTS = ALL_HOSTS + located(ODD) + UNKNOWNS + [partial("token.actions.", None, ".ghe.com")]

# --- subjects and other condition values --------------------------------------------------

SUBJECTS = {
    "github": ["repo:acme/api:ref:refs/heads/main", "repo:acme/*", "repo:acme/api:*", "repo:*",
               "repo:acme/api:environment:production", "repo:acme/api:pull_request",
               "repo:acme/*:ref:refs/heads/main", "repo:acme@123/api@456:*", "repo:acme/api",
               "environment:production", "ref:refs/heads/main", "repo:Acme/API:ref:refs/tags/v*",
               "workflow:deploy:repo:acme/api:ref:refs/heads/main",
               "repository_owner_id:123:environment:production", "repo:acme/a?i:*", "*"],
    "gitlab": ["project_path:acme/api:ref_type:branch:ref:main", "project_path:acme/*",
               "project_path:acme/*:ref_type:branch:ref:main", "project_path:acme/sub/*:*",
               "project_path:*"],
    "hcp": ["organization:acme:project:*:workspace:*:run_phase:*",
            "organization:acme:project:networking:workspace:*:run_phase:apply",
            "organization:*", "organization:acme:*"],
    "eks": ["system:serviceaccount:payments:api", "system:serviceaccount:*:*",
            "system:serviceaccount:kube-system:*", "system:serviceaccount:*"],
    "cognito": ["us-east-1:11111111-2222-3333-4444-555555555555", "authenticated",
                "unauthenticated", "*"],
    "google": ["123456789012345678901", "*.apps.googleusercontent.com"],
    "generic": ["sub-1", "*"],
}
PARTIAL_SUBJECTS = [
    partial("repo:", None, "/*:*"),                     # repo:${var.org}/*:*
    partial("repo:", None, "/", None, ":*"),            # repo:${var.owner}/${var.repo}:*
    partial("repo:acme/", None, ":ref:refs/heads/main"),
    partial("repo:acme/api:environment:", None),
    partial("project_path:", None, "/*:*"),
    partial("organization:", None, ":project:*:workspace:*:run_phase:*"),
    partial("system:serviceaccount:", None, ":api"),
    partial("system:serviceaccount:payments:", None),
    partial(None, ":*", span=None),
]
AUDIENCES = located(["sts.amazonaws.com", "sts.amazonaws.com.cn", "aws.workload.identity",
                     "https://gitlab.com", "us-east-1:11111111-2222-3333-4444-555555555555",
                     "authenticated"]) + [
    Str("us-east-1:11111111-2222-3333-4444-555555555555", SPANS[2],
        f"aws_cognito_identity_pool.{pool}") for pool in ("pool0", "pool1")]
WRONG_TYPES = [0, 1, -1, 3.5, True, False, None, [], {}, ["repo:acme/*"], {"a": "b"},
               {"Ref": "Org"}, [["x"]], Choice(("repo:acme/a:*", "repo:acme/b:*"), "Fn::If IsProd"),
               Choice(("x", None), "Fn::If HasX", SPANS[3])]
"""What a condition value (``Any`` in the model) may hold besides text."""
NOISY_VALUES = located(sum(SUBJECTS.values(), []) + ODD) + AUDIENCES + PARTIAL_SUBJECTS + \
    UNKNOWNS + WRONG_TYPES


def value_pool(kind: str, claim: str) -> list:
    if claim == "sub":
        return located(SUBJECTS[kind]) + PARTIAL_SUBJECTS + UNKNOWNS[:3]
    if claim in ("aud", "amr"):
        return AUDIENCES + UNKNOWNS[:2]
    return located(["acme/api", "123", "production", "refs/heads/main", "true"]) + UNKNOWNS[:2]


def values(kind: str, claim: str, least: int, clean: bool) -> st.SearchStrategy[list]:
    """Up to three values of the claim's kind, now and then (unless ``clean``) anything."""
    mine = pick(value_pool(kind, claim))
    value = mine if clean else st.one_of(mine, mine, mine, pick(NOISY_VALUES))
    return st.lists(value, min_size=least, max_size=3)


def now_and_then(draw, clean: bool, odds: int) -> bool:
    """True about once in ``odds`` draws, never in a clean scan."""
    return not clean and draw(st.integers(1, odds)) == 1


# --- conditions ---------------------------------------------------------------------------

OPERATORS = ["StringEquals", "StringLike", "StringNotEquals", "StringNotLike",
             "StringEqualsIgnoreCase", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
             "ForAllValues:StringLike", "StringLikeIfExists", "StringNotLikeIfExists",
             "StringEqualsIfExists", "Null", "Bool", "ArnLike", "StringEqualz", "",
             "ForAllValues:", "IfExists", "stringequals"]
NOISY_OPERATORS = located(OPERATORS) + UNKNOWNS[:2] + [partial("String", None),
                                                       partial("ForAnyValue:", None)]
CLAIMS = ["sub"] * 6 + ["aud"] * 3 + [
    "amr", "repository", "repository_owner_id", "job_workflow_ref", "environment", "ref", "actor",
    "namespace_id", "app_id", "oaud", "google/organization_number", "SUB", "Aud", ""]
"""Claims of condition keys, ``sub`` and ``aud`` most often; the first twelve are the
common ones."""
GLOBAL_KEYS = ["aws:SourceIp", "sts:RoleSessionName", "aws:RequestTag/team", "aws:TagKeys",
               "sts:TransitiveTagKeys", "aws:PrincipalTag/x", "sub"]
NOISY_KEYS = located(GLOBAL_KEYS) + UNKNOWNS[:3] + [
    partial(None, ":sub"), partial("token.actions.githubusercontent.com:", None),
    partial("https://token.actions.githubusercontent.com:", None)]


@st.composite
def conditions(draw, kind: str, host, clean: bool, claim: str | None = None) -> Condition:
    """Mostly a condition on a claim of the statement's issuer; now and then one written for
    another issuer, with ``https://``, on a global key, or unknown in part or whole."""
    least = int(claim is not None)
    claim = claim or draw(pick(CLAIMS[:12] if clean else CLAIMS))
    prefix = draw(pick(NOISY_HOSTS + ["https://" + h for h in HOSTS[kind]])) \
        if now_and_then(draw, clean, 5) else host
    key = concat((prefix, ":", claim), draw(pick([None] + SPANS[:3])))
    if now_and_then(draw, clean, 6):
        key = draw(pick(NOISY_KEYS))
    operator = draw(pick(NOISY_OPERATORS)) if now_and_then(draw, clean, 4) else \
        draw(pick(located(OPERATORS[:8])))
    return Condition(operator, key, draw(values(kind, claim, least, clean)),
                     getattr(key, "span", None))


# --- principals ---------------------------------------------------------------------------

ACCOUNT = "123456789012"


def provider_arn(host, account="123456789012", span=None, ref=None):
    return concat(("arn:aws:iam::", account, ":oidc-provider/", host), span, ref)


NOISY_PRINCIPALS = located([
    "cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com",
    "www.amazon.com", f"arn:aws:iam::{ACCOUNT}:saml-provider/okta",
    f"arn:aws:iam::{ACCOUNT}:role/x",
    f"arn:aws:iam::{ACCOUNT}:oidc-provider/", "arn:aws:iam::12:oidc-provider/gitlab.com",
    f"arn:aws:iam::{ACCOUNT}:oidc-provider/https://gitlab.com",
    "https://token.actions.githubusercontent.com", "*"] + ODD) + UNKNOWNS[:3] + [
    Unknown("undeclared aws_iam_openid_connect_provider.gone", SPANS[1],
            "aws_iam_openid_connect_provider.gone"),
    partial(f"arn:aws:iam::{ACCOUNT}:oidc-provider/", None),
    provider_arn(UNKNOWNS[4], account=UNKNOWNS[4])]


@st.composite
def federated(draw, kind: str, host, providers: list[OidcProvider], clean: bool):
    """The issuer's principal as code writes it (the built-in host, a provider's ARN by
    reference or written out), or anything a principal can be."""
    if now_and_then(draw, clean, 6):
        return draw(pick(NOISY_PRINCIPALS))
    choice = draw(st.integers(1, 5))
    if kind in BUILTIN and choice < 4:
        return host
    mine = [p for p in providers if p.host == host
            or isinstance(host, Partial) and host.ref and getattr(p.url, "ref", None) == host.ref]
    if mine and choice < 4:
        provider = draw(pick(mine))
        account = draw(pick([ACCOUNT, Unknown(f"account id of {provider.address}")]))
        return provider_arn(provider.host, account, provider.span, provider.address)
    return provider_arn(host, draw(pick([ACCOUNT, UNKNOWNS[4]] + ([] if clean else ["12"]))),
                        draw(pick([None, SPANS[2]])))


@st.composite
def principals(draw, kind: str, host, providers: list[OidcProvider], clean: bool) -> dict:
    names = draw(st.lists(federated(kind, host, providers, clean), min_size=1, max_size=2))
    if not now_and_then(draw, clean, 3):
        return {"Federated": names}
    return draw(pick([{"Federated": names, "AWS": [Str(f"arn:aws:iam::{ACCOUNT}:root")]},
                      {"AWS": [Str("*")]}, {"*": [Str("*")]}, {"Federated": [Str("*")]},
                      {"Service": [Str("sts.amazonaws.com")]}, {}]))


# --- statements and documents -------------------------------------------------------------

ACTIONS = located(["sts:AssumeRoleWithWebIdentity", "sts:assumerolewithwebidentity",
                   "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:TagSession", "sts:*", "*",
                   "sts:AssumeRoleWith*"] + ODD[:4]) + UNKNOWNS[:1] + [partial("sts:", None)]
WEB_IDENTITY = [Str("sts:AssumeRoleWithWebIdentity", span) for span in (None, SPANS[4])]
EFFECTS = located(["Allow", "Deny", "allow", ""]) + UNKNOWNS[:1]
SIDS = [None, None, Str("GitHub", SPANS[5]), Str(""), UNKNOWNS[0], 5, {"Ref": "Sid"}, ["a"]]
"""The reader passes ``Sid`` through as written: any JSON value."""


@st.composite
def statements(draw, kinds: list[tuple[str, object]], providers: list[OidcProvider],
               index: int, clean: bool) -> Statement:
    kind, host = draw(pick(kinds))
    noisy = now_and_then(draw, clean, 6)
    negative = now_and_then(draw, clean, 8)
    return Statement(
        effect=Str("Allow", SPANS[6]) if not noisy else draw(pick(EFFECTS)),
        actions=[] if negative and draw(st.booleans()) else draw(pick([WEB_IDENTITY])) if clean
        else draw(pick([WEB_IDENTITY]) | st.lists(pick(ACTIONS), max_size=3)),
        not_actions=draw(st.lists(pick(ACTIONS), max_size=2)) if negative else [],
        principals=draw(principals(kind, host, providers, clean)),
        not_principals=draw(principals(kind, host, providers, clean)) if negative else {},
        conditions=[draw(conditions(kind, host, clean, claim)) for claim in ("sub", "aud")
                    if draw(st.integers(0, 3))]
        + draw(st.lists(conditions(kind, host, clean), max_size=1 if clean else 3)),
        sid=draw(pick(SIDS[:3] if clean else SIDS)),
        span=draw(pick([None, SPANS[7], SPANS[0]])),
        index=index,
        unknown=draw(pick(UNKNOWNS[:2])) if noisy and draw(st.booleans()) else None,
    )


@st.composite
def written_statements(draw, kinds, providers) -> dict:
    """A statement as a policy file or ``jsonencode`` writes it, for the policy reader: the
    usual elements with values of any JSON type, single or in lists, names in any case."""
    kind, host = draw(pick(kinds))
    condition = draw(conditions(kind, host, False))
    one_or_many = (lambda items: st.one_of(pick(items), st.lists(pick(items), max_size=2)))
    elements = {
        "Effect": one_or_many(EFFECTS + [5, ["Allow"], None]),
        "Action": one_or_many(ACTIONS + WRONG_TYPES[:3]),
        "NotAction": one_or_many(ACTIONS),
        "Principal": st.one_of(
            st.builds(lambda names: {"Federated": names}, one_or_many(
                [draw(federated(kind, host, providers, False)) for _ in range(2)]
                + WRONG_TYPES)),
            pick([Str("*"), ["*"], 5, UNKNOWNS[0], {"AWS": "*"}])),
        "Condition": st.one_of(
            st.just({condition.operator: {condition.key: condition.values}}),
            st.just({condition.operator: {condition.key: condition.values[0]
                                          if condition.values else None}}),
            pick([UNKNOWNS[0], "text", {"StringLike": "text"}, {"StringLike": UNKNOWNS[1]},
                  {5: {"sub": "x"}}, {"StringLike": {5: "x"}}])),
        "Sid": pick(SIDS),
        "Resource": one_or_many(located(["*"]) + WRONG_TYPES[:2]),
    }
    written = {}
    for name, values in elements.items():
        if draw(st.integers(0, 3)):
            written[draw(pick([name, name, name.lower()]))] = draw(values)
    return written


@st.composite
def trust_documents(draw, kinds, providers, clean) -> PolicyDocument | None:
    shape = draw(st.integers(2 if clean else 0, 19))
    if shape == 0:
        return None
    if shape == 1:
        return PolicyDocument(span=SPANS[8], unknown=UNKNOWNS[0])
    if shape == 2:  # through the reader every format's policies go through
        return document_from_value({"Version": "2012-10-17", "Statement": draw(st.one_of(
            st.lists(written_statements(kinds, providers), max_size=2),
            written_statements(kinds, providers), pick([UNKNOWNS[0], "x", 5])))}, SPANS[8])
    count = draw(st.integers(1 if shape > 3 else 0, 3))
    return PolicyDocument([draw(statements(kinds, providers, i, clean)) for i in range(count)],
                          span=draw(pick([None, SPANS[8]])))


PERMISSION_ACTIONS = located(["*", "*:*", "s3:GetObject", "iam:*", "iam:PassRole",
                              "iam:CreateRole", "iam:PutRolePolicy", "iam:CreatePolicyVersion",
                              "lambda:CreateFunction", "iam:Get*", "sts:AssumeRole"]) + \
    UNKNOWNS[:1] + [partial("iam:", None)]
RESOURCES = located(["*", "arn:aws:s3:::bucket/*", f"arn:aws:iam::{ACCOUNT}:role/*",
                     "arn:aws:iam::*:role/deploy", ""]) + UNKNOWNS[:1] + \
    [partial("arn:aws:iam::", None, ":role/*")]
PERMISSIONS = st.builds(
    lambda effect, acts, not_acts, resources, not_resources, conds: Statement(
        effect, actions=acts, not_actions=not_acts, resources=resources,
        not_resources=not_resources, conditions=conds),
    pick(EFFECTS), st.lists(pick(PERMISSION_ACTIONS), max_size=3),
    st.lists(pick(PERMISSION_ACTIONS), max_size=1), st.lists(pick(RESOURCES), max_size=2),
    st.lists(pick(RESOURCES), max_size=1),
    st.lists(conditions("generic", Str("aws"), False), max_size=1),
)
MANAGED = located(["arn:aws:iam::aws:policy/AdministratorAccess",
                   "arn:aws:iam::aws:policy/ReadOnlyAccess",
                   f"arn:aws:iam::{ACCOUNT}:policy/custom", "AdministratorAccess", ""]) + [
    None, UNKNOWNS[0], partial("arn:", None, ":iam::aws:policy/AdministratorAccess"),
    Str(f"arn:aws:iam::{ACCOUNT}:policy/custom", SPANS[9], "aws_iam_policy.custom")]

# --- resources ----------------------------------------------------------------------------

SCOPES = ["main"] * 3 + [".", "modules/oidc", "template.yaml"]
"""Scopes (a Terraform root folder, ``.`` at the top, or a template): most resources of a
scan share one."""
ROLE_NAMES = ["deploy", "api-deploy", "admin", "ci"]


@st.composite
def issuers_in_play(draw) -> list[tuple[str, object]]:
    """The issuers a scan trusts: kind and host (as condition keys and ARNs write it)."""
    chosen = draw(st.lists(pick(KINDS), min_size=1, max_size=2, unique=True))
    return [(kind, draw(pick(HOST_POOL[kind]))) for kind in chosen]


@st.composite
def providers(draw, kinds) -> list[OidcProvider]:
    found = []
    for index in range(draw(st.integers(0, 3))):
        kind, host = draw(pick(kinds))
        choice = draw(st.integers(0, 5))
        if isinstance(host, Partial) and host.ref in CLUSTERS and choice < 4:
            # Built from the cluster: `url = aws_eks_cluster.x.identity[0].oidc[0].issuer`.
            url = eks_issuer(host.ref, SPANS[index])
        elif choice < 4:
            url = concat(("https://", host), SPANS[index])
        else:
            url = draw(pick(located([f"https://{h}/" for h in HOSTS[kind]] + HOSTS[kind] + ODD)
                            + UNKNOWNS[:2] + [eks_issuer(CLUSTERS[0], None)]))
        client_ids = draw(pick([[Str("sts.amazonaws.com", SPANS[3])], [], UNKNOWNS[1]])
                          | st.lists(pick(AUDIENCES + UNKNOWNS[:1] + [Str("")]), max_size=2))
        found.append(OidcProvider(
            address=draw(pick([f"aws_iam_openid_connect_provider.p{index}",
                               "aws_iam_openid_connect_provider.github", "Provider"])),
            url=url, client_ids=client_ids, span=SPANS[index + 1],
            scope=draw(pick(SCOPES)), account=draw(pick(["", "", ACCOUNT, "210987654321", None]))))
    return found


ROLE_ADDRESSES = ["aws_iam_role.r{}", 'module.ci["prod"].aws_iam_role.this[{}]', "Role{}"]
"""Addresses as readers write them: a resource, a module instance's ``count`` instance, a
CloudFormation logical id."""


@st.composite
def roles(draw, kinds, providers: list[OidcProvider], clean: bool) -> list[Role]:
    found: list[Role] = []
    for index in range(draw(st.integers(0, 3))):
        address, scope = draw(pick(ROLE_ADDRESSES)).format(index), draw(pick(SCOPES))
        if found and draw(st.integers(0, 3)) == 0:
            # The same module in another root folder: same address, another scope.
            address = found[-1].address
            scope = next(s for s in SCOPES if s != found[-1].scope)
        found.append(Role(
            address=address,
            name=draw(pick(located(ROLE_NAMES) + [None, UNKNOWNS[0], partial(None, "-deploy")]
                           + located(ODD[:3]))),
            trust=draw(trust_documents(kinds, providers, clean)),
            span=SPANS[(index + 5) % 10],
            scope=scope,
            max_session_duration=draw(pick([None, 900, 3600, 43200, UNKNOWNS[1]])),
        ))
    return found


@st.composite
def policies(draw, roles: list[Role]) -> list[PermissionPolicy]:
    """Permissions attached to the roles (by reference, in the role's scope, or by name),
    administrator ones among them."""
    found = []
    for index in range(draw(st.integers(0, 3))):
        if roles and draw(st.integers(0, 3)):
            role = draw(pick(roles))
            named, scope = [Str(role.address, None, role.address)], role.scope
        else:
            named = draw(st.lists(pick(located(ROLE_NAMES[:2]) + UNKNOWNS[:1]), max_size=2))
            scope = draw(pick(SCOPES))
        document = draw(st.none() | st.builds(PolicyDocument, st.lists(PERMISSIONS, max_size=2)))
        found.append(PermissionPolicy(
            address=draw(pick([f"aws_iam_role_policy.p{index}", "aws_iam_policy.custom"])),
            roles=named, managed_arn=draw(pick(MANAGED[:2] + MANAGED)), document=document,
            span=SPANS[index + 2], scope=scope))
    return found


GITHUB_CONTEXTS = [TokenContext(label, Str(subject), pattern, span, claims)
                   for (label, subject, pattern, claims), span in zip([
                       ("push to main", "ref:refs/heads/main", False, {"ref": "refs/heads/main"}),
                       ("workflow_dispatch on any branch", "ref:refs/heads/*", True,
                        {"ref": "refs/heads/*"}),
                       ("pull_request", "pull_request", False, {"ref": "refs/pull/*/merge"}),
                       ("environment production", "environment:production", False,
                        {"environment": "production"})], [SPANS[4], None, SPANS[4], SPANS[9]])] + [
    TokenContext("environment from an input", partial("environment:", None), span=SPANS[4],
                 claims={"environment": UNKNOWNS[9]}),
    TokenContext("environment from a secret", UNKNOWNS[3])]
CONTEXTS = {
    "github-actions": GITHUB_CONTEXTS,
    "gitlab-ci": [TokenContext("branch main", Str("ref_type:branch:ref:main"), span=SPANS[0]),
                  TokenContext("any tag", Str("ref_type:tag:ref:*"), True),
                  TokenContext("ref from a variable", partial("ref_type:branch:ref:", None))],
    "kubernetes": [TokenContext("ServiceAccount payments/api",
                                Str("system:serviceaccount:payments:api"), span=SPANS[5]),
                   TokenContext("ServiceAccount in a namespace from a variable",
                                partial("system:serviceaccount:", None, ":api")),
                   TokenContext("ServiceAccount unknown", UNKNOWNS[8])],
}
CONTEXTS["eksctl"] = CONTEXTS["kubernetes"]
CONTEXTS["circleci"] = GITHUB_CONTEXTS  # a kind no rule knows
WORKLOAD_KINDS = {"github": "github-actions", "gitlab": "gitlab-ci", "eks": "kubernetes"}


@st.composite
def workloads(draw, kinds, roles: list[Role]) -> list[Workload]:
    found = []
    # By reference (a ServiceAccount in Terraform: its root module says which role), by ARN.
    linked = [(Str(r.address, SPANS[4], r.address), r.scope) for r in roles] + [
        (Str(f"arn:aws:iam::{ACCOUNT}:role/{r.name}", SPANS[4]), "") for r in roles
        if isinstance(r.name, str)]
    targets = [(role, "") for role in
               [Str(f"arn:aws:iam::{ACCOUNT}:role/{name}", SPANS[4]) for name in ROLE_NAMES]
               + located(ROLE_NAMES[:2]) + UNKNOWNS[3:4]
               + [partial("arn:aws:iam::", None, ":role/deploy"), None, Str("")]]
    for index in range(draw(st.integers(0, 3))):
        kind = draw(pick([WORKLOAD_KINDS.get(k, "github-actions") for k, _ in kinds])
                    | pick(sorted(CONTEXTS)))
        role, scope = draw(pick(linked) | pick(targets) if linked else pick(targets))
        found.append(Workload(
            kind=kind,
            name=f"ServiceAccount payments/api{index}" if kind in ("kubernetes", "eksctl")
            else f"deploy.yml job deploy{index}",
            span=SPANS[(index + 3) % 10],
            role=role,
            role_span=draw(pick([None, SPANS[4]])),
            audience=draw(pick([None, None, Str("sts.amazonaws.com"), Str("https://gitlab.com"),
                                Str(""), UNKNOWNS[2]])),
            session_name=draw(pick([None, Str("GitHubActions"), Str("ci"), UNKNOWNS[2]])),
            duration=draw(pick([None, 900, 7200, 50000, UNKNOWNS[2]])),
            contexts=draw(st.lists(pick(CONTEXTS[kind]), max_size=3)),
            issuer=draw(pick([None, Str("token.actions.githubusercontent.com"), Str("gitlab.com"),
                              partial(None, "/gitlab"), UNKNOWNS[7]])),
            cluster=draw(pick([None] + CLUSTERS + ["aws_eks_cluster.gone"])),
            id_token_permission=draw(pick([None, True, False])),
            permission_span=draw(pick([None, SPANS[9]])),
            role_chaining=draw(pick([False, False, True])),
            scope=scope,
        ))
    return found


@st.composite
def clusters(draw) -> list[Cluster]:
    return [Cluster(
        address=address,
        name=draw(pick([Str("payments"), Str("main", SPANS[1]), UNKNOWNS[5], None])),
        issuer=draw(pick([eks_issuer(address, SPANS[2]), Str(f"https://{HOSTS['eks'][0]}"),
                          UNKNOWNS[5]])),
        span=SPANS[2], scope=draw(pick(SCOPES)),
    ) for address in draw(st.lists(pick(CLUSTERS), unique=True, max_size=2))]


@st.composite
def identity_pools(draw, roles: list[Role]) -> tuple[list[IdentityPool], list[IdentityPoolRoles]]:
    """Cognito identity pools and the default roles they give."""
    pools = [IdentityPool(
        address=f"aws_cognito_identity_pool.pool{index}",
        allows_unauthenticated=draw(pick([True, False, None, UNKNOWNS[6]])),
        span=SPANS[index], setting_span=draw(pick([None, SPANS[index + 1]])),
        scope=draw(pick(SCOPES))) for index in range(draw(st.integers(0, 2)))]
    targets = [Str(r.address, SPANS[3], r.address) for r in roles] + [
        Str(f"arn:aws:iam::{ACCOUNT}:role/{name}") for name in ROLE_NAMES[:2]] + UNKNOWNS[:1]
    attachments = [IdentityPoolRoles(
        address=f"aws_cognito_identity_pool_roles_attachment.a{index}",
        pool=draw(pick([Str("us-east-1:11111111-2222-3333-4444-555555555555"), UNKNOWNS[6]]
                       + [Str(p.address, None, p.address) for p in pools])),
        roles=draw(st.dictionaries(pick(["authenticated", "unauthenticated"]), pick(targets),
                                   max_size=2)),
        span=SPANS[index + 4], scope=draw(pick(SCOPES)))
        for index in range(draw(st.integers(0, 2)))]
    return pools, attachments


UNREAD_CALLS = st.builds(
    UnreadModuleCall, pick(["module.ci", 'module.roles["prod"]']),
    pick(["acme/iam/aws", "../outside"]),
    st.lists(pick(located(ROLE_NAMES) + [Str(f"arn:aws:iam::{ACCOUNT}:role/deploy")]
                  + UNKNOWNS[:1]), max_size=2),
    pick([None, SPANS[6]]), pick(SCOPES))
"""Module calls whose code is not read: a role they create may be the one a job names."""


@st.composite
def inventories(draw) -> Inventory:
    """A scan's resources. In a clean scan the trusts are written as people write them (the
    issuer's principal, its keys, values of its kind) though still with unknown and partly
    known values, so the rules' deeper paths are reached; otherwise anything goes."""
    clean = draw(st.booleans())
    kinds = draw(issuers_in_play())
    found_providers = draw(providers(kinds))
    found_roles = draw(roles(kinds, found_providers, clean))
    pools, attachments = draw(identity_pools(found_roles))
    return Inventory(providers=found_providers, roles=found_roles,
                     policies=draw(policies(found_roles)),
                     workloads=draw(workloads(kinds, found_roles)), clusters=draw(clusters()),
                     identity_pools=pools, pool_roles=attachments,
                     roles_elsewhere=draw(st.lists(pick(["ci", "deploy-*"]), max_size=1)),
                     unread_calls=draw(st.lists(UNREAD_CALLS, max_size=1)))



@st.composite
def scans(draw, inventory=inventories()) -> tuple:
    """An inventory with the settings a scan gives the graph (shown when a property fails)."""
    return (draw(inventory),
            draw(pick([None, "acme/api", "acme/web", "other/x", "Acme/API"])),
            draw(st.frozensets(pick(["acme/api", "other/x"]))),
            Config(trusted_owners=draw(st.lists(pick(["acme", "ACME", "other"]), max_size=2)),
                   known_roles=draw(st.lists(pick(["deploy", "arn:*:role/ci", "*"]), max_size=2))))


def graph_of(scan: tuple) -> TrustGraph:
    inventory, repository, immutable, config = scan
    return TrustGraph(inventory, repository, immutable, config)
