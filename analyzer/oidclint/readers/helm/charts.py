"""The charts whose ServiceAccount naming the analyzer knows, with a source per entry.

Each entry says, for each ServiceAccount the chart can annotate with an IAM role: where its
settings live in the values (``serviceAccount``, ``rbac.serviceAccount`` ...), whether it is
created by default, which key holds its annotations, and what the chart names it when the
values do not: a fixed default, the chart's name, or its "fullname", the Helm starter's
rule (the release name when it contains the chart's name, else ``<release>-<chart>``, cut to
63 characters, a trailing ``-`` removed). The rules were read from each chart's
``templates/_helpers.tpl``, ``templates/serviceaccount.yaml`` and ``values.yaml`` at the
source given; they have held across the chart's recent releases except where ``note`` says.

A chart not in the table is read by the common ``serviceAccount.create/name/annotations``
keys; without a name in the values, its ServiceAccount's name is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oidclint.readers.helm.values import NOT_SET, Path, ReleaseValues, as_name
from oidclint.source import Span, Str, Unknown

MAX_NAME = 63
"""Helm starter charts cut generated names to 63 characters (a DNS label)."""


@dataclass(frozen=True)
class Naming:
    """How a chart names a ServiceAccount the values do not name.

    ``kind``: ``fixed`` (``default`` is the name), ``chart`` (``nameOverride`` or the chart's
    name), ``fullname`` (the Helm starter's rule, with ``base`` in place of the chart's name
    and ``suffix`` appended; ``differs``: the release name is used alone only when it equals
    the name, not when it merely contains it).
    """

    kind: str
    default: str = ""
    base: str = "{chart}"
    suffix: str = ""
    differs: bool = False

    def name(self, chart: str, release: Any, values: ReleaseValues, span: Span) -> Any:
        if self.kind == "fixed":
            return Str(self.default, span)
        own = as_name(values.get(("nameOverride",)), span)
        if isinstance(own, Unknown):
            return Unknown(f"the chart's name ({own.origin})", span)
        if self.kind == "chart":
            return Str(_cut(own or chart), span)
        override = as_name(values.get(("fullnameOverride",)), span)
        if isinstance(override, Unknown):
            return Unknown(f"the chart's fullname ({override.origin})", span)
        if override:
            return Str(_cut(override) + self.suffix, span)
        base = own or self.base.format(chart=chart, **_base_values(self.base, values))
        if "{" in base:  # a value the base is built from is not known
            return Unknown(f"the chart's fullname ({base})", span)
        if not isinstance(release, str):
            return Unknown(f"the chart's fullname, built from the release name {release}", span)
        alone = release == base if self.differs else base in release
        return Str(_cut(release if alone else f"{release}-{base}") + self.suffix, span)

    def describe(self, chart: str, release: Any) -> str:
        if self.kind == "fixed":
            return f"the default name of chart {chart}"
        if self.kind == "chart":
            return f"named after chart {chart}"
        return f"named by chart {chart} from the release name `{release}`"


def _cut(name: str) -> str:
    return name[:MAX_NAME].rstrip("-") if len(name) > MAX_NAME else name.rstrip("-")


def _base_values(base: str, values: ReleaseValues) -> dict[str, str]:
    """The values a ``base`` such as ``{cloudProvider}-{chart}`` names, with the chart's
    defaults; one not known is left as ``{name}``."""
    found = {}
    for key, default in _BASE_DEFAULTS.items():
        if "{" + key + "}" not in base:
            continue
        value = values.get((key,))
        value = default if value is NOT_SET else as_name(value, None)
        found[key] = value if isinstance(value, str) and not isinstance(value, Unknown) \
            else "{" + key + "}"
    return found


_BASE_DEFAULTS = {"cloudProvider": "aws"}


@dataclass(frozen=True)
class Account:
    """One ServiceAccount a chart can create and annotate."""

    settings: Path
    """Where its ``create``, ``name`` and annotations live in the values."""
    naming: Naming | None
    """Its name when the values do not set one; ``None``: not known (a chart not in the
    table)."""
    annotations: tuple[Path, ...] = (("annotations",),)
    """The keys under ``settings`` (or, starting with ``/``, from the top) whose maps become
    its annotations, later ones winning."""
    created: bool = True
    """Whether the chart creates it when ``create`` is not set."""
    name_key: bool = True
    """Whether ``<settings>.name`` names it when the chart creates it."""
    requires: tuple[Path, ...] = ()
    """Other values that must hold for it to be created (cluster-autoscaler's
    ``rbac.create``), each true by default."""


@dataclass(frozen=True)
class Chart:
    accounts: tuple[Account, ...]
    source: str
    namespace: Path | None = None
    """A value that, when set, replaces the release namespace for the chart's objects."""
    note: str = ""


def _fullname(suffix: str = "") -> Naming:
    return Naming("fullname", suffix=suffix)


_SERVICE_ACCOUNT = ("serviceAccount",)

