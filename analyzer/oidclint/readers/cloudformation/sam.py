"""AWS SAM templates: the execution roles SAM creates, written out as the roles they become.

A template with ``Transform: AWS::Serverless-2016-10-31`` is a SAM template. For an
``AWS::Serverless::Function`` without a ``Role`` property, SAM generates an ``AWS::IAM::Role``
with the logical id ``<function>Role``; the rest of the template may refer to it by that id.
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html

That role, as SAM builds it:

- trust: the function's ``AssumeRolePolicyDocument`` property, else ``lambda.amazonaws.com``
  allowed ``sts:AssumeRole``;
- ``Policies``: a string or list of AWS managed policy names or ARNs, IAM policy documents
  (a mapping with ``Statement``) and SAM policy templates (``{SQSPollerPolicy: {QueueName:
  ...}}``); when ``Role`` is set "this property has no meaning";
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html
  https://github.com/aws/serverless-application-model/blob/develop/versions/2016-10-31.md
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-templates.html
- managed policies SAM adds itself: ``service-role/AWSLambdaBasicExecutionRole`` always,
  ``AWSXrayWriteOnlyAccess`` with ``Tracing``, ``service-role/AWSLambdaVPCAccessExecutionRole``
  with ``VpcConfig``; ``RolePath`` becomes the role's ``Path`` (SAM's implementation,
  ``SamFunction._construct_role`` in
  https://github.com/aws/serverless-application-model/blob/develop/samtranslator/model/sam_resources.py);
- ``Globals.Function`` may set ``Tracing``, ``VpcConfig``, ``RolePath`` and
  ``PermissionsBoundary`` but never ``Role`` or ``Policies``
  (https://github.com/aws/serverless-application-model/blob/develop/docs/globals.rst);
- the function's ``Condition`` applies to the role too.

``AWS::Serverless::StateMachine`` gets the same kind of role, trusting ``states.amazonaws.com``,
with only its ``Policies``.
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-statemachine.html

A policy template's statements are SAM's, not the template's: its document is unknown and
named after the template. An AWS managed policy named without its ARN is taken to be in the
commercial partition (``arn:aws:``), as the provider ARNs elsewhere in this reader are.
"""

from __future__ import annotations

from typing import Any

from oidclint.readers.cloudformation.values import ROLE, intrinsic_name, is_no_value
from oidclint.source import LDict, LList, Span, Str, Unknown, span_of

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"
_ROLE_TRUSTS = {
    "AWS::Serverless::Function": "lambda.amazonaws.com",
    "AWS::Serverless::StateMachine": "states.amazonaws.com",
}
_SERVICE_ROLE_POLICIES = frozenset({
    "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaRole",
    "AWSLambdaDynamoDBExecutionRole", "AWSLambdaKinesisExecutionRole",
    "AWSLambdaSQSQueueExecutionRole", "AWSLambdaMSKExecutionRole",
})
"""AWS managed policies under the ``service-role/`` path that functions commonly name."""


def is_sam(template: Any) -> bool:
    """Whether the template is transformed by SAM."""
    transform = template.get("Transform") if isinstance(template, dict) else None
    transforms = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, str) and t == SERVERLESS_TRANSFORM for t in transforms)


