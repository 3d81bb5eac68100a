"""One Helm release, wherever it is written, to the ServiceAccount workloads its chart creates
with an IAM role annotation (IRSA)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oidclint.model import Workload
from oidclint.readers.helm.charts import Account, Chart, chart_named
from oidclint.readers.helm.values import NOT_SET, MaybeSet, ReleaseValues, as_name, truthy
from oidclint.readers.workloads.kubernetes import (
    AUDIENCE_ANNOTATION, ROLE_ANNOTATION, as_text, service_account_workload,
)
from oidclint.source import Span, Unknown, span_of


@dataclass
class Release:
    """A Helm release as written: its name, chart, namespace and values."""

    name: Any
    chart: Any
    namespace: Any
    values: ReleaseValues
    span: Span
    """Where the release is written (the ``helm_release`` block, the manifest)."""
    cluster: str | None = None
    scope: str = ""


def release_workloads(release: Release) -> list[Workload]:
    """A workload for each ServiceAccount the chart creates with a role annotation."""
    chart_name, chart = chart_named(release.chart)
    workloads = []
    for account in chart.accounts:
        if not _created(account, release.values):
            continue
        role = _annotation(account, release.values, ROLE_ANNOTATION)
        # A role the values only may set (a layer not known) is no sign of IRSA.
        if role in (NOT_SET, None) or isinstance(role, MaybeSet):
            continue
        role = as_text(role, release.span)
        if role is None or isinstance(role, str) and not role.strip():
            continue  # the webhook leaves a ServiceAccount with an empty annotation alone
        audience = _annotation(account, release.values, AUDIENCE_ANNOTATION)
        audience = (None if audience in (NOT_SET, None) or isinstance(audience, MaybeSet)
                    else as_text(audience, release.span))
        name, why = _name(account, chart_name, release)
        workloads.append(service_account_workload(
            name, _namespace(chart, release), release.span, role, span_of(role), audience,
            cluster=release.cluster, scope=release.scope, why=why,
            named=f"Helm release {release.namespace}/{release.name}"))
    return workloads


def _created(account: Account, values: ReleaseValues) -> bool:
    """Whether the chart creates the account: not when a value written says it does not, or
    is not known; values not known that may say so (a value file not read) leave the chart's
    default. Either way the chart's pods run as the account of that name."""
    return all(_holds(values.get(path), default) for path, default in (
        ((*account.settings, "create"), account.created),
        *((path, True) for path in account.requires)))


def _holds(value: Any, default: bool) -> bool:
    if value is NOT_SET or isinstance(value, MaybeSet):
        return default
    return truthy(value) is True


def _annotation(account: Account, values: ReleaseValues, key: str) -> Any:
    """The annotation's value, from the last of the account's annotation maps that sets it
    (a path starting with ``/`` is from the top of the values)."""
    for path in reversed(account.annotations):
        where = ((path[0][1:], *path[1:]) if path[0].startswith("/")
                 else (*account.settings, *path))
        found = values.get((*where, key))
        if found is not NOT_SET:
            return found
    return NOT_SET


def _name(account: Account, chart: str | None, release: Release) -> tuple[Any, str]:
    """The account's name, and how it came about."""
    key = ".".join((*account.settings, "name"))
    if account.name_key:
        given = as_name(release.values.get((*account.settings, "name")), release.span)
        if isinstance(given, Unknown):
            return given, f"named by `{key}`"
        if given:
            return given, f"named by `{key}`"
    if account.naming is None or chart is None:
        return Unknown(f"the name chart {chart or release.chart} gives its ServiceAccount "
                       f"(`{key}` is not set)", release.span), ""
    return (account.naming.name(chart, release.name, release.values, release.span),
            account.naming.describe(chart, release.name))


def _namespace(chart: Chart, release: Release) -> Any:
    if chart.namespace is not None:
        override = as_name(release.values.get(chart.namespace), release.span)
        if override:
            return override
    return release.namespace
