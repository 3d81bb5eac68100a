"""Google Cloud IAM members that name workload identities, and whether a token is one.

A binding grants a role to members; those of a workload identity pool are (docs/facts.md,
"Google Cloud workload identity federation"):
``principal://iam.googleapis.com/<pool>/subject/<google.subject>``,
``principalSet://iam.googleapis.com/<pool>/group/<a google.groups value>``,
``principalSet://iam.googleapis.com/<pool>/attribute.<NAME>/<value of attribute.NAME>`` and
``principalSet://iam.googleapis.com/<pool>/*``, every identity of the pool, where ``<pool>``
is ``projects/<number>/locations/<location>/workloadIdentityPools/<id>``.
https://cloud.google.com/iam/docs/principal-identifiers
A Kubernetes ServiceAccount of a GKE cluster is written
``serviceAccount:<project>.svc.id.goog[<namespace>/<name>]``.

Members are read from partly known text (a pool named by a resource's ``name`` known only
once it exists); a token is matched against them through its mapped attributes
(``google_cel.map_attributes``), three-valued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oidclint.iam.google_cel import MappedAttributes
from oidclint.iam.holes import fullmatch
from oidclint.iam.patterns import Pattern, may_intersect
from oidclint.source import Partial, Text, Unknown

_POOL = r"projects/[^/\x00]+/locations/[^/\x00]+/workloadIdentityPools/[^/\x00]+|\x00"
_MEMBER = re.compile(
    rf"(?P<scheme>principal|principalSet)://iam\.googleapis\.com/(?P<pool>{_POOL})/"
    r"(?:(?P<kind>subject|group)/(?P<value>.+)|attribute\.(?P<attribute>[a-z0-9_]+)/"
    r"(?P<attribute_value>.+)|(?P<all>\*))", re.DOTALL)
_KUBERNETES = re.compile(r"serviceAccount:(?P<project>[^\[\]]+)\.svc\.id\.goog"
                         r"\[(?P<namespace>[^/\]]+)/(?P<name>[^\]]+)\]")


@dataclass(frozen=True, slots=True)
class PoolMember:
    """A member of a workload identity pool: ``kind`` is ``subject`` (one identity,
    ``principal://``), ``group``, ``attribute`` or ``pool`` (``principalSet://``)."""

    kind: str
    pool: Text
    """``projects/<number>/locations/<location>/workloadIdentityPools/<id>``, or not known."""
    value: Text | None = None
    """The subject, group or attribute value the member names (``None`` for the pool)."""
    attribute: str | None = None
    """The custom attribute's NAME, for ``attribute``."""

    @property
    def key(self) -> str | None:
        """The mapping key whose value the member tests: ``google.subject``,
        ``google.groups`` or ``attribute.NAME``; ``None`` for the whole pool."""
        return {"subject": "google.subject", "group": "google.groups",
                "attribute": f"attribute.{self.attribute}"}.get(self.kind)


@dataclass(frozen=True, slots=True)
class KubernetesMember:
    """``serviceAccount:<project>.svc.id.goog[<namespace>/<name>]``."""

    project: Text
    namespace: Text
    name: Text


def pool_member(text: Any) -> PoolMember | None:
    """The workload identity pool member a binding's member names, or ``None`` when it is
    not one (a user, a service account, text not known enough to tell)."""
    found = fullmatch(_MEMBER, text)
    if found is None:
        return None
    pool = found["pool"]
    if found["all"]:
        return PoolMember("pool", pool) if found["scheme"] == "principalSet" else None
    if found["attribute"] is not None:
        if found["scheme"] != "principalSet":
            return None
        return PoolMember("attribute", pool, found["attribute_value"], str(found["attribute"]))
    kind = found["kind"]
    if (kind == "subject") != (found["scheme"] == "principal"):
        return None  # one identity is principal://, a group principalSet://
    return PoolMember(str(kind), pool, found["value"])


def kubernetes_member(text: Any) -> KubernetesMember | None:
    """The GKE ServiceAccount a member names, or ``None``."""
    found = fullmatch(_KUBERNETES, text)
    if found is None:
        return None
    return KubernetesMember(found["project"], found["namespace"], found["name"])


def same_text(left: Any, right: Any) -> bool | None:
    """Whether two texts, either partly known, are the same: None when not known."""
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return None
    if not (isinstance(left, (str, Partial)) and isinstance(right, (str, Partial))):
        return None
    if isinstance(left, str) and isinstance(right, str):
        return str(left) == str(right)
    meets = may_intersect(Pattern.of(left, glob=False), Pattern.of(right, glob=False))
    return False if meets is False else None


def member_admits(member: PoolMember, mapped: MappedAttributes) -> bool | None:
    """Whether a token whose attributes are ``mapped`` is the member (its pool being the
    member's, which the caller decides): True, False, or None when not known. An attribute
    the mapping does not define, or that raised, matches no member."""
    key = member.key
    if key is None:
        return True
    if key in mapped.not_understood:
        return None
    if key not in mapped.values:
        return False
    value = mapped.values[key]
    if member.kind == "group":
        if isinstance(value, Unknown) or value is None:
            return None
        if not isinstance(value, (list, tuple)):
            return None
        verdicts = [same_text(member.value, group) for group in value]
        if any(v is True for v in verdicts):
            return True
        return None if any(v is None for v in verdicts) else False
    return same_text(member.value, value)
