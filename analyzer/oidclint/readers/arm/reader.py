"""ARM templates to the federated identity credentials of Azure and their identities.

A file is a template by its content: JSON whose ``$schema`` names a
``deploymentTemplate.json`` (what Bicep compiles to as well); any other JSON is not one
(``None``). Read: ``Microsoft.ManagedIdentity/userAssignedIdentities`` (a principal) and its
``federatedIdentityCredentials`` (``properties.issuer``, ``subject``, ``audiences``,
``claimsMatchingExpression.value``), written top-level (type
``.../userAssignedIdentities/federatedIdentityCredentials``, name ``<identity>/<credential>``)
or nested in the identity's ``resources``; ``resources`` as a list, or as an object of
symbolic names (language version 2.0), where ``parent`` names the identity. An AKS cluster
(``Microsoft.ContainerService/managedClusters``) with ``oidcIssuerProfile.enabled`` is a
cluster whose issuer ends in ``/``.
https://learn.microsoft.com/azure/templates/microsoft.managedidentity/userassignedidentities/federatedidentitycredentials
https://learn.microsoft.com/azure/azure-resource-manager/templates/child-resource-name-type
https://learn.microsoft.com/azure/templates/microsoft.containerservice/managedclusters
docs/facts.md, "Azure federated identity credentials".
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from oidclint.iam.azure_trusts import aks_issuer
from oidclint.limits import TooLarge
from oidclint.located.documents import LoadError, load_documents
from oidclint.model import AzurePrincipal, Cluster, Diagnostic, FederatedCredential, Inventory
from oidclint.readers.arm.expressions import Template
from oidclint.source import Partial, SourceFile, Span, Str, Unknown, span_of

IDENTITY = "microsoft.managedidentity/userassignedidentities"
CREDENTIAL = f"{IDENTITY}/federatedidentitycredentials"
CLUSTER = "microsoft.containerservice/managedclusters"
MAX_NESTING = 8
"""Child resources nested in ``resources`` are followed this deep."""

_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*deploymentTemplate\.json#?"', re.IGNORECASE)
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")


def is_template(text: str) -> bool:
    return bool(_SCHEMA.search(text))


def parse_arm(file: SourceFile) -> Inventory | None:
    """The credentials, identities and clusters of a template; ``None`` when the file is not
    an ARM template."""
    if not is_template(file.text):
        return None
    inventory = Inventory(files=[file.path])
    try:
        documents = load_documents(file.text, file.path, json_mode=True)
    except LoadError as exc:
        position = _SYNTAX_POSITION.match(str(exc))
        span = Span(file.path, int(position[1]), int(position[2])) if position else None
        inventory.diagnostics.append(Diagnostic(
            file.path, f"JSON syntax error: {exc}", span=span))
        return inventory
    document = documents[0] if documents else None
    if not isinstance(document, dict):
        return None
    template = Template(document.get("parameters"), document.get("variables"))
    try:
        _Reader(file.path, template, inventory).read(document.get("resources"))
    except TooLarge as exc:
        inventory.diagnostics.append(Diagnostic(file.path, f"{exc}; the template is not read"))
    return inventory


class _Reader:
    def __init__(self, path: str, template: Template, inventory: Inventory) -> None:
        self.path = path
        self.template = template
        self.inventory = inventory
        self.symbols: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {}
        """Symbolic name (language version 2.0) to the type and names of the resource."""
        template.properties = self._property

    def _property(self, target: tuple[Any, ...], path: list[str], span: Span | None) -> Any:
        """What a property of a resource of the template is before deployment: the issuer
        of an AKS cluster (``oidcIssuerProfile.issuerURL``); ``None`` for anything else."""
        if len(target) == 1 and str(target[0]) in self.symbols:
            kind, names = self.symbols[str(target[0])]
        elif len(target) >= 2:
            kind, names = tuple(str(target[0]).split("/")), tuple(target[1:])
        else:
            return None
        if "/".join(kind).lower() == CLUSTER and [p.lower() for p in path] == [
                "oidcissuerprofile", "issuerurl"]:
            return aks_issuer(_address(kind, names), span)
        return None

    def read(self, resources: Any) -> None:
        found = list(self._resources(resources, (), (), 0))
        for symbol, kind, names, resource in found:
            if symbol is not None:
                self.symbols[symbol] = (kind, names)
        for symbol, kind, names, resource in found:
            self._resource(kind, names, resource)

    def _resources(self, resources: Any, parent_type: tuple[str, ...],
                   parent_names: tuple[Any, ...], depth: int
                   ) -> Iterator[tuple[str | None, tuple[str, ...], tuple[Any, ...], dict]]:
        """(symbolic name, type segments, name segments, resource) of each resource, nested
        children with their parents' type and name before their own."""
        if isinstance(resources, dict) and not parent_type:
            items = [(str(k), v) for k, v in resources.items()]
        elif isinstance(resources, list):
            items = [(None, v) for v in resources]
        else:
            if resources is not None:
                self._note(span_of(resources), f"`resources` of {'/'.join(parent_type)} is not a "
                           "list; not read" if parent_type
                           else "`resources` is not a list or a mapping; not read")
            return
        for symbol, resource in items:
            if not isinstance(resource, dict):
                self._note(span_of(resource) or span_of(resources),
                           "a resource is not a mapping; not read")
                continue
            kind = resource.get("type")
            if not isinstance(kind, str):
                self._note(span_of(kind) or span_of(resource),
                           "`type` of a resource is not a string; not read")
                continue
            kind_parts = tuple(kind.split("/"))
            name = self.template.value(resource.get("name"))
            if "/".join(kind_parts).lower() in (IDENTITY, CREDENTIAL, CLUSTER) or parent_type:
                self._named(kind_parts, name, resource)
            names = _split_name(name)
            if parent_type:  # a nested child: its type and name are relative to the parent
                kind_parts = parent_type + kind_parts
                names = parent_names + names
            elif symbol is not None and isinstance(resource.get("parent"), str):
                parent = _symbol(resource["parent"])
                names = (Str(f"@{parent}"),) + names  # the parent's names, once read
            yield symbol, kind_parts, names, resource
            if depth < MAX_NESTING and "resources" in resource:
                yield from self._resources(resource["resources"], kind_parts, names, depth + 1)

    def _resource(self, kind: tuple[str, ...], names: tuple[Any, ...], resource: dict) -> None:
        type_text = "/".join(kind).lower()
        names = self._resolved(names)
        if type_text == IDENTITY and len(names) == 1:
            address = _address(kind, names)
            self.inventory.azure_principals.append(AzurePrincipal(
                address=address, kind="managed-identity",
                client_id=Unknown(f"{address} clientId", span_of(resource), address),
                span=span_of(resource), scope=self.path))
        elif type_text == CREDENTIAL and len(names) == 1 and isinstance(names[0], Unknown):
            # A name not known at all (`[parameters('name')]`): whose credential is not known.
            self._credential(kind, (Unknown(f"the identity of {names[0].origin}"), names[0]),
                             resource)
        elif type_text == CREDENTIAL and len(names) == 2:
            self._credential(kind, names, resource)
        elif type_text == CREDENTIAL:
            self._note(span_of(resource), f"the name of a {'/'.join(kind)} is not "
                       "`<identity>/<credential>`; not read")
        elif type_text == CLUSTER and len(names) == 1:
            self._cluster(kind, names, resource)

    def _resolved(self, names: tuple[Any, ...], seen: frozenset[str] = frozenset()
                  ) -> tuple[Any, ...]:
        """Names with a ``parent`` symbol replaced by the parent's name segments; a chain of
        parents that comes back to itself (which Azure refuses to deploy) names nothing."""
        if names and isinstance(names[0], str) and str(names[0]).startswith("@"):
            symbol = str(names[0])[1:]
            parent = self.symbols.get(symbol)
            if parent is None:
                return (Unknown(f"parent {symbol}"),) + names[1:]
            if symbol in seen:
                return (Unknown(f"parent {symbol} (its parents come back to it)"),) + names[1:]
            return self._resolved(parent[1], seen | {symbol}) + names[1:]
        return names

    def _credential(self, kind: tuple[str, ...], names: tuple[Any, ...],
                    resource: dict) -> None:
        properties = resource.get("properties")
        span = span_of(resource)
        if not isinstance(properties, dict):
            self._note(span_of(properties) or span,
                       f"{_address(kind, names)}: `properties` is not a mapping; not read")
            return
        values = self.template.value(properties)
        address = _address(kind, names)
        parent = _address(kind[:2], names[:1])
        for name in ("issuer", "subject"):
            if values.get(name) is not None and not isinstance(values[name], (str, Unknown)):
                self._note(span_of(properties.get(name)) or span,
                           f"{address}: `properties.{name}` is not a string; not read")
        issuer = _text(values.get("issuer"), f"{address} issuer", span)
        audiences = values.get("audiences")
        if isinstance(audiences, list):
            audiences = [a for a in audiences if isinstance(a, (str, Partial, Unknown))]
        elif audiences is None:
            audiences = []
        elif not isinstance(audiences, Unknown):
            self._note(span_of(properties.get("audiences")) or span,
                       f"{address}: `properties.audiences` is not a list; not read")
            audiences = Unknown(f"{address} audiences (not a list)", span)
        expression = values.get("claimsMatchingExpression")
        if isinstance(expression, dict):
            value = expression.get("value")
            expression = None if value is None else _text(
                value, f"{address} claimsMatchingExpression", span)
        elif expression is not None:
            expression = _text(expression, f"{address} claimsMatchingExpression", span)
        subject = values.get("subject")
        self.inventory.federated_credentials.append(FederatedCredential(
            address=address,
            parent=Str(parent, span, parent),
            parent_kind="managed-identity",
            issuer=issuer,
            subject=None if expression is not None and subject is None
            else _text(subject, f"{address} subject", span),
            audiences=audiences,
            claims_matching_expression=expression,
            span=span, issuer_span=span_of(properties.get("issuer")) or span,
            subject_span=span_of(properties.get("subject")) or span,
            audience_span=span_of(properties.get("audiences")) or span,
            scope=self.path))

    def _cluster(self, kind: tuple[str, ...], names: tuple[Any, ...], resource: dict) -> None:
        properties = self.template.value(resource.get("properties"))
        profile = properties.get("oidcIssuerProfile") if isinstance(properties, dict) else None
        enabled = profile.get("enabled") if isinstance(profile, dict) else None
        if enabled is not True and not isinstance(enabled, Unknown):
            return
        address = _address(kind, names)
        self.inventory.clusters.append(Cluster(
            address=address, name=names[0] if isinstance(names[0], (str, Partial)) else None,
            issuer=aks_issuer(address, span_of(resource)), span=span_of(resource),
            scope=self.path))

    def _note(self, span: Span | None, message: str) -> None:
        self.inventory.diagnostics.append(Diagnostic(self.path, message, span=span))

    def _named(self, kind: tuple[str, ...], value: Any, resource: dict) -> None:
        if value is not None and not isinstance(value, (str, Unknown)):
            self._note(span_of(value) or span_of(resource),
                       f"`name` of a {'/'.join(kind)} is not a string; not read")


