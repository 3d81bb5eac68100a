from __future__ import annotations

from oidclint.model import Level, Related
from oidclint.rule import Rule


class UnknownOidcProvider(Rule):
    """
    ## What it does
    Flags a `Federated` principal that is not a valid IAM OIDC provider ARN (a bare issuer
    host, an ARN with `https://` in it, a misspelt resource type, an account id that is not 12
    digits) or that refers to a provider the scanned code does not define (a Terraform
    reference to an undeclared `aws_iam_openid_connect_provider`, a CloudFormation `!Ref` to a
    missing logical id). Also flags an ARN whose issuer differs from a provider defined in the
    scan only by a trailing slash or letter case.

    ## Why it matters
    STS looks the token's issuer up among the account's IAM OIDC providers by exact URL. A
    principal that names no existing provider never matches: the workload gets
    `Not authorized to perform sts:AssumeRoleWithWebIdentity` or
    `No OpenIDConnect provider found in your account`.

    ## Example
    ```json
    "Principal": {"Federated": "token.actions.githubusercontent.com"}
    ```

    ## Fix
    Use the provider's ARN, `arn:aws:iam::<account>:oidc-provider/<issuer host>`, preferably
    by reference (`aws_iam_openid_connect_provider.github.arn`, `!Ref GitHubProvider`).

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
    """

    id = "OIDC103"
    name = "unknown-oidc-provider"
    level = Level.ERROR
    summary = "The Federated principal is malformed or names a provider the scanned code does not define"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            for principal in trust.principals:
                value = principal.value
                if principal.kind == "malformed" and str(value) != "*":
                    yield self.finding(
                        value,
                        f"The Federated principal is not a usable provider ARN: {principal.problem}. "
                        "STS finds no provider for it and denies every token.",
                        trust=trust,
                        fix="Name the provider as `arn:aws:iam::<account>:oidc-provider/<issuer host>`.",
                    )
                elif principal.kind == "undeclared":
                    yield self.finding(
                        value,
                        f"The Federated principal refers to `{principal.ref}`, which the scanned "
                        "code does not define; the role would trust a provider that does not exist.",
                        trust=trust,
                        fix=f"Define `{principal.ref}` or correct the reference.",
                    )
                elif principal.kind == "oidc" and principal.host and not trust.providers:
                    near = [p for p in graph.providers if isinstance(p.host, str)
                            and _near(str(p.host), principal.host)]
                    for provider in near[:1]:
                        yield self.finding(
                            value,
                            f"The Federated principal names issuer `{principal.host}`, but the "
                            f"provider defined as {provider.address} is `{provider.host}`: IAM "
                            "compares issuers exactly, so this principal matches no provider.",
                            trust=trust,
                            related=[Related(provider.span, f"provider {provider.address}")]
                            if provider.span else [],
                            fix=f"Use the provider's ARN (issuer `{provider.host}`), by reference.",
                        )


def _near(a: str, b: str) -> bool:
    return a != b and a.rstrip("/").lower() == b.rstrip("/").lower()
