from __future__ import annotations

from oidclint.graph import role_name_in
from oidclint.model import Level
from oidclint.rule import Rule


class WorkloadRoleNotFound(Rule):
    """
    ## What it does
    Notes a workload that names a role (an ARN or a name) that the scanned code does not
    define, so its trust cannot be checked against the workload. A role value not wholly
    known (a secret, a CI variable, a placeholder such as `${ROLE_ARN}` in a manifest) is not
    noted: the report lists it among the links that cannot be resolved. Nor is a name given
    to a module call whose code the scan cannot read (a registry module without a built-in
    model), which may define it.

    ## Why it matters
    The role may live in another repository (fine), or the name may be misspelt, the account
    wrong, or the role not yet created, in which case the workload fails at run time.

    ## Example
    ```yaml
    role-to-assume: arn:aws:iam::123456789012:role/deploy-prod   # defined nowhere in the scan
    ```

    ## Fix
    Check the ARN; scan the repository that defines the role together with this one to have
    the link checked. Roles that live elsewhere on purpose go under `known-roles` in the
    configuration (ARNs or names, `*` globs allowed) and are no longer noted. A role created
    by a registry module at a version without a built-in model is taken as defined elsewhere
    too (a note names the module call and the version).

    ## References
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
    """

    id = "OIDC305"
    name = "workload-role-not-found"
    level = Level.NOTE
    summary = "A workload names a role that the scanned code does not define"
    tags = ("workload",)

    def check(self, graph):
        # A role value not wholly known (a secret, a variable, a placeholder) is listed
        # with the unresolved links: one fact, one report.
        unresolved = {id(w) for w in graph.unresolved_links()}
        for workload in graph.workloads:
            if workload.kind == "eksctl" or workload.cloud != "aws" \
                    or id(workload) in unresolved:
                continue
            link = graph.link(workload)
            if link.roles or link.unseen:
                continue  # defined in the scan, or maybe by code the scan cannot read
            name = role_name_in(workload.role)
            if not name or getattr(workload.role, "ref", None):
                continue
            if graph.defined_elsewhere(workload):
                continue  # as the configuration says, or by a module the scan cannot read
            yield self.finding(
                workload.role_span or workload.span,
                f"{workload.name} assumes `{workload.role}`, which the scanned code does not "
                f"define; its trust cannot be checked.",
                workload=workload,
                fallback=[workload.span],
                fix="Scan the code that defines the role together with this one, or check the ARN.",
            )
