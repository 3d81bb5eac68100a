"""Why AWS would admit or refuse a token: a role's trust evaluated statement by statement,
condition by condition, for claims a person gives or a workload presents."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from oidclint.findings import printable
from oidclint.graph import WEB_IDENTITY_ACTION, Trust, TrustGraph, role_name_in
from oidclint.iam.claims import describe, subject_ruled_out
from oidclint.iam.conditions import condition_holds
from oidclint.iam.federation import CLOUD_TITLES, token_audience, token_claims, token_issuer
from oidclint.model import Condition, Role, Workload
from oidclint.source import Span, render

NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


@dataclass(frozen=True, slots=True)
class Explanation:
    """What ``explain`` prints, and whether AWS would refuse some token it covers (``oidclint
    explain`` then exits 1, so a script can tell)."""

    text: str
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    """The claims of a token: claim name (``sub``) or full key (``host:sub``) to its value."""

    claims: dict[str, str]
    issuer: str | None = None

    def for_statement(self, hosts: list[str]) -> dict[str, list[str]]:
        """The request context STS builds: ``<issuer host>:<claim>`` keys."""
        context: dict[str, list[str]] = {}
        issuers = [self.issuer] if self.issuer else hosts
        for name, value in self.claims.items():
            if ":" in name:
                context[name.lower()] = [value]
                continue
            for host in issuers:
                context[f"{host}:{name}".lower()] = [value]
        return context


def find_roles(graph: TrustGraph, wanted: str) -> list[Role]:
    """Roles by address, name or ARN."""
    name = role_name_in(wanted)
    return [r for r in graph.roles
            if r.address == wanted or (isinstance(r.name, str) and r.name in (wanted, name))]


def find_workloads(graph: TrustGraph, wanted: str) -> list[Workload]:
    """Workloads by ``PATH:JOB`` (``.github/workflows/deploy.yml:deploy``) or by name."""
    path, _, job = wanted.rpartition(":")
    found = []
    for workload in graph.workloads:
        if wanted == workload.name:
            found.append(workload)
        elif path and _same_file(workload.span.path, path) and (
            workload.name.endswith(f" {job}") or f" {job} " in workload.name
            or workload.name.endswith(f"/{job}")
        ):
            found.append(workload)
    return found


def _same_file(scanned: str, given: str) -> bool:
    """A path as reported (root-relative) against one a person typed (maybe cwd-relative)."""
    given = given.removeprefix("./")
    return scanned == given or scanned.endswith("/" + given)


def _at(span: Span) -> str:
    """``path:line:column``, a file name with a line break or an escape shown escaped."""
    return printable(str(span), newlines=False)


def _verdict(result: bool | None) -> str:
    return {True: "holds", False: "FAILS", None: "unknown"}[result]


def _condition_line(condition: Condition, context: dict[str, list[str]],
                    request: Request) -> tuple[str, bool | None]:
    key = str(condition.key).lower() if isinstance(condition.key, str) else None
    claim = condition.claim
    if key is None and claim in request.claims:
        # The issuer part of the key is computed (an EKS cluster's issuer): judge by the claim.
        key = claim
        context = {claim: [request.claims[claim]]}
        condition = Condition(condition.operator, claim, condition.values, condition.span)
    result = condition_holds(condition, context)
    present = context.get(key) if key else None
    values = ", ".join(f"`{render(v)}`" for v in condition.values)
    if key is None:
        seen = "the key is not known statically"
    elif present is None:
        seen = "the token has no such key"
    else:
        seen = "the token has " + ", ".join(f"`{v}`" for v in present)
    where = f" ({_at(condition.span)})" if condition.span else ""
    return (f"    {_verdict(result):7} {condition.operator} {condition.key} {values}: {seen}{where}",
            result)


def explain_trust(trusts: list[Trust], request: Request) -> tuple[list[str], bool]:
    """The statements evaluated for ``request``, line by line, and whether AWS would refuse
    the token (no statement admits it, and none might)."""
    lines: list[str] = []
    verdicts: list[bool | None] = []
    for trust in trusts:
        statement = trust.statement
        hosts = trust.hosts
        issuers = [host for host, _ in trust.issuers]
        label = f"  Statement {statement.index + 1}"
        if statement.sid:
            label += f" ({render(statement.sid)})"  # the reader passes any JSON value through
        if statement.span:
            label += f" at {_at(statement.span)}"
        lines.append(f"{label}: {statement.effect}, trusts "
                     + (", ".join(f"`{h}`" for h in issuers) or "no known OIDC issuer"))
        verdict: bool | None = True
        if not isinstance(statement.effect, str):  # it may be an Allow that admits the token
            lines.append("    unknown: what the statement says is not known statically")
            verdicts.append(None)
            continue
        if not statement.allows:
            lines.append("    skipped: not an Allow statement")
            continue
        if not trust.covers(WEB_IDENTITY_ACTION):
            lines.append(f"    FAILS   the actions do not include {WEB_IDENTITY_ACTION}")
            verdict = False
        if request.issuer and hosts and request.issuer not in hosts:
            lines.append(f"    FAILS   the token's issuer `{request.issuer}` is not this statement's")
            verdict = False
        context = request.for_statement(hosts)
        for condition in statement.conditions:
            line, result = _condition_line(condition, context, request)
            lines.append(line)
            if result is False:
                verdict = False
            elif result is None and verdict:
                verdict = None
        lines.append(f"    => statement {_verdict(verdict)}")
        verdicts.append(verdict)
    refused = True not in verdicts and None not in verdicts
    if True in verdicts:
        lines.append("AWS would admit this token.")
    elif refused:
        lines.append(f"AWS would answer: {NOT_AUTHORIZED} (no statement admits the token).")
    else:
        lines.append("The answer depends on values not known statically (marked unknown).")
    return lines, refused


def explain_role(graph: TrustGraph, role: Role, request: Request) -> Explanation:
    trusts = graph.trusts_of_role(role)
    header = f"Trust of {role.address} ({_at(role.span)}) for " + ", ".join(
        f"{k}={v}" for k, v in request.claims.items())
    if not trusts:
        return Explanation(
            header + "\n  the role has no trust policy statements the scan could read\n")
    lines, refused = explain_trust(trusts, request)
    return Explanation("\n".join([header, *lines]) + "\n", refused)


def explain_workload(graph: TrustGraph, workload: Workload) -> Explanation:
    """Each way the workload runs, its token evaluated against each role it may assume;
    ``refused`` when AWS would refuse some of them."""
    if workload.cloud != "aws":
        return explain_cloud_workload(graph, workload)
    roles = graph.assumed_roles(workload)
    if not roles:
        if workload.role is None:
            return Explanation(f"{workload.name}: names no role to assume.\n")
        return Explanation(
            f"{workload.name}: assumes `{workload.role}`, which the scan does not define.\n")
    out = []
    refusals: dict[tuple, list[bool]] = {}
    """For each way the workload runs (a token, a choice of claim values), each role's answer."""
    link = graph.link(workload)
    if not link.certain:  # which of them it reaches is not known (``graph.Link``)
        out.append(f"{workload.name} may assume any of " + ", ".join(
            f"{r.address} in {r.scope}" for r in roles) + "".join(
            f"; or {u.label} ({u.span})" for u in link.unseen))
    for role in roles:
        for number, token in enumerate(graph.tokens(workload)):
            subject = token.example_subject
            if subject is None and token.subject is not None:
                trusts = graph.trusts_for(workload, role)
                ruled_out = bool(trusts) and all(subject_ruled_out(t.statement, token)
                                                 for t in trusts)
                refusals.setdefault((number, ()), []).append(ruled_out)
                verdict = (f"; the trust of {role.address} refuses it whatever they are"
                           if ruled_out
                           else f"; whether the trust of {role.address} admits it depends on them")
                out.append(f"{describe(workload, token.context)}: presents `{token.shown}`, "
                           f"partly unknown{verdict}")
                continue
            if subject is None:
                why = (f"only partly known, `{token.subject}`" if token.subject is not None
                       else "unknown (pass --repository)")
                out.append(f"{describe(workload, token.context)}: subject {why}")
                continue
            claims = {"sub": subject, **token.claims}
            if token.audience:
                claims["aud"] = token.audience
            # A claim known to take one of several values (or none): each in turn.
            for choice in itertools.product(*([(k, v) for v in vs]
                                              for k, vs in token.options.items())):
                chosen = {**claims, **{k: v for k, v in choice if v is not None}}
                when = "".join(f", if `{k}` is `{v}`" if v is not None
                               else f", if the token carries no `{k}`" for k, v in choice)
                out.append(f"{describe(workload, token.context)} presents{when}:")
                explained = explain_role(graph, role, Request(chosen))
                out.append(explained.text.rstrip("\n"))
                refusals.setdefault((number, choice), []).append(explained.refused)
    # When which role it reaches is not known, a way it runs is refused only if every one of
    # them refuses it.
    refused = any(any(answers) if link.certain else not link.unseen and all(answers)
                  for answers in refusals.values())
    return Explanation("\n".join(out) + "\n", refused)


