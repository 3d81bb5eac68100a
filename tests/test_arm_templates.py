"""ARM templates (hand-written or compiled from Bicep): user-assigned identities and their
federated identity credentials, nested, top-level or by symbolic parent, with the template
language read as far as it is known."""

from __future__ import annotations

import json
from pathlib import Path

from oidclint.iam.azure_trusts import azure_trusts
from oidclint.readers.arm.expressions import Template
from oidclint.readers.arm.reader import parse_arm
from oidclint.source import Partial, SourceFile, Str, Unknown

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities"


def read(template: dict, path: str = "azuredeploy.json"):
    text = json.dumps({"$schema": SCHEMA, **template}, indent=2)
    return parse_arm(SourceFile(path, Path(path), text))


def credential(name, subject="repo:acme/api:environment:production", **properties):
    return {"type": f"{IDENTITY}/federatedIdentityCredentials", "apiVersion": "2023-01-31",
            "name": name, "properties": {
                "issuer": "https://token.actions.githubusercontent.com", "subject": subject,
                "audiences": ["api://AzureADTokenExchange"], **properties}}


def test_expressions_read_parameters_variables_concat_and_format():
    template = Template({"name": {"type": "string", "defaultValue": "deploy"},
                         "repo": {"type": "string"}},
                        {"prefix": "[concat('repo:', 'acme')]"})
    assert template.value("[parameters('name')]") == "deploy"
    assert template.value("[format('{0}/{1}', parameters('Name'), 'gh')]") == "deploy/gh"
    assert template.value("[concat(variables('prefix'), '/api')]") == "repo:acme/api"
    assert template.value("[['literal]") == "['literal]"
    assert template.value("plain") == "plain"
    assert template.value("[format('it''s {0}', 'x')]") == "it's x"
    partly = template.value("[format('{0}/{1}', variables('prefix'), parameters('repo'))]")
    assert isinstance(partly, Partial) and partly.known_prefix == "repo:acme/"
    assert isinstance(template.value("[reference('x').clientId]"), Unknown)
    assert isinstance(template.value("[uniqueString(resourceGroup().id)]"), Unknown)
    assert isinstance(template.value("[parameters('name']"), Unknown)  # malformed


def test_a_variable_that_refers_to_itself_stops():
    template = Template({}, {"a": "[variables('a')]"})
    assert isinstance(template.value("[variables('a')]"), Unknown)


def test_nested_top_level_and_symbolic_credentials_name_their_identity():
    inventory = read({"resources": [
        {"type": IDENTITY, "apiVersion": "2023-01-31", "name": "[parameters('id')]",
         "resources": [{**credential("nested"), "type": "federatedIdentityCredentials"}]},
        credential("[format('{0}/{1}', parameters('id'), 'top')]"),
        credential("[concat(parameters('id'), '/concat')]"),
    ], "parameters": {"id": {"type": "string", "defaultValue": "deploy"}}})
    [principal] = inventory.azure_principals
    assert principal.address == f"{IDENTITY}/deploy"
    assert [c.address.rsplit("/", 1)[1] for c in inventory.federated_credentials] == \
        ["nested", "top", "concat"]
    assert {c.parent.ref for c in inventory.federated_credentials} == {principal.address}
    assert all(t.principal == f"managed identity {principal.address}"
               for t in azure_trusts(inventory))

    symbolic = read({"languageVersion": "2.0", "resources": {
        "identity": {"type": IDENTITY, "apiVersion": "2023-01-31", "name": "deploy"},
        "github": {**credential("github"), "parent": "identity"},
    }})
    [credential_read] = symbolic.federated_credentials
    assert credential_read.address == f"{IDENTITY}/deploy/federatedIdentityCredentials/github"
    assert credential_read.parent.ref == f"{IDENTITY}/deploy"


def test_unknown_names_still_link_when_written_alike():
    inventory = read({"parameters": {"id": {"type": "string"}}, "resources": [
        {"type": IDENTITY, "apiVersion": "2023-01-31", "name": "[parameters('id')]"},
        credential("[format('{0}/{1}', parameters('id'), 'gh')]",
                   subject="[concat('repo:acme/api:environment:', parameters('env'))]"),
    ]})
    [principal] = inventory.azure_principals
    [read_credential] = inventory.federated_credentials
    assert read_credential.parent.ref == principal.address
    assert isinstance(read_credential.subject, Partial)
    [trust] = azure_trusts(inventory)
    claims = {"iss": "https://token.actions.githubusercontent.com",
              "aud": "api://AzureADTokenExchange"}
    assert trust.admits({**claims, "sub": "repo:acme/api:environment:prod"}) is None
    assert trust.admits({**claims, "sub": "repo:acme/api:ref:refs/heads/main"}) is False


