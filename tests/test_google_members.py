"""Google Cloud IAM members of workload identity pools (``iam.google_members``)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from oidclint.iam.google_cel import Claims, map_attributes
from oidclint.iam.google_members import (
    KubernetesMember, PoolMember, kubernetes_member, member_admits, pool_member)
from oidclint.source import Partial, Unknown

POOL = "projects/123456789/locations/global/workloadIdentityPools/github"
MAPPING = {"google.subject": "assertion.sub", "google.groups": "assertion.groups",
           "attribute.repository": "assertion.repository",
           "attribute.repository_owner": "assertion.repository_owner"}
TOKEN = Claims({"sub": "repo:acme/api:ref:refs/heads/main", "repository": "acme/api",
                "repository_owner": "acme", "groups": ["deployers"]})


@pytest.mark.parametrize("text, member", [
    (f"principal://iam.googleapis.com/{POOL}/subject/repo:acme/api:ref:refs/heads/main",
     PoolMember("subject", POOL, "repo:acme/api:ref:refs/heads/main")),
    (f"principalSet://iam.googleapis.com/{POOL}/group/deployers",
     PoolMember("group", POOL, "deployers")),
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/acme/api",
     PoolMember("attribute", POOL, "acme/api", "repository")),
    (f"principalSet://iam.googleapis.com/{POOL}/*", PoolMember("pool", POOL)),
    ("principalSet://iam.googleapis.com/projects/1/locations/us-east1/workloadIdentityPools/p/*",
     PoolMember("pool", "projects/1/locations/us-east1/workloadIdentityPools/p")),
])
def test_members_are_read(text, member):
    assert pool_member(text) == member


@pytest.mark.parametrize("text", [
    "serviceAccount:deploy@acme.iam.gserviceaccount.com",
    "user:alex@example.com",
    f"principal://iam.googleapis.com/{POOL}/*",  # the whole pool is a principalSet
    f"principalSet://iam.googleapis.com/{POOL}/subject/x",  # one identity is a principal
    f"principal://iam.googleapis.com/{POOL}/attribute.repository/acme/api",
    f"principalSet://iam.googleapis.com/{POOL}/attribute.Repo/acme/api",
    "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*",
    f"principalSet://iam.googleapis.com/{POOL}/group/",
    Unknown("var.member"),
])
def test_other_members_are_not_pool_members(text):
    assert pool_member(text) is None


def test_a_member_built_from_a_pool_not_yet_created_is_read():
    pool = Unknown("google_iam_workload_identity_pool.github.name")
    repo = Unknown("var.repository")
    member = pool_member(Partial(("principalSet://iam.googleapis.com/", pool,
                                  "/attribute.repository/acme/", repo)))
    assert member == PoolMember("attribute", pool, Partial(("acme/", repo)), "repository")
    assert member.key == "attribute.repository"
    whole = pool_member(Partial(("principalSet://iam.googleapis.com/", pool, "/*")))
    assert whole == PoolMember("pool", pool) and whole.key is None


@pytest.mark.parametrize("text, expected", [
    (f"principal://iam.googleapis.com/{POOL}/subject/repo:acme/api:ref:refs/heads/main", True),
    (f"principal://iam.googleapis.com/{POOL}/subject/repo:acme/api:ref:refs/heads/dev", False),
    (f"principalSet://iam.googleapis.com/{POOL}/group/deployers", True),
    (f"principalSet://iam.googleapis.com/{POOL}/group/admins", False),
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/acme/api", True),
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/acme/web", False),
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.repository_owner/acme", True),
    # Case counts: Google Cloud tells `Acme` from `acme`.
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.repository_owner/Acme", False),
    # An attribute the mapping never defines matches no token.
    (f"principalSet://iam.googleapis.com/{POOL}/attribute.environment/prod", False),
    (f"principalSet://iam.googleapis.com/{POOL}/*", True),
])
def test_member_admits(text, expected):
    assert member_admits(pool_member(text), map_attributes(MAPPING, TOKEN)) is expected


def test_partly_known_members_and_tokens():
    mapped = map_attributes(MAPPING, TOKEN)
    member = pool_member(Partial((f"principalSet://iam.googleapis.com/{POOL}/attribute."
                                  "repository/acme/", Unknown("var.repo"))))
    assert member_admits(member, mapped) is None
    other = pool_member(Partial((f"principalSet://iam.googleapis.com/{POOL}/attribute."
                                 "repository/other/", Unknown("var.repo"))))
    assert member_admits(other, mapped) is False
    unknown_token = Claims({"sub": Unknown("a"), "repository": Partial(("acme/", Unknown("r"))),
                            "repository_owner": "acme", "groups": Unknown("g")})
    partly = map_attributes(MAPPING, unknown_token)
    exact = pool_member(f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/evil/x")
    assert member_admits(exact, partly) is False
    group = pool_member(f"principalSet://iam.googleapis.com/{POOL}/group/deployers")
    assert member_admits(group, partly) is None


def test_an_attribute_whose_mapping_is_not_read_decides_nothing():
    mapped = map_attributes({"google.subject": "assertion.sub",
                             "attribute.repository": "assertion.sub.extract('repo:{r}:')"},
                            TOKEN)
    member = pool_member(f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/x")
    assert member_admits(member, mapped) is None


@pytest.mark.parametrize("text, member", [
    ("serviceAccount:acme-prod.svc.id.goog[payments/api]",
     KubernetesMember("acme-prod", "payments", "api")),
    (Partial(("serviceAccount:", Unknown("var.project"), ".svc.id.goog[payments/api]")),
     KubernetesMember(Unknown("var.project"), "payments", "api")),
    ("serviceAccount:deploy@acme.iam.gserviceaccount.com", None),
    ("serviceAccount:acme.svc.id.goog[payments]", None),
])
def test_kubernetes_members(text, member):
    assert kubernetes_member(text) == member


@given(st.text(max_size=80))
def test_any_text_is_a_member_or_not(text):
    pool_member(text)
    kubernetes_member(text)
    pool_member("principalSet://iam.googleapis.com/" + text)
