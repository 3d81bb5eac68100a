"""Policies outside infrastructure code: standalone policy documents (``policy_file``) and
the ``aws iam`` commands of shell scripts, Makefiles and workflow steps (``iam_cli``).
"""
