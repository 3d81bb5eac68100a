"""Trusts outside AWS IAM, in the one shape the rules that mean the same on every cloud read.

A trust is an issuer, the audiences it accepts, and a predicate over the token's claims that
grants a principal. On AWS it is a role's trust policy statement (``graph.Trust``, read with
IAM's condition semantics). Elsewhere it is a ``CloudTrust``:

- Google Cloud: a workload identity pool provider (issuer, allowed audiences, attribute
  mapping and condition) together with an IAM binding that grants a principal (a service
  account, a resource) to members of the pool (docs/facts.md, "Google Cloud workload
  identity federation");
- Azure: a federated identity credential (issuer, audiences, an exact subject or a claims
  matching expression) of a managed identity or an application (docs/facts.md, "Azure
  federated identity credentials").

Each cloud's reading of its resources builds ``CloudTrust`` objects, with ``admits`` the
cloud's own matching over the claims of one token (three-valued: ``None`` when the known
text does not decide). How wide a trust is, is asked of that predicate with tokens of names
nobody chose (``probe_claims``): a trust that admits a token of any owner admits every owner,
whatever its condition is written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from oidclint.iam.catalog import Issuer, issuer_for
from oidclint.iam.patterns import Pattern, may_intersect
from oidclint.model import Related, Workload
from oidclint.source import Partial, Span, Text, Unknown, render

CLOUD_TITLES = {"aws": "AWS", "google": "Google Cloud", "azure": "Azure"}
PROBE_TENANT = "oidclint-probe-owner"
PROBE_SCOPE = "oidclint-probe"
"""Names nobody chose: an owner, and a repository, project or ServiceAccount under one."""


def _never(workload: Workload) -> bool | None:
    return False


@dataclass(slots=True)
class CloudTrust:
    """One way a token of an issuer becomes a principal of Google Cloud or Azure."""

    cloud: str
    """``google`` or ``azure``."""
    address: str
    """The resource a finding is about: the pool provider, the federated credential."""
    principal: str
    """What the trust grants, as a person names it: ``service account deploy@p.iam...``,
    ``managed identity azurerm_user_assigned_identity.deploy``."""
    span: Span
    issuer: Text
    """The issuer URL as configured (scheme included), or not known."""
    audiences: tuple[Text, ...] | Unknown
    """The audiences it accepts, the cloud's default applied where none is written."""
    admits: Callable[[Mapping[str, Any]], bool | None]
    """Whether a token with these claims (``sub``, ``aud``, ``iss``, ``repository`` ...)
    gets the principal: True, False, or None when what is known does not decide. A claim
    missing from the mapping is one the caller does not know (an id, the actor), not one
    the token lacks: a predicate that depends on it answers None."""
    restriction: Any = None
    """The located value that says which tokens get in (the attribute condition, the
    member, the subject, the claims matching expression); None when nothing beyond the
    issuer and the audience does."""
    subject: Text | None = None
    """The ``sub`` the trust requires, when it requires one (an Azure credential's subject,
    a ``principal://.../subject/...`` member): ``subject_glob`` says whether ``*`` and
    ``?`` in it are wildcards."""
    subject_glob: bool = False
    uses: Callable[[Workload], bool | None] = _never
    """Whether a workload is set to use this trust (its provider name, service account or
    client id names it): True, False, or None when the workload's side is not known."""
    scope: str = ""
    related: list[Related] = field(default_factory=list)
    """The other resources that make up the trust (the binding, the pool, the identity)."""
    refused: str | None = None
    """Why the cloud refuses to create the trust as written, when it does: Google's
    ``Error 400`` for a GitHub provider with no attribute condition (docs/facts.md, GC13)."""

    @property
    def host(self) -> Text:
        """The issuer without its scheme, as the catalog of issuers knows hosts."""
        url = self.issuer
        if isinstance(url, str) and not isinstance(url, Partial):
            return url.split("://", 1)[-1].rstrip("/")
        if isinstance(url, Partial) and isinstance(url.parts[0], str) and "://" in url.parts[0]:
            first = url.parts[0].split("://", 1)[1]
            return Partial(((first,) if first else ()) + url.parts[1:], url.span)
        return url

    @property
    def kind(self) -> Issuer | None:
        """The issuer's kind, when its host is known."""
        host = self.host
        return issuer_for(str(host)) if isinstance(host, str) and not isinstance(
            host, Partial) else None


@dataclass(frozen=True, slots=True)
class Reach:
    """How far a trust reaches beyond what its owner names: ``any-tenant`` (a token of an
    owner nobody chose gets in), ``whole-tenant`` (every repository, project or
    ServiceAccount of ``tenant`` gets in), or ``None`` (neither, or not decided)."""

    kind: str | None
    tenant: str | None = None


