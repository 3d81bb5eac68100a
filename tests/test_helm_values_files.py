"""Values a Helm release takes from other files of the tree: Argo CD ``valueFiles`` (of the
source's chart folder, or of a ``$ref`` source), Flux ``valuesFrom`` ConfigMaps and Secrets
(manifests, kustomize generators), and helmfile releases; each file read as a dependency of
the release, so that editing it changes a cached scan."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from oidclint.cache import Cache
from oidclint.engine import build_graph, scan
from oidclint.source import Partial, SourceFile, Span, Unknown

ROLE = "arn:aws:iam::123456789012:role/dns"


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return tmp_path


def graph(tmp_path: Path, files: dict[str, str], **options):
    graph, _, _ = build_graph([tree(tmp_path, files)], root=tmp_path, **options)
    return graph.inventory


def subjects(inventory) -> list:
    return [w.contexts[0].subject for w in inventory.workloads]


def notes(inventory) -> list[str]:
    return [d.message for d in inventory.diagnostics]


def values(name: str | None = None, role: str | None = ROLE) -> str:
    lines = ["serviceAccount:"]
    if name:
        lines.append(f"  name: {name}")
    if role:
        lines += ["  annotations:", f"    eks.amazonaws.com/role-arn: {role}"]
    return "\n".join(lines) + "\n"


# --- Argo CD valueFiles -------------------------------------------------------------------

def argo(source: str, extra_sources: str = "") -> str:
    head = f'''\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dns
spec:
  destination:
    namespace: dns
'''
    if extra_sources:
        return head + "  sources:\n" + _indent(source, 4, "- ") + extra_sources
    return head + "  source:\n" + _indent(source, 4)


def _indent(text: str, by: int, first: str = "") -> str:
    lines = text.rstrip("\n").split("\n")
    out = [" " * (by - len(first)) + first + lines[0] if first else " " * by + lines[0]]
    out += [" " * by + line for line in lines[1:]]
    return "\n".join(out) + "\n"


CHART_IN_TREE = '''\
repoURL: https://github.com/example/platform.git
path: charts/external-dns
helm:
  valueFiles:
    - values-base.yaml
    - ../../env/prod.yaml
'''


def test_value_files_of_a_chart_folder_in_the_tree_are_read_in_order(tmp_path):
    found = graph(tmp_path, {
        "apps/dns.yaml": argo(CHART_IN_TREE),
        "charts/external-dns/Chart.yaml": "name: external-dns\n",
        "charts/external-dns/values-base.yaml": values("from-base"),
        "env/prod.yaml": values("from-prod", role=None)})
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:from-prod"]
    workload, = found.workloads
    assert workload.role == ROLE
    assert workload.role_span == Span("charts/external-dns/values-base.yaml", 4, 33, 4, 67)


def test_inline_values_value_object_and_parameters_win_over_value_files(tmp_path):
    source = CHART_IN_TREE + '''\
  values: |
    serviceAccount:
      name: from-values
'''
    files = {"apps/dns.yaml": argo(source),
             "charts/external-dns/values-base.yaml": values("from-base"),
             "env/prod.yaml": values("from-prod", role=None)}
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:from-values"]
    files["apps/dns.yaml"] = argo(source + '''\
  parameters:
    - name: serviceAccount.name
      value: from-parameter
''')
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:from-parameter"]


@pytest.mark.parametrize("source, why", [
    (CHART_IN_TREE.replace("charts/external-dns", "charts/elsewhere"),
     "the chart folder `charts/elsewhere` is not in the scanned tree"),
    ("repoURL: https://kubernetes-sigs.github.io/external-dns\nchart: external-dns\n"
     "helm:\n  valueFiles: [values-base.yaml]\n", "inside the chart package"),
    ("repoURL: https://example.com/x.git\npath: charts/external-dns\nhelm:\n"
     "  valueFiles: ['https://example.com/values.yaml']\n", "fetched from a URL"),
])
def test_value_files_outside_the_tree_are_noted_and_not_known(tmp_path, source, why):
    found = graph(tmp_path, {
        "apps/dns.yaml": argo(source + "  valuesObject:\n" + _indent(values(), 4)),
        "charts/external-dns/values-base.yaml": values("from-base")})
    subject, = subjects(found)
    assert isinstance(subject, Partial)  # the file may name the account: never guessed
    assert any(why in message for message in notes(found))


REF_SOURCE = '''\
  - repoURL: https://github.com/example/platform.git
    targetRevision: main
    ref: values
'''


def test_a_ref_value_file_is_read_from_the_tree_root(tmp_path):
    source = ("repoURL: https://kubernetes-sigs.github.io/external-dns\nchart: external-dns\n"
              "helm:\n  valueFiles: [$values/clusters/prod/dns.yaml]\n")
    files = {"apps/dns.yaml": argo(source, REF_SOURCE),
             "clusters/prod/dns.yaml": values("from-ref")}
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:from-ref"]
    # A ref source whose path is not in the tree is another repository's.
    files["apps/dns.yaml"] = argo(source, REF_SOURCE + "    path: config\n")
    found = graph(tmp_path, files)
    assert not found.workloads  # the role only the file would give is not known
    assert any("the path `config` of source `values` is not in the scanned tree" in m
               for m in notes(found))
    files["apps/dns.yaml"] = argo(source.replace("$values/", "$other/"), REF_SOURCE)
    assert any("no source of the Application has `ref: other`" in m
               for m in notes(graph(tmp_path, files)))


def test_a_missing_value_file_is_noted_unless_missing_ones_are_ignored(tmp_path):
    source = CHART_IN_TREE.replace("../../env/prod.yaml", "values-missing.yaml")
    role = "  valuesObject:\n" + _indent(values(), 4)
    files = {"apps/dns.yaml": argo(source + role),
             "charts/external-dns/values-base.yaml": values(role=None)}
    found = graph(tmp_path, files)
    assert isinstance(subjects(found)[0], Partial)
    assert any("values-missing.yaml: not in the scanned tree" in m for m in notes(found))
    files["apps/dns.yaml"] = argo(source + "  ignoreMissingValueFiles: true\n" + role)
    files["charts/external-dns/values-base.yaml"] = values("from-base", role=None)
    found = graph(tmp_path, files)
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:from-base"]
    assert not any("values-missing" in m for m in notes(found))


def test_a_value_file_that_is_not_yaml_is_reported(tmp_path):
    found = graph(tmp_path, {
        "apps/dns.yaml": argo(CHART_IN_TREE),
        "charts/external-dns/values-base.yaml": "serviceAccount: [\n",
        "env/prod.yaml": values("from-prod")})
    assert any("values-base.yaml: the values are not valid YAML" in m for m in notes(found))
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:from-prod"]


# --- Flux valuesFrom ------------------------------------------------------------------------

FLUX = '''\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: external-dns
  namespace: dns
spec:
  chart:
    spec:
      chart: external-dns
  valuesFrom:
{refs}
  values:
    serviceAccount:
      annotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/dns
'''


def flux(*refs: str) -> str:
    return FLUX.format(refs="\n".join(_indent(r, 4, "- ").rstrip("\n") for r in refs))


def config_map(name: str, data: str, namespace: str = "dns", kind: str = "ConfigMap",
               field: str = "data") -> str:
    return (f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\n{field}:\n" + _indent(data, 2))


def test_values_from_a_config_map_in_order_with_values_on_top(tmp_path):
    found = graph(tmp_path, {
        "apps/release.yaml": flux("kind: ConfigMap\nname: base",
                                  "kind: ConfigMap\nname: prod\nvaluesKey: prod.yaml"),
        "apps/values.yaml": config_map("base", "values.yaml: |\n" + _indent(values("base"), 2))
        + "---\n" + config_map("prod", "prod.yaml: |\n" + _indent(values("prod", None), 2))})
    workload, = found.workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:dns:prod"
    prod = Path("apps/values.yaml")
    assert workload.role_span.path == "apps/release.yaml"  # `values` win over valuesFrom
    assert not any(str(prod) in m for m in notes(found))


def test_values_from_a_secret_target_path_and_a_generator(tmp_path):
    encoded = base64.b64encode(values("secret", None).encode()).decode()
    files = {
        "apps/release.yaml": flux("kind: Secret\nname: dns-secret"),
        "apps/secret.yaml": config_map("dns-secret", f"values.yaml: {encoded}", kind="Secret")}
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:secret"]
    files["apps/secret.yaml"] = config_map("dns-secret", "name: plain", kind="Secret",
                                           field="stringData")
    files["apps/release.yaml"] = flux("kind: Secret\nname: dns-secret\nvaluesKey: name\n"
                                      "targetPath: serviceAccount.name")
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:plain"]
    generated = {
        "apps/release.yaml": flux("kind: ConfigMap\nname: dns-values"),
        "apps/kustomization.yaml": "namespace: dns\nresources: [release.yaml]\n"
        "configMapGenerator:\n  - name: dns-values\n    files: [files/values.yaml]\n",
        "apps/files/values.yaml": values("generated", None)}
    found = graph(tmp_path / "generated", generated)
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:generated"]


def test_missing_references_are_ignored_when_optional_and_noted_otherwise(tmp_path):
    files = {"apps/release.yaml": flux("kind: ConfigMap\nname: absent\noptional: true")}
    found = graph(tmp_path, files)
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:external-dns"]
    assert not any("absent" in m for m in notes(found))
    files = {"apps/release.yaml": flux("kind: ConfigMap\nname: absent")}
    found = graph(tmp_path, files)
    assert isinstance(subjects(found)[0], Partial)
    assert any("ConfigMap/absent key values.yaml: not in the scanned tree" in m
               for m in notes(found))


def test_a_config_map_of_another_namespace_or_of_several_files_is_not_taken(tmp_path):
    data = "values.yaml: |\n" + _indent(values("other", None), 2)
    files = {"apps/release.yaml": flux("kind: ConfigMap\nname: base"),
             "apps/cm.yaml": config_map("base", data, namespace="other")}
    found = graph(tmp_path, files)
    assert isinstance(subjects(found)[0], Partial)
    assert any("defined in namespace other, not in dns" in m for m in notes(found))
    files = {"apps/release.yaml": flux("kind: ConfigMap\nname: base"),
             "overlays/a/cm.yaml": config_map("base", data),
             "overlays/b/cm.yaml": config_map("base", data)}
    found = graph(tmp_path / "two", files)
    assert any("defined in several files" in m for m in notes(found))
    files["apps/cm.yaml"] = config_map("base", "values.yaml: |\n" + _indent(values("beside",
                                                                                  None), 2))
    found = graph(tmp_path / "beside", files)
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:beside"]


# --- helmfile ---------------------------------------------------------------------------

HELMFILE = '''\
releases:
  - name: dns
    namespace: dns
    chart: external-dns/external-dns
    values:
      - values/dns.yaml
      - serviceAccount:
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/dns
    set:
      - name: serviceAccount.name
        value: from-set
'''


def test_helmfile_values_files_inline_values_and_set_in_order(tmp_path):
    files = {"deploy/helmfile.yaml": HELMFILE, "deploy/values/dns.yaml": values("from-file")}
    workload, = graph(tmp_path, files).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:dns:from-set"
    assert workload.name == "Helm release dns/dns"
    files["deploy/helmfile.yaml"] = HELMFILE.split("    set:")[0]
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:from-file"]
    # helmfile.d files are helmfiles too; chart `repo/chart` picks the chart's own naming.
    files = {"helmfile.d/10-dns.yaml": HELMFILE.replace("values/dns.yaml", "../v.yaml")
             .split("    set:")[0], "v.yaml": ""}
    assert [str(s) for s in subjects(graph(tmp_path / "d", files))] == \
        ["system:serviceaccount:dns:dns-external-dns"]


def test_helmfile_template_actions_and_gotmpl_values_are_not_known(tmp_path):
    text = HELMFILE.replace("value: from-set", 'value: {{ .Values.dnsAccount }}')
    text = "{{ if .Values.dns }}\n" + text + "{{ end }}\n"
    found = graph(tmp_path, {"helmfile.yaml": text, "values/dns.yaml": ""})
    subject, = subjects(found)
    assert isinstance(subject, Partial)
    text = HELMFILE.split("    set:")[0].replace("values/dns.yaml", "values/dns.yaml.gotmpl")
    found = graph(tmp_path / "g", {"helmfile.yaml": text, "values/dns.yaml.gotmpl": values("x")})
    assert isinstance(subjects(found)[0], Partial)
    assert any("a Go template, not rendered" in m for m in notes(found))
    named = HELMFILE.replace("  - name: dns\n", "  - name: {{ .Environment.Name }}-dns\n")
    found = graph(tmp_path / "n", {"helmfile.yaml": named.split("    set:")[0],
                                   "values/dns.yaml": ""})
    assert isinstance(subjects(found)[0], (Unknown, Partial))


def test_helmfile_releases_not_installed_or_not_readable(tmp_path):
    text = HELMFILE.replace("    namespace: dns\n", "    namespace: dns\n    installed: false\n")
    assert not graph(tmp_path, {"helmfile.yaml": text, "values/dns.yaml": ""}).workloads
    found = graph(tmp_path / "bad", {"helmfile.yaml": "releases:\n  - name: [\n"})
    assert any("its releases are not read" in m for m in notes(found))


# --- a values file no release names; the cache ----------------------------------------------

def test_a_values_file_no_release_names_is_no_workload(tmp_path):
    found = graph(tmp_path, {"charts/dns/values.yaml": values("dns")})
    assert not found.workloads


@pytest.mark.parametrize("files, edited", [
    ({"apps/dns.yaml": argo(CHART_IN_TREE),
      "charts/external-dns/values-base.yaml": values("before"), "env/prod.yaml": ""},
     "charts/external-dns/values-base.yaml"),
    ({"deploy/helmfile.yaml": HELMFILE.split("    set:")[0],
      "deploy/values/dns.yaml": values("before")}, "deploy/values/dns.yaml"),
    ({"apps/release.yaml": flux("kind: ConfigMap\nname: dns-values"),
      "apps/kustomization.yaml": "namespace: dns\nconfigMapGenerator:\n"
      "  - name: dns-values\n    files: [values.yaml=v.yaml]\n",
      "apps/v.yaml": values("before", None)}, "apps/v.yaml"),
])
def test_editing_a_values_file_changes_a_cached_scan(tmp_path, files, edited):
    root = tree(tmp_path / "tree", files)
    cache = Cache(tmp_path / "cache")

    def named() -> list[str]:
        found, _, _ = build_graph([root], root=root, cache=cache)
        return [str(s).rsplit(":", 1)[1] for s in subjects(found.inventory)]

    assert named() == ["before"]
    assert named() == ["before"]  # from the cache
    text = (root / edited).read_text().replace("before", "after")
    (root / edited).write_text(text)
    assert named() == ["after"]


@pytest.mark.parametrize("fixture, edited, before, after", [
    ("positive-argo-cd-value-file-names-service-account",
     "clusters/platform/external-dns.yaml", "external-dns-controller", "external-dns"),
    ("positive-flux-values-from-config-map-names-service-account",
     "apps/external-dns/external-dns-values.yaml", "external-dns-controller", "external-dns"),
    ("positive-helmfile-values-file-names-service-account",
     "deploy/values/aws-load-balancer-controller.yaml", "alb-controller",
     "aws-load-balancer-controller"),
])
def test_a_cached_report_follows_the_values_file(tmp_path, fixture, edited, before, after):
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "OIDC108" / fixture, root)
    cache = Cache(tmp_path / "cache")

    def rules() -> list[str]:
        return [f.rule_id for f in scan([root], root=root, cache=cache).findings]

    assert rules() == rules() == ["OIDC108"]
    target = root / edited
    target.write_text(target.read_text().replace(f"name: {before}", f"name: {after}"))
    assert rules() == []
    target.write_text(target.read_text().replace(f"name: {after}", f"name: {before}"))
    assert rules() == ["OIDC108"]


def test_the_prefilter_keeps_releases_naming_values_and_the_objects_they_may_read():
    from oidclint.prefilter import select

    def kept(files: dict[str, str]) -> list[str]:
        chosen = select([SourceFile(p, Path(p), t, "structured") for p, t in files.items()])
        return sorted(f.path for f in chosen.keep)

    release = flux("kind: ConfigMap\nname: base").replace(
        "    serviceAccount:\n      annotations:\n        eks.amazonaws.com/role-arn: "
        "arn:aws:iam::123456789012:role/dns\n", "    replicas: 2\n")
    config = config_map("base", "values.yaml: |\n  replicas: 1\n")
    application = argo(CHART_IN_TREE)
    assert "serviceaccount" not in (release + application).lower()
    assert kept({"release.yaml": release, "cm.yaml": config, "app.yaml": application,
                 "other.yaml": "a: 1\n"}) == ["app.yaml", "cm.yaml", "release.yaml"]
    # Without a valuesFrom, a ConfigMap cannot matter.
    assert kept({"cm.yaml": config, "app.yaml": application}) == ["app.yaml"]
    assert kept({"helmfile.yaml": "releases: []\n", "values.yaml": "a: 1\n"}) == \
        ["helmfile.yaml"]


def test_a_ref_source_whose_path_is_in_the_tree_is_read(tmp_path):
    source = ("repoURL: https://kubernetes-sigs.github.io/external-dns\nchart: external-dns\n"
              "helm:\n  valueFiles: [$values/config/dns.yaml]\n")
    files = {"apps/dns.yaml": argo(source, REF_SOURCE + "    path: config\n"),
             "config/dns.yaml": values("from-ref")}
    assert [str(s) for s in subjects(graph(tmp_path, files))] == \
        ["system:serviceaccount:dns:from-ref"]
    files["apps/dns.yaml"] = argo(source.replace("config/dns", "../outside"), REF_SOURCE)
    found = graph(tmp_path / "out", files)
    assert any("outside the scanned tree" in m for m in notes(found))


def test_of_two_config_maps_of_one_name_in_a_file_the_one_of_the_namespace_is_read(tmp_path):
    def named(account: str, namespace: str) -> str:
        return config_map("base", "values.yaml: |\n" + _indent(values(account, None), 2),
                          namespace=namespace)

    found = graph(tmp_path, {"apps/release.yaml": flux("kind: ConfigMap\nname: base"),
                             "apps/cm.yaml": named("other", "other") + "---\n"
                             + named("mine", "dns")})
    assert [str(s) for s in subjects(found)] == ["system:serviceaccount:dns:mine"]


# --- charts of the tree ---------------------------------------------------------------------

CHART = "apiVersion: v2\nname: {name}\nversion: 1.0.0\n"


def test_a_chart_of_the_tree_starts_from_its_own_values_and_name(tmp_path):
    """Argo CD and helmfile releases of a chart folder: its values.yaml is the lowest layer
    (a release's own values still win), and its Chart.yaml names the chart, so a vendored
    chart of the table keeps that chart's naming whatever its folder is called."""
    files = {"charts/api/Chart.yaml": CHART.format(name="api"),
             "charts/api/values.yaml": values("api-from-chart"),
             "apps/api.yaml": argo("path: charts/api\nhelm:\n  valuesObject: {replicas: 2}")}
    assert [str(s) for s in subjects(graph(tmp_path / "argo", files))] == \
        ["system:serviceaccount:dns:api-from-chart"]
    files["apps/api.yaml"] = argo("path: charts/api\nhelm:\n  parameters:\n"
                                  "    - {name: serviceAccount.name, value: api-set}")
    assert [str(s) for s in subjects(graph(tmp_path / "argo2", files))] == \
        ["system:serviceaccount:dns:api-set"]
    vendored = {"vendor/lbc/Chart.yaml": CHART.format(name="aws-load-balancer-controller"),
                "vendor/lbc/values.yaml": values(),
                "helmfile.yaml": "releases:\n  - name: lbc\n    namespace: kube-system\n"
                                 "    chart: ./vendor/lbc\n"}
    assert [str(s) for s in subjects(graph(tmp_path / "helmfile", vendored))] == \
        ["system:serviceaccount:kube-system:lbc-aws-load-balancer-controller"]


def test_a_folder_without_chart_yaml_or_a_chart_from_a_repository_gives_no_defaults(tmp_path):
    files = {"charts/api/values.yaml": values("api-from-chart"),
             "apps/api.yaml": argo("path: charts/api\nhelm:\n  valuesObject: {replicas: 2}")}
    assert graph(tmp_path / "a", files).workloads == []
    files = {"charts/api/Chart.yaml": CHART.format(name="api"),
             "charts/api/values.yaml": values("api-from-chart"),
             "apps/api.yaml": argo("chart: api\nrepoURL: https://charts.example.com\n"
                                   "helm:\n  valuesObject: {replicas: 2}")}
    assert graph(tmp_path / "b", files).workloads == []
