"""No finding claims a certainty the values do not give: over generated graphs with one more
role whose ``sub`` condition is drawn, a subject that is unknown asserts neither how much a
trust admits nor that a workload is refused, and a known ``repo:acme/*`` is always broad."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from every_rule import run_every_rule
from generated_graphs import (ACCOUNT, CLUSTERS, CONTEXTS, HOST_POOL, SETTINGS, SPANS, UNKNOWNS,
                              eks_host, graph_of, located, pick, provider_arn, scans)
from oidclint.iam.eks import eks_issuer
from oidclint.model import (Condition, Finding, Level, OidcProvider, PermissionPolicy,
                            PolicyDocument, Role, Statement, Workload)
from oidclint.source import Partial, Str, concat


BREADTH = {"OIDC203", "OIDC204", "OIDC205", "OIDC209"}
"""The rules that say how much a trust admits."""
WORKLOAD_OF = {"github": "github-actions", "gitlab": "gitlab-ci", "eks": "kubernetes"}


@st.composite
def scans_with_subject_trust(draw, subjects: st.SearchStrategy[list], kinds: list[str],
                             operators: tuple[str, ...] = ("StringLike", "StringEquals")):
    """A scan with one more role, ``aws_iam_role.decided``, whose one statement trusts an
    issuer of ``kinds`` (by its provider, or an EKS provider built from its cluster) and
    restricts ``sub`` to the drawn values; now and then an administrator, and assumed by a
    workload of the issuer's kind. Returns the scan and the role."""
    inventory, _, immutable, config = draw(scans())
    kind = draw(pick(kinds))
    host = draw(pick(HOST_POOL[kind][:1] + [eks_host(c) for c in CLUSTERS if kind == "eks"]))
    url = eks_issuer(host.ref, SPANS[1]) if isinstance(host, Partial) else \
        concat(("https://", host), SPANS[1])
    provider = OidcProvider("aws_iam_openid_connect_provider.decided", url,
                            [Str("sts.amazonaws.com")], span=SPANS[1], scope="main")
    principal = provider_arn(provider.host, draw(pick([ACCOUNT, UNKNOWNS[4]])), SPANS[2],
                             provider.address)
    conditions = [Condition(draw(pick(located(list(operators)))),
                            concat((host, ":sub"), SPANS[3]), draw(subjects), SPANS[3])]
    if draw(st.booleans()):
        conditions.append(Condition(Str("StringEquals"), concat((host, ":aud"), SPANS[4]),
                                    [Str("sts.amazonaws.com")], SPANS[4]))
    statement = Statement(Str("Allow"), [Str("sts:AssumeRoleWithWebIdentity")],
                          principals={"Federated": [principal]}, conditions=conditions,
                          span=draw(pick([None, SPANS[5]])))
    role = Role("aws_iam_role.decided", Str("decided"), PolicyDocument([statement]),
                span=SPANS[6], scope="main")
    inventory.providers.append(provider)
    inventory.roles.append(role)
    if draw(st.booleans()):
        inventory.policies.append(PermissionPolicy(
            "aws_iam_role_policy_attachment.admin", [Str(role.address, None, role.address)],
            managed_arn=Str("arn:aws:iam::aws:policy/AdministratorAccess"), span=SPANS[7],
            scope="main"))
    if kind in WORKLOAD_OF:
        workload_kind = WORKLOAD_OF[kind]
        inventory.workloads.append(Workload(
            workload_kind, "the workload of aws_iam_role.decided", SPANS[8],
            role=Str(f"arn:aws:iam::{ACCOUNT}:role/decided", SPANS[8]),
            contexts=draw(st.lists(pick([c for c in CONTEXTS[workload_kind]
                                         if isinstance(c.subject, Str)]), min_size=1))))
    return (inventory, "acme/api", immutable, config), role


def findings_on(role: Role, findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.address == role.address or role.address in f.message]


@settings(SETTINGS, max_examples=100)
@given(scans_with_subject_trust(st.lists(pick(UNKNOWNS), min_size=1, max_size=3),
                                ["github", "gitlab", "hcp", "eks"]))
def test_unknown_subjects_assert_no_breadth_and_no_denial(scan_and_role):
    """When every value of the only ``sub`` condition is unknown, how many owners,
    repositories or branches it admits is unknown, and so is whether a workload's subject
    is among them."""
    scan, role = scan_and_role
    for finding in findings_on(role, run_every_rule(graph_of(scan))):
        assert finding.rule_id not in BREADTH, finding.message
        assert not (finding.rule_id == "OIDC108" and finding.level is Level.ERROR), \
            finding.message


@settings(SETTINGS, max_examples=50)
@given(scans_with_subject_trust(st.just([Str("repo:acme/*", SPANS[3])]), ["github"],
                                ("StringLike",)))
def test_every_repository_of_an_owner_is_always_broad(scan_and_role):
    """The other side of the property above: a known ``repo:acme/*`` is OIDC204 whatever
    the rest of the scan holds."""
    scan, role = scan_and_role
    assert "OIDC204" in {f.rule_id for f in findings_on(role, run_every_rule(graph_of(scan)))}
