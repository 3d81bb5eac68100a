"""The least-privilege trust ``oidclint fix --narrow ROLE`` proposes: the conditions
``iam.narrowing`` synthesises for the workloads linked to the role, written in the syntax of
the role's trust (``aws_iam_policy_document`` condition blocks, a ``jsonencode`` map,
CloudFormation YAML, policy JSON), and the proof: the proposed statement evaluated, with the
claims machinery the rules use, for every way each linked workload runs and for tokens of
another owner, repository, branch, environment or ServiceAccount. Nothing is written: a
proposal may admit more than the current trust, and widening a trust is a person's call."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from oidclint.findings import printable
from oidclint.graph import Trust, TrustGraph
from oidclint.iam.claims import GITHUB_HOST, Token, admits
from oidclint.iam.narrowing import Narrowing, Proposed, Run, judge, probes
from oidclint.model import Role, Statement
from oidclint.reading import read_text
from oidclint.source import Span

SYNTAX_NAMES = {
    "policy-document": "aws_iam_policy_document condition blocks",
    "jsonencode": "a jsonencode map",
    "yaml": "CloudFormation YAML",
}


def _syntax_name(syntax: str, path: str, source: str) -> str:
    """The syntax as the header names it; JSON by where it is written."""
    if syntax != "json":
        return SYNTAX_NAMES[syntax]
    if path.endswith((".tf", ".hcl")):
        return "heredoc JSON"
    return "CloudFormation JSON" if '"Resources"' in source else "policy JSON"
UNKNOWN_HOST = "<issuer>"
"""Stands for an issuer host the scan does not know, in a key written out."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """What ``fix --narrow`` prints, and whether it proposes anything (else it exits 1)."""

    text: str
    proposed: bool


def _heading(graph: TrustGraph, role: Role) -> tuple[list[str], Proposal | None]:
    """The first line of a proposal, or the whole answer when none is made."""
    narrowing = graph.narrowing(role)
    workloads = {id(run.workload): run.workload for run in narrowing.runs}
    where = f" ({_at(role.span)})" if role.span else ""
    if not narrowing.runs:
        return [], Proposal(printable(f"No proposal for {role.address}{where}: "
                                      f"{narrowing.unknown[0]}.\n"), False)
    lines = [f"Narrowest trust for {role.address}{where}, from {len(narrowing.runs)} "
             f"way{'s' if len(narrowing.runs) != 1 else ''} its {len(workloads)} linked "
             f"workload{'s' if len(workloads) != 1 else ''} run:"]
    if not narrowing.proposed:
        lines += [f"  {why}." for why in narrowing.unknown]
        lines.append("Nothing is proposed: oidclint does not guess a subject it cannot know.")
        return lines, Proposal(printable("\n".join(lines) + "\n"), False)
    return lines, None


def _first_run(graph: TrustGraph, role: Role, narrowing: Narrowing):
    """The workload of the first linked run, and the role's statement trusting its issuer
    (``None`` when none does)."""
    first = narrowing.runs[0].workload
    return first, next(iter(graph.trusts_for(first, role)), None)


def explain_narrowed(graph: TrustGraph, role: Role) -> Proposal:
    """``explain ROLE --narrowed``: the proposed conditions and their proof, per way each
    linked workload runs and per token of another owner, repository, branch, environment,
    pull request or ServiceAccount, without the text to paste (``fix --narrow`` writes it)."""
    lines, answer = _heading(graph, role)
    if answer is not None:
        return answer
    narrowing = graph.narrowing(role)
    first, trust = _first_run(graph, role, narrowing)
    lines.append(f"  {narrowing.summary()}")
    lines.append("Proof (the proposed statement evaluated for each token):")
    lines += proof(graph, role, narrowing, _host(trust, first.issuer, first.kind), trust)
    return Proposal(printable("\n".join(lines) + "\n"), True)


def propose(graph: TrustGraph, role: Role, root: Path) -> Proposal:
    """The proposal for one role, with its proof; or why none is made."""
    lines, answer = _heading(graph, role)
    if answer is not None:
        return answer
    narrowing = graph.narrowing(role)
    first, trust = _first_run(graph, role, narrowing)
    # The statement the proposal is for: the one trusting the workloads' issuer, else the
    # role's first web identity statement (whose keys name another issuer: not reused).
    written = trust.statement if trust else next(
        (t.statement for t in graph.trusts_of_role(role) if t.web_identity), None)
    host = _host(trust, first.issuer, first.kind)
    source = _source(written, root)
    span = written.span if written else role.span
    syntax = _syntax(span, source)
    written_host = host
    if host == UNKNOWN_HOST and syntax in ("policy-document", "jsonencode") and trust:
        # A Terraform provider resource knows its URL: the key is built from it, as IRSA
        # modules do.
        named = [p.address for p in trust.providers
                 if p.address.startswith("aws_iam_openid_connect_provider.")]
        if named:
            written_host = f'${{replace({named[0]}.url, "https://", "")}}'
    keys = {c.claim: _key(trust.statement if trust else None, c.claim, written_host, syntax,
                          source) for c in narrowing.conditions}
    claims = ", ".join(f"`{c.claim}`" for c in narrowing.conditions)
    at = f" at {_at(written.span)}" if written and written.span else ""
    name = _syntax_name(syntax, span.path if span else "", source)
    lines.append(f"In {name}, for the statement{at}; they take the place of "
                 f"its conditions on {claims}:")
    lines += ["", *("    " + line for line in render(narrowing.conditions, syntax, keys)), ""]
    lines += [f"  note: {note}." for note in narrowing.notes]
    if any(UNKNOWN_HOST in key for key in keys.values()):
        lines.append(f"  note: the issuer host is not known statically: write it in place of "
                     f"`{UNKNOWN_HOST}`.")
    lines.append("Proof (the proposed statement evaluated for each token):")
    lines += proof(graph, role, narrowing, host, trust)
    lines.append("Nothing was written: review the proposal and apply it by hand.")
    return Proposal(printable("\n".join(lines) + "\n"), True)


def proof(graph: TrustGraph, role: Role, narrowing: Narrowing, host: str,
          trust: Trust | None) -> list[str]:
    """Per linked run, that the proposed statement admits it (and whether the current trust
    does); per probe, that it is refused, or which linked run needs it admitted."""
    issuer = trust.issuer if trust else None
    statement = narrowing.statement(host)
    lines = []
    for run in narrowing.runs:
        verdict = judge(statement, run.token, issuer, narrowing.runs)
        current = _current(graph, role, run)
        note = " (the current trust refuses it: the proposal admits more here)" \
            if current is False else ""
        lines.append(f"  {_word(verdict.admitted)} {run.label}: `{run.token.shown}`{note}")
    for probe in probes(narrowing.runs, graph.repository, _template(graph),
                        graph.immutable_subjects(graph.repository)):
        verdict = judge(statement, probe.token, issuer, narrowing.runs)
        needed = ""
        if verdict.admitted and verdict.presented_by is not None:
            by = verdict.presented_by
            needed = f", as {by.label} needs (`{by.token.shown}`)"
        elif verdict.admitted:
            needed = ", which no linked workload presents"
        lines.append(f"  {_word(verdict.admitted)} {probe.what}: `{probe.subject}`{needed}")
    return lines


def _word(verdict: bool | None) -> str:
    return {True: "admits ", False: "refuses", None: "unknown"}[verdict]


def _template(graph: TrustGraph) -> tuple[str, ...] | None:
    template = graph.subject_template()
    return template if isinstance(template, tuple) else None


def _current(graph: TrustGraph, role: Role, run: Run) -> bool | None:
    """Whether the role's current trust admits the run's token (three-valued)."""
    token: Token = run.token
    subject = token.example_subject
    if subject is None:
        return None
    verdicts = {admits(t.statement, token, t.issuer, subject)
                for t in graph.trusts_for(run.workload, role)}
    return True if True in verdicts else None if None in verdicts else False


def _host(trust: Trust | None, issuer: object, kind: str) -> str:
    """The issuer host the keys name: the statement's, the workload's, or GitHub's."""
    if trust is not None and trust.hosts:
        return trust.hosts[0]
    if isinstance(issuer, str):
        return str(issuer)
    return GITHUB_HOST if kind == "github-actions" else UNKNOWN_HOST