def test_the_preview_expression_property_and_aks_clusters():
    inventory = read({"resources": [
        {"type": IDENTITY, "apiVersion": "2023-01-31", "name": "deploy"},
        {**credential("deploy/flex", subject=None),
         "properties": {"issuer": "https://token.actions.githubusercontent.com",
                        "claimsMatchingExpression": {"value": "claims['sub'] matches 'x*'",
                                                     "languageVersion": 1}}},
        {"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-02-01",
         "name": "aks", "properties": {"oidcIssuerProfile": {"enabled": True}}},
        {"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-02-01",
         "name": "plain", "properties": {}},
    ]})
    [flex] = inventory.federated_credentials
    assert flex.subject is None and flex.claims_matching_expression == "claims['sub'] matches 'x*'"
    assert flex.audiences == []  # Entra's default applies
    [cluster] = inventory.clusters
    assert str(cluster.issuer).endswith("/")


def test_other_json_is_not_a_template_and_bad_json_is_reported():
    assert parse_arm(SourceFile("package.json", Path("package.json"), '{"name": "x"}')) is None
    broken = parse_arm(SourceFile("t.json", Path("t.json"),
                                  '{"$schema": "' + SCHEMA + '", "resources": [}'))
    assert broken is not None and "JSON syntax error: line 1" in broken.diagnostics[0].message
    odd = read({"resources": "nothing"})
    assert "`resources` is not a list or a mapping; not read" in odd.diagnostics[0].message
    assert isinstance(Str("x"), str)


def test_deep_or_repeated_expressions_stay_bounded():
    deep = "[" + "concat(" * 5000 + "'x'" + ")" * 5000 + "]"
    assert isinstance(Template({}, {}).value(deep), Unknown)
    # Each variable doubles the one before: evaluated once each, the text stays bounded.
    variables = {"v0": "x"}
    variables.update({f"v{i}": f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]"
                      for i in range(1, 15)})
    value = Template({}, variables).value("[variables('v14')]")
    assert value == "x" * 2 ** 14
    looping = read({"variables": {"a": "[variables('b')]", "b": "[variables('a')]"},
                    "resources": [{"type": IDENTITY, "apiVersion": "2023-01-31",
                                   "name": "[variables('a')]"}]})
    [principal] = looping.azure_principals
    assert "nested too deeply" in principal.address


def test_an_aks_issuer_referenced_in_the_template_keeps_its_trailing_slash():
    cluster = {"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-02-01",
               "name": "[parameters('cluster')]",
               "properties": {"oidcIssuerProfile": {"enabled": True}}}
    issuer = ("[reference(resourceId('Microsoft.ContainerService/managedClusters', "
              "parameters('cluster')), '2024-02-01').oidcIssuerProfile.issuerURL]")
    inventory = read({"parameters": {"cluster": {"type": "string", "defaultValue": "aks"}},
                      "resources": [cluster, credential("deploy/aks", issuer=issuer),
                                    credential("deploy/other", issuer="[reference('x').y]")]})
    aks, other = inventory.federated_credentials
    assert isinstance(aks.issuer, Partial) and str(aks.issuer).endswith("/")
    assert aks.issuer.ref == "Microsoft.ContainerService/managedClusters/aks"
    assert isinstance(other.issuer, Unknown)

    symbolic = read({"languageVersion": "2.0", "resources": {
        "aks": {**cluster, "name": "aks"},
        "identity": {"type": IDENTITY, "apiVersion": "2023-01-31", "name": "deploy"},
        "cred": {**credential("aks", issuer="[reference('aks').oidcIssuerProfile.issuerURL]"),
                 "parent": "identity"},
    }})
    [read_credential] = symbolic.federated_credentials
    assert str(read_credential.issuer).startswith("https://") and \
        str(read_credential.issuer).endswith("/")
    [trust] = azure_trusts(symbolic)
    claims = {"sub": "repo:acme/api:environment:production", "aud": "api://AzureADTokenExchange"}
    assert trust.admits({**claims, "iss": "https://westeurope.oic.prod-aks.azure.com/a/b"}) \
        is False


def test_parents_that_come_back_to_themselves_name_nothing():
    """A symbolic `parent` chain that loops (a resource its own parent, two resources each
    the other's) is refused by Azure; it is read as an unknown parent, not followed forever."""
    for resources in (
        {"github": {**credential("github"), "parent": "github"}},
        {"a": {**credential("a"), "parent": "b"}, "b": {**credential("b"), "parent": "a"}},
    ):
        inventory = read({"languageVersion": "2.0", "resources": resources})
        # Each credential is read with a parent not known, or said not to be read.
        assert len(inventory.federated_credentials) + len(inventory.diagnostics) == \
            len(resources)
        for found in inventory.federated_credentials:
            assert isinstance(found.parent, Unknown)
        assert all("not read" in d.message for d in inventory.diagnostics)