def with_implicit_roles(template: dict) -> dict:
    """The template with the role SAM creates for each function or state machine that names
    none, placed right after it; the template itself is left as it is."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return template
    expanded = LDict(span=span_of(resources))
    for key, resource in resources.items():
        expanded[key] = resource
        role = implicit_role(str(key), span_of(key) or span_of(resource), resource,
                             _globals(template))
        name = Str(f"{key}Role", span_of(key) or span_of(resource))
        if role is not None and name not in resources:
            expanded[name] = role
    copy = LDict(template, span=span_of(template))
    copy["Resources"] = expanded
    return copy


def implicit_role(logical: str, span: Span | None, resource: Any,
                  globals_: dict) -> LDict | None:
    """The ``AWS::IAM::Role`` SAM generates for a serverless resource, ``None`` when it
    generates none (not a function or state machine, or it names its own role)."""
    if not isinstance(resource, dict):
        return None
    service = _ROLE_TRUSTS.get(str(resource.get("Type")))
    properties = resource.get("Properties")
    properties = properties if isinstance(properties, dict) and not intrinsic_name(properties) else {}
    if service is None or _names_a_role(properties.get("Role")):
        return None
    function = service == _ROLE_TRUSTS["AWS::Serverless::Function"]
    setting = _settings(properties, globals_ if function else {})
    role = LDict({
        "AssumeRolePolicyDocument": (properties.get("AssumeRolePolicyDocument")
                                     or _service_trust(service, span)),
        "ManagedPolicyArns": LList(_default_policies(setting, span) if function else [], span=span),
        "Policies": LList(span=span),
    }, span=span)
    for key in ("PermissionsBoundary", "RolePath"):
        if setting(key) is not None:
            role["Path" if key == "RolePath" else key] = setting(key)
    _add_policies(role, logical, properties.get("Policies"))
    generated = LDict({"Type": Str(ROLE, span), "Properties": role}, span=span)
    if "Condition" in resource:
        generated["Condition"] = resource["Condition"]
    return generated


def _globals(template: dict) -> dict:
    section = template.get("Globals")
    function = section.get("Function") if isinstance(section, dict) else None
    return function if isinstance(function, dict) else {}


def _settings(properties: dict, globals_: dict):
    """A property of the resource, else of ``Globals`` (a resource's own value wins)."""
    def setting(key: str) -> Any:
        value = properties.get(key)
        return value if value is not None else globals_.get(key)
    return setting


def _names_a_role(value: Any) -> bool:
    """A ``Role`` that is set: not absent, not ``AWS::NoValue``, and not an ``Fn::If`` that
    may leave it unset (SAM then creates the role for that case)."""
    if value is None or is_no_value(value):
        return False
    if intrinsic_name(value) == "Fn::If":
        arg = value[next(iter(value))]
        return not (isinstance(arg, list) and any(is_no_value(branch) for branch in arg[1:]))
    return True


def _service_trust(service: str, span: Span | None) -> LDict:
    statement = LDict({
        "Effect": Str("Allow", span),
        "Action": LList([Str("sts:AssumeRole", span)], span=span),
        "Principal": LDict({"Service": LList([Str(service, span)], span=span)}, span=span),
    }, span=span)
    return LDict({"Version": Str("2012-10-17", span),
                  "Statement": LList([statement], span=span)}, span=span)


def _default_policies(setting, span: Span | None) -> list[Str]:
    names = ["service-role/AWSLambdaBasicExecutionRole"]
    if setting("Tracing") is not None:
        names.append("AWSXrayWriteOnlyAccess")
    if setting("VpcConfig") is not None:
        names.append("service-role/AWSLambdaVPCAccessExecutionRole")
    return [Str(f"arn:aws:iam::aws:policy/{name}", span) for name in names]


def _add_policies(role: LDict, logical: str, policies: Any) -> None:
    """Each entry of SAM's ``Policies`` as a managed policy ARN or an inline policy."""
    if policies is None or is_no_value(policies):
        return
    entries = policies if isinstance(policies, list) else [policies]
    for index, entry in enumerate(entries):
        if is_no_value(entry):
            continue
        if _is_managed_policy(entry):
            role["ManagedPolicyArns"].append(managed_policy_arn(entry))
            continue
        span = span_of(entry) or role.span
        if isinstance(entry, dict) and ("Statement" in entry or intrinsic_name(entry)):
            document = entry
        elif isinstance(entry, dict) and len(entry) == 1:
            (template,) = entry
            document = Unknown(f"SAM policy template {template}", span)
        else:
            document = Unknown(f"{logical}.Policies[{index}] (not a SAM policy)", span)
        role["Policies"].append(LDict({
            "PolicyName": Str(f"{logical}RolePolicy{index}", span),
            "PolicyDocument": document,
        }, span=span))


def _is_managed_policy(entry: Any) -> bool:
    """A name or ARN of a managed policy: a string, or an intrinsic giving one (an ``Fn::If``
    whose branches are)."""
    if isinstance(entry, str):
        return True
    name = intrinsic_name(entry)
    if name == "Fn::If":
        arg = entry[name]
        branches = [b for b in arg[1:] if not is_no_value(b)] if isinstance(arg, list) else []
        return bool(branches) and all(_is_managed_policy(b) for b in branches)
    return name is not None


def managed_policy_arn(entry: Any) -> Any:
    """A ``Policies`` entry naming a managed policy, as its ARN: an AWS managed policy's name
    becomes its ARN, an ARN or intrinsic stays as written."""
    if not isinstance(entry, str) or entry.startswith("arn:") or "/" in entry or "${" in entry:
        return entry
    path = "service-role/" if entry in _SERVICE_ROLE_POLICIES else ""
    return Str(f"arn:aws:iam::aws:policy/{path}{entry}", span_of(entry))