def _at(span: Span) -> str:
    return printable(str(span), newlines=False)


def _source(statement: Statement | None, root: Path) -> str:
    """The text of the file the statement is written in ("" when it cannot be read)."""
    if statement is None or statement.span is None:
        return ""
    try:
        return read_text(root / statement.span.path, root=root)
    except (OSError, ValueError):
        return ""


def _syntax(span: Span | None, source: str) -> str:
    """How the trust is written: ``policy-document``, ``jsonencode``, ``yaml`` or ``json``."""
    path = span.path if span else ""
    if path.endswith((".yaml", ".yml", ".template")):
        return "json" if source.lstrip().startswith("{") else "yaml"
    if not path.endswith((".tf", ".hcl")) or span is None:
        return "json"
    lines = source.splitlines()[span.line - 1:span.line + 15]
    head = lines[0][span.column - 1:].lstrip() if lines else ""
    if head.startswith("statement"):
        return "policy-document"
    return "json" if re.search(r'"Effect"\s*:', "\n".join(lines)) else "jsonencode"


def _slice(source: str, span: Span) -> str:
    lines = source.splitlines()
    if span.line != span.end_line or not 0 < span.line <= len(lines):
        return ""
    return lines[span.line - 1][span.column - 1:span.end_column - 1]


def _key(statement: Statement | None, claim: str, host: str, syntax: str,
         source: str) -> str:
    """The condition key for a claim as the source writes its keys: an existing key's text
    with its claim swapped (``"${local.github_issuer}:sub"``), else the host's."""
    for condition in statement.conditions if statement else []:
        if condition.span is None or not condition.claim:
            continue
        written = _slice(source, condition.span)
        at = written.lower().rfind(":" + condition.claim)
        if at >= 0 and written.count(":") and _quoted_or_plain(written, syntax):
            return written[:at + 1] + claim + written[at + 1 + len(condition.claim):]
    if host.startswith("${"):  # an expression of the trust's own language
        return f'"{host}:{claim}"'
    return _string(f"{host}:{claim}", syntax)


