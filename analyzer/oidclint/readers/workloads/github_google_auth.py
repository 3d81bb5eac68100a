"""GitHub Actions jobs that authenticate to Google Cloud with workload identity federation:
a step of ``google-github-actions/auth`` with ``workload_identity_provider``.

The step exchanges the job's GitHub token at the pool provider the input names
(``projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>``),
then impersonates ``service_account`` when one is given, else uses the federated token
directly on resources. The token's audience is ``audience``, by default
``https://iam.googleapis.com/`` followed by the provider's name; a step with
``credentials_json`` uses a service account key, not a token (docs/facts.md, "Google Cloud
workload identity federation", GC5).
https://github.com/google-github-actions/auth#inputs
"""

from __future__ import annotations

import re
from typing import Callable

from oidclint.model import Workload
from oidclint.source import Span, Str, Text, concat, span_of

ACTION = re.compile(r"^google-github-actions/auth(?:@\S+)$", re.IGNORECASE)
"""``google-github-actions/auth@<tag, branch or SHA>``."""
DEFAULT_AUDIENCE_PREFIX = "https://iam.googleapis.com/"
KIND = "github-actions"
ISSUER = "token.actions.githubusercontent.com"

ReadInput = Callable[[str], "Text | None"]
"""An input of the step by name, resolved in the step's scope; None when not given."""


def google_auth_step(read: ReadInput, name: str, span: Span) -> Workload | None:
    """The workload of one ``google-github-actions/auth`` step; ``None`` when it does not use
    the job's OIDC token (a key in ``credentials_json``, or no provider)."""
    if read("credentials_json") is not None:
        return None
    provider = read("workload_identity_provider")
    if provider is None or provider == "":
        return None
    account = read("service_account")
    audience = read("audience")
    if audience is None:
        audience = concat((DEFAULT_AUDIENCE_PREFIX, provider), span_of(provider))
    return Workload(
        kind=KIND, name=name, span=span, cloud="google",
        role=account if account != "" else None,
        role_span=span_of(account) if account is not None else span_of(provider),
        target=provider, audience=audience, issuer=Str(ISSUER))

