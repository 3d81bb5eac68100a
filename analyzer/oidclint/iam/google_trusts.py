"""Google Cloud's trusts, in the one shape of ``iam.federation``: what the Terraform reader
found of pools, providers, service accounts and grants, put together.

A token of an external issuer becomes a principal of Google Cloud in two steps: a pool
provider exchanges it (its issuer and audiences, then its attribute condition over the
mapped attributes), and a grant lets the pool's member it is in act: impersonate a service
account (``roles/iam.workloadIdentityUser`` or ``roles/iam.serviceAccountTokenCreator`` on
it) or use a resource directly (docs/facts.md, "Google Cloud workload identity
federation"). So a trust is one provider with one grant to a member of the provider's pool;
a provider granted nothing the scan sees is a trust too, to what its pool is granted
elsewhere. A GKE ServiceAccount (``serviceAccount:<project>.svc.id.goog[<ns>/<name>]``)
granted a service account is a trust of the project's GKE pool, which has no provider.
https://cloud.google.com/iam/docs/workload-identity-federation
https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from oidclint.iam.catalog import issuer_for
from oidclint.iam.federation import CloudTrust
from oidclint.iam.google_cel import (
    Claims, Expression, condition_admits, map_attributes, parse,
)
from oidclint.iam.google_members import (
    KubernetesMember, PoolMember, kubernetes_member, member_admits, pool_member, same_text,
)
from oidclint.iam.holes import fullmatch
from oidclint.iam.subjects import SERVICE_ACCOUNT_PREFIX
from oidclint.model import (
    GoogleGrant, GooglePool, GooglePoolProvider, Inventory, Related, Workload,
)
from oidclint.source import Partial, Span, Text, Unknown, concat, render

IMPERSONATION_ROLES = frozenset({"roles/iam.workloadIdentityUser",
                                 "roles/iam.serviceAccountTokenCreator"})
"""The roles on a service account that let a pool's identity act as it (docs/facts.md)."""
KUBERNETES_KINDS = frozenset({"kubernetes"})
_POOL_PATH = re.compile(r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/"
                        r"workloadIdentityPools/(?P<pool>[^/]+)")
_PROVIDER_PATH = re.compile(_POOL_PATH.pattern + r"/providers/(?P<provider>[^/]+)")
_ACCOUNT_PATH = re.compile(r"projects/[^/]+/serviceAccounts/(?P<email>.+)")


@dataclass(frozen=True, slots=True)
class Binding:
    """One member of a provider's pool granted a role: ``grant`` and ``member`` are None for
    a provider granted nothing the scan sees."""

    provider: GooglePoolProvider
    pool: GooglePool | None
    grant: GoogleGrant | None = None
    member: PoolMember | None = None
    text: Text | None = None
    """The member as written."""
    span: Span | None = None
    """Where the member is written."""
    unread: bool = False
    """For a provider granted nothing the scan reads: whether a grant of its scope has
    members that are not known (an input's list), which may name the pool."""


def bindings(inventory: Inventory) -> list[Binding]:
    """Each OIDC provider of the inventory with each grant to a member of its pool (a pool
    named by its resource, or by its id in the member's text)."""
    found: list[Binding] = []
    for provider in inventory.google_providers:
        if provider.issuer_uri is None or provider.disabled:
            continue  # not an OIDC provider; a disabled one exchanges no token
        pool = _pool_of(provider, inventory.google_pools)
        granted = unread = False
        for grant in inventory.google_grants:
            if not _lets_in(grant):
                continue
            unread = unread or (_unread_members(grant) and grant.scope == provider.scope)
            for text, span in _members(grant):
                member = pool_member(text)
                if member is not None \
                        and _same_pool(member.pool, provider, pool, grant.scope) is True:
                    found.append(Binding(provider, pool, grant, member, text, span))
                    granted = True
        if not granted:
            found.append(Binding(provider, pool, unread=unread))
    return found


def google_trusts(inventory: Inventory) -> list[CloudTrust]:
    """Every trust of Google Cloud the inventory defines."""
    trusts = [binding_trust(binding, inventory) for binding in bindings(inventory)]
    for grant in inventory.google_grants:
        if grant.service_account is None or not _lets_in(grant):
            continue
        for member, span in _members(grant):
            found = kubernetes_member(member)
            if found is not None:
                trusts.append(_gke_trust(grant, found, member, span, inventory))
    return trusts


