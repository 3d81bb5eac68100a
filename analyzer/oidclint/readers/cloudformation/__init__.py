"""CloudFormation templates (``reader``), SAM (``sam``) and CDK output (``cdk``): resources,
intrinsic functions (``intrinsics``, ``conditions``, ``mappings``, ``lists``, ``values``) and
policies written as JSON text (``json_text``).
"""
