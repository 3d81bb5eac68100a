"""The trust graph: providers, roles, statements and permissions, linked across files.

Built once per scan from every file together, so a role in one file may trust a provider
defined in another. Nodes carry the model objects; edges say how they relate:

    statement --member_of--> role        statement --trusts--> provider
    policy    --grants-->    role        identity_pool --default_role--> role
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterator

import networkx as nx

from oidclint.config import Config
from oidclint.iam.catalog import GLOBAL_KEY_PREFIXES, Issuer, issuer_for
from oidclint.iam.claims import CUSTOM_TEMPLATE_UNKNOWN, Token, issuer_fits, tokens_for
from oidclint.iam.conditions import action_covers, patterns, restricts
from oidclint.iam.azure_trusts import azure_trusts
from oidclint.iam.federation import CloudTrust, Reach, Refusal, reach, refusals, restriction_words
from oidclint.iam.google_trusts import Binding, bindings, google_trusts
from oidclint.iam.narrowing import Narrowing, Run, narrowest
from oidclint.iam.patterns import Pattern, input_phrase
from oidclint.iam.principals import FederatedPrincipal, parse_federated
from oidclint.iam.privilege import MANAGED_POLICIES, Privilege, privilege
from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX, Ids, TooComplex
from oidclint.iam.subjects import check as check_subject
from oidclint.model import (
    PLATFORMS,
    Cluster,
    Condition,
    IdentityPool,
    Inventory,
    OidcProvider,
    PermissionPolicy,
    Related,
    Role,
    Statement,
    SubjectTemplate,
    Workload,
)
from oidclint.reading import read_bytes
from oidclint.source import FILL_IN, Partial, Span, Unknown, alternatives

WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"


@dataclass(slots=True)
class Trust:
    """One statement of a role's trust policy, with what its principals resolve to."""

    role: Role
    statement: Statement
    principals: list[FederatedPrincipal]
    providers: list[OidcProvider] = field(default_factory=list)
    _issuers: list[tuple[str, Issuer]] | None = field(default=None, repr=False, compare=False)

    @property
    def hosts(self) -> list[str]:
        """Issuer hosts the statement trusts, from the ARN or else from the linked provider."""
        hosts = [p.host for p in self.principals if p.web_identity and p.host]
        for provider in self.providers:
            if isinstance(provider.host, str) and provider.host not in hosts:
                hosts.append(str(provider.host))
        return hosts

    @property
    def issuers(self) -> list[tuple[str, Issuer]]:
        """The issuers the statement trusts (computed once: rules ask for them often)."""
        if self._issuers is None:
            self._issuers = self._find_issuers()
        return self._issuers

    @property
    def partial_hosts(self) -> list[Partial | Unknown]:
        """Issuer hosts the statement trusts that are not fully known: from the ARN
        (`oidc-provider/oidc.eks.${var.region}...`) or from a provider built from a cluster."""
        found: dict[str, Partial | Unknown] = {}
        for host in [p.partial_host for p in self.principals if p.web_identity] + [
                p.host for p in self.providers]:
            if isinstance(host, (Partial, Unknown)):
                found.setdefault(str(host), host)
        return list(found.values())

    @property
    def issuer_shown(self) -> str:
        """The trusted issuer as a message names it: its host, or what is known of it."""
        shown = self.hosts + [str(h) for h in self.partial_hosts]
        return shown[0] if shown else "an unknown issuer"

    @property
    def issuer_unknown(self) -> bool:
        """Nothing is known of the issuer the statement trusts (a provider ARN from a
        variable, with keys built from it too): it may be any workload's, so what its
        conditions decide on their own (a subject no token of the workload carries) holds."""
        return not self.issuers and not self.hosts and all(
            p.kind == "unknown" or p.kind == "oidc" and p.host is None
            for p in self.principals)

    def may_be_issuer(self, host: str) -> bool:
        """Whether a host can be an issuer the statement trusts, for some value of what is not
        known of its hosts (an unknown piece stands for any text, so a no is certain)."""
        host = host.lower()
        if host in (h.lower() for h in self.hosts):
            return True
        return any(Pattern(("".join("*" if isinstance(p, Unknown) else p for p in h.parts)
                            if isinstance(h, Partial) else "*").lower()).matches(host)
                   for h in self.partial_hosts)

    def _find_issuers(self) -> list[tuple[str, Issuer]]:
        found = [(host, issuer_for(host)) for host in self.hosts]
        for host in self.partial_hosts:
            if isinstance(host, Partial):
                # `oidc.eks.${region}.amazonaws.com/id/${id}`: the known text decides the kind.
                issuer = _kind_of(host)
                if issuer.kind != "generic":
                    found.append((str(host), issuer))
        if not found and self.principals and all(
                p.kind in ("oidc", "unknown") and p.host is None for p in self.principals):
            found += self._issuer_of_keys()
        return found

    def _issuer_of_keys(self) -> list[tuple[str, Issuer]]:
        """The issuer the required condition keys name, when the principal does not say
        (a provider whose URL comes from a variable): a positive test of a key is false when
        the key is absent, and a token of another issuer carries its keys under its own
        prefix, so only tokens of that issuer can be admitted (docs/facts.md, section 2)."""
        prefixes = {str(c.issuer_prefix).lower() for c in self.statement.conditions
                    if restricts(c) and isinstance(c.issuer_prefix, str)}
        prefixes -= GLOBAL_KEY_PREFIXES
        if len(prefixes) != 1:
            return []
        host = prefixes.pop()
        issuer = issuer_for(host)
        fits = not self.partial_hosts or self.may_be_issuer(host)  # nothing known, or agrees
        return [(host, issuer)] if issuer.kind != "generic" and fits else []

    @property
    def written_for(self) -> Issuer | None:
        """The issuer the statement is written for: the one it trusts, else, when its
        principal is no provider ARN at all (OIDC103's finding), the one its condition keys
        name, whose subjects the statement's `sub` values are then meant to be."""
        if self.issuer is not None:
            return self.issuer
        if self.principals and all(p.kind == "malformed" for p in self.principals):
            found = {issuer.kind: issuer for _, issuer in self._issuer_of_keys()}
            return next(iter(found.values())) if len(found) == 1 else None
        return None

    @property
    def issuer(self) -> Issuer | None:
        """The issuer kind when the statement trusts exactly one kind."""
        kinds = {issuer.kind: issuer for _, issuer in self.issuers}
        return next(iter(kinds.values())) if len(kinds) == 1 else None

    @property
    def web_identity(self) -> bool:
        """The statement has a Federated principal other than a SAML provider."""
        return any(p.kind != "saml" for p in self.principals)

    def covers(self, action: str) -> bool:
        return any(isinstance(a, str) and action_covers(str(a), action)
                   for a in self.statement.actions)

    def conditions_on(self, *claims: str) -> list[Condition]:
        return [c for c in self.statement.conditions if c.claim in claims]

    @property
    def has_unknown_keys(self) -> bool:
        """Some condition's claim is not known, so absence of a restriction is not certain."""
        return self.statement.unknown is not None or any(
            c.claim is None and not str(c.key).startswith(("aws:", "sts:"))
            for c in self.statement.conditions)

    def subject_conditions(self) -> list[Condition]:
        """Conditions on the claims that bind a token to a tenant of the issuer."""
        issuer = self.issuer
        keys = issuer.subject_keys if issuer else frozenset({"sub"})
        return self.conditions_on(*keys)

    def unregistered_audiences(self) -> Iterator[tuple[OidcProvider, Condition, list[Pattern]]]:
        """Each linked provider with an `aud` condition of the statement that none of the
        provider's client ids meets: no token can pass both (both sides fully known)."""
        for provider in self.providers:
            client_ids = provider.client_ids
            if not isinstance(client_ids, list) or not client_ids or \
                    not all(isinstance(c, str) for c in client_ids):
                continue
            for condition in self.conditions_on("aud"):
                if not restricts(condition):
                    continue
                wanted = patterns(condition)
                if not wanted or any(p is None or not p.known for p in wanted):
                    continue
                if not any(p.matches(str(c)) for p in wanted for c in client_ids):
                    yield provider, condition, wanted

    @property
    def admits_every_subject(self) -> bool:
        """An issuer of one customer (a cluster, a self-managed GitLab instance, a CircleCI
        organization, a Bitbucket workspace, a Spacelift account) trusted with no condition
        on a claim that binds the token to a project: every token the issuer gives gets in,
        as with `sub` `*`. (A shared issuer is OIDC201's: anyone's tokens get in.)"""
        issuer = self.issuer
        return (issuer is not None and issuer.grammar is not None
                and not issuer.requires_subject and not issuer.audience_is_boundary
                and not self.subject_conditions() and not self.has_unknown_keys)

    @property
    def tenant_shown(self) -> str:
        """The customer an issuer of one customer serves, as a message names it: the
        CircleCI organization `0f1e...`, or the input or placeholder its URL takes the name
        from."""
        issuer = self.issuer
        if issuer is None or not issuer.tenant:
            return ""
        what = f"the {issuer.title} {issuer.tenant}"
        partial = {str(h): h for h in self.partial_hosts if isinstance(h, Partial)}
        for host, found in self.issuers:
            if found is not issuer:
                continue
            if host in partial:
                origins = dict.fromkeys(u.origin for u in partial[host].unknowns)
                return f"{what} named by " + " and ".join(map(_input_named, origins))
            name = issuer.tenant_of(host)
            if name:
                return f"{what} `{name}`"
            placeholder = FILL_IN.search(host)
            if placeholder:
                return f"{what} left as the placeholder `{placeholder[0]}`"
        return f"{what} its URL names"

    def subject_reach(self) -> tuple[str, Condition | None, Pattern | None]:
        """How far the subject restriction reaches: ``any-tenant`` (any owner, organisation,
        group or namespace), ``whole-tenant`` (every repository, project ... of one),
        ``narrow``, ``unknown`` or ``none``; with the condition and pattern that decide it.

        Conditions are AND-ed, so the narrowest decides; values are OR-ed, so the widest
        value decides a condition's reach.
        """
        issuer = self.issuer
        grammar = issuer.grammar if issuer else None
        effective = [c for c in self.subject_conditions() if restricts(c)]
        if not effective:
            if self.admits_every_subject:
                # Every namespace of a cluster, every group of an instance; or, when the
                # issuer's URL names the customer, every project of that one.
                return ("any-tenant" if grammar.tenant_field else "whole-tenant"), None, None
            return "none", None, None
        results = []
        for condition in effective:
            if condition.claim != "sub" or grammar is None:
                results.append(("narrow", condition, None))
                continue
            widest = ("narrow", condition, None)
            for pattern in patterns(condition):
                if _admits_nothing(issuer.kind, pattern):
                    continue  # OIDC115's finding: a value no subject matches widens nothing
                reach = _pattern_reach(pattern, grammar)
                if REACH_ORDER[reach] > REACH_ORDER[widest[0]]:
                    widest = (reach, condition, pattern)
            results.append(widest)
        return min(results, key=lambda r: REACH_ORDER[r[0]])


