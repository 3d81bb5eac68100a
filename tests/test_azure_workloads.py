"""Workloads of Azure: azure/login steps of GitHub workflows, and ServiceAccounts annotated
for AKS workload identity."""

from __future__ import annotations

from pathlib import Path

from github_actions_helpers import parse
from oidclint.readers.workloads.kubernetes import parse_kubernetes
from oidclint.source import SourceFile, Unknown

AUD = "api://AzureADTokenExchange"

WORKFLOW = """\
on:
  push:
    branches: [main]
permissions:
  id-token: write
env:
  TENANT: 22222222-2222-2222-2222-222222222222
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: azure/login@v2
        with:
          client-id: 11111111-1111-1111-1111-111111111111
          tenant-id: ${{ env.TENANT }}
  custom:
    runs-on: ubuntu-latest
    steps:
      - uses: Azure/login@a65d910e8af852a8061c627c456678983e180302
        with:
          client-id: ${{ vars.AZURE_CLIENT_ID }}
          tenant-id: ${{ secrets.AZURE_TENANT_ID }}
          audience: api://custom
  secret:
    runs-on: ubuntu-latest
    steps:
      - uses: azure/login@v2
        with:
          creds: ${{ secrets.AZURE_CREDENTIALS }}
      - uses: azure/login@v2
        with:
          client-id: ${{ vars.ID }}
          auth-type: IDENTITY
      - uses: someone/login@v1
        with:
          client-id: x
  both:
    runs-on: ubuntu-latest
    steps:
      # `creds` is ignored when `client-id` is set: this is an OIDC login.
      - uses: azure/login@v2
        with:
          client-id: 44444444-4444-4444-4444-444444444444
          creds: ${{ secrets.AZURE_CREDENTIALS }}
"""


def test_azure_login_steps_that_use_the_oidc_token_are_workloads_of_azure():
    workloads = {w.name: w for w in parse({"deploy.yml": WORKFLOW}).workloads}
    assert sorted(workloads) == ["deploy.yml job both", "deploy.yml job custom",
                                 "deploy.yml job deploy"]
    deploy = workloads["deploy.yml job deploy"]
    assert (deploy.cloud, deploy.kind) == ("azure", "github-actions")
    assert deploy.role == "11111111-1111-1111-1111-111111111111"
    assert deploy.target == "22222222-2222-2222-2222-222222222222"  # from env
    assert deploy.audience == AUD and deploy.issuer == "token.actions.githubusercontent.com"
    assert [str(c.subject) for c in deploy.contexts] == ["environment:production"]
    assert deploy.id_token_permission is True
    custom = workloads["deploy.yml job custom"]
    assert isinstance(custom.role, Unknown) and custom.role.origin == "vars.AZURE_CLIENT_ID"
    assert isinstance(custom.target, Unknown)
    assert custom.audience == "api://custom"


def test_azure_login_with_a_malformed_with_is_noted():
    inventory = parse({"deploy.yml": """\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: azure/login@v2
        with: [client-id]
"""})
    assert not inventory.workloads
    assert any("`with` of azure/login is not a mapping" in d.message
               for d in inventory.diagnostics)


def test_annotated_service_accounts_are_workloads_of_azure():
    text = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: payments
  annotations:
    azure.workload.identity/client-id: 33333333-3333-3333-3333-333333333333
    azure.workload.identity/tenant-id: 22222222-2222-2222-2222-222222222222
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: both
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/both
    azure.workload.identity/client-id: "{{ .Values.clientId }}"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: plain
  annotations:
    azure.workload.identity/client-id: ""
"""
    inventory = parse_kubernetes(SourceFile("sa.yaml", Path("sa.yaml"), text))
    workloads = [(w.name, w.cloud, str(w.role)) for w in inventory.workloads]
    assert workloads == [
        ("ServiceAccount payments/api", "azure", "33333333-3333-3333-3333-333333333333"),
        ("ServiceAccount ${namespace chosen at apply time (metadata.namespace is not set)}/both",
         "aws", "arn:aws:iam::123456789012:role/both"),
        ("ServiceAccount ${namespace chosen at apply time (metadata.namespace is not set)}/both",
         "azure", "${Helm template {{ .Values.clientId }}}"),
    ]
    api = inventory.workloads[0]
    assert api.target == "22222222-2222-2222-2222-222222222222" and api.audience == AUD
    assert str(api.contexts[0].subject) == "system:serviceaccount:payments:api"


def test_explain_a_github_job_that_signs_in_to_azure_through_the_real_readers():
    from conftest import SAMPLES
    from oidclint.engine import build_graph
    from oidclint.explain import explain_workload

    stack = SAMPLES / "azure-github"
    graph, _, _ = build_graph([stack], root=stack, repository="acme/payments-api")
    deploy = next(w for w in graph.workloads if w.name == "deploy.yml job deploy")
    explained = explain_workload(graph, deploy)
    assert explained.refused
    assert "azuread_application_federated_identity_credential.main" in explained.text
    assert "sub=`repo:acme/payments-api:environment:production`" in explained.text
    nightly = next(w for w in graph.workloads if w.name == "nightly.yml job report")
    assert graph.cloud_trusts_for(nightly) == []  # its client id is a repository variable
