"""Module calls whose code the scan cannot read, kept with the strings they are given.

A registry module without a built-in model, or a local source outside the scanned tree, may
create a role; which one is not known, but a role name passed to it (``iam_role_name =
"deploy"``) says that a workload naming ``deploy`` may reach that role rather than one the
scan holds (``oidclint.graph``, ambiguous links).
"""

from __future__ import annotations

from typing import Any

from oidclint.hcl.instances import Scoped
from oidclint.hcl.module import Module
from oidclint.model import UnreadModuleCall
from oidclint.source import Partial

MAX_VALUES = 200
"""Strings kept per call: role names are among the first arguments, not in bulk data."""


def unread_call(module: Module, name: str, call: Scoped) -> UnreadModuleCall:
    """The call ``name`` of ``module`` (one instance of it), whose code is not available."""
    source = module.argument(call, "source")
    values: list[Any] = []
    for value in module.call_inputs(call).values():
        _strings(value, values)
    return UnreadModuleCall(
        address=f"{module.address}module.{name}{call.key}",
        source=str(source) if isinstance(source, str) else "?",
        values=values[:MAX_VALUES],
        span=call.span,
        scope=module.scope,
    )


def _strings(value: Any, found: list[Any], depth: int = 0) -> None:
    if len(found) >= MAX_VALUES or depth > 8:
        return
    if isinstance(value, (str, Partial)):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found, depth + 1)
