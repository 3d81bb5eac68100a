"""Terraform expression evaluation: references, functions, templates and module symbols.

``module.Module`` is a module folder's symbol table, ``evaluate.Evaluator`` walks
python-hcl2's Lark tree, ``functions`` is the function library. ``Encoded`` is JSON text
that still carries the located value it encodes (``jsonencode``, ``aws_iam_policy_document``).
"""

from oidclint.hcl.values import Encoded, UnknownElements

__all__ = ["Encoded", "UnknownElements"]
