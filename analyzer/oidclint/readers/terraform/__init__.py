"""Terraform: ``.tf`` and ``.tf.json`` files (``reader``: a file's blocks, an evaluated
module's providers, roles, policies, clusters and ServiceAccounts), ``.tfvars`` files
(``tfvars``), plans (``plan``), Cognito identity pools (``cognito``) and module calls whose
code is not read (``unread``). The language itself is ``oidclint.hcl``; which folders are
roots, and evaluating them, is ``oidclint.terraform_roots``.
"""
