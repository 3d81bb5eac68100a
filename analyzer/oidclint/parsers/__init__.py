"""Readers: each turns one kind of file (Terraform, CloudFormation, workflows, GitLab CI,
Kubernetes manifests, plans, standalone policies) into model objects and diagnostics.

A reader may import the located values (``oidclint.source``), the model, IAM semantics and
the Terraform evaluator (``oidclint.hcl``); never the rules, the reporters, or the scan's
scheduling (discovery, the prefilter, the cache, the worker pool). The layers are checked by
the import-linter contracts in ``pyproject.toml``.
"""


def is_action(path: str) -> bool:
    """A GitHub action's metadata file (``action.yml``, ``action.yaml``): a workflow's step
    may use the action by its folder (``uses: ./.github/actions/x``)."""
    return path.rpartition("/")[2] in ("action.yml", "action.yaml")
