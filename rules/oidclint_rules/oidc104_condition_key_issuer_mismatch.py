from __future__ import annotations

from oidclint.iam.catalog import GLOBAL_KEY_PREFIXES
from oidclint.iam.conditions import holds_when_absent
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Partial


class ConditionKeyIssuerMismatch(Rule):
    """
    ## What it does
    Flags a condition key whose issuer part (before `:sub`, `:aud` ...) is not the issuer the
    statement trusts: a key built from an EKS cluster's issuer URL that still carries
    `https://`, a trailing slash on one side only, another cluster's id, a typo. When the
    trusted issuer is only partly known (a cluster's, before the cluster exists:
    `oidc.eks.<region>.amazonaws.com/id/<id>`), a key whose known host can never have that
    form (`oidc.eks.amazonaws.com:sub`) is reported all the same.

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

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    - https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """

    id = "OIDC104"
    name = "condition-key-issuer-mismatch"
    level = Level.ERROR
    summary = "A condition key's issuer prefix is not the issuer the statement trusts"
    tags = ("correctness", "iam", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            trusted = trust.hosts + [str(h) for h in trust.partial_hosts]
            for condition in trust.statement.conditions:
                prefix = condition.issuer_prefix
                if prefix is None:
                    continue
                known = prefix.known_prefix if isinstance(prefix, Partial) else str(prefix)
                if known.startswith(("https://", "http://")):
                    problem = (f"Condition key `{condition.key}` starts with `{known.split('//')[0]}//`;"
                               " IAM names claims `<issuer host>:<claim>`, without a scheme")
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
                )
