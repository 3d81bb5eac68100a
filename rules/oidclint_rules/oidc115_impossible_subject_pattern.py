from __future__ import annotations

from oidclint.iam.conditions import patterns, restricts
from oidclint.iam.patterns import UNKNOWN, Pattern
from oidclint.iam.subjects import TooComplex, Verdict, check
from oidclint.model import Level
from oidclint.rule import Rule
from oidclint.source import Partial, Str

CHECKED_OPERATORS = frozenset({"StringEquals", "StringLike"})


class ImpossibleSubjectPattern(Rule):
    """
    ## What it does
    Checks every `sub` value of a trust (`StringEquals` value or `StringLike` pattern) against
    the subject forms its issuer documents, and flags a value that no token of that issuer can
    ever carry: `repo:acme/api:ref:main` (GitHub sends `ref:refs/heads/main`),
    `repo:acme/api:branch:main`, `repo:acme:api`, a truncated `repo:`,
    `repo:acme/api:environment:prod:pull_request`, `system:serviceaccounts:payments:api`,
    an HCP Terraform subject without its `project:` segment, a GitLab `project_path::...`
    left by an empty variable, or an exact Bitbucket subject that pins a step uuid (new on
    every run). Patterns are matched against the grammar, not against examples:
    `repo:acme/*` and `repo:acme/api:*main` are fine. Issuers without a modelled grammar
    (any OIDC issuer the catalog does not recognise) are not checked, nor are values whose
    unknown parts could make them valid.

    A statement whose principal is no provider ARN at all (OIDC103) is still read as the issuer
    its condition keys name (`token.actions.githubusercontent.com:sub`): a subject no token of
    that issuer carries is a second mistake, left when the principal is mended.

    On Google Cloud and Azure the subject a trust requires is checked the same way: an Azure
    federated identity credential's `subject`, a provider condition's `assertion.sub == '...'`,
    a `principal://.../subject/...` member. Neither has wildcards there (Entra compares the
    subject exactly, CEL's `==` compares text), so `repo:acme/*` in an Azure credential is a
    subject no token carries, and neither is `...:ref:refs/heads/*`: git allows no `*` in a
    ref name. A GitHub owner is letters, digits and hyphens, so a pattern that takes the
    repository URL's host for the owner (`repo:github.com/acme/api:*`) matches nothing.

    ## Why it matters
    The trust fails closed, silently: nothing is wrong until someone runs the workflow and
    reads `Not authorized to perform sts:AssumeRoleWithWebIdentity`.

    ## Example
    ```hcl
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/api:ref:main"]
    }
    ```

    ## Fix
    Write the subject in the issuer's form: `repo:acme/api:ref:refs/heads/main`,
    `system:serviceaccount:payments:api`,
    `organization:acme:project:platform:workspace:network:run_phase:apply`. When the value is
    built from a variable, make sure the variable is set.

    ## References
    - https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
    - https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload
    - https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/workload-identity-tokens
    - https://buildkite.com/docs/agent/v3/cli-oidc
    - https://circleci.com/docs/openid-connect-tokens/
    - https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/
    - https://docs.spacelift.io/integrations/cloud-providers/oidc/
    - https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """

    id = "OIDC115"
    name = "impossible-subject-pattern"
    level = Level.ERROR
    summary = "A subject pattern no token of the trusted issuer can match"
    tags = ("correctness", "oidc")

    def check(self, graph):
        for trust in graph.web_identity_trusts():
            # A principal that is no provider ARN is OIDC103's; the subject is still read as
            # the issuer the condition keys name, a second mistake of its own.
            issuer = trust.written_for
            if issuer is None:
                continue
            for condition in trust.conditions_on("sub"):
                if not restricts(condition) or condition.base_operator not in CHECKED_OPERATORS:
                    continue
                for value, pattern in zip(condition.values, patterns(condition)):
                    if pattern is not None and not pattern.glob and (
                            "*" in pattern.text or "?" in pattern.text):
                        continue  # a wildcard under StringEquals is OIDC106's finding
                    try:
                        verdict = check(issuer.kind, pattern)
                    except TooComplex as exc:
                        yield self.undecided(
                            value, f"whether any {issuer.title} subject matches the `sub` value "
                            f"of {trust.role.address} ({len(pattern.text):,} characters) is "
                            f"too complex to decide ({exc}); it is not checked.",
                            trust=trust, fallback=[condition.key])
                        continue
                    if verdict is None:
                        continue
                    message, fix = explain(verdict, issuer.title, value, trust)
                    yield self.finding(
                        value,
                        message,
                        trust=trust,
                        fallback=[condition.key],
                        fix=fix,
                        evidence={"fingerprint": str(pattern),
                                  "segment": readable(verdict.segment),
                                  "suggestions": [s for s, _ in verdict.suggestions]},
                    )
        yield from self._cloud_subjects(graph)

    def _cloud_subjects(self, graph):
        """The subject a Google Cloud or Azure trust requires (an Azure credential's exact
        subject, `assertion.sub == '...'`, a `principal://.../subject/...` member), read
        with the issuer's subject grammar as on AWS. Neither cloud has wildcards there:
        Entra and CEL's `==` compare text, so a `*` is a character no subject holds."""
        for trust in graph.cloud_trusts:
            issuer = trust.kind
            pattern = Pattern.of(trust.subject, glob=trust.subject_glob) \
                if trust.subject is not None else None
            if issuer is None or pattern is None:
                continue
            try:
                verdict = check("kubernetes" if issuer.service_accounts else issuer.kind,
                                pattern)
            except TooComplex as exc:
                yield self.undecided(
                    trust.subject, f"whether any {issuer.title} subject matches the subject "
                    f"of {trust.address} is too complex to decide ({exc}); it is not checked.",
                    fallback=[trust.span])
                continue
            if verdict is None:
                continue
            message, fix = explain(verdict, issuer.title, trust.subject, None)
            if not trust.subject_glob and any(c in pattern.text for c in "*?"):
                message += (" `*` and `?` are characters here, not wildcards: the subject is "
                            "compared as written.")
            yield self.finding(
                trust.subject,
                f"{trust.address}: {message}",
                address=trust.address,
                fallback=[trust.span],
                related=trust.related,
                fix=fix,
                evidence={"fingerprint": str(pattern), "segment": readable(verdict.segment)},
            )


