"""What a ``Federated`` principal names: an IAM OIDC provider, a built-in provider, or nothing.

The ARN of an IAM OIDC provider is ``arn:<partition>:iam::<account>:oidc-provider/<issuer
without https://>``; the built-in providers are named by their bare host.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oidclint.iam.catalog import BUILTIN_HOSTS
from oidclint.iam.patterns import UNKNOWN
from oidclint.source import Partial, Text, Unknown

_ARN = re.compile(r"arn:([^:]*):iam::([^:]*):([^/]*)(?:/(.*))?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FederatedPrincipal:
    value: Text
    kind: str
    """``oidc``, ``builtin``, ``saml``, ``malformed``, ``undeclared`` or ``unknown``."""
    host: str | None = None
    """The issuer host, when known."""
    partial_host: Partial | None = None
    """The issuer host when only partly known (`oidc.eks.${var.region}.amazonaws.com/id/...`)."""
    problem: str | None = None
    ref: str | None = None
    """The provider resource the value was computed from, when it was."""
    partial_host: str | None = None
    """The issuer host when only partly known, unknown pieces marked ``UNKNOWN``
    (``oidc.eks.<region>.amazonaws.com/id/<id>`` of a cluster looked up by name)."""

    @property
    def web_identity(self) -> bool:
        return self.kind in ("oidc", "builtin")


def _text(value: Text) -> str:
    if isinstance(value, Partial):
        return "".join(UNKNOWN if isinstance(p, Unknown) else p for p in value.parts)
    return str(value)


def _tail(value: Partial, start: int) -> Partial:
    """The part of a partly known value from character ``start`` of its text (each unknown
    piece one character there)."""
    parts: list[str | Unknown] = []
    at = 0
    for part in value.parts:
        size = 1 if isinstance(part, Unknown) else len(part)
        if at + size > start:
            parts.append(part if isinstance(part, Unknown) or at >= start else part[start - at:])
        at += size
    return Partial(tuple(parts), value.span)


def parse_federated(value: Text) -> FederatedPrincipal:
    ref = getattr(value, "ref", None)
    if isinstance(value, Unknown):
        kind = "undeclared" if value.origin.startswith("undeclared ") else "unknown"
        return FederatedPrincipal(value, kind, ref=ref)
    text = _text(value)
    if text and not text.replace(UNKNOWN, ""):  # pieces none of them known: nothing to judge
        return FederatedPrincipal(value, "unknown", ref=ref)
    if text in BUILTIN_HOSTS:
        return FederatedPrincipal(value, "builtin", host=text, ref=ref)
    match = _ARN.fullmatch(text)
    if not match:
        if text.startswith(("https://", "http://")) or "." in text and "/" not in text.split(".")[0]:
            problem = (f"`{text}` is an issuer, not a provider ARN: name the IAM OIDC provider as "
                       "`arn:aws:iam::<account>:oidc-provider/<host>`")
        elif not text:
            problem = "it is an empty string, not an IAM OIDC provider ARN"
        else:
            problem = f"`{text.replace(UNKNOWN, '${...}')}` is not an IAM OIDC provider ARN"
        return FederatedPrincipal(value, "malformed", problem=problem, ref=ref)
    _partition, account, resource_type, host = match.groups()
    if resource_type == "saml-provider":
        return FederatedPrincipal(value, "saml", ref=ref)
    if resource_type != "oidc-provider":
        return FederatedPrincipal(value, "malformed", ref=ref, problem=(
            f"the ARN names `{resource_type}`; an OIDC provider ARN has `oidc-provider/<host>`"))
    if UNKNOWN not in account and not re.fullmatch(r"\d{12}", account):
        return FederatedPrincipal(value, "malformed", ref=ref, problem=(
            f"`{account}` is not a 12-digit account id"))
    if not host:
        return FederatedPrincipal(value, "malformed", ref=ref, problem=(
            "the ARN has no issuer host after `oidc-provider/`"))
    if "://" in host:
        # Also when the rest is not known: an issuer URL appended whole
        # (`oidc-provider/${aws_eks_cluster.x.identity[0].oidc[0].issuer}`) keeps its scheme,
        # and no IAM provider's issuer has one.
        return FederatedPrincipal(value, "malformed", ref=ref,
                                  host=None if UNKNOWN in host else host, problem=(
            "the issuer in a provider ARN has no scheme: drop `https://`"))
    if UNKNOWN in host:
        return FederatedPrincipal(value, "oidc", ref=ref,
                                  partial_host=_tail(value, match.start(4)))
    return FederatedPrincipal(value, "oidc", host=host, ref=ref)