def probe_claims(issuer: Issuer, tenant: str, scope: str, issuer_url: str,
                 audience: str | None) -> dict[str, Any] | None:
    """The claims of a token ``issuer`` gives to code of ``scope`` under ``tenant``, run on
    the default branch, as its documentation lists them; None for an issuer whose claims
    are not modelled here.
    https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims
    https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload
    https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/workload-identity-tokens
    https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/
    """
    claims: dict[str, Any] = {"iss": issuer_url}
    if audience is not None:
        claims["aud"] = audience
    if issuer.kind == "github":
        repository = f"{tenant}/{scope}"
        workflow = f"{repository}/.github/workflows/{PROBE_SCOPE}.yml@refs/heads/main"
        claims.update({
            "sub": f"repo:{repository}:ref:refs/heads/main",
            "repository": repository, "repository_owner": tenant,
            "ref": "refs/heads/main", "ref_type": "branch", "event_name": "push",
            "workflow": PROBE_SCOPE, "workflow_ref": workflow, "job_workflow_ref": workflow,
            "actor": PROBE_SCOPE, "repository_visibility": "public",
        })
        return claims
    if issuer.kind in ("gitlab.com", "gitlab-self-managed"):
        project = f"{tenant}/{scope}"
        claims.update({
            "sub": f"project_path:{project}:ref_type:branch:ref:main",
            "namespace_path": tenant, "project_path": project, "ref": "main",
            "ref_type": "branch", "ref_protected": "false", "pipeline_source": "push",
            "user_login": PROBE_SCOPE,
        })
        return claims
    if issuer.kind == "hcp-terraform":
        claims.update({
            "sub": f"organization:{tenant}:project:{scope}:workspace:{scope}:run_phase:apply",
            "terraform_organization_name": tenant, "terraform_project_name": scope,
            "terraform_workspace_name": scope, "terraform_run_phase": "apply",
        })
        return claims
    if issuer.service_accounts:
        claims["sub"] = f"system:serviceaccount:{tenant}:{scope}"
        return claims
    return None


def reach(trust: CloudTrust, tenants: Iterable[str] = ()) -> Reach:
    """How far the trust reaches, asked of its predicate with probe tokens: one of an
    owner nobody chose (``any-tenant``), then one of a repository nobody chose under each
    of ``tenants`` (the owners its restriction or its linked workloads name). The probes
    carry an audience the trust accepts, so only who they are decides."""
    issuer = trust.kind
    url = trust.issuer
    if issuer is None or not isinstance(url, str) or isinstance(url, Partial):
        return Reach(None)
    audiences = trust.audiences
    if isinstance(audiences, Unknown):
        return Reach(None)
    audience = next((str(a) for a in audiences if isinstance(a, str)
                     and not isinstance(a, Partial)), None)
    # Audiences known only in part (Google's default names the project number) leave the
    # probes without one: whoever runs the probe's job picks its audience, so a predicate
    # that does not read it still answers, and one that does stays undecided.
    claims = probe_claims(issuer, PROBE_TENANT, PROBE_SCOPE, str(url), audience)
    if claims is None:
        return Reach(None)
    if trust.admits(claims) is True:
        return Reach("any-tenant")
    for tenant in dict.fromkeys(tenants):
        claims = probe_claims(issuer, tenant, PROBE_SCOPE, str(url), audience)
        if claims is not None and trust.admits(claims) is True:
            return Reach("whole-tenant", tenant)
    return Reach(None)


AZURE_AUDIENCE = "api://AzureADTokenExchange"
"""What ``azure/login`` asks for unless its ``audience`` input says otherwise, and what a
federated identity credential accepts by default (docs/facts.md, AZ3)."""
GOOGLE_AUDIENCE_PREFIX = "https://iam.googleapis.com/"
"""``google-github-actions/auth`` asks for this followed by its ``workload_identity_provider``
unless its ``audience`` input says otherwise (docs/facts.md, GC5)."""
GITHUB_ISSUER_URL = "https://token.actions.githubusercontent.com"