REACH_ORDER = {"narrow": 0, "unknown": 1, "within-tenant": 2, "whole-tenant": 3, "any-tenant": 4}
"""Conditions are AND-ed, so the narrowest decides, and an unknown one may be narrower than
any; values are OR-ed, so the widest decides, and what is known of it is a lower bound.
``within-tenant`` (every workspace of one HCP Terraform project, every project of one GitLab
subgroup) sits above ``unknown`` so that an unknown condition beside it keeps it silent."""


_SAMPLE_NAMES = ("x0", "x0/", "/x0")
"""Text tried for each unknown piece of a host to find its kind: a name, or a name with the
`/` that ``replace()`` may have taken with the piece (``oidclint.hcl.partial_text``)."""


def _kind_of(host: Partial) -> Issuer:
    """The issuer kind the known text of a host allows, for some text of its unknown pieces
    (the first of the catalog's order when several would)."""
    for name in _SAMPLE_NAMES:
        issuer = issuer_for("".join(name if isinstance(p, Unknown) else p for p in host.parts))
        if issuer.kind != "generic":
            return issuer
    return issuer


_DERIVED = re.compile(r"^(?:\w+\(\) of )+")
"""``replace() of `` and the like before the input a value was computed from."""


def _input_named(origin: str) -> str:
    """An input as a message names it; a placeholder as the text left to fill in. A value
    computed from it (`replace() of var.url`) is named by the input."""
    origin = _DERIVED.sub("", origin)
    if origin.startswith("placeholder "):
        return f"the placeholder `{origin.removeprefix('placeholder ')}`"
    return input_phrase(origin)


