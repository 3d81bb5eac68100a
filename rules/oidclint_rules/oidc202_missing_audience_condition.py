from __future__ import annotations

from oidclint.iam.conditions import restricts
from oidclint.model import Fix, Level, TextEdit
from oidclint.policy_edits import (
    Places, block_before_end, entry_before, has_wildcard, is_hcl_block, key_literal, operators_of, string_literal,
    syntax_of, unquoted, written_in_statement,
)
from oidclint.rule import Rule
from oidclint.source import span_of


class MissingAudienceCondition(Rule):
    """
    ## What it does
    Flags an allowing web identity trust statement without a positive condition on `aud`.
    For Cognito identity pools and Google, where the audience is what separates your
    application from everyone else's, this is an error; for other issuers a note.

    ## Why it matters
    `cognito-identity.amazonaws.com` issues tokens for every identity pool of every AWS
    account; `aud` (the identity pool id) is the only thing that ties the role to yours.
    Without it, anyone who creates an identity pool can assume the role. For issuers with an
    IAM provider object, the client id list checks the audience too, but a trust that also
    pins `aud` states its intent and survives a provider shared by several teams.

    ## Example
    ```json
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity"
    ```

    ## Fix
    Add `StringEquals` on `<issuer>:aud`: the identity pool id for Cognito, the client id for
    Google, `sts.amazonaws.com` for GitHub Actions and EKS.

    `oidclint scan --fix` adds `StringEquals` on `<issuer host>:aud` with the audience the
    linked provider registers, when the statement trusts one IAM OIDC provider whose client
    id list is one known value, and has no condition on `aud` yet. The provider accepts only
    that audience already, so the condition admits no token the trust did not. It is added
    as a `condition` block at the end of a policy document's `statement`, as a key of the
    statement's `StringEquals` map (JSON, YAML, `jsonencode`) or else of its `StringLike` map
    (the audience has no wildcard: an exact test there too), or as a `StringEquals` map
    beside the statement's other operators. A statement without conditions, or with a
    `StringEquals` written elsewhere (a local, a variable), is left to a person; so is every
    Cognito and Google trust, whose audience is yours to choose.

    ## References
    - https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    """

    id = "OIDC202"
    name = "missing-audience-condition"
    level = Level.NOTE
    summary = "No aud restriction (error where aud is the boundary: Cognito, Google)"
    tags = ("security", "oidc")
    security_severity = 7.5

    def check(self, graph):
        places = Places(graph.web_identity_trusts(allowing=False), graph.line)
        for trust in graph.web_identity_trusts():
            issuer = trust.issuer
            if issuer is None or trust.has_unknown_keys:
                continue
            if any(restricts(c) for c in trust.conditions_on("aud")):
                continue
            if issuer.audience_is_boundary:
                yield self.finding(
                    trust.statement,
                    f"The statement trusts {issuer.title} without an `aud` condition: the audience "
                    f"is the only boundary between your application and every other one using "
                    f"{trust.issuer_shown}, so anyone's identities can assume {trust.role.address}.",
                    trust=trust,
                    level=Level.ERROR,
                    fix=f"Add `StringEquals` on `{trust.issuer_shown}:aud` with your identity pool or client id.",
                )
            else:
                yield self.finding(
                    trust.statement,
                    f"The statement does not restrict `aud`; the provider's client id list is the "
                    f"only audience check for {trust.role.address}.",
                    trust=trust,
                    fix=self.narrowed(graph, trust.role, f"Add `StringEquals` on "
                                      f"`{trust.issuer_shown}:aud`" + (
                                          f" = `{issuer.default_audiences[0]}`."
                                          if issuer.default_audiences else ".")),
                    autofix=audience_condition(graph, places, trust),
                )


def audience_condition(graph, places: Places, trust) -> Fix | None:
    """The condition requiring the audience the trust's one provider registers, written
    the same in every statement read from this text (a module called twice)."""
    span = trust.statement.span
    if span is None:
        return None
    if span not in places.fixes:
        edits = {_audience_edit(graph, other) for other in places.statements(span)}
        edit = edits.pop() if len(edits) == 1 else None
        places.fixes[span] = None if edit is None else Fix(
            "Require the audience the provider registers, with `StringEquals` on `aud`.",
            (edit,))
    return places.fixes[span]


