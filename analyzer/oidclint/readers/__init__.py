"""Readers: each turns one kind of file into model objects and diagnostics, grouped by what
they read: ``terraform`` (with the language in ``oidclint.hcl``), ``cloudformation``,
``workloads`` (GitHub Actions, GitLab CI, Kubernetes), ``helm`` (Helm releases, from Terraform,
Argo CD and Flux) and ``policies`` (standalone documents, ``aws iam`` commands). A new
platform's reader (Terragrunt, another cloud) gets its own package here.

A reader may import the located values (``oidclint.source``, ``oidclint.located``), the
model, IAM semantics and the Terraform evaluator; never the rules, the reporters, or the
scan's scheduling (discovery, the prefilter, the cache, the worker pool). The layers are
checked by the import-linter contracts in ``pyproject.toml``.
"""


def is_action(path: str) -> bool:
    """A GitHub action's metadata file (``action.yml``, ``action.yaml``): a workflow's step
    may use the action by its folder (``uses: ./.github/actions/x``)."""
    return path.rpartition("/")[2] in ("action.yml", "action.yaml")