def _lets_in(grant: GoogleGrant) -> bool:
    """Whether the grant lets its members act: any role on a resource, an impersonation role
    on a service account; a role not known may be one."""
    if grant.service_account is None:
        return True
    return not isinstance(grant.role, str) or isinstance(grant.role, Partial) \
        or str(grant.role) in IMPERSONATION_ROLES


_OTHER_MEMBERS = ("principal", "user:", "serviceAccount:", "group:", "domain:")
"""Known starts of members: a pool's (read as such), or a kind that is no pool's identity."""


def _unread_members(grant: GoogleGrant) -> bool:
    """Whether some member of the grant is not known (the whole list, or an element whose
    known start does not say what kind of member it is)."""
    return isinstance(grant.members, Unknown) or any(
        isinstance(member, Unknown) or (isinstance(member, Partial)
                                        and not member.known_prefix.startswith(_OTHER_MEMBERS))
        for member in grant.members)


def _members(grant: GoogleGrant) -> list[tuple[Text, Span | None]]:
    if isinstance(grant.members, Unknown):
        return []
    spans = list(grant.member_spans) + [None] * len(grant.members)
    return [(member, spans[index] or grant.span) for index, member in enumerate(grant.members)]


def _pool_of(provider: GooglePoolProvider, pools: list[GooglePool]) -> GooglePool | None:
    """The pool resource the provider is in: same root module, same pool id; or, for an id
    known only in part (`"gitlab-pool-${random_id.x.hex}"`), the one pool whose id is that
    same written value, which the provider reads from it
    (`google_iam_workload_identity_pool.x.workload_identity_pool_id`)."""
    same = [pool for pool in pools if pool.scope == provider.scope]
    known = next((pool for pool in same if _known(pool.pool_id) and _known(provider.pool_id)
                  and str(pool.pool_id) == str(provider.pool_id)), None)
    if known is not None or not isinstance(provider.pool_id, Partial):
        return known
    written = [pool for pool in same if isinstance(pool.pool_id, Partial)
               and pool.pool_id.span is not None
               and pool.pool_id == provider.pool_id]  # equal Partials: the same place too
    return written[0] if len(written) == 1 else None


def _known(text: Any) -> bool:
    return isinstance(text, str) and not isinstance(text, Partial)


def _same_pool(pool: Text, provider: GooglePoolProvider, resource: GooglePool | None,
               scope: str) -> bool | None:
    """Whether a member's pool (``projects/<n>/locations/<l>/workloadIdentityPools/<id>``,
    or a pool resource's ``name``) is the provider's pool. A reference to a pool resource,
    written in ``scope``, names the one of that root module: addresses repeat from one root
    module to the next."""
    if isinstance(pool, Unknown):
        if pool.ref is None:
            return None
        return resource is not None and pool.ref == resource.address \
            and scope == resource.scope
    path = fullmatch(_POOL_PATH, pool)
    if path is None:
        return None
    verdict = same_text(path["pool"], provider.pool_id)
    if verdict is not True:
        return verdict
    project = provider.project
    if _known(project) and str(project).isdigit() and _known(path["project"]):
        return str(project) == str(path["project"])
    return True


# --- one trust --------------------------------------------------------------------------

def _both(first: bool | None, second: bool | None) -> bool | None:
    if first is False or second is False:
        return False
    return None if first is None or second is None else True


def _admits(provider: GooglePoolProvider, member: PoolMember | None, granted: bool,
            unread: bool = False) -> Callable[[Mapping[str, Any]], bool | None]:
    """The provider's exchange, then the member: whether a token with these claims is let
    in. Issuer and audience are the trust's own fields, not asked here. For a provider
    granted nothing in the scan (``granted`` false) the member is not known: its condition
    decides alone only when there is none, the case Google requires one for on a shared
    issuer (docs/facts.md, GC13); a condition that admits is then not the last word. When a
    grant's members are not known (``unread``: a list from an input, which may name only
    some of the pool's identities), a token the provider lets in is not known to get
    anything either."""
    mapping = provider.attribute_mapping
    condition = provider.attribute_condition

    def admits(claims: Mapping[str, Any]) -> bool | None:
        if isinstance(mapping, Unknown) or isinstance(condition, Unknown):
            return None
        assertion = Claims(claims, closed=False)
        mapped = map_attributes(mapping or {}, assertion)
        if "google.subject" in mapped.errors:
            return False  # no principal for the token: the exchange fails
        verdict: bool | None = True
        if condition is not None:
            verdict = condition_admits(condition, assertion, mapped).verdict
            if verdict is False:
                return False
        if not granted:
            return verdict if condition is None and not unread else _both(verdict, None)
        return _both(verdict, member_admits(member, mapped) if member is not None else True)
    return admits