def readable(text: str) -> str:
    """Pattern text as a message quotes it: the verdict quotes the pattern's own text, where
    an unknown piece is a marker character."""
    return text.replace(UNKNOWN, "${...}")


def explain(verdict: Verdict, title: str, value: object, trust) -> tuple[str, str]:
    shown = str(verdict.pattern)
    prefix, segment = readable(verdict.prefix), readable(verdict.segment)
    if verdict.volatile:
        message = (f"`{shown}` pins the step uuid `{segment}`, which {title} issues anew "
                   "for every run: no future token carries this subject.")
    elif verdict.empty_segment:
        where = f"after `{prefix}`" if prefix else "at the start"
        if segment:
            message = f"`{shown}` has an empty segment {where}: no {title} subject has one."
        else:
            message = f"`{shown}` stops {where}: every {title} subject continues there."
        origin = variable_origin(value, trust)
        if origin:
            message += f" The value came from {origin} that was empty or unset."
    elif not segment:
        message = f"`{shown}` ends too early: every {title} subject continues"
        if 0 < len(verdict.expected) <= 3:
            message += " with " + " or ".join(
                f"`{e}`" if len(e) == 1 else e for e in verdict.expected)
        message += ", so no token matches it."
    elif not prefix:
        message = (f"`{shown}` does not start like any {title} subject (`{verdict.example}`): "
                   "no token matches it.")
    else:
        message = (f"`{segment.lstrip(':')}` after `{prefix}` in `{shown}` is not part "
                   f"of any {title} subject: no token matches it.")
    if verdict.suggestions:
        fixed, why = verdict.suggestions[0]
        others = "".join(f" or `{s}`" for s, _ in verdict.suggestions[1:2])
        fix = f"Did you mean `{fixed}`{others}? ({why})"
        message += f" Nearest valid form: `{fixed}`."
    else:
        fix = f"Write the subject in the issuer's documented form, e.g. `{verdict.example}`."
        if verdict.empty_segment:
            fix = "Set the variable the value is built from, or " + fix[0].lower() + fix[1:]
    return message, fix


def variable_origin(value: object, trust) -> str | None:
    """``a variable`` when the value was built from one, as far as the source shows it: a
    template wider than its text (``"repo:${var.org}/..."``), a value located outside its
    statement (a variable or parameter default), or a value with unknown parts."""
    if isinstance(value, Partial):
        names = [u.origin for u in value.unknowns]
        return f"`{names[0]}`" if names else "a variable"
    if not isinstance(value, Str) or value.span is None or trust is None:
        return None
    span = value.span
    statement = trust.statement.span
    if statement is not None and span.path == statement.path and not (
            statement.line <= span.line <= statement.end_line):
        return "a variable or parameter"
    if span.line == span.end_line and span.end_column - span.column > len(value) + 2 \
            and "\\" not in str(value) and '"' not in str(value):
        return "an interpolated variable or parameter"
    return None