def _admits_nothing(kind: str, pattern: Pattern | None) -> bool:
    """No subject of the issuer can match the pattern (``iam.subjects.check``)."""
    if pattern is None or not pattern.glob:
        return False
    try:
        verdict = check_subject(kind, pattern)
    except TooComplex:
        return False
    return verdict is not None and not verdict.volatile


def _pattern_reach(pattern: Pattern | None, grammar) -> str:
    if pattern is None:
        return "unknown"
    shape = pattern.shape(grammar)
    if shape is None:
        return "narrow"  # another template or a malformed pattern: not a wildcard question
    if shape.admits_any_tenant:
        return "any-tenant"
    if not shape.one_tenant:
        return "unknown"
    scope = shape.open_scope
    if scope is not None:
        return "whole-tenant" if scope.parent is None else "within-tenant"
    return "unknown" if shape.tenant.state == "unknown" else "narrow"


@dataclass(slots=True)
class Link:
    """The roles a workload may assume. A role is named by its ARN or name, and the same
    name can be a role of each account: when the scan defines the name in several root
    modules or templates, or code the scan cannot read may define it (``unseen``), which
    role the workload reaches is not known, and only what holds for every candidate can be
    said of it."""

    workload: Workload
    roles: list[Role] = field(default_factory=list)
    """The roles of the scan it may assume."""
    unseen: list[Related] = field(default_factory=list)
    """Where a role of that name may be defined out of the scan's sight: a module call whose
    code is not read, a workload naming it in another account."""

    @property
    def certain(self) -> bool:
        """The roles are of one root module or template (one account, where the name is one
        role, whichever of them the code creates), and nothing unseen could be it."""
        return len({role.scope for role in self.roles}) == 1 and not self.unseen