def _default_audiences(provider: GooglePoolProvider) -> tuple[Text, ...]:
    """Google's audiences for a provider that lists none: its full resource name, with or
    without ``https:``, named by project number (not known from a project id)."""
    number: Text = provider.project if _known(provider.project) and str(
        provider.project).isdigit() else Unknown(f"the project number of {provider.address}")
    name = concat(("iam.googleapis.com/projects/", number,
                   "/locations/global/workloadIdentityPools/", provider.pool_id,
                   "/providers/", provider.provider_id))
    return (concat(("//", name)), concat(("https://", name)))


def _account_email(grant: GoogleGrant, inventory: Inventory) -> Text | None:
    """The email of the service account a grant is on: the ``google_service_account`` its
    ``service_account_id`` refers to, or what the text names."""
    account = grant.service_account
    if account is None:
        return None
    ref = getattr(account, "ref", None)
    if ref is not None:
        for known in inventory.google_service_accounts:
            if known.address == ref and known.scope == grant.scope:
                return known.email
    if isinstance(account, Unknown):
        return account
    path = fullmatch(_ACCOUNT_PATH, account)
    return path["email"] if path is not None else account


def _names_account(grant: GoogleGrant, email: Text | None, named: Text,
                   scope: str) -> bool | None:
    """Whether a service account named by a workload (an email, or a reference to a
    ``google_service_account``) is the one the grant is on."""
    ref = getattr(named, "ref", None)
    if ref is not None and ref == getattr(grant.service_account, "ref", None):
        return True if scope == grant.scope else None
    return same_text(email if email is not None else grant.service_account, named)


def _uses_account(grant: GoogleGrant | None, email: Text | None,
                  workload: Workload) -> bool | None:
    """Whether the workload acts through this grant: as the service account it is on, or
    directly (no service account) on the resource."""
    if grant is None:
        return None  # what the pool is granted is not in the scan
    if grant.service_account is None:
        return workload.role is None
    if workload.role is None:
        return False
    return _names_account(grant, email, workload.role, workload.scope)


def _required_subject(condition: Text | None) -> Text | None:
    """The ``sub`` a condition requires when one of its top-level ``&&`` terms is
    ``assertion.sub == '<text>'`` (CEL's ``==`` is exact: ``*`` in it is a character)."""
    if condition is None or isinstance(condition, Unknown):
        return None
    expression = parse(condition)
    if not isinstance(expression, Expression):
        return None
    stack = [expression.root]
    while stack:
        node = stack.pop()
        if node.kind == "binary" and node.value == "&&":
            stack.extend(node.children)
        elif node.kind == "binary" and node.value == "==":
            sides = sorted(node.children, key=lambda n: n.kind != "literal")
            literal, other = sides
            if literal.kind == "literal" and isinstance(literal.value, (str, Partial)) \
                    and other.kind == "field" and other.value == "sub" \
                    and other.children[0].kind == "name" \
                    and other.children[0].value == "assertion":
                return literal.value
    return None


def _uses_provider(provider: GooglePoolProvider, workload: Workload) -> bool | None:
    target = workload.target
    if target is None:
        return False  # a GKE ServiceAccount, or a workload naming no provider
    path = fullmatch(_PROVIDER_PATH, target)
    if path is None:
        return None if isinstance(target, (Unknown, Partial)) else False
    verdict = _both(same_text(path["pool"], provider.pool_id),
                    same_text(path["provider"], provider.provider_id))
    project = provider.project
    if verdict is not False and _known(project) and str(project).isdigit():
        verdict = _both(verdict, same_text(path["project"], project))
    return verdict


