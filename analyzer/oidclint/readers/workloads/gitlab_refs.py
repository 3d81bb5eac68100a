"""The refs a GitLab CI job runs for, and the token contexts they give.

Read from ``rules:if`` expressions (https://docs.gitlab.com/ci/jobs/job_rules/), ``only`` and
``except`` (https://docs.gitlab.com/ci/yaml/#only--except) and ``workflow:rules`` as far as
they are static: a ref that cannot be ruled out is kept, so the refs over-approximate. A
regular expression on a ref name becomes globs that together match at least what it matches.
The token's ``sub`` ends in ``ref_type:<branch|tag>:ref:<name>``
(https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from oidclint.iam.patterns import glob_matches
from oidclint.iam.re2 import (Assertion, Atom, Group, InvalidPattern, Repeat, Unsupported,
                              compile_re2)
from oidclint.model import TokenContext
from oidclint.source import Span, Str, Text, Unknown, concat, span_of

MAX_GLOBS = 16
"""Alternatives a regular expression may spell out before it counts as any ref."""


@dataclass(frozen=True, slots=True)
class Refs:
    """Refs a pipeline can run for: a ref type and a ref name (exact, glob or unknown)."""

    ref_type: str = "*"
    """``branch``, ``tag``, or ``*`` for either."""
    ref: Text = "*"
    glob: bool = True
    merge_request: bool | None = None
    """True: merge request pipelines only (the ref is the source branch); False: never in
    them (branch, tag, schedule ... pipelines); None: either."""
    span: Span | None = None


def _meet(a: Refs, b: Refs) -> Refs | None:
    """Refs in both (or a superset of them when globs cannot be intersected exactly)."""
    if a.ref_type == "*":
        ref_type = b.ref_type
    elif b.ref_type in ("*", a.ref_type):
        ref_type = a.ref_type
    else:
        return None
    if None not in (a.merge_request, b.merge_request) and a.merge_request != b.merge_request:
        return None
    ref = _meet_ref(a, b)
    if ref is None:
        return None
    merge_request = b.merge_request if a.merge_request is None else a.merge_request
    return Refs(ref_type, ref[0], ref[1], merge_request, a.span or b.span)


def _meet_ref(a: Refs, b: Refs) -> tuple[Text, bool] | None:
    if a.glob and a.ref == "*":
        return b.ref, b.glob
    if b.glob and b.ref == "*":
        return a.ref, a.glob
    exact_a = isinstance(a.ref, str) and not a.glob
    exact_b = isinstance(b.ref, str) and not b.glob
    if exact_a and exact_b:
        return (a.ref, False) if a.ref == b.ref else None
    if exact_a or exact_b:
        exact, other = (a, b) if exact_a else (b, a)
        if other.glob and isinstance(other.ref, str) and not glob_match(other.ref, exact.ref):
            return None
        return exact.ref, False
    return a.ref, a.glob  # two globs, or an unknown name: the meet lies within the first


def _unique(refs: Iterable[Refs]) -> list[Refs]:
    seen: dict[tuple, Refs] = {}
    for r in refs:
        seen.setdefault((r.ref_type, str(r.ref), r.glob, r.merge_request), r)
    return list(seen.values())


def _meet_all(groups: list[list[Refs]]) -> list[Refs]:
    result = [Refs()]
    for group in groups:
        result = _unique(m for r in result for g in group if (m := _meet(r, g)) is not None)
    return result


def within(*groups: list[Refs]) -> list[Refs]:
    """The refs in one of each group's: pipelines that ``workflow:rules`` and an
    ``include:rules`` both admit, say."""
    return _meet_all(list(groups))


def glob_match(glob: str, text: str) -> bool:
    """IAM-style wildcards: ``*`` any run of characters, ``?`` one (in linear time)."""
    return glob_matches(glob, text)


def _context(refs: Refs, fallback: Span | None) -> TokenContext:
    kind = {"branch": "branch", "tag": "tag"}.get(refs.ref_type, "branch or tag")
    ref = refs.ref
    if refs.glob and ref == "*":
        label = "merge request (any source branch)" if refs.merge_request else f"any {kind}"
    else:
        shown = ref.origin if isinstance(ref, Unknown) else str(ref)
        label = f"{kind} matching {shown}" if refs.glob else f"{kind} {shown}"
        label = f"merge request from {label}" if refs.merge_request else label
    claims: dict[str, Text] = {}
    if refs.ref_type != "*":
        claims["ref_type"] = Str(refs.ref_type)
    if not refs.glob:
        claims["ref"] = ref
    if refs.merge_request:
        claims["pipeline_source"] = Str("merge_request_event")
    return TokenContext(
        label=label,
        subject=concat(("ref_type:", refs.ref_type, ":ref:", ref), refs.span or fallback),
        pattern=refs.glob or refs.ref_type == "*",
        span=refs.span or fallback,
        claims=claims,
    )


def contexts(refs: list[Refs], workflow: list[Refs], fallback: Span | None) -> list[TokenContext]:
    """The token contexts of a job that runs for ``refs`` in pipelines ``workflow`` admits."""
    met = _unique(m for r in refs for w in workflow if (m := _meet(r, w)) is not None)
    return [_context(r, fallback) for r in met]


def rule_refs(rules: list) -> list[Refs]:
    """The refs ``rules`` let a job (or, under ``workflow``, a pipeline) run for.

    The first rule that matches decides (https://docs.gitlab.com/ci/yaml/#rules): a rule
    after ``when: never`` rules applies only where none of them matched.
    """
    result: list[Refs] = []
    excluded: list[list[Refs]] = []
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        condition = rule.get("if")
        tree = parse_condition(condition) if isinstance(condition, str) else ("true",)
        span = span_of(condition) or span_of(rule)
        if rule.get("when") == "never":
            if "changes" in rule or "exists" in rule:
                continue  # excludes only together with file changes: nothing certain
            if condition is None:
                break
            excluded.append(refs_of(tree, positive=False) if tree else [Refs()])
            continue
        refs = [Refs(r.ref_type, r.ref, r.glob, r.merge_request, span)
                for r in (refs_of(tree) if tree else [Refs()])]
        result.extend(_meet_all([refs, *excluded]))
    return _unique(result)


_ONLY_KEYWORDS = {
    "branches": Refs("branch", merge_request=False), "tags": Refs("tag", merge_request=False),
    "merge_requests": Refs("branch", merge_request=True),
}
# Pipeline sources (https://docs.gitlab.com/ci/yaml/#onlyrefs--exceptrefs): any ref.
_ONLY_SOURCES = frozenset({
    "api", "chat", "external", "external_pull_requests", "pipelines", "pushes", "schedules",
    "triggers", "web",
})


def only_refs(only: Any, exclude: Any) -> list[Refs]:
    """The refs ``only`` admits minus the ref types ``except`` names (``tags``, ``branches``).

    A plain name is read as a branch, as GitLab documents it; a regular expression is matched
    against branch and tag names. Names and patterns never match merge request pipelines.
    """
    refs_list, variables = (only.get("refs"), only.get("variables")) if isinstance(only, dict) \
        else (only, None)
    if refs_list is None:
        result = [Refs()]
    else:
        result = _unique(r for entry in _entries(refs_list) for r in _only_entry(entry))
    if isinstance(variables, list):
        trees = [parse_condition(v) for v in variables if isinstance(v, str)]
        admitted = _unique(r for t in trees for r in (refs_of(t) if t else [Refs()]))
        result = _meet_all([result, admitted])
    excluded_list = exclude.get("refs") if isinstance(exclude, dict) else exclude
    excluded = {str(e) for e in _entries(excluded_list)} & {"branches", "tags"}
    kept = []
    for r in result:
        types = [t for t in (("branch", "tag") if r.ref_type == "*" else (r.ref_type,))
                 if {"branch": "branches", "tag": "tags"}[t] not in excluded]
        if len(types) == 1 and r.ref_type == "*":
            r = Refs(types[0], r.ref, r.glob, r.merge_request, r.span)
        if types:
            kept.append(r)
    return kept


def _entries(value: Any) -> list[Str]:
    items = value if isinstance(value, list) else [value]
    return [i if isinstance(i, Str) else Str(i) for i in items if isinstance(i, str)]


def _only_entry(entry: Str) -> list[Refs]:
    span = entry.span
    if entry in _ONLY_KEYWORDS:
        keyword = _ONLY_KEYWORDS[entry]
        return [Refs(keyword.ref_type, "*", True, keyword.merge_request, span)]
    if entry in _ONLY_SOURCES:
        return [Refs(span=span)]
    regex = _regex_literal(entry)
    if regex is not None:
        return _glob_refs("*", regex_globs(*regex), False, span)
    return [Refs("branch", entry, False, False, span)]


# ---- rules:if expressions (https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions)

_TOKEN = re.compile(r"""\s*(?:
    (?P<var>\$\{\w+\}|\$\w+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
  | (?P<op>==|!=|=~|!~|&&|\|\||\(|\))
  | (?P<null>null\b)
)""", re.X)
_NEGATED = {"==": "!=", "!=": "==", "=~": "!~", "!~": "=~"}


def parse_condition(text: str) -> tuple | None:
    """A ``rules:if`` expression as a tree; ``None`` when it cannot be read."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        position = match.end()
    parser = _ConditionParser(tokens)
    try:
        tree = parser.disjunction()
    except (IndexError, ValueError, RecursionError):
        return None
    return tree if parser.position == len(tokens) else None


class _ConditionParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def _next(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def disjunction(self) -> tuple:
        parts = [self.conjunction()]
        while self._peek() == ("op", "||"):
            self._next()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> tuple:
        parts = [self.comparison()]
        while self._peek() == ("op", "&&"):
            self._next()
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def comparison(self) -> tuple:
        if self._peek() == ("op", "("):
            self._next()
            inner = self.disjunction()
            if self._next() != ("op", ")"):
                raise ValueError("unbalanced parenthesis")
            return inner
        left = self._operand()
        kind, op = self._peek()
        if kind == "op" and op in _NEGATED:
            self._next()
            return ("cmp", op, left, self._operand())
        return ("present", left) if left[0] == "var" else ("true",)

    def _operand(self) -> tuple:
        kind, text = self._next()
        if kind == "var":
            return ("var", text.strip("${}"))
        if kind == "str":
            return ("str", text[1:-1])
        if kind == "regex":
            return ("regex", text)
        if kind == "null":
            return ("null",)
        raise ValueError(f"unexpected {text!r}")


_BRANCH, _TAG, _REF = "CI_COMMIT_BRANCH", "CI_COMMIT_TAG", "CI_COMMIT_REF_NAME"
_MR_SOURCE, _DEFAULT = "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_DEFAULT_BRANCH"
_REF_TYPES = {_BRANCH: "branch", _TAG: "tag", _REF: "*", _MR_SOURCE: "branch"}
# Where each variable is set (https://docs.gitlab.com/ci/variables/predefined_variables/):
# CI_COMMIT_BRANCH in branch pipelines only, CI_COMMIT_TAG in tag pipelines only,
# CI_MERGE_REQUEST_* in merge request pipelines only, CI_COMMIT_REF_NAME in all.
_MERGE_REQUEST = {_BRANCH: False, _TAG: False, _REF: None, _MR_SOURCE: True}


def refs_of(tree: tuple, positive: bool = True) -> list[Refs]:
    """The refs for which the expression is true (false, when not ``positive``)."""
    kind = tree[0]
    if kind in ("or", "and"):
        groups = [refs_of(child, positive) for child in tree[1]]
        if (kind == "or") == positive:
            return _unique(r for group in groups for r in group)
        return _meet_all(groups)
    if kind == "present":
        return _atom(tree[1][1], "present" if positive else "absent", None)
    if kind == "cmp":
        op, left, right = tree[1], tree[2], tree[3]
        op = op if positive else _NEGATED[op]
        if left[0] != "var" and right[0] == "var":
            left, right = right, left
        if left[0] == "var":
            return _atom(left[1], op, right)
    return [Refs()]


def _atom(name: str, op: str, operand: tuple | None) -> list[Refs]:
    """What one comparison says about the ref; anything else admits every ref."""
    if operand == ("null",):
        op, operand = ("absent" if op == "==" else "present"), None
    merge_request = _MERGE_REQUEST.get(name)
    text = operand[1] if operand is not None and operand[0] == "str" else None
    if op == "present":
        if name in (_BRANCH, _TAG):
            return [Refs(_REF_TYPES[name], merge_request=False)]
        if name.startswith("CI_MERGE_REQUEST_"):
            return [Refs("branch", merge_request=True)]
    elif op == "absent" and name == _TAG:
        return [Refs("branch")]
    elif name == "CI_PIPELINE_SOURCE" and text is not None and op in ("==", "!="):
        # https://docs.gitlab.com/ci/jobs/job_rules/#ci_pipeline_source-predefined-variable
        is_merge_request = text == "merge_request_event"
        if op == "==":
            return [Refs("branch", merge_request=True) if is_merge_request
                    else Refs(merge_request=False)]
        return [Refs(merge_request=False)] if is_merge_request else [Refs()]
    elif op == "==" and text is not None and name in _REF_TYPES:
        return [Refs(_REF_TYPES[name], Str(text), False, merge_request)]
    elif op == "==" and operand is not None and operand[0] == "var":
        pair = {name, operand[1]}
        other = (pair - {_DEFAULT}).pop() if _DEFAULT in pair and len(pair) == 2 else None
        if other in _REF_TYPES:
            default = Unknown(f"${_DEFAULT} (the project's default branch)")
            ref_type = "branch" if other != _REF else "*"
            return [Refs(ref_type, default, False, _MERGE_REQUEST[other])]
    elif op == "=~" and operand is not None and operand[0] == "regex" and name in _REF_TYPES:
        regex = _regex_literal(operand[1])
        return _glob_refs(_REF_TYPES[name], regex_globs(*regex) if regex else None, merge_request)
    return [Refs()]


def _glob_refs(ref_type: str, globs: list[str] | None, merge_request: bool | None,
               span: Span | None = None) -> list[Refs]:
    """Refs matching any of ``globs`` (a glob without wildcards is one exact name)."""
    return [Refs(ref_type, Str(g), "*" in g or "?" in g, merge_request, span)
            for g in globs or ["*"]]


def _regex_literal(text: str) -> tuple[str, str] | None:
    """``/pattern/flags`` split, ``None`` when the text is not one."""
    match = re.fullmatch(r"/(.*)/([a-z]*)", text, re.S)
    return (match[1].replace("\\/", "/"), match[2]) if match else None


def regex_globs(pattern: str, flags: str = "") -> list[str] | None:
    """Globs that together match at least every ref the regular expression matches (GitLab
    searches, so an unanchored end is a ``*``); ``None`` when it cannot be translated.

    GitLab reads the expression as RE2 (https://docs.gitlab.com/ci/jobs/job_rules/), and so
    does ``compile_re2``: its structure is read from there.
    """
    if "i" in flags:
        return None
    try:
        root = compile_re2(pattern).shape.root
    except (InvalidPattern, Unsupported, RecursionError):
        return None
    globs: list[str] = []
    for alternative in root.alternatives:
        start = bool(alternative) and alternative[0] == Assertion(start=True)
        end = len(alternative) > start and alternative[-1] == Assertion(end=True)
        middles = _sequence_globs(alternative[int(start):len(alternative) - int(end)])
        if middles is None:
            return None
        globs.extend(("" if start else "*") + m + ("" if end else "*") for m in middles)
        if len(globs) > MAX_GLOBS:
            return None
    return list(dict.fromkeys(re.sub(r"\*+", "*", g) for g in globs))


def _sequence_globs(items: list) -> list[str] | None:
    """Globs for a sequence: literals as written, a class ``?``, repeats ``*``."""
    globs = [""]
    for item in items:
        if isinstance(item, Atom):
            if "i" in item.flags:
                return None
            options = [item.literal or "?"]
        elif isinstance(item, Repeat):
            options = _sequence_globs([item.item]) if item.low == item.high == 1 else ["*"]
        elif isinstance(item, Group) and _one_character(item):
            options = ["?"]
        elif isinstance(item, Group):
            branches = [_sequence_globs(b) for b in item.alternatives]
            options = None if None in branches else [g for b in branches for g in b]
        else:
            return None  # anchors inside, word boundaries
        if options is None:
            return None
        globs = [g + o for g in globs for o in options]
        if len(globs) > MAX_GLOBS:
            return None
    return globs


def _one_character(group: Group) -> bool:
    """``(a|b|[0-9])``: one character of several, a ``?`` rather than a glob each."""
    return len(group.alternatives) > 1 and all(
        len(b) == 1 and isinstance(b[0], Atom) and "i" not in b[0].flags
        for b in group.alternatives)
