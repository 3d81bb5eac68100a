"""Running the rules over a graph: each under a time budget, and no failure in silence.

- Each rule runs under a budget of its own (``RULE_BUDGET_FACTOR`` times the per-file
  ``time-budget``), and the rules together under ``PHASE_BUDGET_FACTOR`` times it. A rule that
  runs out of time is stopped and reported as an error naming it, and what it was checking;
  the findings it made until then stand, and the other rules run. When the phase runs out,
  the rules not yet run are named.
- A rule that raises is an internal error (``Diagnostic.internal``): the scan reports it and
  exits 2. It does not take the rule's other findings with it: the rule sees the graph
  through a view that remembers which trust, link, workload, role or provider the rule was
  looking at, and is run again without that item (at most ``MAX_FAILED_ITEMS`` times). The
  rules are generators over the graph's sequences, so this needs nothing from them: a rule
  that fails on one trust still reports on every other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from oidclint.budget import Budget
from oidclint.model import Diagnostic, Finding, Level
from oidclint.rule import Rule

if TYPE_CHECKING:
    from oidclint.graph import TrustGraph

RULE_BUDGET_FACTOR = 1
"""A rule may take the per-file ``time-budget`` (10 s by default); rules take well under a
second on thousands of files."""
PHASE_BUDGET_FACTOR = 3
"""All rules together may take three times the per-file ``time-budget``."""
MAX_FAILED_ITEMS = 20
"""Items a rule may fail on before it is given up."""


def run_rules(graph: "TrustGraph", rules: Iterable[Rule], budget: float | None = None
              ) -> tuple[list[Finding], list[Diagnostic]]:
    """Every rule's findings (one per rule, place, message and resource address), sorted, and
    what went wrong on the way. ``budget`` is the per-file time budget the rule budgets derive
    from (``None``: no limit). A rule that ran out of time marks the graph's inventory
    ``timed_out`` (its report then depends on the machine and is not cached)."""
    found: dict[tuple, Finding] = {}
    problems: list[Diagnostic] = []
    rules = list(rules)
    phase = Budget(budget * PHASE_BUDGET_FACTOR if budget else None)
    done = 0
    with phase.stopping():
        for rule in rules:
            _run_rule(rule, graph, budget * RULE_BUDGET_FACTOR if budget else None,
                      found, problems)
            done += 1
    if phase.exceeded:
        graph.inventory.timed_out = True
        names = ", ".join(r.id for r in rules[done:])
        problems.append(Diagnostic(
            "", f"the rules took longer than their {phase.exceeded.seconds:g} s time budget "
            f"together: {names} did not finish; findings may be missing", Level.ERROR))
    return sorted(found.values(), key=lambda f: f.sort_key), problems


def _run_rule(rule: Rule, graph: "TrustGraph", seconds: float | None,
              found: dict[tuple, Finding], problems: list[Diagnostic]) -> None:
    budget = Budget(seconds)
    skipped: set = set()
    view = _Watching(graph, skipped)
    with budget.stopping():
        while True:
            view = _Watching(graph, skipped)
            try:
                for item in rule.check(view):
                    if isinstance(item, Diagnostic):
                        if item not in problems:
                            problems.append(item)
                    else:
                        found.setdefault(
                            (item.rule_id, item.span, item.message, item.address), item)
                return
            except Exception as exc:  # a rule's bug: reported, and the rest still checked
                item = view.current()
                again = item is not None and len(skipped) < MAX_FAILED_ITEMS
                problems.append(_internal_error(rule, exc, item, again))
                if not again:
                    return
                skipped.add(_key(item))
    if budget.exceeded:
        graph.inventory.timed_out = True
        item = view.current()
        path, where = _describe(item)
        problems.append(Diagnostic(
            path, f"rule {rule.id} {rule.name} took longer than its "
            f"{budget.exceeded.seconds:g} s time budget{where} and was stopped: its findings "
            "may be incomplete", Level.ERROR))


def _internal_error(rule: Rule, exc: Exception, item: Any, again: bool) -> Diagnostic:
    path, where = _describe(item)
    skipped = "; the rule goes on without it" if again else "; the rule was given up"
    return Diagnostic(path, f"internal error: rule {rule.id} {rule.name} failed{where}: "
                      f"{type(exc).__name__}: {exc}{skipped}", Level.ERROR, internal=True)


def _describe(item: Any) -> tuple[str, str]:
    """The file of what a rule was checking, and `` on <it>`` for a message."""
    if item is None:
        return "", ""
    parts = item if isinstance(item, tuple) else (item,)
    names = []
    path = ""
    for part in parts:
        role = getattr(part, "role", None)  # a trust: its role and statement
        if role is not None and hasattr(part, "statement"):
            names.append(f"{role.address} (statement {part.statement.index})")
            span = part.statement.span or role.span
        else:
            names.append(str(getattr(part, "address", None) or getattr(part, "name", part)))
            span = getattr(part, "span", None)
        if not path and span is not None:
            path = span.path
    return path, " on " + " and ".join(names)


def _key(item: Any) -> Any:
    return tuple(id(p) for p in item) if isinstance(item, tuple) else id(item)


class _Watching:
    """The graph as a rule sees it: its sequences of trusts, links, workloads, roles and
    providers leave out the items in ``skipped`` and remember the item the rule is on."""

    def __init__(self, graph: "TrustGraph", skipped: set) -> None:
        self._graph = graph
        self._skipped = skipped
        self._walks: list[_Walk] = []
        self.handed_out = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)

    def current(self) -> Any:
        """The item the rule was handed last by a walk it has not finished: the innermost
        loop it is in. (A loop it broke out of counts as unfinished; at worst the rule is
        run again without an item it did not fail on.)"""
        live = [w for w in self._walks if not w.done and w.tick]
        return max(live, key=lambda w: w.tick).item if live else None

    def _watch(self, items: Iterable[Any]) -> "_Walk":
        self._walks = [w for w in self._walks if not w.done]
        walk = _Walk(self, items)
        self._walks.append(walk)
        return walk

    def trusts(self) -> Iterator[Any]:
        return self._watch(self._graph.trusts())

    def web_identity_trusts(self, **options: Any) -> Iterator[Any]:
        return self._watch(self._graph.web_identity_trusts(**options))

    def shared_issuer_trusts(self) -> Iterator[Any]:
        return self._watch(self._graph.shared_issuer_trusts())

    def links(self) -> Iterator[Any]:
        return self._watch(self._graph.links())

    @property
    def workloads(self) -> list:
        return _WatchedList(self, self._graph.workloads)

    @property
    def roles(self) -> list:
        return _WatchedList(self, self._graph.roles)

    @property
    def providers(self) -> list:
        return _WatchedList(self, self._graph.providers)


class _Walk:
    """One walk through a sequence of the graph. An iterator object rather than a generator:
    a generator is closed as the failing rule's frame is torn down, before the failure can
    ask where the rule was."""

    def __init__(self, view: _Watching, items: Iterable[Any]) -> None:
        self._view = view
        self._items = iter(items)
        self.item: Any = None
        self.tick = 0
        """When the item was handed out (a count over the view's walks)."""
        self.done = False

    def __iter__(self) -> "_Walk":
        return self

    def __next__(self) -> Any:
        for item in self._items:
            if _key(item) not in self._view._skipped:
                self._view.handed_out += 1
                self.item, self.tick = item, self._view.handed_out
                return item
        self.done = True
        raise StopIteration


class _WatchedList(list):
    """A list property of the graph (``workloads`` ...) whose iteration is watched."""

    def __init__(self, view: _Watching, items: list) -> None:
        super().__init__(i for i in items if _key(i) not in view._skipped)
        self._view = view

    def __iter__(self) -> Iterator[Any]:
        return self._view._watch(list.__iter__(self))
