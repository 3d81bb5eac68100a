"""Azure federated identity credentials as ``CloudTrust`` objects (``iam.federation``).

Entra exchanges a token for one of the credential's principal when its ``iss`` equals the
credential's ``issuer`` and its ``sub`` the ``subject``, exactly and case-sensitively, with no
wildcards (a trailing ``/`` of the issuer counts), and its ``aud`` is one of the
``audiences`` (``api://AzureADTokenExchange`` unless another is written). A flexible
credential tests the token with its claims matching expression instead of the subject
(``iam.azure_claims``). docs/facts.md, "Azure federated identity credentials":
https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials

A workload uses a credential when its client id (``Workload.role``) is its principal's: a
reference to the identity or application (Terraform), or the same GUID where both are
written. Client ids are GUIDs, compared without regard to case.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from oidclint.iam.azure_claims import SUPPORTED_CLAIMS, ClaimsExpression, ClaimTest, admits, parse
from oidclint.iam.federation import CloudTrust
from oidclint.iam.google_cel import NotUnderstood
from oidclint.iam.patterns import glob_matches
from oidclint.model import AzurePrincipal, FederatedCredential, Inventory, Related, Workload
from oidclint.source import Partial, Span, Text, Unknown, UnknownField

DEFAULT_AUDIENCE = "api://AzureADTokenExchange"
"""The audience Entra expects, and the one ``azure/login`` and AKS workload identity request
when none is set (docs/facts.md, "Azure federated identity credentials")."""

MAX_CREDENTIALS = 20
"""Federated identity credentials one application or user-assigned identity may hold
(docs/facts.md, "Azure federated identity credentials")."""

KINDS = {"managed-identity": "managed identity", "application": "application",
         "service-principal": "service principal"}


def aks_issuer(cluster: str, span: Span | None) -> Partial:
    """``https://<region>.oic.prod-aks.azure.com/<tenant id>/<id>/`` of an AKS cluster,
    known only once it exists, trailing ``/`` included
    (https://learn.microsoft.com/azure/aks/use-oidc-issuer); its ``ref`` is the cluster."""
    return Partial(("https://", UnknownField(f"region of {cluster}"), ".oic.prod-aks.azure.com/",
                    UnknownField(f"tenant id of {cluster}"), "/",
                    UnknownField(f"OIDC issuer id of {cluster}"), "/"), span, cluster)


def principal_of(credential: FederatedCredential,
                 principals: list[AzurePrincipal]) -> AzurePrincipal | None:
    """The identity or application a credential's parent reference names, in its scope."""
    ref = getattr(credential.parent, "ref", None)
    if not ref:
        return None
    named = [p for p in principals if p.address == ref]
    local = [p for p in named if p.scope == credential.scope]
    found = local or named
    return found[0] if len(found) == 1 else None


def credentials_by_principal(inventory: Inventory) -> dict[str, list[FederatedCredential]]:
    """The credentials of each principal (by scope and address, or by the parent as written
    when no principal of the scan is referenced), in the order read."""
    grouped: dict[str, list[FederatedCredential]] = {}
    for credential in inventory.federated_credentials:
        principal = principal_of(credential, inventory.azure_principals)
        if principal is not None:
            key = f"{principal.scope}\0{principal.address}"
        elif isinstance(credential.parent, str) and not isinstance(credential.parent, Partial):
            key = f"{credential.scope}\0{credential.parent}"
        else:
            continue  # which principal it belongs to is not known
        grouped.setdefault(key, []).append(credential)
    return grouped


def azure_trusts(inventory: Inventory) -> list[CloudTrust]:
    """One trust per federated identity credential of the scan."""
    return [_trust(credential, inventory.azure_principals)
            for credential in inventory.federated_credentials]


def _trust(credential: FederatedCredential, principals: list[AzurePrincipal]) -> CloudTrust:
    principal = principal_of(credential, principals)
    audiences: tuple[Text, ...] | Unknown = (
        credential.audiences if isinstance(credential.audiences, Unknown)
        else tuple(credential.audiences) or (DEFAULT_AUDIENCE,))
    related = []
    if principal is not None and principal.span is not None:
        related.append(Related(principal.span,
                               f"{KINDS[principal.kind]} {principal.address}"))
    expression = credential.claims_matching_expression
    return CloudTrust(
        cloud="azure", address=credential.address,
        principal=(f"{KINDS[principal.kind]} {principal.address}" if principal is not None
                   else f"{KINDS[credential.parent_kind]} {credential.parent}"),
        span=credential.span or credential.issuer_span or Span("", 1),
        issuer=credential.issuer, audiences=audiences,
        admits=_predicate(credential, audiences),
        restriction=expression if expression is not None else credential.subject,
        subject=credential.subject, subject_glob=False,
        uses=_user_test(principal, principals, credential),
        scope=credential.scope, related=related)


def _predicate(credential: FederatedCredential,
               audiences: tuple[Text, ...] | Unknown) -> Callable[[Mapping[str, Any]], bool | None]:
    """Entra's matching over one token's claims. A claim the caller does not give is not
    known (``None`` unless another test fails)."""
    tests = [ClaimTest("iss", "eq", credential.issuer, 0)]
    flexible: ClaimsExpression | NotUnderstood | None = None
    doubtful = False
    if credential.claims_matching_expression is not None:
        flexible = parse(credential.claims_matching_expression)
        if isinstance(flexible, ClaimsExpression):
            flexible, doubtful = _as_entra_reads(flexible, credential)
    else:
        tests.append(ClaimTest("sub", "eq", credential.subject or Unknown("subject"), 0))
    exact = ClaimsExpression("", tuple(tests))

    def admit(claims: Mapping[str, Any]) -> bool | None:
        verdicts = [admits(exact, claims, closed=False), _audience_admitted(audiences, claims)]
        if isinstance(flexible, ClaimsExpression):
            verdict = admits(flexible, claims, closed=False)
            verdicts.append(None if doubtful and verdict is True else verdict)
        elif flexible is not None:
            verdicts.append(None)  # an expression not understood decides nothing
        if False in verdicts:
            return False
        return None if None in verdicts else True
    return admit


def _as_entra_reads(expression: ClaimsExpression,
                    credential: FederatedCredential) -> tuple[ClaimsExpression, bool]:
    """The tests of an expression Entra reads, and whether what it makes of the expression
    is in doubt. For a claim it does not test for the issuer, or on a managed identity
    (OIDC119), Entra's behaviour is not documented: it may refuse every token or skip what
    it does not read. Either way a token failing the tests it reads is refused, and one
    passing them is not known to get in."""
    issuer = credential.issuer
    if not isinstance(issuer, str) or isinstance(issuer, Partial):
        return expression, credential.parent_kind != "application"
    allowed = next((claims for pattern, claims in SUPPORTED_CLAIMS
                    if glob_matches(pattern, str(issuer))), frozenset())
    read = tuple(test for test in expression.tests if test.claim in allowed)
    doubtful = credential.parent_kind != "application" or len(read) < len(expression.tests)
    return ClaimsExpression(expression.text, read), doubtful


def _audience_admitted(audiences: tuple[Text, ...] | Unknown,
                       claims: Mapping[str, Any]) -> bool | None:
    if "aud" not in claims:
        return None
    presented = claims["aud"]
    presented = list(presented) if isinstance(presented, (list, tuple)) else [presented]
    if isinstance(audiences, Unknown):
        return None
    verdicts = [admits(ClaimsExpression("", (ClaimTest("aud", "eq", audience, 0),)),
                       {"aud": value}) for audience in audiences for value in presented]
    if True in verdicts:
        return True
    return None if None in verdicts else False


def _user_test(principal: AzurePrincipal | None, principals: list[AzurePrincipal],
               credential: FederatedCredential) -> Callable[[Workload], bool | None]:
    """Whether a workload's client id names the credential's principal."""
    names = set()
    if principal is not None:
        names = {principal.address} | {
            p.address for p in principals
            if p.kind == "service-principal" and getattr(p.client_id, "ref", None)
            == principal.address and p.scope == principal.scope}
    known = {p.address for p in principals}

    def uses(workload: Workload) -> bool | None:
        if workload.cloud != "azure" or workload.role is None:
            return False
        client_id = workload.role
        ref = getattr(client_id, "ref", None)
        if ref and (not workload.scope or principal is None
                    or workload.scope == principal.scope):
            if ref in names:
                return True
            if ref in known:
                return False  # another identity or application of the scan
        if principal is None:
            return None
        return _same_guid(client_id, principal.client_id)
    return uses


def _same_guid(a: Any, b: Any) -> bool | None:
    if isinstance(a, str) and isinstance(b, str) and not isinstance(a, Partial) \
            and not isinstance(b, Partial):
        return str(a).strip().lower() == str(b).strip().lower()
    return None
