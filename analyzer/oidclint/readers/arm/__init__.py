"""Azure Resource Manager templates (JSON, hand-written or compiled from Bicep): the
federated identity credentials of user-assigned managed identities (``reader``), with the
template language's expressions read as far as they are known (``expressions``). Azure's
counterpart of the CloudFormation reader.
"""
