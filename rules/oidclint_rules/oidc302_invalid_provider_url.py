from __future__ import annotations

from urllib.parse import urlsplit

from oidclint.model import Level
from oidclint.rule import Rule


def url_problem(url: str) -> str | None:
    if not url.startswith("https://"):
        return "it does not start with `https://`"
    if url != url.strip() or any(c.isspace() for c in url):
        return "it contains white space"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced `[` or `]` (an IPv6 host gone wrong)
        return "it is not a valid URL"
    if parts.query or "?" in url:
        return "it has a query string"
    if parts.fragment or "#" in url:
        return "it has a fragment"
    if ":" in parts.netloc:
        return "it has a port"
    if url.endswith("/"):
        return "it ends with `/`, which the issuer's `iss` claim does not"
    return None


class InvalidProviderUrl(Rule):
    """
    ## What it does
    Flags an IAM OIDC provider URL that does not start with `https://`, or carries a trailing
    slash, a query string, a fragment or a port.

    ## Why it matters
    IAM accepts only `https://` URLs without query or port, and matches the token's `iss`
    claim exactly. A trailing slash that the issuer does not put in `iss` makes STS answer
    `No OpenIDConnect provider found in your account`, and the key prefix in every condition
    gains the slash too.

    ## Example
    ```hcl
    url = "https://token.actions.githubusercontent.com/"
    ```

    ## Fix
    Use the issuer exactly as it appears in the token's `iss` claim, e.g.
    `https://token.actions.githubusercontent.com`.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
    """

    id = "OIDC302"
    name = "invalid-provider-url"
    level = Level.ERROR
    summary = "Provider URL without https, or with a trailing slash, query or port"
    tags = ("correctness", "oidc")

    def check(self, graph):
        for provider in graph.providers:
            if not isinstance(provider.url, str):
                continue
            problem = url_problem(str(provider.url))
            if problem:
                yield self.finding(
                    provider.url,
                    f"Provider URL `{provider.url}` is not usable: {problem}. STS matches the "
                    "token's issuer exactly and finds no provider.",
                    address=provider.address,
                    fallback=[provider],
                    made_by=[provider],
                    fix="Write the issuer exactly as its tokens' `iss` claim: `https://<host>[/path]`.",
                )
