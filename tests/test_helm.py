"""Helm releases (Terraform ``helm_release``, Argo CD ``Application``, Flux ``HelmRelease``)
to the ServiceAccount workloads their charts create: how the values are layered, read and
typed, and how each chart of the table names its ServiceAccount."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.readers.helm.charts import CHARTS, chart_named
from oidclint.readers.helm.values import (
    NOT_SET, MaybeSet, ReleaseValues, set_path, truthy, typed,
)
from oidclint.source import LDict, Partial, SourceFile, Span, Str, Unknown
from oidclint.terraform_roots import parse_terraform

AT = Span("main.tf", 1)
ROLE = "arn:aws:iam::123456789012:role/addon"


def scan(tmp_path: Path, files: dict[str, str]):
    sources = []
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if name.endswith(".tf"):
            sources.append(SourceFile(name, target, text, "terraform"))
    return parse_terraform(sources)


def accounts(inventory) -> dict[str, object]:
    """Subject -> role of each workload."""
    return {str(w.contexts[0].subject): w.role for w in inventory.workloads}


def release(chart: str, body: str = "", name: str | None = None,
            namespace: str | None = "kube-system") -> str:
    lines = [f'resource "helm_release" "r" {{', f'  name  = "{name or chart}"',
             f'  chart = "{chart}"']
    if namespace:
        lines.append(f'  namespace = "{namespace}"')
    return "\n".join(lines) + "\n" + body + "}\n"


def annotate(key: str = "serviceAccount.annotations") -> str:
    escaped = key + ".eks\\\\.amazonaws\\\\.com/role-arn"
    return f'  set {{\n    name  = "{escaped}"\n    value = "{ROLE}"\n  }}\n'


# --- values ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, path", [
    ("serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
     ("serviceAccount", "annotations", "eks.amazonaws.com/role-arn")),
    ("serviceAccount.name", ("serviceAccount", "name")),
    ("args[0]", ("args", "[0]")),
    ("a.b[2].c", ("a", "b", "[2]", "c")),
    ("nodeSelector.kubernetes\\.io/os", ("nodeSelector", "kubernetes.io/os")),
])
def test_set_names_are_paths_with_escaped_dots_and_indexes(name, path):
    assert set_path(name) == path


@pytest.mark.parametrize("name", ["", ".a", "a..b", "[0]", "a[x]", "a[1"])
def test_set_names_helm_refuses_are_no_path(name):
    assert set_path(name) is None


@pytest.mark.parametrize("text, value", [
    ("true", True), ("false", False), ("null", None), ("42", 42), ("-3", -3),
    ("007", "007"), ("arn:aws:iam::1:role/x", "arn:aws:iam::1:role/x"), ("True", "True"),
])
def test_set_values_are_typed_as_helm_types_them(text, value):
    assert typed(Str(text)) == value and type(typed(Str(text))) is type(value) or \
        isinstance(value, str) and typed(Str(text)) == value


def test_later_layers_win_settings_win_over_values_and_null_removes():
    values = ReleaseValues()
    values.add(LDict({"serviceAccount": LDict({"name": "first", "create": True})}))
    values.add(LDict({"serviceAccount": LDict({"name": "second"})}))
    assert values.get(("serviceAccount", "name")) == "second"
    assert values.get(("serviceAccount", "create")) is True  # maps merge key by key
    values.set(Str("serviceAccount.name"), Str("third"), AT)
    assert values.get(("serviceAccount", "name")) == "third"
    values.set(Str("serviceAccount.create"), Str("null"), AT)
    assert values.get(("serviceAccount", "create")) is None
    assert values.get(("serviceAccount", "annotations")) is NOT_SET
    values.set(Str("serviceAccount.create"), Str("false"), AT, string=True)
    assert values.get(("serviceAccount", "create")) == "false"
    assert truthy(values.get(("serviceAccount", "create"))) is True  # a string is truthy


def test_a_layer_not_known_may_set_any_key_it_comes_after():
    values = ReleaseValues()
    values.add(LDict({"serviceAccount": LDict({"name": "known"})}))
    values.add(Unknown("var.values"))
    found = values.get(("serviceAccount", "name"))
    assert isinstance(found, MaybeSet) and "var.values" in found.origin
    values.set(Str("serviceAccount.name"), Str("last"), AT)
    assert values.get(("serviceAccount", "name")) == "last"
    values.set(Unknown("var.setting"), Str("x"), AT)  # which key it sets is not known
    assert isinstance(values.get(("serviceAccount", "name")), MaybeSet)


def test_an_unknown_written_as_the_value_is_not_a_maybe():
    values = ReleaseValues()
    values.set(Str("serviceAccount.name"), Unknown("var.name"), AT)
    found = values.get(("serviceAccount", "name"))
    assert isinstance(found, Unknown) and not isinstance(found, MaybeSet)


def test_chart_names_from_repositories_archives_and_paths():
    assert chart_named("eks/aws-load-balancer-controller")[0] == "aws-load-balancer-controller"
    assert chart_named("oci://public.ecr.aws/karpenter/karpenter")[0] == "karpenter"
    assert chart_named("https://example.com/charts/velero-5.1.0.tgz")[0] == "velero"
    assert chart_named("./charts/my-app/")[0] == "my-app"
    assert chart_named(Unknown("var.chart"))[0] is None
    assert all(entry.source.startswith("https://") for entry in CHARTS.values())


# --- Terraform helm_release -----------------------------------------------------------


def test_escaped_set_key_annotates_the_chart_account(tmp_path):
    found = scan(tmp_path, {"main.tf": release("aws-load-balancer-controller", annotate())})
    workload, = found.workloads
    assert workload.name == "Helm release kube-system/aws-load-balancer-controller"
    assert workload.role == ROLE and workload.kind == "kubernetes"
    assert str(workload.contexts[0].subject) == \
        "system:serviceaccount:kube-system:aws-load-balancer-controller"
    assert workload.span.path == "main.tf" and workload.span.line == 1


@pytest.mark.parametrize("chart, release_name, key, subject", [
    ("aws-load-balancer-controller", "lbc", "serviceAccount.annotations",
     "kube-system:lbc-aws-load-balancer-controller"),
    ("external-dns", "dns-external-dns", "serviceAccount.annotations",
     "kube-system:dns-external-dns"),
    ("cluster-autoscaler", "cluster-autoscaler", "rbac.serviceAccount.annotations",
     "kube-system:cluster-autoscaler-aws-cluster-autoscaler"),
    ("cluster-autoscaler", "aws-cluster-autoscaler", "rbac.serviceAccount.annotations",
     "kube-system:aws-cluster-autoscaler"),
    ("karpenter", "karpenter", "serviceAccount.annotations", "kube-system:karpenter"),
    ("karpenter", "karpenter", "additionalAnnotations", "kube-system:karpenter"),
    ("aws-ebs-csi-driver", "ebs", "controller.serviceAccount.annotations",
     "kube-system:ebs-csi-controller-sa"),
    ("aws-ebs-csi-driver", "ebs", "serviceAccount.controller.annotations",
     "kube-system:ebs-csi-controller-sa"),
    ("aws-efs-csi-driver", "efs", "controller.serviceAccount.annotations",
     "kube-system:efs-csi-controller-sa"),
    ("external-secrets", "eso", "serviceAccount.annotations", "kube-system:eso-external-secrets"),
    ("external-secrets", "eso", "webhook.serviceAccount.annotations",
     "kube-system:external-secrets-webhook"),
    ("cert-manager", "cert-manager", "serviceAccount.annotations", "kube-system:cert-manager"),
    ("aws-for-fluent-bit", "fluent-bit", "serviceAccount.annotations",
     "kube-system:fluent-bit-aws-for-fluent-bit"),
    ("velero", "velero", "serviceAccount.server.annotations", "kube-system:velero-server"),
    ("crossplane", "xp", "serviceAccount.customAnnotations", "kube-system:crossplane"),
])
def test_each_chart_of_the_table_names_its_account(tmp_path, chart, release_name, key, subject):
    found = scan(tmp_path, {"main.tf": release(chart, annotate(key), name=release_name)})
    assert accounts(found) == {f"system:serviceaccount:{subject}": ROLE}


def setting(name: str, value: str) -> str:
    return f'  set {{\n    name  = "{name}"\n    value = {value}\n  }}\n'


def test_name_overrides_and_the_name_key(tmp_path):
    def subject(body: str, chart: str = "external-dns", name: str = "dns") -> str:
        found = scan(tmp_path, {"main.tf": release(chart, body, name=name)})
        return next(iter(accounts(found)))

    assert subject(annotate() + setting("serviceAccount.name", '"mine"')).endswith(":mine")
    assert subject(annotate() + setting("fullnameOverride", '"full"')).endswith(":full")
    assert subject(annotate() + setting("nameOverride", '"other"')).endswith(":dns-other")
    # Crossplane names its account after itself whatever serviceAccount.name says.
    assert subject(annotate("serviceAccount.customAnnotations")
                   + setting("serviceAccount.name", '"mine"'), "crossplane", "xp") \
        .endswith(":crossplane")


def test_no_workload_when_the_chart_does_not_create_the_account(tmp_path):
    def workloads(chart: str, body: str, extra: str = "") -> list:
        return scan(tmp_path, {"main.tf": release(chart, body) + extra}).workloads

    assert not workloads("karpenter", annotate() + setting("serviceAccount.create", '"false"'))
    # Whether it is created is not known: nothing is said of it.
    assert not workloads("karpenter", annotate() + setting("serviceAccount.create", "var.c"),
                         'variable "c" {}\n')
    assert workloads("karpenter", annotate() + setting("serviceAccount.create", '"true"'))
    assert not workloads("cluster-autoscaler", annotate("rbac.serviceAccount.annotations")
                         + setting("rbac.create", '"false"'))
    # The chart writes no annotations on its accounts.
    assert not workloads("amazon-cloudwatch-observability",
                         annotate("agent.serviceAccount.annotations"))


def test_a_chart_not_in_the_table_needs_a_name(tmp_path):
    found = scan(tmp_path, {"main.tf": release("my-app", annotate())})
    workload, = found.workloads
    name = workload.contexts[0].subject
    assert isinstance(name, Partial) and "my-app" in str(name) and "not set" in str(name)
    named = setting("serviceAccount.name", '"api"')
    found = scan(tmp_path, {"main.tf": release("my-app", annotate() + named)})
    assert accounts(found) == {"system:serviceaccount:kube-system:api": ROLE}


def test_namespace_defaults_to_default_and_chart_overrides_apply(tmp_path):
    found = scan(tmp_path, {"main.tf": release("karpenter", annotate(), namespace=None)})
    assert accounts(found) == {"system:serviceaccount:default:karpenter": ROLE}
    moved = setting("namespaceOverride", '"secrets"')
    found = scan(tmp_path, {"main.tf": release("external-secrets", annotate() + moved)})
    assert accounts(found) == {"system:serviceaccount:secrets:external-secrets": ROLE}


def test_set_list_attribute_form_and_sensitive_settings(tmp_path):
    body = f'''\
  set = [
    {{ name = "serviceAccount.name", value = "from-list" }},
    {{ name = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn", value = "{ROLE}" }},
  ]
  set_list = [{{ name = "args", value = ["a", "b"] }}]
  set_sensitive {{
    name  = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/audience"
    value = "custom"
  }}
'''
    workload, = scan(tmp_path, {"main.tf": release("karpenter", body)}).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:kube-system:from-list"
    assert workload.audience == "custom"


def test_set_list_values_reach_lists(tmp_path):
    body = f'''\
  set_list {{
    name  = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn"
    value = ["{ROLE}"]
  }}
'''
    # A list is not text: no role annotation the webhook reads.
    assert not scan(tmp_path, {"main.tf": release("karpenter", body)}).workloads


def test_dynamic_set_blocks(tmp_path):
    body = f'''\
  dynamic "set" {{
    for_each = {{
      "serviceAccount.name" = "dyn"
      "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn" = "{ROLE}"
    }}
    content {{
      name  = set.key
      value = set.value
    }}
  }}
'''
    found = scan(tmp_path, {"main.tf": release("karpenter", body)})
    assert accounts(found) == {"system:serviceaccount:kube-system:dyn": ROLE}


def test_yamlencode_values_with_a_role_reference(tmp_path):
    body = '''\
  values = [yamlencode({
    serviceAccount = {
      name        = "encoded"
      annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.addon.arn }
    }
  })]
'''
    text = release("karpenter", body) + 'resource "aws_iam_role" "addon" {\n  name = "addon"\n}\n'
    workload, = scan(tmp_path, {"main.tf": text}).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:kube-system:encoded"
    assert workload.role.ref == "aws_iam_role.addon"


def test_values_file_and_template_file(tmp_path):
    values = "serviceAccount:\n  name: from-file\n  annotations:\n" \
             f"    eks.amazonaws.com/role-arn: {ROLE}\n"
    template = "serviceAccount:\n  annotations:\n    eks.amazonaws.com/role-arn: ${role}\n"
    body = '  values = [file("${path.module}/values.yaml")]\n'
    found = scan(tmp_path, {"main.tf": release("karpenter", body), "values.yaml": values})
    workload, = found.workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:kube-system:from-file"
    assert workload.role == ROLE and workload.role_span == Span("values.yaml", 4, 33, 4, 69)
    body = '  values = [templatefile("values.tpl", { role = var.role })]\n'
    text = release("karpenter", body) + 'variable "role" {}\n'
    workload, = scan(tmp_path, {"main.tf": text, "values.tpl": template}).workloads
    assert isinstance(workload.role, Unknown) and "var.role" in workload.role.origin


def test_a_later_values_document_overrides_an_earlier_one_and_set_wins(tmp_path):
    body = f'''\
  values = [
    <<-EOT
      serviceAccount:
        name: first
        annotations:
          eks.amazonaws.com/role-arn: {ROLE}
    EOT
    ,
    "serviceAccount: {{name: second}}",
  ]
'''
    workload, = scan(tmp_path, {"main.tf": release("karpenter", body)}).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:kube-system:second"
    assert workload.role_span == Span("main.tf", 10, 39, 10, 75)  # where it is written


def test_values_that_are_not_yaml_are_noted_and_not_guessed(tmp_path):
    body = '  values = ["serviceAccount: [unclosed"]\n' + annotate()
    found = scan(tmp_path, {"main.tf": release("karpenter", body)})
    assert any("not valid YAML" in d.message for d in found.diagnostics)
    # The settings name a role; what the broken document names the account is not known.
    workload, = found.workloads
    assert isinstance(workload.contexts[0].subject, Partial)


def test_values_not_known_leave_the_role_unset_and_the_name_unknown(tmp_path):
    body = '  values = [var.values]\n'
    text = release("karpenter", body) + 'variable "values" {}\n'
    assert not scan(tmp_path, {"main.tf": text}).workloads
    # Created for certain, named by the settings, annotated: read whatever the values say.
    body += annotate() + setting("serviceAccount.create", "true") \
        + setting("serviceAccount.name", '"api"')
    found = scan(tmp_path, {"main.tf": release("karpenter", body) + 'variable "values" {}\n'})
    assert accounts(found) == {"system:serviceaccount:kube-system:api": ROLE}
    body = '  values = [var.values]\n' + annotate() + setting("serviceAccount.create", "true")
    workload, = scan(tmp_path, {"main.tf": release("karpenter", body)
                                + 'variable "values" {}\n'}).workloads
    assert isinstance(workload.contexts[0].subject, Partial)  # the name may come from them


# --- Argo CD and Flux -----------------------------------------------------------------

ARGO = '''\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: karpenter
  namespace: argocd
spec:
  source:
    repoURL: public.ecr.aws/karpenter
    chart: karpenter
    targetRevision: 1.0.0
    helm:
      releaseName: kp
      values: |
        serviceAccount:
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/karpenter
      valuesObject:
        serviceAccount:
          name: from-object
      parameters:
        - name: serviceAccount.name
          value: from-parameter
  destination:
    namespace: karpenter
'''

FLUX = '''\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: external-dns
  namespace: flux-system
spec:
  targetNamespace: dns
  chart:
    spec:
      chart: external-dns
  values:
    serviceAccount:
      annotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/dns
'''


def manifest(text: str, path: str = "app.yaml", namespace: str | None = None):
    from oidclint.readers.helm.manifests import read_chart_object
    from oidclint.readers.workloads.kubernetes import parse_kubernetes

    return parse_kubernetes(SourceFile(path, Path(path), text, "structured"),
                            kustomize_namespace=namespace, charts=read_chart_object)


def test_argo_cd_parameters_win_over_values_object_over_values():
    workload, = manifest(ARGO).workloads
    assert workload.name == "Helm release karpenter/kp"
    assert str(workload.contexts[0].subject) == "system:serviceaccount:karpenter:from-parameter"
    assert workload.role == "arn:aws:iam::123456789012:role/karpenter"
    # The role is placed where it is written inside the block scalar.
    assert workload.role_span == Span("app.yaml", 16, 41, 16, 81)
    without = ARGO.replace("      parameters:\n        - name: serviceAccount.name\n"
                           "          value: from-parameter\n", "")
    workload, = manifest(without).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:karpenter:from-object"


def test_argo_cd_release_name_defaults_to_the_application_and_value_files_are_unknown():
    text = ARGO.replace("      releaseName: kp\n", "").split("      valuesObject:")[0] \
        + "  destination:\n    namespace: karpenter\n"
    workload, = manifest(text).workloads
    assert str(workload.contexts[0].subject) == "system:serviceaccount:karpenter:karpenter"
    with_files = text.replace("      values: |", "      valueFiles: [values-prod.yaml]\n"
                                                  "      values: |")
    workload, = manifest(with_files).workloads  # the inline values still set the role
    assert isinstance(workload.contexts[0].subject, Partial)  # a value file may name it


def test_argo_cd_source_that_is_not_helm_is_left_alone():
    text = ARGO.replace("    chart: karpenter\n", "    path: deploy/\n")
    text = text.split("    helm:")[0] + "  destination:\n    namespace: karpenter\n"
    assert not manifest(text).workloads


def test_flux_release_name_and_target_namespace():
    workload, = manifest(FLUX).workloads
    assert workload.name == "Helm release dns/dns-external-dns"
    assert str(workload.contexts[0].subject) == "system:serviceaccount:dns:dns-external-dns"
    plain = FLUX.replace("  targetNamespace: dns\n", "")
    workload, = manifest(plain, namespace="ops").workloads  # kustomize sets its namespace
    assert str(workload.contexts[0].subject) == "system:serviceaccount:ops:external-dns"
    named = plain.replace("spec:\n", "spec:\n  releaseName: dns\n", 1)
    workload, = manifest(named).workloads
    assert str(workload.contexts[0].subject) == \
        "system:serviceaccount:flux-system:dns-external-dns"


def test_flux_values_from_may_set_what_values_do_not():
    text = FLUX + "  valuesFrom:\n    - kind: ConfigMap\n      name: dns-values\n"
    workload, = manifest(text).workloads
    assert isinstance(workload.contexts[0].subject, Partial)


def test_helm_values_that_are_not_yaml_are_noted():
    text = ARGO.replace("        serviceAccount:\n          annotations:",
                        "        serviceAccount: [\n          annotations:", 1)
    found = manifest(text)
    assert any("not valid YAML" in d.message for d in found.diagnostics)


def test_a_role_interpolated_into_values_text_still_names_its_role(tmp_path):
    body = '''\
  values = [<<EOF
serviceAccount:
  annotations:
    eks.amazonaws.com/role-arn: "${aws_iam_role.addon.arn}"
EOF
  ]
'''
    text = release("karpenter", body) + '''\
resource "aws_iam_role" "addon" {
  name = "addon-${var.env}"
}
variable "env" {}
'''
    workload, = scan(tmp_path, {"main.tf": text}).workloads
    assert isinstance(workload.role, Partial)  # the account and the name are partly unknown
    assert workload.role.ref == "aws_iam_role.addon"