class TrustGraph:
    def __init__(self, inventory: Inventory, repository: str | None = None,
                 immutable_repositories: frozenset[str] = frozenset(),
                 config: Config | None = None, platform: str | None = None) -> None:
        self.inventory = inventory
        self.config = config or Config()
        """The project configuration: trusted owners, roles known to exist elsewhere."""
        self.repository = repository
        """``owner/name`` of the scanned repository, for GitHub and GitLab subjects."""
        self.platform = platform
        """Where it is hosted (``github``, ``gitlab``): only that platform's jobs carry its
        name; ``None``: both."""
        self.immutable_repositories = immutable_repositories
        self._immutable_ids: dict[str, Ids | None] = {}
        """``immutable_subjects`` by repository: the trusts do not change once read."""
        """GitHub repositories configured as issuing ``owner@id/name@id`` subjects."""
        self.graph = nx.MultiDiGraph()
        self._trusts: list[Trust] = []
        self._links: dict[int, Link] = {}
        self._hosts: list[object] | None = None
        self._updated: dict[str, list[Role]] | None = None
        """The host of each provider of the inventory, in its order."""
        self._cloud_trusts: list[CloudTrust] | None = None
        self._google_bindings: list[Binding] | None = None
        self._narrowings: dict[int, Narrowing] = {}
        self.root: str | None = None
        """The folder the spans' paths start from, when the graph is a scan's: what a fix
        edits is read from there (``written``)."""
        self._lines: dict[str, list[str] | None] = {}
        self._build()

    def line(self, path: str, number: int) -> str | None:
        """Line ``number`` (1-based) of a scanned file as it is now, without its line feed;
        ``None`` when the graph has no scan root or the file cannot be read again. Fixes read
        what is written around the values they edit (quotes, indentation) from here."""
        if self.root is None:
            return None
        if path not in self._lines:
            try:
                data = read_bytes(os.path.join(self.root, path), root=Path(self.root))
                text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
            except (OSError, ValueError):
                self._lines[path] = None
            else:
                # Lines as the fix writer counts them: split on line feeds only.
                self._lines[path] = text.split("\n")
        lines = self._lines[path]
        return lines[number - 1] if lines is not None and 1 <= number <= len(lines) else None

    def written(self, span: Span | None) -> str | None:
        """The text a scanned file holds at a one-line span (quotes included): what a fix
        that edits it expects to find; ``None`` when it cannot be told."""
        if span is None or span.line != span.end_line or span.column < 1:
            return None
        line = self.line(span.path, span.line)
        if line is None or span.end_column - 1 > len(line):
            return None
        return line[span.column - 1:span.end_column - 1]

    # -- building --------------------------------------------------------------------------

    @staticmethod
    def node_id(kind: str, scope: str, address: str) -> str:
        return f"{kind}:{scope}:{address}"

    def _build(self) -> None:
        for provider in self.inventory.providers:
            self.graph.add_node(self.node_id("provider", provider.scope, provider.address),
                                kind="provider", obj=provider)
        for role in self.inventory.roles:
            role_id = self.node_id("role", role.scope, role.address)
            self.graph.add_node(role_id, kind="role", obj=role)
            for statement in role.trust.statements if role.trust else []:
                trust = self._link_statement(role, statement)
                self._trusts.append(trust)
                statement_id = f"{role_id}#{statement.index}"
                self.graph.add_node(statement_id, kind="statement", obj=trust)
                self.graph.add_edge(statement_id, role_id, key="member_of")
                for provider in trust.providers:
                    self.graph.add_edge(
                        statement_id,
                        self.node_id("provider", provider.scope, provider.address),
                        key="trusts",
                    )
        for cluster in self.inventory.clusters:
            self.graph.add_node(self.node_id("cluster", cluster.scope, cluster.address),
                                kind="cluster", obj=cluster)
        accounts = self._accounts_named()
        for index, workload in enumerate(self.inventory.workloads):
            workload_id = f"workload:{index}:{workload.name}"
            self.graph.add_node(workload_id, kind="workload", obj=workload)
            link = self._links[id(workload)] = self._link(workload, accounts)
            for role in link.roles:
                self.graph.add_edge(workload_id, self.node_id("role", role.scope, role.address),
                                    key="assumes")
            cluster = self.cluster_of(workload)
            if cluster is not None:
                self.graph.add_edge(workload_id,
                                    self.node_id("cluster", cluster.scope, cluster.address),
                                    key="runs_in")
        for pool in self.inventory.identity_pools:
            self.graph.add_node(self.node_id("identity_pool", pool.scope, pool.address),
                                kind="identity_pool", obj=pool)
        for attachment in self.inventory.pool_roles:
            pool_ref = getattr(attachment.pool, "ref", None)
            pool_id = self.node_id("identity_pool", attachment.scope, str(pool_ref))
            if not pool_ref or pool_id not in self.graph:
                continue
            for kind, arn in attachment.roles.items():
                for role in self.inventory.roles:
                    if self._names_role(arn, role, attachment.scope):
                        self.graph.add_edge(pool_id, self.node_id("role", role.scope, role.address),
                                            key="default_role", kind=kind)
        for policy in self.inventory.policies:
            policy_id = self.node_id("policy", policy.scope, policy.address)
            self.graph.add_node(policy_id, kind="policy", obj=policy)
            for role in self._roles_named(policy):
                self.graph.add_edge(policy_id, self.node_id("role", role.scope, role.address),
                                    key="grants")

    def _link_statement(self, role: Role, statement: Statement) -> Trust:
        principals = [parse_federated(v) for v in statement.federated]
        providers: list[OidcProvider] = []
        for principal in principals:
            for provider in self._providers_for(principal, role.scope):
                if provider not in providers:
                    providers.append(provider)
        return Trust(role, statement, principals, providers)

    def _providers_for(self, principal: FederatedPrincipal, scope: str) -> list[OidcProvider]:
        if principal.ref:
            same = [p for p in self.inventory.providers
                    if p.address == principal.ref and p.scope == scope]
            if same or principal.ref.startswith("data."):
                # A provider looked up (`data "aws_iam_openid_connect_provider"`) is one of
                # its own account: at most the one this root module defines for that host.
                return same or self._providers_by_host(principal, scope, anywhere=False)
        return self._providers_by_host(principal, scope, anywhere=True)

    def _providers_by_host(self, principal: FederatedPrincipal, scope: str, *,
                           anywhere: bool) -> list[OidcProvider]:
        """Providers whose issuer is the principal's known host: those of the same scope, or
        when it has none and ``anywhere``, of any. An unknown host matches none."""
        if not principal.host:
            return []
        if self._hosts is None:  # a provider's host is worked out from its URL each time
            self._hosts = [p.host for p in self.inventory.providers]
        by_host = [p for p, host in zip(self.inventory.providers, self._hosts)
                   if isinstance(host, str) and host == principal.host]
        local = [p for p in by_host if p.scope == scope]
        return local or (by_host if anywhere else [])

    def _roles_requested(self, value: object, scope: str = "") -> list[Role]:
        """Roles a workload's role value names: by reference (within the workload's root
        module, when it says which), by ARN or by name."""
        if value is None:
            return []
        ref = getattr(value, "ref", None)
        if ref:
            return [r for r in self.inventory.roles
                    if r.address == ref and (not scope or r.scope == scope)]
        name = role_name_in(value)
        if not name:
            return []
        # A role named one of several names (a conditional on an input) is the one this
        # name reaches whenever the code gives it that name; given another, the workload
        # reaches no role of this code. A role `count` may not create is linked alike.
        return [r for r in self.inventory.roles
                if any(isinstance(n, str) and n == name for n in alternatives(r.name))]

    def _link(self, workload: Workload, accounts: dict[str, dict[str, Related]]) -> Link:
        if workload.cloud != "aws":
            return Link(workload)  # its trusts are ``cloud_trusts_for``
        value = workload.role
        link = Link(workload, self._roles_requested(value, workload.scope))
        name = role_name_in(value)
        if not name or getattr(value, "ref", None):
            return link
        account = account_in(value)
        for call in self.inventory.unread_calls:
            if call.span and any(_same_role(v, name, account) for v in call.values):
                link.unseen.append(Related(call.span, (
                    f"{call.address} ({call.source}), whose code the scan cannot read, is "
                    f"given the role name `{name}`")))
        # Workloads naming this name in more accounts than the scan has roles of it (in
        # distinct root modules or templates): some of those accounts' roles are not here.
        named = accounts.get(name, {})
        if len(named) > len({r.scope for r in link.roles}):
            for other, where in sorted(named.items()):
                if other != account:
                    link.unseen.append(Related(where.span, (
                        f"`{name}` in account {other}, which may be another role than the "
                        "one in the scan")))
        return link

    def _accounts_named(self) -> dict[str, dict[str, Related]]:
        """Role name -> the account ids workloads name it in (where first named)."""
        found: dict[str, dict[str, Related]] = {}
        for workload in self.inventory.workloads:
            name, account = role_name_in(workload.role), account_in(workload.role)
            if name and account:
                span = workload.role_span or workload.span
                found.setdefault(name, {}).setdefault(account, Related(span, workload.name))
        return found

    def _roles_named(self, policy: PermissionPolicy) -> list[Role]:
        roles = []
        for value in policy.roles:
            ref = getattr(value, "ref", None)
            for role in self.inventory.roles:
                if (ref and role.address == ref and role.scope == policy.scope) or (
                    not ref and isinstance(value, str) and isinstance(role.name, str)
                    and role.name == value
                ) or (
                    # A name partly known, written the same way: the expansions not known
                    # name where they come from (`$1 in ops/setup.sh`), so the same text is
                    # the same role of one run of the script.
                    isinstance(value, Partial) and isinstance(role.name, Partial)
                    and str(role.name) == str(value)
                ):
                    roles.append(role)
        # `aws iam update-assume-role-policy` changes the trust of a role that exists: one
        # the scan defines under that name keeps its permissions under the new trust.
        return roles + [updated for role in roles if isinstance(role.name, str)
                        and not _trust_updated(role)
                        for updated in self._updated_trusts().get(str(role.name), [])]

    def _updated_trusts(self) -> dict[str, list[Role]]:
        """Roles whose trust a script sets with ``aws iam update-assume-role-policy``, by
        their known name."""
        if self._updated is None:
            self._updated = {}
            for role in self.inventory.roles:
                if isinstance(role.name, str) and not isinstance(role.name, Partial) \
                        and _trust_updated(role):
                    self._updated.setdefault(str(role.name), []).append(role)
        return self._updated

    # -- queries ---------------------------------------------------------------------------

    @property
    def providers(self) -> list[OidcProvider]:
        return list(self.inventory.providers)

    @property
    def roles(self) -> list[Role]:
        return list(self.inventory.roles)

    def trusts(self) -> Iterator[Trust]:
        """Every statement of every trust policy."""
        return iter(self._trusts)

    def web_identity_trusts(self, *, allowing: bool = True) -> Iterator[Trust]:
        """Statements that trust a web identity provider (and allow, by default)."""
        for trust in self._trusts:
            if trust.web_identity and (trust.statement.allows or not allowing):
                yield trust

    def shared_issuer_trusts(self) -> Iterator[Trust]:
        """Allowing statements for an issuer anyone can get tokens from (GitHub, gitlab.com,
        HCP Terraform ...) whose condition keys are all known."""
        for trust in self.web_identity_trusts():
            issuer = trust.issuer
            if issuer is not None and issuer.requires_subject and not trust.has_unknown_keys:
                yield trust

    def grants(self, role: Role) -> list[PermissionPolicy]:
        """Permission policies attached to a role, by any route."""
        role_id = self.node_id("role", role.scope, role.address)
        if role_id not in self.graph:
            return []
        return [self.graph.nodes[src]["obj"] for src, _, key in self.graph.in_edges(role_id, keys=True)
                if key == "grants"]

    def managed_documents(self, policy: PermissionPolicy) -> list[PermissionPolicy]:
        """The customer managed policy an attachment's ARN refers to, when in the scan: by
        reference, or (a script's) by the name its ARN ends with."""
        ref = getattr(policy.managed_arn, "ref", None)
        if not ref:
            tail = _arn_tail(policy.managed_arn)
            if not isinstance(tail, str) or ":policy/" not in f":{tail}" \
                    or ":iam::aws:policy/" in tail:
                return []
            name = tail.rpartition("/")[2]
            return [p for p in self.inventory.policies
                    if p.created_name == name and p.scope == policy.scope and p.document]
        return [p for p in self.inventory.policies
                if p.address == ref and p.scope == policy.scope and p.document]

    def privilege(self, role: Role) -> Privilege | None:
        """What makes the role privileged: administrator permissions, or an escalation path
        (``oidclint.iam.privilege``), with the policies that grant it; None when the
        policies in the scan prove neither."""
        sources: list[tuple[str, list[Statement]]] = []
        customer_managed = False
        for policy in self.grants(role):
            tail = _arn_tail(policy.managed_arn)
            documents = self.managed_documents(policy)
            if isinstance(tail, str) and ":iam::aws:policy/" in tail:
                name = tail.rsplit("/", 1)[-1]
                if name in MANAGED_POLICIES:
                    sources.append((f"the AWS managed policy {name}", MANAGED_POLICIES[name]))
            elif documents or isinstance(tail, str) and ":policy/" in tail:
                customer_managed = True
            for source in [policy, *documents]:
                if source.document and source.document.statements:
                    sources.append((f"its policy {source.address}", source.document.statements))
        return privilege(sources, customer_managed, _own_resource(role))

    def is_administrator(self, role: Role) -> bool:
        """The role holds administrator permissions (`*` on `*`)."""
        found = self.privilege(role)
        return found is not None and found.administrator

    @property
    def cloud_trusts(self) -> list[CloudTrust]:
        """The trusts of Google Cloud and Azure the scan defines (``iam.federation``)."""
        if self._cloud_trusts is None:
            self._cloud_trusts = []
            self._cloud_trusts += google_trusts(self.inventory)
            self._cloud_trusts += azure_trusts(self.inventory)
        return self._cloud_trusts

    @property
    def google_bindings(self) -> list[Binding]:
        """Google Cloud's pool providers, each with each grant to its pool
        (``iam.google_trusts``): what the Google-only rules read."""
        if self._google_bindings is None:
            self._google_bindings = bindings(self.inventory)
        return self._google_bindings

    def cloud_reach(self, trust: CloudTrust) -> Reach:
        """How far a trust outside AWS reaches (``iam.federation.reach``), asked for the
        owners its restriction names and the scanned repository's owner."""
        owners = restriction_words(trust)
        if self.repository:
            owners.append(self.repository.split("/", 1)[0])
        return reach(trust, owners)

    def cloud_refusals(self, workload: Workload) -> list[Refusal]:
        """Why the trusts outside AWS a workload is set to use refuse it
        (``iam.federation.refusals``)."""
        return refusals(workload, self.tokens(workload), self.cloud_trusts_for(workload))

    def cloud_trusts_for(self, workload: Workload) -> list[CloudTrust]:
        """The trusts outside AWS a workload is set to use."""
        if workload.cloud == "aws":
            return []
        return [t for t in self.cloud_trusts if t.cloud == workload.cloud
                and t.uses(workload) is True]

    @property
    def workloads(self) -> list[Workload]:
        return list(self.inventory.workloads)

    def assumed_roles(self, workload: Workload) -> list[Role]:
        """The roles in the scan that a workload may ask for (see ``link``)."""
        return list(self.link(workload).roles)

    def link(self, workload: Workload) -> Link:
        """The roles a workload may assume, and what the scan cannot see that may be it."""
        return self._links.get(id(workload)) or Link(workload)

    def trusts_of_role(self, role: Role) -> list[Trust]:
        return [t for t in self._trusts if t.role is role]

    def trusts_for(self, workload: Workload, role: Role) -> list[Trust]:
        """The allowing web identity statements of a role that could admit the workload's
        token: those trusting an issuer of the workload's kind."""
        return [t for t in self.trusts_of_role(role)
                if t.statement.allows and t.web_identity
                and (issuer_fits(workload, t.issuer) or t.issuer_unknown)]

    def defined_elsewhere(self, workload: Workload) -> bool:
        """The role a workload names is known to exist outside the scanned code: the
        configuration's ``known-roles``, or a role of a module call whose code is not read."""
        name = role_name_in(workload.role)
        if not name:
            return False
        known = [*self.config.known_roles, *self.inventory.roles_elsewhere]
        return any(fnmatchcase(str(workload.role), glob) or fnmatchcase(name, glob)
                   for glob in known)

    def tokens(self, workload: Workload) -> list[Token]:
        """The tokens a workload presents, in the subject form the scan declares for the
        repository (``subject_template``)."""
        repository = self.repository_of(workload)
        return tokens_for(workload, repository, self.subject_template(),
                          self.immutable_subjects(repository))

    def repository_of(self, workload: Workload) -> str | None:
        """The repository a workload's subjects name: the scanned one, unless it is hosted
        on another platform than the one that runs the workload (a ``.gitlab-ci.yml`` in a
        repository cloned from GitHub runs in a GitLab project whose path is not known)."""
        platform = PLATFORMS.get(workload.kind)
        if self.platform is not None and platform is not None and platform != self.platform:
            return None
        return self.repository

    def linked_workloads(self, role: Role) -> list[Workload]:
        """The workloads certainly linked to the role (``links``)."""
        return [workload for workload, linked in self.links() if linked is role]

    def narrowing(self, role: Role) -> Narrowing:
        """The narrowest conditions that admit every way the workloads linked to the role
        run (``iam.narrowing``), for the issuer of the role's statements that trust them."""
        if id(role) not in self._narrowings:
            workloads = self.linked_workloads(role)
            runs = [Run(w, token) for w in workloads for token in self.tokens(w)]
            issuers = [t.issuer for w in workloads for t in self.trusts_for(w, role)
                       if t.issuer is not None]
            found = narrowest(runs, issuers[0] if issuers else None)
            # Workloads that may assume it too, which the proposal would then refuse.
            maybe = [w.name for w in self.inventory.workloads if not self.link(w).certain
                     and any(r is role for r in self.link(w).roles)]
            maybe += [w.name for w in self.unresolved_links()]
            if maybe:
                found.notes.append("not included, as the scan cannot tell whether they assume "
                                   "the role: " + ", ".join(maybe))
            self._narrowings[id(role)] = found
        return self._narrowings[id(role)]

    @property
    def subject_templates(self) -> list[SubjectTemplate]:
        """The GitHub subject claim templates the scan declares."""
        return list(self.inventory.subject_templates)

    def subject_template(self) -> tuple[str, ...] | Unknown | None:
        """The ``include_claim_keys`` of the scanned repository's GitHub subject, when the
        scan declares them (Terraform's GitHub provider); ``None`` for the default form;
        ``Unknown`` when what is declared leaves it open: an organisation's template the
        repository may have opted in to outside the scan, a repository named by a value
        not known, keys not known.
        https://docs.github.com/en/actions/reference/security/oidc#customizing-the-subject-claims-for-an-organization-or-repository
        """
        declared = self.inventory.subject_templates
        if not declared or not self.repository:
            return None
        owner, _, name = self.repository.partition("/")
        organisation = [t for t in declared if t.repository is None]
        own = [t for t in declared if t.repository is not None
               and (not isinstance(t.repository, str)
                    or t.repository.casefold() in (name.casefold(), self.repository.casefold()))]
        if not own:
            # An organisation's template reaches a repository only once it opts in.
            return CUSTOM_TEMPLATE_UNKNOWN if organisation else None
        settings = {_template_keys(t, organisation) for t in own}
        if len(settings) != 1 or any(not isinstance(t.repository, str) for t in own):
            return CUSTOM_TEMPLATE_UNKNOWN
        return settings.pop()

    def unresolved_links(self) -> list[Workload]:
        """Workloads whose role cannot be known statically (a secret, a CI variable)."""
        return [w for w in self.inventory.workloads
                if w.kind != "eksctl" and w.cloud == "aws"
                and isinstance(w.role, (Unknown, Partial))
                and not getattr(w.role, "ref", None) and not self.assumed_roles(w)]

    def immutable_subjects(self, repository: str | None) -> Ids | None:
        """The ids with which the GitHub repository issues immutable ``owner@id/name@id``
        subjects, or None when it issues the old form. It issues them when it is declared so
        (``--immutable-subjects``), or when a trust of the scan names it in that form: the
        ids are a statement about this repository (docs/facts.md, section 5). The ids are
        those the trusts name, when they all name the same; else not known."""
        if not repository:
            return None
        if repository not in self._immutable_ids:
            self._immutable_ids[repository] = self._immutable_ids_of(repository)
        return self._immutable_ids[repository]

    def _immutable_ids_of(self, repository: str) -> Ids | None:
        owner, _, name = repository.lower().partition("/")
        form = re.compile(rf"repo:{re.escape(owner)}@(\d+)/{re.escape(name)}@(\d+):")
        named = {(match[1], match[2])
                 for trust in self.web_identity_trusts()
                 for condition in trust.conditions_on("sub")
                 for value in condition.values if isinstance(value, str)
                 and not isinstance(value, Partial)
                 and (match := form.match(str(value).lower()))}
        if not named and repository not in self.immutable_repositories:
            return None
        return next(iter(named)) if len(named) == 1 else (None, None)

    def also_pod_identity(self, workload: Workload) -> bool:
        """Whether the workload's ServiceAccount may have an EKS Pod Identity association too:
        its pods then hold two sets of credentials, and which one the SDK takes first is not
        stated by AWS (docs/facts.md, EKS add-ons and EKS Pod Identity), so the workload is
        not judged as web identity."""
        subjects = [c.subject for c in workload.contexts]
        for association in self.inventory.pod_identities:
            for subject in subjects:
                if not isinstance(subject, str) or not str(subject).startswith(
                        SERVICE_ACCOUNT_PREFIX):
                    continue
                known = not isinstance(subject, Partial) \
                    and not isinstance(association.subject, (Partial, Unknown))
                if known and str(subject) == str(association.subject) \
                        or not known and association.scope == workload.scope:
                    return True
        return False

    def links(self) -> Iterator[tuple[Workload, Role]]:
        """Every workload with each role it assumes, when the link is certain (``Link``)."""
        for workload in self.inventory.workloads:
            if self.also_pod_identity(workload):
                continue
            link = self.link(workload)
            if link.certain:
                for role in link.roles:
                    yield workload, role

    def candidate_links(self) -> Iterator[tuple[Workload, list[Role]]]:
        """Every workload with the roles of the scan it may assume, when it can assume no
        other: each role of a certain link on its own, or the roles of several root modules
        or templates together (the workload reaches one of them, which is not known)."""
        for workload in self.inventory.workloads:
            if self.also_pod_identity(workload):
                continue
            link = self.link(workload)
            if link.certain:
                for role in link.roles:
                    yield workload, [role]
            elif link.roles and not link.unseen:
                yield workload, list(link.roles)

    def _cluster(self, address: str | None, path: str) -> Cluster | None:
        """The cluster an address names from a file: the one in the same folder or template
        when several folders use the same address (one root module per cluster)."""
        if not address:
            return None
        named = [c for c in self.inventory.clusters if c.address == address]
        folder = path.rpartition("/")[0] or "."
        local = [c for c in named if c.scope in (folder, path)]
        found = local or named
        return found[0] if len(found) == 1 else None

    def cluster_of(self, workload: Workload) -> Cluster | None:
        """The EKS cluster a ServiceAccount runs in, when the code says so."""
        return self._cluster(workload.cluster, workload.span.path)

    def identity_pools(self, trust: Trust) -> list[IdentityPool] | None:
        """The Cognito identity pools whose tokens a trust's ``aud`` admits, when the scan
        holds every one: the pools it names by reference (``aws_cognito_identity_pool.x.id``,
        ``!Ref Pool``) and, for pool ids written as text, the pools the role is a default
        role of (their roles attachment). ``None`` when it may admit a pool the scan does not
        hold: no ``aud`` restriction, an id not known, a wildcard, an id written as text for a
        role no attachment names."""
        narrowest: list[IdentityPool] | None = None
        for condition in trust.conditions_on("aud"):
            if not restricts(condition):
                continue
            glob = any(p is not None and p.has_wildcard for p in patterns(condition))
            pools = None if glob else self._pools_named(condition.values, trust.role)
            if pools is not None and (narrowest is None or len(pools) < len(narrowest)):
                narrowest = pools  # conditions are AND-ed: the narrowest decides
        return narrowest

    def _pools_named(self, values: list, role: Role) -> list[IdentityPool] | None:
        found: list[IdentityPool] = []
        for value in values:
            ref = getattr(value, "ref", None)
            if ref:
                pools = [p for p in self.inventory.identity_pools
                         if p.address == ref and p.scope == role.scope]
            elif isinstance(value, str):
                pools = self.pools_of_role(role)
            else:
                return None
            if not pools:
                return None
            found += [p for p in pools if not any(p is f for f in found)]
        return found

    def pools_of_role(self, role: Role) -> list[IdentityPool] | None:
        """The identity pools whose roles attachment names the role (as its authenticated or
        unauthenticated role); ``None`` when one of those attachments names a pool the scan
        does not hold."""
        found: list[IdentityPool] = []
        for attachment in self.inventory.pool_roles:
            if not any(self._names_role(arn, role, attachment.scope)
                       for arn in attachment.roles.values()):
                continue
            ref = getattr(attachment.pool, "ref", None)
            pools = [p for p in self.inventory.identity_pools
                     if ref and p.address == ref and p.scope == attachment.scope]
            if not pools:
                return None
            found += [p for p in pools if not any(p is f for f in found)]
        return found

    @staticmethod
    def _names_role(value: object, role: Role, scope: str) -> bool:
        ref = getattr(value, "ref", None)
        if ref:
            return ref == role.address and scope == role.scope
        name = role_name_in(value)
        return bool(name) and isinstance(role.name, str) and role.name == name

    def cluster_of_provider(self, provider: OidcProvider) -> Cluster | None:
        """The EKS cluster whose issuer the provider was built from, when the code says so."""
        path = provider.span.path if provider.span else ""
        return self._cluster(getattr(provider.url, "ref", None), path)


