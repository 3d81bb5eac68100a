"""The trust graph drawn for a person: providers, roles, workloads and clusters, with the
claims that link them, as Mermaid, Graphviz DOT or node-link JSON (``oidclint graph``)."""

from __future__ import annotations

import json

import networkx as nx

from oidclint.findings import printable
from oidclint.graph import Trust, TrustGraph
from oidclint.source import render


def linked_view(trust_graph: TrustGraph) -> nx.DiGraph:
    """The graph as a person reads it: providers, roles, workloads and clusters, with edges
    labelled by the claim that links them (statements folded into their role)."""
    view = nx.DiGraph()
    for node, data in trust_graph.graph.nodes(data=True):
        kind, obj = data["kind"], data["obj"]
        if kind == "provider":
            view.add_node(node, kind=kind, label=f"{obj.address}\n{obj.host}")
        elif kind == "role":
            view.add_node(node, kind=kind, label=obj.address)
        elif kind == "workload":
            view.add_node(node, kind=kind, label=obj.name)
        elif kind in ("cluster", "identity_pool"):
            view.add_node(node, kind=kind, label=obj.address)
    for source, target, key, data in trust_graph.graph.edges(keys=True, data=True):
        if key == "trusts":
            trust = trust_graph.graph.nodes[source]["obj"]
            role = trust_graph.node_id("role", trust.role.scope, trust.role.address)
            view.add_edge(role, target, label=_trusts_label(trust))
        elif key == "assumes":
            workload = trust_graph.graph.nodes[source]["obj"]
            contexts = ", ".join(c.label for c in workload.contexts) or "assumes"
            view.add_edge(source, target, label=contexts)
        elif key == "runs_in":
            view.add_edge(source, target, label="runs in")
        elif key == "default_role":
            view.add_edge(source, target, label=f"{data['kind']} role")
    for trust in trust_graph.trusts():
        # A provider looked up (`data "aws_iam_openid_connect_provider"`) is drawn as the
        # lookup, with the issuer it names when it names one, not as some provider elsewhere.
        for principal in trust.principals:
            if trust.providers or not (principal.ref or "").startswith("data."):
                continue
            node = trust_graph.node_id("lookup", trust.role.scope, principal.ref)
            view.add_node(node, kind="provider",
                          label=f"{principal.ref}\n{principal.host or 'issuer not known'}")
            role = trust_graph.node_id("role", trust.role.scope, trust.role.address)
            view.add_edge(role, node, label=_trusts_label(trust))
    for unit in trust_graph.inventory.units:
        # A Terragrunt unit is a root: what its module creates, it deploys.
        node = trust_graph.node_id("unit", unit.folder, unit.path)
        view.add_node(node, kind="unit", label=f"Terragrunt unit {unit.folder}\n"
                                               f"module {unit.module}")
        for item in (*trust_graph.providers, *trust_graph.roles):
            if item.scope == unit.folder:
                kind = "provider" if item in trust_graph.providers else "role"
                view.add_edge(node, trust_graph.node_id(kind, item.scope, item.address),
                              label="deploys")
    _cloud_trusts(trust_graph, view)
    for provider in trust_graph.providers:
        cluster = trust_graph.cluster_of_provider(provider)
        if cluster:
            view.add_edge(trust_graph.node_id("provider", provider.scope, provider.address),
                          trust_graph.node_id("cluster", cluster.scope, cluster.address),
                          label="issuer of")
    return view


def _cloud_trusts(trust_graph: TrustGraph, view: nx.DiGraph) -> None:
    """Google Cloud and Azure trusts: the principal granted, the issuer it trusts with what
    restricts the subject, and the workloads set to use it."""
    workloads = {id(data["obj"]): node for node, data in trust_graph.graph.nodes(data=True)
                 if data["kind"] == "workload"}
    for trust in trust_graph.cloud_trusts:
        node = trust_graph.node_id(f"{trust.cloud}-trust", trust.scope, trust.address)
        view.add_node(node, kind="role", label=f"{trust.address}\n{trust.principal}")
        issuer = trust_graph.node_id("issuer", "", str(trust.issuer))
        view.add_node(issuer, kind="provider", label=f"issuer\n{render(trust.issuer)}")
        restriction = render(trust.restriction) if trust.restriction is not None \
            else "any subject"
        view.add_edge(node, issuer, label=f"trusts {restriction}")
        for workload in trust_graph.workloads:
            if workload.cloud == trust.cloud and trust.uses(workload) is True:
                view.add_edge(workloads[id(workload)], node, label=", ".join(
                    c.label for c in workload.contexts) or "uses")


def _trusts_label(trust: Trust) -> str:
    subjects = [render(v) for c in trust.conditions_on("sub") for v in c.values]
    return "trusts " + (", ".join(subjects) or "any subject")


def _quoted(text: str) -> str:
    text = printable(text)  # a name's escapes and undecodable bytes, shown escaped
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(view: nx.DiGraph) -> str:
    shapes = {"provider": "hexagon", "role": "box", "workload": "ellipse", "cluster": "cylinder",
              "unit": "folder"}
    lines = ["digraph oidclint {", "  rankdir=LR;"]
    for node, data in sorted(view.nodes(data=True)):
        lines.append(f"  {_quoted(node)} [label={_quoted(data['label'])}, "
                     f"shape={shapes.get(data['kind'], 'box')}];")
    for source, target, data in sorted(view.edges(data=True)):
        lines.append(f"  {_quoted(source)} -> {_quoted(target)} [label={_quoted(data['label'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(view: nx.DiGraph) -> str:
    ids = {node: f"n{i}" for i, node in enumerate(sorted(view.nodes))}
    shapes = {"provider": ("{{", "}}"), "role": ("[", "]"), "workload": ("([", "])"),
              "cluster": ("[(", ")]"), "unit": ("[[", "]]")}

    def text(value: str) -> str:
        value = printable(value)
        return '"' + value.replace('"', "#quot;").replace("\n", "<br/>") + '"'

    lines = ["flowchart LR"]
    for node in sorted(view.nodes):
        data = view.nodes[node]
        left, right = shapes.get(data["kind"], ("[", "]"))
        lines.append(f"  {ids[node]}{left}{text(data['label'])}{right}")
    for source, target, data in sorted(view.edges(data=True)):
        lines.append(f"  {ids[source]} -->|{text(data['label'])}| {ids[target]}")
    return "\n".join(lines) + "\n"


def to_json(view: nx.DiGraph) -> str:
    data = nx.node_link_data(view, edges="edges")
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    data["edges"] = sorted(data["edges"], key=lambda e: (e["source"], e["target"]))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
