from __future__ import annotations

import re

from oidclint.iam.catalog import GLOBAL_KEY_PREFIXES
from oidclint.iam.conditions import EXACT_OPERATORS, holds_when_absent
from oidclint.model import Condition, Fix, Level, TextEdit
from oidclint.policy_edits import Places, has_wildcard, literal_values, written_in_statement
from oidclint.rule import Rule
from oidclint.source import Partial, Str, span_of

_URL_KEY = re.compile(
    r'"\$\{\s*(?P<url>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[0-9]+\])+)\s*\}(?P<claim>:[\w.-]+)"')
"""A Terraform key made of one reference (a provider's `url`, a cluster's issuer) and a
claim: `"${aws_iam_openid_connect_provider.eks.url}:sub"`."""


class ConditionKeyIssuerMismatch(Rule):
    """
    ## What it does
    Flags a condition key whose issuer part (before `:sub`, `:aud` ...) is not the issuer the
    statement trusts: a key built from an EKS cluster's issuer URL that still carries
    `https://`, a trailing slash on one side only, another cluster's id, a typo. When the
    trusted issuer is only partly known (a cluster's, before the cluster exists:
    `oidc.eks.<region>.amazonaws.com/id/<id>`), a key whose known host can never have that
    form (`oidc.eks.amazonaws.com:sub`) is reported all the same, and so is a key holding
    `https://` anywhere (an issuer URL put where the cluster id goes:
    `oidc.eks.<region>.amazonaws.com/id/${<cluster>.issuer}`). A Terraform variable with no
    value that a provider of the module takes whole as its `url` (`url = var.issuer`) begins
    with `https://`, as IAM accepts no other provider URL: `"${var.issuer}:sub"` is reported.

    ## Why it matters
    IAM names the claims of a token `<issuer host>:<claim>`, with the host exactly as in the
    provider's ARN. A key for any other prefix is absent from the request: a positive
    condition on it never holds (every token is denied with `Not authorized to perform
    sts:AssumeRoleWithWebIdentity`: an error), and a negated, `IfExists` or `ForAllValues:`
    one restricts nothing (a warning).

    ## Example
    ```hcl
    condition {
      test     = "StringEquals"
      variable = "${aws_eks_cluster.main.identity[0].oidc[0].issuer}:sub"  # https://oidc.eks...
      values   = ["system:serviceaccount:payments:api"]
    }
    ```

    ## Fix
    Build the key from the provider: `"${replace(aws_iam_openid_connect_provider.eks.url,
    "https://", "")}:sub"`, or strip the scheme with `trimprefix(..., "https://")`.

    `oidclint scan --fix` does it in Terraform when the key is written in the statement as
    one reference and a claim (`"${<reference>}:sub"`, in a policy document, a `jsonencode`
    map or heredoc JSON) whose value starts with `https://` and, without it, is the issuer the
    statement trusts: the reference becomes `replace(<reference>, "https://", "")`. A
    condition that restricted nothing then restricts; one that denied every token admits
    what it names, so the fix is made only when that is exact values under `StringEquals`.
    Other keys (a typo, another cluster, a literal host) are left to a person.

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    - https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
    """

    id = "OIDC104"
    name = "condition-key-issuer-mismatch"
    level = Level.ERROR
    summary = "A condition key's issuer prefix is not the issuer the statement trusts"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        places = Places(graph.web_identity_trusts(allowing=False), graph.line)
        for trust in graph.web_identity_trusts():
            trusted = trust.hosts + [str(h) for h in trust.partial_hosts]
            for condition in trust.statement.conditions:
                prefix = condition.issuer_prefix
                if prefix is None:
                    continue
                known = prefix.known_prefix if isinstance(prefix, Partial) else str(prefix)
                inside = _scheme_inside(prefix)
                if known.startswith(("https://", "http://")):
                    problem = (f"Condition key `{condition.key}` starts with `{known.split('//')[0]}//`;"
                               " IAM names claims `<issuer host>:<claim>`, without a scheme")
                elif inside:
                    # An issuer URL put where the key's host or cluster id goes
                    # (`oidc.eks.<region>.amazonaws.com/id/${cluster.issuer}`).
                    problem = (f"Condition key `{condition.key}` holds `{inside}` after its "
                               "start; IAM names claims `<issuer host>:<claim>`, and no issuer "
                               "host holds a scheme")
                elif isinstance(prefix, Partial) or not trusted:
                    continue
                elif known.lower() in GLOBAL_KEY_PREFIXES or ("." not in known and "/" not in known):
                    continue
                elif trust.may_be_issuer(known):
                    continue
                else:
                    # A partly known issuer (a cluster's, before it exists) is decided by its
                    # known text: `oidc.eks.amazonaws.com` never has the form
                    # `oidc.eks.<region>.amazonaws.com/id/<id>`, whatever region and id.
                    problem = (f"Condition key `{condition.key}` is for issuer `{known}`, but the "
                               "statement trusts " + ", ".join(f"`{h}`" for h in trusted)
                               + (", which can never be that host" if trust.partial_hosts else ""))
                vacuous = holds_when_absent(condition)
                yield self.finding(
                    condition.key,
                    f"{problem}: the key is absent from every request, so this condition "
                    + ("restricts nothing." if vacuous else "never holds and every token is denied."),
                    trust=trust,
                    # Restricting nothing breaks nothing: not an error, but no safeguard either.
                    level=Level.WARNING if vacuous else None,
                    fix="Write the key as `<issuer host without https://>:<claim>`, e.g. with "
                    "`replace(<provider>.url, \"https://\", \"\")`.",
                    evidence={"fingerprint": f"{condition.key}"},
                    autofix=scheme_stripped(graph, places, trust, condition),
                )


