"""``azure/login`` steps of GitHub workflows as workloads of Azure.

A step with ``client-id`` signs in with the job's OIDC token: Entra exchanges it for a token
of the application or managed identity ``client-id`` names, in the tenant of ``tenant-id``,
if one of its federated identity credentials matches. The token asks for ``audience``
(``api://AzureADTokenExchange`` by default). ``auth-type: IDENTITY`` signs in as the runner's
own managed identity, and ``creds`` alone with a client secret (``creds`` is ignored when
``client-id``, ``tenant-id`` or ``subscription-id`` is set); neither uses the OIDC token.
Inputs: https://github.com/Azure/login (``action.yml``, README); docs/facts.md, "Azure
federated identity credentials".

Values from ``vars`` and ``secrets`` stay unknown; ``env`` values written in the workflow
are resolved, as for configure-aws-credentials.
"""

from __future__ import annotations

import re
from typing import Callable

from oidclint.iam.azure_trusts import DEFAULT_AUDIENCE
from oidclint.model import Workload
from oidclint.source import Span, Str, Text, span_of

ACTION = re.compile(r"^azure/login(?:/[^@]*)?@\S+$", re.IGNORECASE)
"""``azure/login@<tag, branch or SHA>``."""
KIND = "github-actions"
ISSUER = "token.actions.githubusercontent.com"

ReadInput = Callable[[str], "Text | None"]
"""An input of the step by name, resolved in the step's scope; None when not given."""


def azure_login_step(read: ReadInput, name: str, span: Span) -> Workload | None:
    """The workload of one ``azure/login`` step; ``None`` when it does not use GitHub's OIDC
    token (the runner's managed identity, no client id: a secret in ``creds``)."""
    auth_type = read("auth-type")
    if isinstance(auth_type, str) and auth_type.strip().upper() == "IDENTITY":
        return None
    client_id = read("client-id")
    if client_id is None or client_id == "":
        return None
    return Workload(
        kind=KIND, name=name, span=span, cloud="azure",
        role=client_id, role_span=span_of(client_id),
        audience=read("audience") or Str(DEFAULT_AUDIENCE),
        issuer=Str(ISSUER), target=read("tenant-id"))
