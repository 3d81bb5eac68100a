"""What the fixture test does not compare: each finding's level follows its consequence, and
its message states only what the input gives, naming the input a partly known value comes
from and the permission that makes a role privileged."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from oidclint.engine import scan


def findings(case: str, repository: str | None = None):
    folder = FIXTURES / case
    return [f for f in scan([folder], root=folder, repository=repository).findings]


def one(case: str, rule: str, repository: str | None = None):
    found = [f for f in findings(case, repository) if f.rule_id == rule]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("case, rule, level, words", [
    # One unknown owner, every repository of it: a warning that names the input.
    ("OIDC204/positive-tf-owner-from-variable", "OIDC204", "warning",
     ["`repo:${var.github_org}/*:*`", "owner named by `var.github_org`", "comes from an input"]),
    ("OIDC204/positive-cfn-owner-from-parameter", "OIDC204", "warning",
     ["`repo:${GitHubOrganization}/*:*`", "parameter `GitHubOrganization`"]),
    ("OIDC204/positive-gitlab-group-from-variable", "OIDC204", "warning",
     ["every project of the group named by `var.gitlab_group`"]),
    ("OIDC204/positive-hcp-organization-from-variable", "OIDC204", "warning",
     ["organization named by `var.tfc_organization`"]),
    ("OIDC204/positive-hcp-every-project", "OIDC204", "warning",
     ["every workspace of every project of acme"]),
    # Open only below a pinned project or subgroup: at most a note, and it says so.
    ("OIDC204/positive-hcp-every-workspace", "OIDC204", "note",
     ["every workspace of project platform of acme"]),
    ("OIDC204/positive-gitlab-subgroup", "OIDC204", "note",
     ["every project of group acme/platform on"]),
    # A known wildcard next to an input decides; the input is not taken for one.
    ("OIDC203/positive-tf-wildcard-after-owner-variable", "OIDC203", "error",
     ["`repo:${var.github_org}*/infra:*`", "any owner"]),
    # A Kubernetes issuer with no `sub` condition: the verdict of `system:serviceaccount:*`.
    ("OIDC203/positive-eks-no-sub-condition", "OIDC203", "error",
     ["without a condition on `sub`", "every service account of every namespace of the cluster"]),
    ("OIDC203/positive-eks-any-namespace", "OIDC203", "error", ["any namespace"]),
    # A key that can never be the cluster's issuer, whatever its region and id.
    ("OIDC104/positive-eks-key-without-region", "OIDC104", "error",
     ["`oidc.eks.amazonaws.com`", "can never be that host"]),
    # Restricts nothing, breaks nothing: a warning, not an error.
    ("OIDC105/positive-forallvalues-iss", "OIDC105", "warning", ["restricts nothing"]),
    # On sub and aud a set operator restricts: a note saying so.
    ("OIDC210/positive-forallvalues-aud", "OIDC210", "note", ["works as `StringEquals`"]),
    ("OIDC210/positive-forallvalues-environment", "OIDC210", "warning", ["may restrict nothing"]),
    # The permission that makes the role privileged.
    ("OIDC209/positive-passrole-lambda", "OIDC209", "error",
     ["allows `iam:PassRole` on every role with `lambda:CreateFunction` and "
      "`lambda:InvokeFunction`", "any role Lambda may take"]),
    ("OIDC209/positive-iam-full-access", "OIDC209", "error",
     ["the AWS managed policy IAMFullAccess allows `iam:PutRolePolicy` (by `iam:*`)"]),
    ("OIDC209/positive-admin-owner-from-variable", "OIDC209", "error",
     ["AdministratorAccess allows `*` on `*`",
      "every repository of the owner named by `var.github_org`"]),
    ("OIDC209/positive-admin-repository-path-from-variable", "OIDC209", "error",
     ["pull requests and any branch (", "`var.github_repository`"]),
])
def test_level_and_words(case, rule, level, words):
    finding = one(case, rule)
    assert finding.level.value == level
    text = " ".join(finding.message.split())
    for word in words:
        assert word in text, (word, text)


def test_an_issuer_known_only_in_part_is_never_called_no_issuer():
    finding = one("OIDC109/positive-github-job-assumes-partly-known-eks-role", "OIDC109",
                  repository="acme/api")
    assert "no OIDC issuer" not in finding.message
    assert "oidc.eks.${var.cluster_region (no default)}.amazonaws.com" in finding.message


@pytest.mark.parametrize("case", [
    "OIDC109/negative-github-job-assumes-role-of-unknown-issuer",
    "OIDC109/negative-github-job-assumes-role-of-partly-known-issuer",
])
def test_an_unknown_issuer_says_nothing(case):
    assert findings(case, "acme/api") == []


def test_one_audience_mistake_is_one_finding():
    rules = sorted(f.rule_id for f in findings("OIDC107/positive-workflow-uses-the-default-audience",
                                                "acme/api"))
    assert rules == ["OIDC107"]
    # A workflow asking for a third audience is a second mistake.
    rules = sorted(f.rule_id for f in findings("OIDC110/positive-workflow-audience-neither-side",
                                                "acme/api"))
    assert rules == ["OIDC107", "OIDC110"]


@pytest.mark.parametrize("case, level, words", [
    # A push to any branch with nothing restricting the job: every other branch fails.
    ("OIDC108/positive-push-any-branch-main-only-trust", "warning",
     ["(push to any branch or tag)", "it runs on every such ref and fails"]),
    # A trust known only in part still refuses the branches its known text rules out.
    ("OIDC108/positive-push-any-branch-trust-from-variable", "warning",
     ["admits `repo:${var.repository}:ref:refs/heads/main`", "on each one the trust does not"]),
    # Narrowed by the job's `if:` to branches the trust never admits: every run fails.
    ("OIDC108/positive-job-if-narrows-to-release", "error",
     ["(push to release*)", "this run fails with"]),
    # An `if:` that cannot be decided before the run, or is not understood: a note naming it.
    ("OIDC108/positive-push-any-branch-step-if-undecided", "note",
     ["`if: steps.changes.outputs.infra != '0'` of step 3", "depends on "
      "`steps.changes.outputs.infra`, not known before the run"]),
    ("OIDC108/positive-push-any-branch-if-not-understood", "note",
     ["of job deploy, which oidclint does not understand"]),
    # `ref_name == 'main'` holds for a tag `main` too: possible, hardly meant.
    ("OIDC108/positive-ref-name-main-also-a-tag", "note",
     ["(push of tag main)", "branches and tags named `main` both pass"]),
    # A branch a person picks for a manual run: a note, as before.
    ("OIDC108/positive-workflow-dispatch-from-another-branch", "note",
     ["unless it runs on a ref the trust admits"]),
])
def test_workload_subject_levels_follow_what_fails(case, level, words):
    finding = one(case, "OIDC108", repository="acme/api")
    assert finding.level.value == level
    text = " ".join(finding.message.split())
    for word in words:
        assert word in text, (word, text)