def _known(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and not isinstance(value, Partial) else None


def token_issuer(workload: Workload) -> str | None:
    """The ``iss`` of the workload's tokens, as the token carries it; None when not known."""
    issuer = _known(workload.issuer)
    if issuer is not None:
        return issuer if "://" in issuer else f"https://{issuer}"
    return GITHUB_ISSUER_URL if workload.kind == "github-actions" else None


def token_audience(workload: Workload) -> str | None:
    """The ``aud`` a workload outside AWS asks for: its own setting, else its cloud's
    default; None when not known."""
    if workload.audience is not None:
        return _known(workload.audience)
    if workload.cloud == "azure":
        return AZURE_AUDIENCE
    if workload.cloud == "google" and workload.kind == "github-actions":
        target = _known(workload.target)
        return f"{GOOGLE_AUDIENCE_PREFIX}{target}" if target else None
    return None


def token_claims(workload: Workload, token: Any) -> dict[str, Any] | None:
    """The claims of one of the workload's tokens (``iam.claims.Token``) as
    ``CloudTrust.admits`` reads them; None when its subject is not one known text (a run on
    any branch, an input)."""
    subject = token.subject
    if subject is None or not subject.known or subject.glob:
        return None
    claims: dict[str, Any] = {k: v for k, v in token.claims.items() if _known(v) is not None}
    claims["sub"] = subject.text
    repository = claims.get("repository")
    if workload.kind == "github-actions" and repository and "/" in repository:
        claims.setdefault("repository_owner", repository.split("/", 1)[0])
    if token.context.event is not None:
        claims.setdefault("event_name", token.context.event)
    for name, value in (("iss", token_issuer(workload)), ("aud", token_audience(workload))):
        if value is not None:
            claims[name] = value
    return claims


def restriction_words(trust: CloudTrust) -> list[str]:
    """The names written in the trust's restriction (owners, repositories, groups), as
    candidates for the owner it pins: ``reach`` asks whether it admits every repository
    of each."""
    text = str(trust.restriction) if trust.restriction is not None else ""
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the trusts a workload is set to use refuse it, first reason first: ``issuer``
    (none trusts its issuer), ``audience`` (none of those accepts its audience), or
    ``subject`` (none of those admits the token of ``token``'s context)."""

    reason: str
    trusts: tuple[CloudTrust, ...]
    token: Any = None
    value: str | None = None
    """The issuer or the audience the workload presents."""

    @property
    def answer(self) -> str:
        """What the cloud answers, as far as its documentation says (docs/facts.md, AZ2
        and GC6)."""
        if self.trusts[0].cloud == "azure":
            return ("Entra ID answers `AADSTS70021: No matching federated identity record "
                    "found for presented assertion`")
        # Which of the two it is depends on whether the provider's condition or the
        # binding's member turns it away (GC6, GC12).
        return ("Google refuses it: the token exchange fails (`The given credential is "
                "rejected by the attribute condition`) or impersonating the service account "
                "does (`Permission 'iam.serviceAccounts.getAccessToken' denied`)")

    @property
    def principals(self) -> str:
        return ", ".join(sorted({t.principal for t in self.trusts}))


def _partial_issuer(workload: Workload) -> Partial | None:
    """The ``iss`` of the workload's tokens when known only in part (an AKS cluster's,
    ``https://<region>.oic.prod-aks.azure.com/<tenant>/<id>/``)."""
    issuer = workload.issuer
    if not isinstance(issuer, Partial):
        return None
    first = issuer.parts[0]
    return issuer if isinstance(first, str) and "://" in first else \
        Partial(("https://",) + issuer.parts, issuer.span, issuer.ref)


def _enterprise_issuer(url: str) -> bool:
    """GitHub's issuer for one enterprise (``token.actions.githubusercontent.com/<slug>``):
    an enterprise may have its jobs' tokens carry it (docs/facts.md, section 1), which the
    workflow file does not say."""
    return url.startswith(GITHUB_ISSUER_URL + "/") and url.rstrip("/") != GITHUB_ISSUER_URL


def _same_issuer(trust: CloudTrust, issuer: Text, assumed: bool = False) -> bool | None:
    """Azure compares issuers exactly, trailing slash included (AZ3); Google does not say,
    so a difference in the trailing slash alone decides nothing there. An issuer known in
    part (an AKS cluster's) is told apart on Azure by its known text: a credential's issuer
    without the cluster issuer's final ``/`` never matches it."""
    url = _known(trust.issuer)
    if isinstance(issuer, Partial):
        if trust.cloud != "azure":
            return None
        if isinstance(trust.issuer, Partial) and trust.issuer.ref and \
                trust.issuer.ref == issuer.ref and str(trust.issuer) == str(issuer):
            return True  # the same cluster's issuer, as the same reference makes it
        if url is None:
            return None
        meets = may_intersect(Pattern.of(issuer, glob=False), Pattern.of(url, glob=False))
        return False if meets is False else None
    if url is None:
        return None
    if url == issuer:
        return True
    if assumed and _enterprise_issuer(url):
        return None  # the job's tokens may carry its enterprise's issuer
    if trust.cloud != "azure" and url.rstrip("/") == issuer.rstrip("/"):
        return None
    return False


def refusals(workload: Workload, tokens: list[Any], trusts: list[CloudTrust]) -> list[Refusal]:
    """Why ``trusts`` (those the workload is set to use) refuse the workload's tokens; an
    empty list when they admit them or what is known does not decide. Each token is judged
    by the trusts of its issuer and audience only: a credential for another issuer is no
    help, nor one for another audience."""
    if not trusts:
        return []
    issuer: Text | None = token_issuer(workload) or _partial_issuer(workload)
    assumed = workload.issuer is None  # GitHub's default issuer, not read from the code
    if issuer is not None:
        same = [(t, _same_issuer(t, issuer, assumed)) for t in trusts]
        if all(verdict is False for _, verdict in same):
            return [Refusal("issuer", tuple(trusts), value=render(issuer))]
        trusts = [t for t, verdict in same if verdict is not False]
    audience = token_audience(workload)
    if audience is not None:
        accepting = [t for t in trusts if isinstance(t.audiences, Unknown) or any(
            _known(a) in (None, audience) for a in t.audiences)]
        if not accepting:
            return [Refusal("audience", tuple(trusts), value=audience)]
        trusts = accepting
    found = []
    for token in tokens:
        claims = token_claims(workload, token)
        if claims is not None and all(t.admits(claims) is False for t in trusts):
            found.append(Refusal("subject", tuple(trusts), token, claims["sub"]))
    return found