def _split_name(name: Any) -> tuple[Any, ...]:
    """The segments of a resource name (``identity/credential``), each text or unknown."""
    if isinstance(name, str) and not isinstance(name, Partial):
        return tuple(Str(part, span_of(name)) for part in str(name).split("/"))
    if isinstance(name, Partial):
        segments: list[list[Any]] = [[]]
        for part in name.parts:
            if isinstance(part, str):
                pieces = part.split("/")
                segments[-1].append(pieces[0])
                segments.extend([piece] for piece in pieces[1:])
            else:
                segments[-1].append(part)
        return tuple(_joined(s, name.span) for s in segments)
    if isinstance(name, Unknown):
        return (name,)
    return (Unknown("a name not written"),)


def _joined(pieces: list[Any], span: Span | None) -> Any:
    pieces = [p for p in pieces if p != ""]
    if len(pieces) == 1:
        return pieces[0]
    if all(isinstance(p, str) for p in pieces):
        return Str("".join(pieces), span)
    return Partial(tuple(pieces), span)


def _address(kind: tuple[str, ...], names: tuple[Any, ...]) -> str:
    """``Microsoft.ManagedIdentity/userAssignedIdentities/<name>/federatedIdentityCredentials/
    <name>``: the resource id below the resource group, the names as far as known."""
    parts = [kind[0]]
    for segment, name in zip(kind[1:], names):
        parts += [segment, str(name)]
    return "/".join(parts)


def _symbol(text: str) -> str:
    return text.strip("[]").strip()


def _text(value: Any, what: str, span: Span | None) -> Any:
    if isinstance(value, (str, Partial, Unknown)) and not isinstance(value, bool):
        return value
    return Unknown(f"{what} (not set)" if value is None else f"{what} (not a string)", span)
