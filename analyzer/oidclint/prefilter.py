"""Which files can contribute to a finding, decided from their text alone, before parsing.

Parsing is most of the cost of a scan (python-hcl2 reads about 0.3 MB/s), and in a large
tree only a few modules deal with web identity. A Terraform folder is parsed when it, or a
module it calls or is called by (transitively), mentions web identity or what links to it:

- OIDC providers, ``Federated`` principals, ``AssumeRoleWithWebIdentity``, EKS clusters,
  Kubernetes ServiceAccounts, ``oidc`` in any spelling;
- a registry module with a built-in model (``terraform-aws-modules/iam``, ``oidc-github``);
- an IAM role or policy together with a role name that a workload (a workflow, a GitLab CI
  job, a manifest) names.

Every folder of a kept folder's module tree is kept, so evaluation sees the same inputs as a
full scan. CloudFormation templates and plans follow the same markers; workflows, GitLab CI
files, manifests and kustomizations are always read (they are small, and they say which roles
matter). A test runs every fixture and sample stack with and without the prefilter and
requires the same report.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from oidclint.source import SourceFile

_WEB_IDENTITY = re.compile(
    r"assumerolewithwebidentity|federated|openid|oidc|aws_eks_cluster|eks::cluster"
    r"|kubernetes_service_account|serviceaccount|terraform-aws-modules/iam"
)
"""Lower-cased text that makes a file matter on its own."""
_IAM = re.compile(r"aws_iam_|aws::iam::|aws::serverless::")
_MODULE_SOURCE = re.compile(r'^\s*"?source"?\s*[=:]\s*"([^"\n]+)"', re.M)
_ROLE_NAME = re.compile(
    r"arn:aws[\w-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)"
    r"|role-to-assume:\s*['\"]?([\w+=,.@-]+)['\"]?\s*$"
    r"|eks\.amazonaws\.com/role-arn:\s*['\"]?(?:arn:[^\s'\"]*/)?([\w+=,.@-]+)", re.M)


@dataclass
class Selection:
    keep: list[SourceFile] = field(default_factory=list)
    skipped: list[SourceFile] = field(default_factory=list)


def select(files: list[SourceFile]) -> Selection:
    """The files worth parsing; the rest cannot change the findings."""
    names = _workload_role_names(files)
    folders: dict[str, list[SourceFile]] = {}
    for file in files:
        if file.kind in ("terraform", "tfvars"):
            folders.setdefault(posixpath.dirname(file.path) or ".", []).append(file)
    kept_folders = _terraform_folders(folders, names)
    selection = Selection()
    for file in files:
        if file.kind in ("terraform", "tfvars"):
            wanted = (posixpath.dirname(file.path) or ".") in kept_folders
        else:
            wanted = _structured_matters(file, names)
        (selection.keep if wanted else selection.skipped).append(file)
    return selection


def _matters(text: str, names: set[str]) -> bool:
    lowered = text.lower()
    if _WEB_IDENTITY.search(lowered):
        return True
    return bool(names) and bool(_IAM.search(lowered)) and any(n in text for n in names)


def _structured_matters(file: SourceFile, names: set[str]) -> bool:
    name = posixpath.basename(file.path)
    if "/.github/workflows/" in f"/{file.path}" or name in (
            ".gitlab-ci.yml", "kustomization.yaml", "kustomization.yml"):
        return True
    return _matters(file.text, names)


def _terraform_folders(folders: dict[str, list[SourceFile]], names: set[str]) -> set[str]:
    """Folders that matter, the modules that call them (up to the roots, which evaluate
    them) and everything those call (whose outputs they may use)."""
    calls: dict[str, set[str]] = {}
    callers: dict[str, set[str]] = {}
    relevant = set()
    for folder, members in folders.items():
        for file in members:
            if _matters(file.text, names):
                relevant.add(folder)
            for source in _MODULE_SOURCE.findall(file.text):
                if source.startswith(("./", "../")):
                    target = posixpath.normpath(posixpath.join(folder, source))
                    calls.setdefault(folder, set()).add(target)
                    callers.setdefault(target, set()).add(folder)
                elif "oidc" in source.lower() or "/iam/" in source.lower():
                    relevant.add(folder)
    return _reach(_reach(relevant, callers), calls)


def _reach(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    reached, stack = set(), list(start)
    while stack:
        folder = stack.pop()
        if folder not in reached:
            reached.add(folder)
            stack.extend(edges.get(folder, ()))
    return reached


def _workload_role_names(files: list[SourceFile]) -> set[str]:
    """Role names that workloads name literally (in an ARN or as a bare name)."""
    names: set[str] = set()
    for file in files:
        if file.kind != "structured" and "kubernetes_service_account" not in file.text:
            continue
        for match in _ROLE_NAME.finditer(file.text):
            name = next((g for g in match.groups() if g), None)
            if name and "$" not in name and "{" not in name:
                names.add(name)
    return names