def account_in(value: object) -> str | None:
    """The account id of an ARN, when it is written out (``arn:aws:iam::123456789012:...``)."""
    text = value.known_prefix if isinstance(value, Partial) else value if isinstance(value, str) else None
    if not text:
        return None
    match = _ARN_ACCOUNT.match(str(text))
    return match[1] if match else None


_ARN_ACCOUNT = re.compile(r"arn:[\w-]+:iam::(\d{12}):")


def _same_role(value: object, name: str, account: str | None) -> bool:
    """``value`` names the role ``name`` (of ``account``, when both say the account)."""
    other = account_in(value)
    return role_name_in(value) == name and (account is None or other is None or other == account)


def role_name_in(value: object) -> str | None:
    """The role name in an ARN (``arn:aws:iam::<account>:role/<path>/<name>``) or a bare name."""
    text = value.known_suffix if isinstance(value, Partial) else value if isinstance(value, str) else None
    if not text:
        return None
    text = str(text)
    if ":role/" in text:
        return text.rsplit("/", 1)[-1] or None
    if text.startswith("arn:") or isinstance(value, Partial) or "/" in text or ":" in text:
        return None
    return text


def _template_keys(template: SubjectTemplate,
                   organisation: list[SubjectTemplate]) -> tuple[str, ...] | Unknown | None:
    """What a repository's template makes its subject: ``use_default = true`` the default,
    ``false`` its own keys, else the organisation's template (which, not in the scan, is
    not known)."""
    if template.use_default is True:
        return None
    if template.use_default is not False:
        return CUSTOM_TEMPLATE_UNKNOWN
    if template.claim_keys is None:
        if len(organisation) != 1:
            return CUSTOM_TEMPLATE_UNKNOWN
        template = organisation[0]
    keys = template.claim_keys
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        return CUSTOM_TEMPLATE_UNKNOWN
    return tuple(str(k) for k in keys)


def _trust_updated(role: Role) -> bool:
    """The role's trust is one a script sets on an existing role
    (``oidclint.readers.policies.iam_cli``)."""
    return any(o.label.startswith("aws iam update-assume-role-policy") for o in role.origins)


def _own_resource(role: Role) -> str | None:
    """The role's resource name in its ARN, ``role/<path><name>``, when both are known."""
    name, path = role.name, role.iam_path
    if not isinstance(name, str) or not isinstance(path, str) or not path.startswith("/") \
            or not path.endswith("/"):
        return None
    return f"role{path}{name}"


def _arn_tail(arn: object) -> object:
    """A managed policy ARN, or the known end of one partly known: CDK and SAM write
    `arn:${AWS::Partition}:iam::aws:policy/...`, and a script the account from a command."""
    return arn.parts[-1] if isinstance(arn, Partial) else arn
