"""Terragrunt: live repositories of ``terragrunt.hcl`` units, each deploying one Terraform
module with the inputs its configuration gives.

- ``config``: one Terragrunt configuration file evaluated (``locals``, ``include`` with
  ``expose``, ``dependency`` blocks with their ``mock_outputs``, ``inputs``, ``terraform {
  source }``), with Terragrunt's own functions (``functions``);
- ``unit``: a ``terragrunt.hcl`` read as a unit: its includes merged, its module folder
  found (``sources``), its inputs known as far as the code tells.

Evaluating the unit's module with those inputs, as a root module, is the Terraform
evaluation's (``oidclint.hcl``), scheduled by ``oidclint.terraform_roots``; this package
never imports the scheduler. Files are read through ``oidclint.reading`` inside the scanned
tree, and each read is told to ``oidclint.dependencies`` so a cached result follows them.

Behaviour follows Terragrunt's reference documentation:
https://terragrunt.gruntwork.io/docs/reference/config-blocks-and-attributes/ and
https://terragrunt.gruntwork.io/docs/reference/built-in-functions/.
"""