def _audience_edit(graph, trust) -> TextEdit | None:
    statement = trust.statement
    # A condition added to a Deny (the same text read with another effect) would let in
    # what it denied.
    if not statement.allows or trust.conditions_on("aud") or len(trust.principals) != 1 \
            or len(trust.providers) != 1 or statement.span is None:
        return None
    provider = trust.providers[0]
    ids, host = provider.client_ids, provider.host
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str) \
            or not isinstance(host, str) or {h.lower() for h in trust.hosts} != {host.lower()}:
        return None
    key, audience = f"{host}:aud", str(ids[0])
    path = statement.span.path

    def lines(number: int) -> str | None:
        return graph.line(path, number)

    if is_hcl_block(statement.span, lines):
        variable, value = string_literal(key, "hcl"), string_literal(audience, "hcl")
        if variable is None or value is None:
            return None
        return block_before_end(statement.span, lines, [
            (0, "condition {"), (1, 'test     = "StringEquals"'),
            (1, f"variable = {variable}"), (1, f"values   = [{value}]"), (0, "}")])
    written = [c for c in statement.conditions if isinstance(c.operator, str)
               and written_in_statement(c.operator, statement)
               and written_in_statement(c.key, statement)]
    # One more key in the statement's StringEquals map, else in its StringLike map: the
    # audience has no wildcard, so it is an exact test there too, and a StringLike that
    # OIDC304's fix renames to StringEquals is then the one StringEquals map.
    equals = [c for c in written if str(c.operator) == "StringEquals"] or [
        c for c in written if str(c.operator) == "StringLike" and not has_wildcard(audience)]
    if equals:
        first = min((span_of(c.key) for c in equals), key=lambda s: (s.line, s.column))
        before = graph.written(first)
        syntax = syntax_of(path, lines(first.line), first)
        if syntax is None or before is None \
                or all(unquoted(before)[1] != str(c.key) for c in equals):
            return None  # not the key as the model reads it: the place is not certain
        new_key = key_literal(key, syntax, before)
        value = string_literal(audience, syntax)
        if new_key is None or value is None:
            return None
        separator = " = " if syntax == "hcl" else ": "
        return entry_before(first, before, lines, syntax,
                            lambda indent: f"{new_key}{separator}{value}" if indent
                            or syntax != "yaml" else _flow_entry(key, audience))
    if not written or operators_of(statement) & {"stringequals", "stringlike"}:
        return None
    # A StringEquals map beside the statement's first operator.
    first_condition = min(written, key=lambda c: (span_of(c.operator).line,
                                                  span_of(c.operator).column))
    operator = span_of(first_condition.operator)
    before = graph.written(operator)
    syntax = syntax_of(path, lines(operator.line), operator)
    if syntax is None or before is None \
            or unquoted(before)[1] != str(first_condition.operator):
        return None
    name = key_literal("StringEquals", syntax, before)
    new_key = key_literal(key, syntax, before)
    value = string_literal(audience, syntax)
    if name is None or new_key is None or value is None:
        return None
    if syntax == "json":
        return entry_before(operator, before, lines, syntax,
                            lambda _: f"{name}: {{{new_key}: {value}}}")
    if syntax == "hcl":
        return entry_before(operator, before, lines, syntax,
                            lambda _: f"{name} = {{ {new_key} = {value} }}")
    # YAML: a block mapping like the operator's own, else a flow one.
    inner = min((span_of(c.key) for c in written if span_of(c.operator) == operator),
                key=lambda s: (s.line, s.column))
    step = inner.column - operator.column
    if inner.line > operator.line and step > 0:
        return entry_before(operator, before, lines, syntax, lambda indent: (
            f"{name}:{indent}{' ' * step}{new_key}: {value}" if indent
            else f"{name}: {{{_flow_entry(key, audience)}}}"))
    return entry_before(operator, before, lines, syntax,
                        lambda _: f"{name}: {{{_flow_entry(key, audience)}}}")


def _flow_entry(key: str, audience: str) -> str:
    """A YAML flow mapping's entry, quoted: PyYAML, as CloudFormation tools read templates,
    takes no `:` inside a plain scalar there."""
    return f"{string_literal(key, 'json')}: {string_literal(audience, 'json')}"
