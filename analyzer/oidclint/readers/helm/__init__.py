"""Helm releases to the ServiceAccount workloads their charts create.

A chart creates a ServiceAccount from its values: whether (``serviceAccount.create``), under
what name (``serviceAccount.name``, else a name the chart makes from the release name or its
own name) and with which annotations (the IRSA role ARN). A release is read from where it is
written: a Terraform ``helm_release`` (``terraform``, evaluated by ``oidclint.hcl``), an Argo CD
``Application`` or a Flux ``HelmRelease`` manifest (``manifests``, ``flux`` for
``valuesFrom``), a helmfile (``helmfile``). Its values are layered as Helm layers them
(``values``), the values files it names read from the tree (``files``), and the charts whose naming the analyzer knows are a data table
with a source per entry (``charts``); ``release`` turns one release into workloads. A chart
not in the table is read by the common ``serviceAccount.*`` keys, and its ServiceAccount name
is unknown unless the values set it.

Imports the located values, the model and the Kubernetes workload helpers
(``oidclint.readers.workloads.kubernetes``); the Terraform side reads an evaluated module
(``oidclint.hcl``). Never the scheduler, rules or reporters.
"""

import posixpath

HELMFILE_NAMES = ("helmfile.yaml", "helmfile.yml")
HELMFILE_FOLDER = "helmfile.d"


def is_helmfile(path: str) -> bool:
    """A helmfile state file: ``helmfile.yaml``, or a YAML file of ``helmfile.d``."""
    folder, _, name = path.rpartition("/")
    return name in HELMFILE_NAMES or posixpath.basename(folder) == HELMFILE_FOLDER and \
        name.endswith((".yaml", ".yml"))
