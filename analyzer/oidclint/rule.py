"""The base of every rule: metadata beside the logic, documentation in the docstring."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator

from oidclint.model import Diagnostic, Finding, Fix, Level, Related, Role, RuleInfo, Workload
from oidclint.source import Span, span_of

if TYPE_CHECKING:
    from oidclint.graph import Trust, TrustGraph

DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Fix", "References")


class Rule:
    """Subclasses set the class attributes, write their documentation as the docstring
    (sections ``## What it does``, ``## Why it matters``, ``## Example``, ``## Fix``,
    ``## References``) and implement ``check``."""

    id: ClassVar[str]
    name: ClassVar[str]
    level: ClassVar[Level]
    summary: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    security_severity: ClassVar[float | None] = None

    def check(self, graph: "TrustGraph") -> Iterator[Finding | Diagnostic]:
        """The rule's findings; also a ``Diagnostic`` (``undecided``) for a value the rule
        could not decide either way."""
        raise NotImplementedError

    def for_every_candidate(self, graph: "TrustGraph", check) -> Iterator[Finding]:
        """The findings of ``check(graph, links)`` (a check written for one role per
        workload), run on each role a workload may assume (``TrustGraph.candidate_links``),
        kept only when it finds something with every one of them: whichever role of that name
        the workload reaches, it fails. Nothing when a candidate is out of the scan's sight."""
        for workload, roles in graph.candidate_links():
            found = [list(check(graph, [(workload, role)])) for role in roles]
            if not all(found):
                continue
            for findings in found:
                for finding in findings:
                    if len(roles) > 1:
                        finding.message += (
                            f" The scan defines {len(roles)} roles of that name ("
                            + ", ".join(f"{r.address} in {_folder(r.scope)}" for r in roles)
                            + "); the workload may assume any of them, and this holds for each.")
                    yield finding

    @staticmethod
    def narrowed(graph: "TrustGraph", role: Role, fix: str) -> str:
        """A fix, followed by the least-privilege trust ``oidclint fix --narrow`` proposes
        for the role when every workload linked to it presents a subject fully known."""
        narrowing = graph.narrowing(role)
        if not narrowing.proposed:
            return fix
        return f"{fix} `oidclint fix --narrow {role.address}` proposes: {narrowing.summary()}."

    @classmethod
    def info(cls) -> RuleInfo:
        return RuleInfo(
            id=cls.id,
            name=cls.name,
            level=cls.level,
            summary=cls.summary,
            docs=inspect.cleandoc(cls.__doc__ or ""),
            tags=cls.tags,
            security_severity=cls.security_severity,
        )

    def finding(
        self,
        where: Any,
        message: str,
        *,
        trust: "Trust | None" = None,
        address: str | None = None,
        fallback: Iterable[Any] = (),
        related: Iterable[Related] = (),
        fix: str | None = None,
        autofix: Fix | None = None,
        level: Level | None = None,
        evidence: dict[str, Any] | None = None,
        made_by: Iterable[Any] = (),
        workload: "Workload | None" = None,
    ) -> Finding:
        """A finding at the span of ``where`` (a located value or a span), or at the first of
        ``fallback`` (or of the trust's statement and role) that has one. The origins of the
        trust's role and of the roles and providers ``made_by`` names (the module call, the
        Terragrunt unit that made them) are related locations. A finding anchored in the
        file of the ``workload`` it is about carries the workload's logical location."""
        span = self._span(where, fallback, trust, message)
        if trust is not None:
            address = address or trust.role.address
        related = list(related)
        if trust is not None:
            statement = trust.statement.span
            if statement is not None and statement.path != span.path \
                    and all(r.span != statement for r in related):
                # The value is written elsewhere (a local, a variable): which trust it is in.
                related.append(Related(statement, f"trust of {trust.role.address}"))
            _add_origins(related, [trust.role], span)
            for provider in trust.providers:
                if provider.span and provider.span.path != span.path or (
                    provider.span and provider.span.line != span.line
                ):
                    related.append(Related(provider.span, f"OIDC provider {provider.address}"))
        _add_origins(related, made_by, span)
        return Finding(
            rule_id=self.id,
            level=level or self.level,
            message=message,
            span=span,
            address=address,
            workload=workload.logical if workload is not None
            and workload.span.path == span.path else None,
            related=related,
            fix=fix,
            autofix=autofix,
            evidence=evidence or {},
        )

    def undecided(self, where: Any, message: str, *, trust: "Trust | None" = None,
                  fallback: Iterable[Any] = ()) -> Diagnostic:
        """A value the rule could not decide either way (too complex to analyse): a warning
        about the scan at the value, so the value is neither passed nor failed in silence."""
        span = self._span(where, fallback, trust, message)
        return Diagnostic(span.path, f"{self.id} {self.name}: {message}", Level.WARNING,
                          span=span)

    def _span(self, where: Any, fallback: Iterable[Any], trust: "Trust | None",
              message: str) -> Span:
        """The span of ``where``, or of the first of ``fallback`` (then of the trust's
        statement and role) that has one."""
        candidates: list[Any] = [where, *fallback]
        if trust is not None:
            candidates += [trust.statement, trust.role]
        span = next((s for s in (c if isinstance(c, Span) else span_of(c) for c in candidates)
                     if s is not None), None)
        if span is None:
            raise ValueError(f"{self.id}: nothing to point at for {message!r}")
        return span


def _add_origins(related: list[Related], items: Iterable[Any], span: Span) -> None:
    """The origins of roles and providers, each once. A call already at the finding's line
    (a built-in model's output) adds nothing."""
    for item in items:
        related.extend(o for o in item.origins if o not in related
                       and (o.span.path, o.span.line) != (span.path, span.line))


def _folder(scope: str) -> str:
    """A root module folder or template as a message names it (the root folder is ``.``)."""
    return "the root folder" if scope in ("", ".") else scope
