"""GitHub subject claim templates declared in Terraform: which one a repository's jobs use,
and the subject they present in its form."""

from __future__ import annotations

import pytest

from oidclint.graph import TrustGraph
from oidclint.iam.claims import CUSTOM_TEMPLATE_UNKNOWN, customised_subject
from oidclint.model import Inventory, SubjectTemplate, TokenContext
from oidclint.source import Partial, Unknown


def organisation(*keys):
    return SubjectTemplate("github_actions_organization_oidc_subject_claim_customization_template.o",
                           list(keys))


def repository(name, use_default, *keys):
    return SubjectTemplate("github_actions_repository_oidc_subject_claim_customization_template.r",
                           list(keys) if keys else None, repository=name, use_default=use_default)


@pytest.mark.parametrize("declared, template", [
    ([], None),
    ([repository("api", False, "repo", "context", "job_workflow_ref")],
     ("repo", "context", "job_workflow_ref")),
    ([repository("acme/api", False, "repository_owner")], ("repository_owner",)),
    ([repository("API", True)], None),  # GitHub names ignore case
    ([repository("web", False, "repo")], None),  # another repository's
    ([organisation("repository_owner_id", "context"), repository("api", False)],
     ("repository_owner_id", "context")),
    # The organisation's template reaches a repository only once it opts in, which may be
    # done outside the scan: not known.
    ([organisation("repository_owner_id", "context")], CUSTOM_TEMPLATE_UNKNOWN),
    # Opted in, but the organisation's template is not in the scan.
    ([repository("api", False)], CUSTOM_TEMPLATE_UNKNOWN),
    ([repository(Unknown("var.repository"), False, "repo")], CUSTOM_TEMPLATE_UNKNOWN),
    ([repository("api", Unknown("var.default"), "repo")], CUSTOM_TEMPLATE_UNKNOWN),
    ([SubjectTemplate("r", Unknown("var.keys"), repository="api", use_default=False)],
     CUSTOM_TEMPLATE_UNKNOWN),
])
def test_the_template_a_repository_uses(declared, template):
    graph = TrustGraph(Inventory(subject_templates=declared), repository="acme/api")
    assert graph.subject_template() == template


def test_without_a_repository_there_is_no_template_to_apply():
    graph = TrustGraph(Inventory(subject_templates=[organisation("repo")]), repository=None)
    assert graph.subject_template() is None


def test_a_customised_subject_is_written_key_by_key_in_the_templates_order():
    push = TokenContext("push to main", "ref:refs/heads/main", claims={"ref": "refs/heads/main"},
                        event="push")
    claims = {"ref": "refs/heads/main", "job_workflow_ref": "acme/ci/.github/workflows/d.yml@v1",
              "workflow": "deploy: prod"}
    assert customised_subject(("repo", "context", "job_workflow_ref"), "acme/api", push,
                              claims) == (
        "repo:acme/api:ref:refs/heads/main:job_workflow_ref:acme/ci/.github/workflows/d.yml@v1")
    # A `:` inside a value is `%3A`; ref_type and event_name come from the run.
    assert customised_subject(("workflow", "ref_type", "event_name", "repository_owner"),
                              "acme/api", push, claims) == (
        "workflow:deploy%3A prod:ref_type:branch:event_name:push:repository_owner:acme")
    # What the scan cannot know is an unknown piece, named by its claim.
    written = customised_subject(("repository_owner_id", "context"), "acme/api", push, claims)
    assert isinstance(written, Partial) and str(written) == (
        "repository_owner_id:${repository_owner_id}:ref:refs/heads/main")
    environment = TokenContext("environment prod", "environment:prod",
                               claims={"environment": "prod"})
    assert str(customised_subject(("environment", "ref"), "acme/api", environment, {})) == (
        "environment:prod:ref:${ref}")