CHARTS: dict[str, Chart] = {
    "aws-load-balancer-controller": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname()),),
        "https://github.com/aws/eks-charts/blob/master/stable/aws-load-balancer-controller/"
        "templates/_helpers.tpl"),
    "external-dns": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname()),),
        "https://github.com/kubernetes-sigs/external-dns/blob/master/charts/external-dns/"
        "templates/_helpers.tpl",
        note="annotations pass through `tpl`: a `{{ }}` in them is not known"),
    "cluster-autoscaler": Chart(
        (Account(("rbac", "serviceAccount"),
                 Naming("fullname", base="{cloudProvider}-{chart}", differs=True),
                 requires=(("rbac", "create"),)),),
        "https://github.com/kubernetes/autoscaler/blob/master/charts/cluster-autoscaler/"
        "templates/_helpers.tpl",
        note="the name is built from `<cloudProvider>-cluster-autoscaler` (`aws` by default): "
             "release `cluster-autoscaler` gives `cluster-autoscaler-aws-cluster-autoscaler`"),
    "karpenter": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname(),
                 annotations=(("/additionalAnnotations",), ("annotations",))),),
        "https://github.com/aws/karpenter-provider-aws/blob/main/charts/karpenter/templates/"
        "_helpers.tpl"),
    "aws-ebs-csi-driver": Chart(
        # 2.x: controller.serviceAccount; 1.x and 2.0.0 before July 2021: serviceAccount.controller.
        (Account(("controller", "serviceAccount"), Naming("fixed", "ebs-csi-controller-sa")),
         Account(("serviceAccount", "controller"), Naming("fixed", "ebs-csi-controller-sa")),
         Account(("node", "serviceAccount"), Naming("fixed", "ebs-csi-node-sa"))),
        "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/charts/"
        "aws-ebs-csi-driver/values.yaml"),
    "aws-efs-csi-driver": Chart(
        (Account(("controller", "serviceAccount"), Naming("fixed", "efs-csi-controller-sa")),
         Account(("node", "serviceAccount"), Naming("fixed", "efs-csi-node-sa"))),
        "https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/master/charts/"
        "aws-efs-csi-driver/values.yaml"),
    "external-secrets": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname()),
         Account(("webhook", "serviceAccount"), Naming("fixed", "external-secrets-webhook")),
         Account(("certController", "serviceAccount"),
                 Naming("fixed", "external-secrets-cert-controller"))),
        "https://github.com/external-secrets/external-secrets/blob/main/deploy/charts/"
        "external-secrets/templates/_helpers.tpl",
        namespace=("namespaceOverride",)),
    "cert-manager": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname()),),
        "https://github.com/cert-manager/cert-manager/blob/master/deploy/charts/cert-manager/"
        "templates/_helpers.tpl",
        namespace=("namespace",)),
    "aws-for-fluent-bit": Chart(
        (Account(_SERVICE_ACCOUNT, _fullname()),),
        "https://github.com/aws/eks-charts/blob/master/stable/aws-for-fluent-bit/templates/"
        "_helpers.tpl",
        namespace=("global", "namespaceOverride")),
    "amazon-cloudwatch-observability": Chart(
        (),
        "https://github.com/aws-observability/helm-charts/blob/main/charts/"
        "amazon-cloudwatch-observability/templates/cloudwatch-agent-serviceaccount.yaml",
        note="the chart writes no annotations on its ServiceAccounts (`cloudwatch-agent`, "
             "`<name>-controller-manager`): an IRSA role cannot be given through its values"),
    "velero": Chart(
        (Account(("serviceAccount", "server"), _fullname(suffix="-server")),),
        "https://github.com/vmware-tanzu/helm-charts/blob/main/charts/velero/templates/"
        "_helpers.tpl",
        note="the server's ServiceAccount is the fullname with `-server`: release `velero` "
             "gives `velero-server`"),
    "crossplane": Chart(
        (Account(_SERVICE_ACCOUNT, Naming("chart"), annotations=(("customAnnotations",),),
                 name_key=False),),
        "https://github.com/crossplane/crossplane/blob/master/cluster/charts/crossplane/"
        "templates/serviceaccount.yaml",
        note="named `crossplane` (`nameOverride`) whatever `serviceAccount.name` says, which "
             "only names an existing account when `serviceAccount.create` is false"),
}
"""Chart name -> how it names the ServiceAccounts it can annotate."""

UNKNOWN_CHART = Chart((Account(_SERVICE_ACCOUNT, None),), "")
"""A chart not in the table: the common keys, and no name of its own known."""


def chart_named(chart: Any) -> tuple[str | None, Chart]:
    """The table entry for a chart as a release names it (``eks/aws-load-balancer-controller``,
    an OCI or archive URL, a path), with the chart's name when known."""
    if not isinstance(chart, str) or isinstance(chart, Unknown):
        return None, UNKNOWN_CHART
    name = str(chart).rstrip("/").rsplit("/", 1)[-1]
    if name.endswith(".tgz"):  # an archive: <chart>-<version>.tgz
        stem = name[:-4]
        name = next((known for known in CHARTS if stem.startswith(known + "-")), stem)
    return name, CHARTS.get(name, UNKNOWN_CHART)
