"""``azure/login`` steps of GitHub workflows as workloads of Azure.

A step with ``client-id`` signs in with the job's OIDC token: Entra exchanges
it for a token of the application or managed identity ``client-id`` names, in the tenant of
``tenant-id``, if one of its federated identity credentials matches. The token asks for
``audience`` (``api://AzureADTokenExchange`` by default). ``auth-type: IDENTITY`` signs in as
the runner's own managed identity, and ``creds`` alone with a client secret (``creds`` is
ignored when ``client-id``, ``tenant-id`` or ``subscription-id`` is set); neither uses the
OIDC token. Inputs: https://github.com/Azure/login (``action.yml``); docs/facts.md, "Azure
federated identity credentials".

Values from ``vars`` and ``secrets`` stay unknown; ``env`` values written in the workflow
are resolved, as for configure-aws-credentials.
"""

from __future__ import annotations

import re
from oidclint.iam.azure_trusts import DEFAULT_AUDIENCE
from oidclint.model import Workload
from oidclint.readers.workloads.github_expressions import Scope
from oidclint.readers.workloads.github_inputs import ISSUER, KIND, Note, text_input
from oidclint.source import Span, Str, span_of

AZURE_LOGIN = re.compile(r"^azure/login(?:/[^@]*)?@\S+$", re.IGNORECASE)
"""``azure/login@<tag, branch or SHA>``."""


def azure_login_step(inputs: dict, scope: Scope, note: Note, name: str,
                     span: Span) -> Workload | None:
    """The workload of one ``azure/login`` step; ``None`` when it does not use GitHub's OIDC
    token (the runner's managed identity, no client id: a secret in ``creds``)."""
    auth_type = scope.resolve(inputs.get("auth-type"))
    if isinstance(auth_type, str) and auth_type.strip().upper() == "IDENTITY":
        return None
    client_id = text_input(inputs, "client-id", scope, note)
    if client_id is None or client_id == "":
        return None
    return Workload(
        kind=KIND, name=name, span=span,
        role=client_id, role_span=span_of(inputs.get("client-id")),
        audience=text_input(inputs, "audience", scope, note) or Str(DEFAULT_AUDIENCE),
        issuer=Str(ISSUER), cloud="azure",
        target=text_input(inputs, "tenant-id", scope, note),
    )
