from __future__ import annotations

from oidclint.iam.azure_trusts import MAX_CREDENTIALS, credentials_by_principal, principal_of
from oidclint.model import Level, Related
from oidclint.rule import Rule


class TooManyFederatedCredentials(Rule):
    """
    ## What it does
    Counts the federated identity credentials of each Azure user-assigned managed identity and
    each Entra application (`azurerm_federated_identity_credential`,
    `azuread_application_federated_identity_credential`, its flexible form, and the ARM
    resource `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`),
    instances of `count` and `for_each` included, and flags an identity or application given
    more than 20. Credentials whose number is not known (a `for_each` over a variable without
    a default) count once.

    ## Why it matters
    Entra takes at most 20 federated identity credentials on one application or user-assigned
    managed identity. The deployment fails when it creates the 21st, often long after the
    pattern (one credential per repository, branch or environment) was set up.

    ## Example
    ```hcl
    resource "azurerm_federated_identity_credential" "repo" {
      for_each  = toset(local.repositories) # 25 repositories
      parent_id = azurerm_user_assigned_identity.deploy.id
      issuer    = "https://token.actions.githubusercontent.com"
      subject   = "repo:acme/${each.key}:environment:production"
      audience  = ["api://AzureADTokenExchange"]
    }
    ```

    ## Fix
    Split the workloads over several identities or applications, or, on an application, cover
    several subjects with one flexible credential (`claimsMatchingExpression`).

    ## References
    - https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
    - https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
    - https://learn.microsoft.com/azure/aks/workload-identity-overview
    """

    id = "OIDC118"
    name = "too-many-federated-credentials"
    level = Level.ERROR
    summary = "An Azure identity or application has more than 20 federated credentials"
    tags = ("correctness", "azure")

    def check(self, graph):
        inventory = graph.inventory
        for credentials in credentials_by_principal(inventory).values():
            if len(credentials) <= MAX_CREDENTIALS:
                continue
            first_over = credentials[MAX_CREDENTIALS]
            principal = principal_of(first_over, inventory.azure_principals)
            named = principal.address if principal is not None else str(first_over.parent)
            related = [Related(principal.span, f"{named}: the identity or application")] \
                if principal is not None and principal.span is not None else []
            over = len(credentials) - MAX_CREDENTIALS
            yield self.finding(
                first_over.span or first_over.issuer_span,
                f"{named} is given {len(credentials)} federated identity credentials; Entra "
                f"takes at most {MAX_CREDENTIALS}, so {over} of them cannot be created.",
                address=first_over.address, related=related,
                fix="Spread the credentials over several identities or applications, or cover "
                    "several subjects with one flexible credential on an application.")
