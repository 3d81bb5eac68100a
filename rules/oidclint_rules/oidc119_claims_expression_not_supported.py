from __future__ import annotations

from oidclint.iam.azure_claims import parse, unsupported
from oidclint.iam.google_cel import NotUnderstood
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Partial


class ClaimsExpressionNotSupported(Rule):
    """
    ## What it does
    Checks the claims matching expression of each flexible federated identity credential of
    Azure (`azuread_application_flexible_federated_identity_credential`, the ARM property
    `claimsMatchingExpression`) against what Entra reads, and flags:

    - an expression on a user-assigned managed identity: Entra takes flexible credentials on
      applications only;
    - an issuer Entra reads no flexible credential for (only GitHub Actions, GitLab and
      HCP Terraform), or a claim it does not test for that issuer (GitHub: `sub` and
      `job_workflow_ref`; GitLab and HCP Terraform: `sub`);
    - an expression outside language version 1, `claims['<name>'] eq|matches '<value>'`
      joined by ` and ` (single spaces, single quotes), which oidclint cannot read either.

    An issuer or expression not known statically is not checked.

    ## Why it matters
    Entra does not support such an expression, and does not document what it does with one:
    the credential is refused when it is written, or it does not match the tokens it was
    meant for, and the workload's sign-in fails with `AADSTS70021: No matching federated
    identity record found for presented assertion`, with nothing in the configuration to say
    why. oidclint itself takes such a credential to refuse the tokens that the tests Entra
    does read refuse, and to admit none for certain.

    ## Example
    ```hcl
    resource "azuread_application_flexible_federated_identity_credential" "ci" {
      application_id             = azuread_application.ci.id
      issuer                     = "https://token.actions.githubusercontent.com"
      claims_matching_expression = "claims['repository'] eq 'acme/api'"
      audience                   = "api://AzureADTokenExchange"
      display_name               = "ci"
    }
    ```

    ## Fix
    Test only the claims Entra supports for the issuer (`claims['sub'] matches
    'repo:acme/api:ref:refs/heads/*'`), put flexible credentials on an application rather than
    a managed identity, or use an exact `subject` per workload.

    ## References
    - https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials
    - https://learn.microsoft.com/entra/workload-id/workload-identities-set-up-flexible-federated-identity-credential
    """

    id = "OIDC119"
    name = "claims-expression-not-supported"
    level = Level.ERROR
    summary = "A flexible federated credential's expression is one Entra does not read"
    tags = ("correctness", "azure")

    def check(self, graph):
        for credential in graph.inventory.federated_credentials:
            text = credential.claims_matching_expression
            if text is None:
                continue
            where = text if getattr(text, "span", None) else credential.span
            if credential.parent_kind == "managed-identity":
                yield self.finding(
                    where, f"{credential.address} gives a user-assigned managed identity a "
                    "claims matching expression; Entra takes flexible credentials on "
                    "applications only.", address=credential.address,
                    fix="Use an exact `subject`, or move the credential to an application.")
                continue
            expression = parse(text)
            if isinstance(expression, NotUnderstood):
                if isinstance(text, (str, Partial)):
                    yield self.finding(
                        where, f"The claims matching expression of {credential.address} is "
                        f"not in Entra's language version 1: {expression}.",
                        address=credential.address,
                        fix="Write `claims['<claim>'] eq|matches '<value>'` tests joined by "
                            "` and `, with single spaces and single quotes.")
                continue
            issuer = credential.issuer
            if not isinstance(issuer, str) or isinstance(issuer, Partial):
                continue
            problems = unsupported(expression, str(issuer))
            if problems:
                yield self.finding(
                    where, f"The claims matching expression of {credential.address}: "
                    + "; ".join(problems) + ". Entra does not support it: do not rely on it "
                    "to admit the tokens it names.",
                    address=credential.address,
                    fix="Test `sub` (and, for GitHub, `job_workflow_ref`) only, or use an "
                        "exact `subject`.")