def explain_cloud_workload(graph: TrustGraph, workload: Workload) -> Explanation:
    """Each way a workload that authenticates to Google Cloud or Azure runs, its token
    judged by each trust it is set to use: the issuer, the audience, then what restricts the
    subject; ``refused`` when the cloud would refuse some of them."""
    cloud = CLOUD_TITLES[workload.cloud]
    trusts = graph.cloud_trusts_for(workload)
    names = f"`{workload.role}`" if workload.role is not None else "no principal"
    if not trusts:
        maybe = [t for t in graph.cloud_trusts
                 if t.cloud == workload.cloud and t.uses(workload) is None]
        said = (f"which of the scan's trusts it uses is not known statically ({len(maybe)} "
                "may be it: " + ", ".join(sorted({f"{t.address} in {t.scope or '.'}"
                                                   for t in maybe})) + ")"
                if maybe else "which names no trust the scan defines")
        return Explanation(f"{workload.name}: authenticates to {cloud} as {names} "
                           f"({render(workload.target) if workload.target is not None else 'no provider named'}), "
                           f"{said}.\n")
    issuer, audience = token_issuer(workload), token_audience(workload)
    out = [f"{workload.name}: authenticates to {cloud} as {names}; its tokens carry "
           f"iss=`{issuer or 'unknown'}`, aud=`{audience or 'unknown'}`"]
    for token in graph.tokens(workload):
        claims = token_claims(workload, token)
        if claims is None:
            out.append(f"{describe(workload, token.context)}: subject not known statically "
                       f"(`{token.shown or token.subject}`)")
            continue
        out.append(f"{describe(workload, token.context)} presents sub=`{claims['sub']}`:")
        for trust in trusts:
            verdict = trust.admits(claims)
            out.append(f"  {trust.address} ({_at(trust.span)}), for {trust.principal}: "
                       + {True: "admits", False: "REFUSES", None: "unknown"}[verdict])
    refused = graph.cloud_refusals(workload)
    for refusal in refused:
        why = {"issuer": f"no trust it uses has the issuer `{refusal.value}`",
               "audience": f"no trust it uses accepts the audience `{refusal.value}`",
               "subject": f"no trust it uses admits `{refusal.value}`"}[refusal.reason]
        out.append(f"{cloud} would refuse it: {why}; {refusal.answer}.")
    if not refused:
        out.append(f"{cloud} would admit these tokens, as far as the scan knows.")
    return Explanation("\n".join(out) + "\n", bool(refused))