def binding_trust(binding: Binding, inventory: Inventory) -> CloudTrust:
    """The trust one binding makes (as ``google_trusts`` lists it)."""
    provider, pool, grant, member = (binding.provider, binding.pool, binding.grant,
                                     binding.member)
    text, span = binding.text, binding.span
    email = _account_email(grant, inventory) if grant is not None else None
    if grant is None:
        # No grant of the scan names the pool readably: what its identities get is not
        # known, only that a token the provider admits becomes one.
        principal = f"an identity of pool {render(provider.pool_id)}"
    elif email is not None:
        principal = f"service account {render(email)}"
    else:
        principal = f"{render(grant.role)} on {grant.address}"
    related = []
    if grant is not None and span is not None:
        related.append(Related(span, f"{grant.address}: grants {render(grant.role)} to "
                                     f"{render(text)}"))
    if pool is not None and pool.span is not None:
        related.append(Related(pool.span, f"{pool.address}: the pool"))
    narrow = member is not None and member.kind != "pool"
    subject = _required_subject(provider.attribute_condition)
    mapping = provider.attribute_mapping
    if subject is None and member is not None and member.kind == "subject" \
            and isinstance(mapping, dict) \
            and str(mapping.get("google.subject", "")).replace(" ", "") == "assertion.sub":
        subject = member.value

    def uses(workload: Workload) -> bool | None:
        if workload.cloud != "google":
            return False
        return _both(_uses_provider(provider, workload), _uses_account(grant, email, workload))

    return CloudTrust(
        cloud="google", address=provider.address, principal=principal,
        span=provider.condition_span or provider.span or Span("", 1),
        issuer=provider.issuer_uri if provider.issuer_uri is not None else Unknown("issuer"),
        audiences=(provider.allowed_audiences if isinstance(provider.allowed_audiences, Unknown)
                   else tuple(provider.allowed_audiences) or _default_audiences(provider)),
        admits=_admits(provider, member, grant is not None, binding.unread),
        restriction=text if narrow else provider.attribute_condition,
        refused=_refused(provider),
        subject=subject, uses=uses, scope=provider.scope, related=related)


def _refused(provider: GooglePoolProvider) -> str | None:
    """Google's refusal to create a provider for GitHub's issuer with no attribute condition
    (docs/facts.md, GC13; which other issuers the check covers is not documented)."""
    issuer = provider.issuer_uri
    if provider.attribute_condition is not None or not isinstance(issuer, str) \
            or isinstance(issuer, Partial):
        return None
    if issuer_for(str(issuer).split("://", 1)[-1].rstrip("/")).kind != "github":
        return None
    return ("`Error 400: The attribute condition must reference one of the provider's "
            "claims`")


def _gke_trust(grant: GoogleGrant, member: KubernetesMember, text: Text, span: Span | None,
               inventory: Inventory) -> CloudTrust:
    """A GKE ServiceAccount let act as a service account: its token's ``sub`` is
    ``system:serviceaccount:<ns>:<name>``; the cluster (its issuer) is any of the project's."""
    email = _account_email(grant, inventory)
    subject = concat((SERVICE_ACCOUNT_PREFIX, member.namespace, ":", member.name))

    def admits(claims: Mapping[str, Any]) -> bool | None:
        return same_text(claims.get("sub"), subject) if "sub" in claims else None

    def uses(workload: Workload) -> bool | None:
        if workload.cloud != "google" or workload.kind not in KUBERNETES_KINDS \
                or workload.role is None:
            return False
        return _names_account(grant, email, workload.role, workload.scope)

    return CloudTrust(
        cloud="google", address=grant.address,
        principal=f"service account {render(email)}",
        span=span or grant.span or Span("", 1),
        issuer=Unknown(f"the issuer of a GKE cluster of project {render(member.project)}"),
        audiences=Unknown("the audience GKE's metadata server asks for"),
        admits=admits, restriction=text, subject=subject, uses=uses, scope=grant.scope,
        related=[Related(span or grant.span, f"{grant.address}: grants {render(grant.role)} "
                                              f"to {render(text)}")] if span or grant.span
        else [])


# --- tokens -----------------------------------------------------------------------------

def trusts_of(trusts: list[CloudTrust], provider: GooglePoolProvider) -> list[CloudTrust]:
    """The trusts built on one provider."""
    return [t for t in trusts if t.cloud == "google" and t.address == provider.address
            and t.scope == provider.scope]