def scheme_stripped(graph, places: Places, trust, condition: Condition) -> Fix | None:
    """The key's reference wrapped in ``replace(..., "https://", "")``, where that gives the
    issuer the statement trusts, in every statement written there."""
    key, span = condition.key, span_of(condition.key)
    if span is None or not written_in_statement(key, trust.statement):
        return None
    if span not in places.fixes:
        places.fixes[span] = _scheme_stripped(graph, places, span)
    return places.fixes[span]


def _scheme_stripped(graph, places: Places, span) -> Fix | None:
    written = graph.written(span)
    match = _URL_KEY.fullmatch(written or "")
    if match is None:
        return None
    if not all(_fixed_key_fits(other, c) for other, c in places.with_key(span)):
        return None
    url = match["url"]
    edit = TextEdit(span, written, f'"${{replace({url}, "https://", "")}}{match["claim"]}"')
    return Fix(f"Strip `https://` from the issuer in the key: `replace({url}, \"https://\", \"\")`.",
               (edit,))


def _fixed_key_fits(trust, condition: Condition) -> bool:
    """Without ``https://`` the key's issuer is one the statement trusts, and the condition
    then narrows, or admits only exact values. In a Deny (the same text read with another
    effect) a condition that starts to restrict lets in what the statement denied."""
    if not trust.statement.allows:
        return False
    prefix = condition.issuer_prefix
    if isinstance(prefix, Str) and prefix.startswith("https://"):
        host = str(prefix)[len("https://"):]
        if not trust.may_be_issuer(host):
            return False
    elif isinstance(prefix, Partial) and prefix.known_prefix.startswith("https://"):
        first = prefix.parts[0][len("https://"):]
        host = str(Partial(((first,) if first else ()) + prefix.parts[1:]))
        if host not in [str(h) for h in trust.partial_hosts]:
            return False
    else:
        return False
    if holds_when_absent(condition):
        return True  # it restricted nothing: fixed, it narrows
    values = literal_values(condition)
    return condition.base_operator in EXACT_OPERATORS and not condition.negated \
        and condition.qualifier is None and values is not None \
        and not any(has_wildcard(v) for v in values)


def _scheme_inside(prefix) -> str:
    """``https://`` (or ``http://``) in the known text of a key's issuer prefix."""
    pieces = [p for p in prefix.parts if isinstance(p, str)] if isinstance(prefix, Partial) \
        else [str(prefix)]
    return next((scheme for piece in pieces for scheme in ("https://", "http://")
                 if scheme in piece), "")
