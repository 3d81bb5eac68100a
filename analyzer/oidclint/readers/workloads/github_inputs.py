"""The inputs of an action step in a GitHub workflow, as the action reads them: what the
readers of the actions that sign in with the job's OIDC token (``github_actions``,
``github_azure_login``) share."""

from __future__ import annotations

from typing import Any, Callable

from oidclint.readers.workloads.github_expressions import Scope, text_of
from oidclint.source import Partial, Span, Str, Text, Unknown, fill_ins, span_of

KIND = "github-actions"
ISSUER = "token.actions.githubusercontent.com"

Note = Callable[[str, Span | None], None]


def given(value: Any) -> bool:
    return value is not None and value != ""


def text(value: Any) -> Text | None:
    if isinstance(value, (str, Partial, Unknown)):
        return fill_ins(value)  # an `<ACCOUNT_ID>` left for the user decides nothing
    return None


def input_text(raw: Any) -> Any:
    """An action input as the action reads it: a YAML number or boolean is its text."""
    if isinstance(raw, (bool, int, float)):
        return Str(text_of(raw))
    return raw


def text_input(inputs: dict, name: str, scope: Scope, note: Note) -> Text | None:
    """A text input resolved in the step's scope; ``None`` when not given (the action's
    default applies)."""
    raw = input_text(inputs.get(name))
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        note(f"`{name}` is not a string", span_of(raw))
        return None
    return text(scope.resolve(raw))
