"""What AWS CDK leaves in the templates it synthesizes (``cdk.out/*.template.json``).

CDK names each resource by a logical id made of its construct path and a hash
(``GithubDeployRole3A8E5C42``) and records the construct path itself in the resource's
metadata: ``"Metadata": {"aws:cdk:path": "PaymentsDeploy/GithubDeployRole/Resource"}``. The
path is what the user wrote in their CDK code and what CDK's own tools (``cdk diff``,
``tree.json``, cdk-nag) show, so it is the resource's address in findings; the finding's
location still points at the logical id in the template.
https://docs.aws.amazon.com/cdk/v2/guide/identifiers.html#identifiers_paths
https://docs.aws.amazon.com/cdk/v2/guide/identifiers.html#identifiers_logical_ids

The two custom resources CDK uses for IAM federation:

- ``Custom::AWSCDKOpenIdConnectProvider``, made by aws-cdk-lib ``aws_iam.OpenIdConnectProvider``
  with the properties ``Url``, ``ClientIDList`` and ``ThumbprintList``; its ``Ref`` (the
  physical id the provider Lambda returns) is the provider ARN, and the construct's
  ``openIdConnectProviderIssuer`` is ``Fn::Select [1, Fn::Split [":oidc-provider/", Ref]]``.
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_iam.OpenIdConnectProvider.html
- ``Custom::AWSCDKCfnJson`` (aws-cdk-lib ``CfnJson``): its ``Value`` attribute is its ``Value``
  property parsed as JSON, how CDK writes condition blocks whose keys are computed.
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CfnJson.html
"""

from __future__ import annotations

from typing import Any

CDK_OIDC_PROVIDER = "Custom::AWSCDKOpenIdConnectProvider"
CDK_CFN_JSON = "Custom::AWSCDKCfnJson"
CDK_PATH = "aws:cdk:path"


def cdk_path(resource: Any) -> str | None:
    """The construct path CDK recorded for a resource, ``None`` for hand-written ones."""
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    path = metadata.get(CDK_PATH) if isinstance(metadata, dict) else None
    return str(path) if isinstance(path, str) and path.strip() else None


def resource_addresses(resources: dict[str, Any]) -> dict[str, str]:
    """Logical id to address: the CDK construct path where there is one, else the logical id.

    Two resources recorded with the same path, or a path that is another resource's logical
    id (a template edited by hand after synthesis), keep their logical ids, so an address
    always names one resource.
    """
    paths = {logical: cdk_path(resource) for logical, resource in resources.items()}
    taken: dict[str, int] = {}
    for path in paths.values():
        if path is not None:
            taken[path] = taken.get(path, 0) + 1
    return {logical: path if path is not None and taken[path] == 1 and path not in resources
            else logical for logical, path in paths.items()}
