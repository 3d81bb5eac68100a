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

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from oidclint.iam.catalog import Issuer, issuer_for
from oidclint.model import Related, Workload
from oidclint.source import Partial, Span, Text, Unknown

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
    gets the principal: True, False, or None when what is known does not decide."""
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
    audience = next((str(a) for a in audiences if isinstance(a, str)
                     and not isinstance(a, Partial)), None) \
        if not isinstance(audiences, Unknown) else None
    if audience is None:
        return Reach(None)
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