def _quoted_or_plain(written: str, syntax: str) -> bool:
    """The text at a key's span is the key as written (quoted in HCL and JSON)."""
    if syntax == "yaml":
        return "\n" not in written
    return len(written) > 1 and written[0] == written[-1] == '"'


def _string(text: str, syntax: str) -> str:
    """A string literal in the syntax; in HCL, ``${`` and ``%{`` written so as not to start a
    template sequence."""
    quoted = json.dumps(text, ensure_ascii=False)
    if syntax in ("policy-document", "jsonencode"):
        quoted = quoted.replace("${", "$${").replace("%{", "%%{")
    return quoted


def render(conditions: tuple[Proposed, ...], syntax: str, keys: dict[str, str]) -> list[str]:
    """The proposed conditions as lines of the trust's syntax."""
    values = {c.claim: [_string(v, syntax) for v in c.values] for c in conditions}
    if syntax == "policy-document":
        out: list[str] = []
        for c in conditions:
            out += ["condition {", f'  test     = "{c.operator}"', f"  variable = {keys[c.claim]}"]
            if len(c.values) == 1:  # `values` is a list, whatever it holds
                out.append(f"  values   = [{values[c.claim][0]}]")
            else:
                out += _list("  values   = ", values[c.claim], "  ", "=")
            out.append("}")
        return out
    operators = list(dict.fromkeys(c.operator for c in conditions))
    if syntax == "jsonencode":
        out = ["Condition = {"]
        for operator in operators:
            out.append(f"  {operator} = {{")
            for c in conditions:
                if c.operator == operator:
                    out += _list(f"    {keys[c.claim]} = ", values[c.claim], "    ", "=")
            out.append("  }")
        return out + ["}"]
    if syntax == "yaml":
        out = ["Condition:"]
        for operator in operators:
            out.append(f"  {operator}:")
            for c in conditions:
                if c.operator != operator:
                    continue
                if len(values[c.claim]) == 1:
                    out.append(f"    {keys[c.claim]}: {values[c.claim][0]}")
                else:
                    out += [f"    {keys[c.claim]}:"] + [f"      - {v}" for v in values[c.claim]]
        return out
    out = ['"Condition": {']
    for i, operator in enumerate(operators):
        out.append(f'  "{operator}": {{')
        mine = [c for c in conditions if c.operator == operator]
        for j, c in enumerate(mine):
            lines = _list(f"    {keys[c.claim]}: ", values[c.claim], "    ", ":")
            lines[-1] += "," if j < len(mine) - 1 else ""
            out += lines
        out.append("  }" + ("," if i < len(operators) - 1 else ""))
    return out + ["}"]


def _list(head: str, items: list[str], indent: str, assign: str) -> list[str]:
    """``head`` followed by one value, or a list of them one a line (HCL keeps a trailing
    comma, JSON does not)."""
    if len(items) == 1:
        return [head + items[0]]
    comma = "," if assign == "=" else ""
    return [head + "[", *(f"{indent}  {v}," for v in items[:-1]),
            f"{indent}  {items[-1]}{comma}", f"{indent}]"]
