"""The objects parsers produce and rules reason about.

Parsers of every input format produce these; rules never see raw HCL, YAML or JSON. A trust
policy written as ``aws_iam_policy_document``, ``jsonencode``, heredoc JSON or CloudFormation
becomes the same ``PolicyDocument`` of ``Statement`` and ``Condition`` objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from oidclint.source import Partial, Span, Str, Text, Unknown


class Level(str, enum.Enum):
    """Severity of a finding, named as SARIF names result levels."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"note": 1, "warning": 2, "error": 3}[self.value]


@dataclass(slots=True)
class Condition:
    """One operator/key pair of a statement's Condition block and the values it compares."""

    operator: Text
    key: Text
    values: list[Any]
    span: Span | None = None
    """Where the key is written (the best place to point at the condition)."""

    @property
    def qualifier(self) -> str | None:
        """``ForAnyValue`` or ``ForAllValues`` when the operator is a set operator."""
        op = str(self.operator)
        head, sep, _ = op.partition(":")
        return head if sep and head in ("ForAnyValue", "ForAllValues") else None

    @property
    def base_operator(self) -> str:
        """The operator without set qualifier or ``IfExists``: ``StringLike``, ``Null`` ..."""
        op = str(self.operator)
        if self.qualifier:
            op = op.split(":", 1)[1]
        return op[: -len("IfExists")] if op.endswith("IfExists") else op

    @property
    def if_exists(self) -> bool:
        return str(self.operator).endswith("IfExists")

    @property
    def negated(self) -> bool:
        return "Not" in self.base_operator

    @property
    def issuer_prefix(self) -> Text | None:
        """The key without its claim: ``token.actions.githubusercontent.com`` in
        ``token.actions.githubusercontent.com:sub``; ``aws`` in ``aws:SourceIp``.

        Claim names never contain ``:``, so the claim starts after the last colon (an issuer
        prefix may itself hold one, as in a mistaken ``https://...``). ``None`` when unknown.
        """
        key = self.key
        if isinstance(key, str):
            return Str(key.rsplit(":", 1)[0], self.span) if ":" in key else None
        if isinstance(key, Partial) and ":" in key.known_suffix:
            tail = key.known_suffix.rsplit(":", 1)[0]
            head = key.parts[:-1] + ((tail,) if tail else ())
            return Partial(head, key.span)
        return None

    @property
    def claim(self) -> str | None:
        """The claim named by the key, lower-cased (IAM key names are case-insensitive)."""
        key = self.key
        text = str(key) if isinstance(key, str) else key.known_suffix if isinstance(key, Partial) else ""
        return text.rsplit(":", 1)[1].lower() if ":" in text else None


@dataclass(slots=True)
class Statement:
    effect: Text
    actions: list[Text] = field(default_factory=list)
    not_actions: list[Text] = field(default_factory=list)
    resources: list[Text] = field(default_factory=list)
    not_resources: list[Text] = field(default_factory=list)
    principals: dict[str, list[Text]] = field(default_factory=dict)
    """Principal type (``Federated``, ``AWS``, ``Service``, ``*``) to the values named."""
    not_principals: dict[str, list[Text]] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)
    sid: Text | None = None
    span: Span | None = None
    index: int = 0
    unknown: Unknown | None = None
    """Set when part of the statement could not be resolved (a dynamic block, say)."""

    @property
    def allows(self) -> bool:
        return isinstance(self.effect, str) and self.effect == "Allow"

    @property
    def federated(self) -> list[Text]:
        return self.principals.get("Federated", [])


@dataclass(slots=True)
class PolicyDocument:
    statements: list[Statement] = field(default_factory=list)
    span: Span | None = None
    unknown: Unknown | None = None
    """Set when the document as a whole could not be resolved."""
    problems: list[tuple[Span | None, str]] = field(default_factory=list)
    """Structural problems met while reading it (not JSON, Statement not a list ...)."""

    @property
    def read_whole(self) -> bool:
        """Every statement it may hold is read: the document is known, and no statement of
        it is one whose effect is not known (``concat([...], var.more)``, a statement only
        some alternatives of a conditional hold). Otherwise it may allow what the statements
        read do not, and a workload it seems to refuse may get in. A document with a problem
        (text that is not JSON, a statement IAM cannot read) is not read whole either: what
        its author meant is not known, and IAM refuses it as written."""
        return self.unknown is None and not self.problems and not any(
            s.unknown is not None and not isinstance(s.effect, str) for s in self.statements)


@dataclass(slots=True)
class Related:
    span: Span
    label: str


@dataclass(slots=True)
class OidcProvider:
    """An ``aws_iam_openid_connect_provider``, ``AWS::IAM::OIDCProvider`` or CDK provider."""

    address: str
    url: Text
    client_ids: list[Text] | Unknown
    thumbprints: list[Text] | Unknown = field(default_factory=list)
    span: Span | None = None
    scope: str = ""
    """Resources with the same scope deploy together (a Terraform root module folder, a
    CloudFormation template); roles link to the providers of their scope first."""
    origins: list[Related] = field(default_factory=list)
    """Other places that made this resource: the calling ``module`` block, the ``.tf`` source
    of a plan's resource, the CDK construct. Findings on it list them as related locations."""
    account: str | None = ""
    """The account it is created in, as far as the code tells: a Terraform root module with
    the provider configuration's account settings (``oidclint.hcl.providers``); ``""`` where
    the scope alone decides (one CloudFormation template is one stack in one account);
    ``None`` when not known. Equal ``(scope, account)`` is the same account."""

    @property
    def host(self) -> Text:
        """The issuer without its scheme, as it appears in ARNs and condition keys."""
        url = self.url
        if isinstance(url, str):
            return url[len("https://"):] if url.startswith("https://") else url
        if isinstance(url, Partial) and url.known_prefix.startswith("https://"):
            first = url.parts[0][len("https://"):]
            rest = url.parts[1:]
            if not first and len(rest) == 1 and isinstance(rest[0], Unknown):
                return rest[0]  # `https://${var.issuer}`: the host is what is not known
            return Partial(((first,) if first else ()) + rest, url.span)
        return url


@dataclass(slots=True)
class PermissionPolicy:
    """Permissions granted to roles: attached managed policy ARNs and policy documents."""

    address: str
    roles: list[Text]
    """The roles it applies to: names or references (a ``Str`` whose ``ref`` is the role)."""
    managed_arn: Text | None = None
    document: PolicyDocument | None = None
    span: Span | None = None
    scope: str = ""
    created_name: str | None = None
    """The name a script creates this customer managed policy under (``aws iam
    create-policy``): an attachment names it by an ARN ending ``:policy/<name>``."""


@dataclass(slots=True)
class Role:
    address: str
    name: Text | None
    trust: PolicyDocument | None
    span: Span | None = None
    scope: str = ""
    max_session_duration: int | Unknown | None = None
    origins: list[Related] = field(default_factory=list)
    """As for ``OidcProvider.origins``."""
    written_to: str | None = None
    """The file of the tree a script writes this trust to (``cat > trust.json <<EOF``)
    before creating the role from it: that file, also committed, is no role of its own."""
    iam_path: Text | None = None
    """The role's IAM path (``/`` unless set), part of its ARN, ``role/<path><name>``
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns);
    None where the reader does not know it."""
    standalone: bool = False
    """A trust policy kept apart from any role the scan defines (a ``trust-policy.json`` file,
    a ``data "aws_iam_policy_document"`` passed on to code the scan cannot read): checked as
    the trust of the role it is written for, its address the document's. Dropped when a role
    of the scan turns out to use it (``oidclint.readers.policies.policy_file.link_policy_files``)."""


@dataclass(slots=True)
class TokenContext:
    """One way a workload runs, and what its token says then.

    GitHub: one per trigger/ref the job can run for (``push to main``, ``pull_request``,
    ``workflow_dispatch on any branch``); Kubernetes: the one ServiceAccount identity.
    ``subject`` is the subject the token carries, or a glob when the workload can run for many
    refs (``workflow_dispatch`` on any branch); repository-relative subjects (GitHub, GitLab)
    are completed with the repository by claim synthesis.
    """

    label: str
    subject: Text
    """``ref:refs/heads/main`` / ``environment:production`` / ``pull_request`` for GitHub
    (the part after ``repo:<owner>/<repo>:``); ``ref_type:branch:ref:main`` for GitLab (after
    ``project_path:<group>/<project>:``); the whole ``system:serviceaccount:<ns>:<name>`` for
    Kubernetes."""
    pattern: bool = False
    """True when ``subject`` is a glob standing for many possible subjects."""
    span: Span | None = None
    """Where the trigger, branch filter or environment is written."""
    claims: dict[str, Text] = field(default_factory=dict)
    """Other claims the token carries in this context: ``ref``, ``environment`` ..."""
    event: str | None = None
    """The event that runs the workload in this context (GitHub's ``github.event_name``);
    None where it stands for several events or the workload has none."""
    every_ref: bool = False
    """For a glob ``subject``: the workload runs for every ref of it as a matter of course (a
    push to any branch), not only on one a person picks (``workflow_dispatch``)."""
    instead: "TokenContext | None" = None
    """What a person may pick in place of this context's refs: the tags, for a
    ``workflow_dispatch`` read as on any branch (it runs on the branch or tag chosen), so a
    trust that admits some of them admits some of its runs."""
    guard: str | None = None
    """A condition (GitHub's ``if:``) that may keep the workload from running in this
    context and that could not be decided, as written, with why; None when none does."""


@dataclass(frozen=True, slots=True)
class JobWorkflow:
    """GitHub: the workflow file that defines a job, as its token's ``job_workflow_ref``
    names it (``<repository>/<path>@<ref>``: for a job of a reusable workflow, the called
    file), and the run's ``workflow`` claim (the name of the workflow that was triggered).
    https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-with-reusable-workflows
    """

    path: str
    """``.github/workflows/deploy.yml``, relative to its repository."""
    repository: str | None = None
    """``owner/name``; ``None`` for the scanned repository."""
    ref: str | None = None
    """The ref written after ``@`` in a call from another repository (a branch, a tag, a
    commit SHA, or a full ``refs/...``); ``None`` when the file runs at the run's own ref."""
    run: str | None = None
    """The ``workflow`` claim: the triggered workflow's ``name``, else its path."""
    called: bool = False
    """A reusable workflow run by a caller's job. GitHub documents ``job_workflow_ref`` for
    those jobs only; whether a job of the triggered workflow itself carries it is not
    documented."""


@dataclass(frozen=True, slots=True)
class PermissionEntries:
    """A GitHub job's own block-style ``permissions`` mapping, as written: what a fix needs to
    add an entry to it or change its ``id-token`` entry."""

    first_key: tuple[Span, str]
    """The key of its first entry, where it is written and as written: a new entry goes
    before it, and a fix that finds it changed knows the file changed."""
    indent: str
    """The white space before each of its keys."""
    newline: str
    """The line ending of its lines (``\\n`` or ``\\r\\n``)."""
    id_token: tuple[Span, str] | None = None
    """The value of its ``id-token`` entry, where it is written and its text as written
    (quotes included); ``None`` when it has no such entry."""


@dataclass(slots=True)
class Workload:
    """Something that presents an OIDC token to assume a role: a GitHub Actions job, a GitLab CI
    job, a Kubernetes ServiceAccount."""

    kind: str
    """``github-actions``, ``gitlab-ci``, ``kubernetes``, ``eksctl``, ``eks-addon``,
    ``circleci``, ``buildkite``, ``bitbucket-pipelines`` or ``hcp-terraform``."""
    name: str
    """How a person names it: ``deploy.yml: job deploy``, ``ServiceAccount payments/api``."""
    span: Span
    role: Text | None = None
    """The role it asks for (ARN or name); ``Unknown`` for ``secrets.*``, CI variables ..."""
    role_span: Span | None = None
    audience: Text | None = None
    """The audience it requests; ``None`` when it uses the issuer's default."""
    session_name: Text | None = None
    duration: int | Unknown | None = None
    contexts: list[TokenContext] = field(default_factory=list)
    issuer: Text | None = None
    """The issuer host, when the workload's side says it (GitHub, a GitLab instance).
    Outside AWS it may be the whole URL, as the token's ``iss`` carries it: an AKS issuer
    ends in ``/``, and Azure compares issuers character for character."""
    cluster: str | None = None
    """For a ServiceAccount: the EKS cluster (resource address) it runs in, when known."""
    id_token_permission: bool | None = None
    """GitHub: whether the job's effective permissions include ``id-token: write``."""
    permission_span: Span | None = None
    permission_entries: PermissionEntries | None = None
    """GitHub: the job's own ``permissions`` mapping, when it is written in block style and
    can be edited in place; ``None`` for any other shape."""
    role_chaining: bool = False
    job_workflow: JobWorkflow | None = None
    """GitHub: the workflow file that defines the job, for ``job_workflow_ref``."""
    scope: str = ""
    """Where a reference in ``role`` is resolved: the Terraform root module (or plan) the
    workload was read in; empty for workloads of their own files."""
    logical: tuple[str, str] | None = None
    """Its logical location in the file that defines it, with the SARIF kind: the workflow
    job (``jobs.deploy``, ``object``), the GitLab job, ``ServiceAccount/<namespace>/<name>``
    (``resource``)."""
    cloud: str = "aws"
    """The cloud it authenticates to: ``aws`` (``role`` is an IAM role), ``google``
    (``role`` is the service account to impersonate, None for direct resource access) or
    ``azure`` (``role`` is the client id of the managed identity or application)."""
    target: Text | None = None
    """Outside AWS, what names the trust besides ``role``: Google's workload identity
    provider resource name, Azure's tenant id."""


@dataclass(slots=True)
class PodIdentityAssociation:
    """An EKS Pod Identity association (``aws_eks_pod_identity_association``): the pods of a
    ServiceAccount also get credentials for a role from the Pod Identity agent. That is not
    web identity; with an IRSA annotation as well, which credentials a pod's SDK takes first
    is not stated by AWS, so nothing is concluded of its web identity."""

    subject: Text
    """``system:serviceaccount:<namespace>:<name>``, as far as it is known."""
    span: Span
    scope: str = ""
    """The Terraform root module it was read in."""


@dataclass(slots=True)
class UnreadModuleCall:
    """A Terraform ``module`` call whose code the scan cannot read (a registry module without
    a built-in model, a source outside the scanned tree): the roles it creates are not known,
    but a role name among its arguments may be one of them."""

    address: str
    """``module.ci`` (with the instance key and the calling modules' addresses)."""
    source: str
    values: list[Text]
    """The strings its arguments hold, as far as they are known (list and map elements
    included)."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class TerragruntUnit:
    """A Terragrunt unit (``terragrunt.hcl``) that deploys a module folder with its inputs:
    the roles and providers of its scope (the unit's folder) are that module's, evaluated
    for it."""

    path: str
    module: str
    span: Span

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0] or "."


@dataclass(slots=True)
class Cluster:
    """An EKS cluster, whose issuer a ServiceAccount's token comes from."""

    address: str
    name: Text | None
    issuer: Text
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class IdentityPool:
    """A Cognito identity pool (``aws_cognito_identity_pool``, ``AWS::Cognito::IdentityPool``),
    whose id is the ``aud`` of the tokens it issues."""

    address: str
    allows_unauthenticated: bool | Unknown | None
    """Whether it gives identities to guests, who sign in nowhere; ``None`` when not set and
    no default applies."""
    span: Span | None = None
    setting_span: Span | None = None
    """Where the setting is written (the pool's span when it is left to its default)."""
    scope: str = ""


@dataclass(slots=True)
class IdentityPoolRoles:
    """The default roles of an identity pool (``aws_cognito_identity_pool_roles_attachment``,
    ``AWS::Cognito::IdentityPoolRoleAttachment``)."""

    address: str
    pool: Text
    """The pool's id: a reference (its ``ref`` is the pool's address) or a literal."""
    roles: dict[str, Text]
    """``authenticated`` / ``unauthenticated`` to the role's ARN (its ``ref`` is the role)."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class SubjectTemplate:
    """A GitHub OIDC subject claim customisation declared in Terraform: the organisation's
    (``github_actions_organization_oidc_subject_claim_customization_template``) or a
    repository's (``github_actions_repository_oidc_subject_claim_customization_template``)."""

    address: str
    claim_keys: list[Text] | Unknown | None
    """``include_claim_keys`` in order; ``None`` when not set."""
    repository: Text | None = None
    """The repository's name (or ``owner/name``); ``None`` for the organisation's template."""
    use_default: bool | Unknown | None = None
    """A repository's ``use_default``: true for GitHub's default subject, false for its own
    keys or else the organisation's template."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class PolicyFileUse:
    """A command that gives a role the trust policy kept in a file: ``aws iam create-role
    --role-name X --assume-role-policy-document file://trust.json`` (or
    ``update-assume-role-policy``) in a shell script, a Makefile or a workflow step."""

    role_name: Text
    policy: Text
    """The file as the command names it (what follows ``file://``)."""
    folder: str
    """The folder the command is taken to run in (the script's own, a step's repository
    root or working directory), which a relative path starts from."""
    span: Span
    command: str = "create-role"


# --- Google Cloud workload identity federation (docs/facts.md, "Google Cloud workload
# identity federation") ---------------------------------------------------------------------

@dataclass(slots=True)
class GooglePool:
    """A workload identity pool (``google_iam_workload_identity_pool``)."""

    address: str
    pool_id: Text
    """``workload_identity_pool_id``: the pool's name in
    ``projects/<number>/locations/global/workloadIdentityPools/<pool_id>``."""
    project: Text | None = None
    """``project``; ``None`` when left to the provider's default project."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class GooglePoolProvider:
    """A workload identity pool provider (``google_iam_workload_identity_pool_provider``):
    which tokens of which issuer the pool exchanges, and what it maps them to."""

    address: str
    pool_id: Text
    provider_id: Text
    project: Text | None = None
    issuer_uri: Text | None = None
    """``oidc.issuer_uri``; ``None`` for a provider without an ``oidc`` block (AWS, SAML,
    X.509), which the Google reading leaves alone."""
    allowed_audiences: list[Text] | Unknown = field(default_factory=list)
    """``oidc.allowed_audiences``; empty: Google's default audience (the provider's name)."""
    attribute_mapping: dict[str, Text] | Unknown | None = None
    """``attribute_mapping``, key to CEL expression; ``None`` when not set."""
    attribute_condition: Text | None = None
    span: Span | None = None
    issuer_span: Span | None = None
    mapping_span: Span | None = None
    condition_span: Span | None = None
    scope: str = ""
    disabled: bool = False


@dataclass(slots=True)
class GoogleServiceAccount:
    """A service account (``google_service_account``) and the email it is named by."""

    address: str
    email: Text
    """``<account_id>@<project>.iam.gserviceaccount.com``, partly known when the project is
    the provider's default."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class GoogleGrant:
    """One role granted to members on one resource (``google_*_iam_member``, ``_binding``,
    ``_policy``; a ``binding`` of a ``google_iam_policy`` data source)."""

    address: str
    role: Text
    members: list[Text] | Unknown
    resource: str
    """The Terraform type granted on: ``google_service_account_iam_member`` ..."""
    service_account: Text | None = None
    """For a grant on a service account: ``service_account_id`` as written (its ``ref`` is
    the ``google_service_account`` when it names one); ``None`` for any other resource."""
    span: Span | None = None
    member_spans: list[Span | None] = field(default_factory=list)
    scope: str = ""


PLATFORMS = {"github-actions": "github", "gitlab-ci": "gitlab"}
"""The workload kinds whose subjects name the scanned repository, and the platform that runs
them (``oidclint.repository``)."""


@dataclass(slots=True)
class Diagnostic:
    """A file that could not be read or understood, reported instead of silently skipped."""

    path: str
    message: str
    level: Level = Level.WARNING
    span: Span | None = None
    internal: bool = False
    """An internal error of oidclint (a rule that raised), not a problem of the input: the scan
    exits 2."""


@dataclass(slots=True)
class Inventory:
    """What the parsers found across every file of a scan."""

    providers: list[OidcProvider] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    policies: list[PermissionPolicy] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    identity_pools: list[IdentityPool] = field(default_factory=list)
    pool_roles: list[IdentityPoolRoles] = field(default_factory=list)
    policy_uses: list[PolicyFileUse] = field(default_factory=list)
    subject_templates: list[SubjectTemplate] = field(default_factory=list)
    """GitHub subject claim customisations (Terraform's GitHub provider)."""
    unread_calls: list[UnreadModuleCall] = field(default_factory=list)
    """Module calls whose code the scan cannot read."""
    units: list[TerragruntUnit] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    suppressions: list[Directive] = field(default_factory=list)
    """Suppressions read from resource metadata (CloudFormation)."""
    pod_identities: list[PodIdentityAssociation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files the prefilter found cannot matter, so not parsed."""
    cached: list[str] = field(default_factory=list)
    """Files whose parse results came from the parse cache."""
    timed_out: bool = False
    """A time budget ran out: what was found depends on the machine's load, so it is not
    cached."""
    dependencies: dict[str, Any] = field(default_factory=dict)
    """Files read beyond the scanned ones (``file()``, installed modules) -> content hash,
    which a cached result depends on."""
    roles_elsewhere: list[str] = field(default_factory=list)
    """Names (``*`` globs) of roles created by code the scan cannot read (a registry module
    at a version without a built-in model): defined elsewhere, like ``known-roles``."""
    google_pools: list[GooglePool] = field(default_factory=list)
    google_providers: list[GooglePoolProvider] = field(default_factory=list)
    google_service_accounts: list[GoogleServiceAccount] = field(default_factory=list)
    google_grants: list[GoogleGrant] = field(default_factory=list)
    azure_principals: list[AzurePrincipal] = field(default_factory=list)
    federated_credentials: list[FederatedCredential] = field(default_factory=list)
    """Azure federated identity credentials, and the identities and applications they
    belong to."""

    def extend(self, other: "Inventory") -> None:
        self.providers.extend(other.providers)
        self.roles.extend(other.roles)
        self.policies.extend(other.policies)
        self.workloads.extend(other.workloads)
        self.clusters.extend(other.clusters)
        self.identity_pools.extend(other.identity_pools)
        self.pool_roles.extend(other.pool_roles)
        self.policy_uses.extend(other.policy_uses)
        self.subject_templates.extend(other.subject_templates)
        self.unread_calls.extend(other.unread_calls)
        self.units.extend(other.units)
        self.diagnostics.extend(other.diagnostics)
        self.files.extend(other.files)
        self.suppressions.extend(other.suppressions)
        self.pod_identities.extend(other.pod_identities)
        self.cached.extend(other.cached)
        self.dependencies.update(other.dependencies)
        self.roles_elsewhere.extend(other.roles_elsewhere)
        self.google_pools.extend(other.google_pools)
        self.google_providers.extend(other.google_providers)
        self.google_service_accounts.extend(other.google_service_accounts)
        self.google_grants.extend(other.google_grants)
        self.azure_principals.extend(other.azure_principals)
        self.federated_credentials.extend(other.federated_credentials)
        self.timed_out = self.timed_out or other.timed_out


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is not held against the scan: an ``oidclint: ignore[ID]`` comment or a
    CloudFormation resource's ``Metadata.oidclint.ignore`` entry."""

    justification: str
    span: Span | None = None
    """Where the suppression is written."""


@dataclass
class Directive:
    """One ``ignore`` written somewhere (a comment, a CloudFormation resource's metadata):
    which rules, why, and what it covers (``oidclint.suppressions`` applies them)."""

    rules: frozenset[str]
    reason: str
    span: Span
    address: str | None = None
    """For resource metadata: the resource it covers; for comments: ``None`` (by line)."""
    used: bool = field(default=False, compare=False)
    last_line: int | None = None
    """For a comment above a top-level HCL block: the block's last line. It covers what the
    block holds, such as a finding inside an ``aws_iam_policy_document`` data block."""

    def covers(self, finding: Finding, rule_name: str, block_lines: set[int]) -> bool:
        if not (self.rules & {finding.rule_id, rule_name}):
            return False
        if finding.span.path != self.span.path:
            return False
        if self.address is not None:
            return finding.address == self.address
        line = self.span.line
        if self.last_line is not None and line < finding.span.line <= self.last_line:
            return True
        return line in (finding.span.line, finding.span.line - 1) or line + 1 in block_lines


@dataclass(frozen=True, slots=True)
class TextEdit:
    """One change to one file: the text at ``span`` (expected to read ``expected``) becomes
    ``replacement``. An empty span inserts."""

    span: Span
    expected: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a finding, made of text edits, applied only on request."""

    description: str
    edits: tuple[TextEdit, ...]


@dataclass(slots=True)
class Finding:
    rule_id: str
    level: Level
    message: str
    span: Span
    address: str | None = None
    """The logical location: resource address or CloudFormation logical id."""
    workload: tuple[str, str] | None = None
    """A second logical location, with its SARIF kind, when the finding is anchored in a
    workload's file: the workload's (``Workload.logical``)."""
    related: list[Related] = field(default_factory=list)
    fix: str | None = None
    """How to fix it, in words."""
    autofix: Fix | None = None
    """The edits that fix it, when they are safe to apply (``scan --fix``)."""
    evidence: dict[str, Any] = field(default_factory=dict)
    suppression: Suppression | None = None
    """Set when the finding is suppressed: it stays in SARIF (as dismissed) and is counted,
    but does not fail the scan."""

    @property
    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.column, self.rule_id, self.message,
                self.address or "")


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What reporters need to know of a rule."""

    id: str
    name: str
    level: Level
    summary: str
    docs: str
    """The rule's documentation in Markdown (its docstring)."""
    tags: tuple[str, ...] = ()
    security_severity: float | None = None
    """GitHub code scanning's 0-10 score, for the security (2xx) rules."""

    def section(self, title: str) -> str:
        """The text under ``## <title>`` in the documentation."""
        lines = self.docs.splitlines()
        out: list[str] = []
        inside = False
        for line in lines:
            if line.startswith("## "):
                inside = line[3:].strip().lower() == title.lower()
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


@dataclass(slots=True)
class Report:
    """Everything one scan produced, as reporters consume it."""

    root: str
    findings: list[Finding]
    diagnostics: list[Diagnostic]
    files_scanned: int
    rules: list[RuleInfo]
    version: str
    duration: float = 0.0
    unresolved: list[str] = field(default_factory=list)
    """Workloads whose role cannot be known statically (``secrets.*``, CI variables)."""
    baselined: int = 0
    """Findings left out because the baseline (``--baseline``) already has them."""
    files_skipped: int = 0
    """Files read but not parsed: the prefilter found nothing in them that can matter."""
    files_cached: int = 0
    """Files whose parse results came from the parse cache (run information, like
    ``duration``: it does not change what is reported)."""

    def rule(self, rule_id: str) -> RuleInfo:
        return next(r for r in self.rules if r.id == rule_id)

    @property
    def active(self) -> list[Finding]:
        """The findings that count: not suppressed."""
        return [f for f in self.findings if f.suppression is None]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppression is not None]

    @property
    def internal_errors(self) -> list[Diagnostic]:
        """Failures of oidclint itself (a rule that raised): the command exits 2."""
        return [d for d in self.diagnostics if d.internal]

    @property
    def incomplete(self) -> bool:
        """Something was not read or not understood (a file skipped, a policy that is not
        JSON, a parse out of time): the findings may not be all there are."""
        return any(d.level in (Level.ERROR, Level.WARNING) for d in self.diagnostics)


# -- Azure ------------------------------------------------------------------------------------

@dataclass(slots=True)
class AzurePrincipal:
    """What an Azure federated identity credential grants: a user-assigned managed identity
    (``azurerm_user_assigned_identity``, ``Microsoft.ManagedIdentity/userAssignedIdentities``)
    or an Entra application (``azuread_application``) with its service principal
    (``azuread_service_principal``). A workload names it by its client id."""

    address: str
    kind: str
    """``managed-identity``, ``application`` or ``service-principal`` (whose ``client_id``
    names the application it stands for)."""
    client_id: Text
    """Its client id: a GUID when written (a data source looked up by client id), else
    ``Unknown`` naming this principal as its ``ref``."""
    span: Span | None = None
    scope: str = ""


@dataclass(slots=True)
class FederatedCredential:
    """A federated identity credential of Azure (``azurerm_federated_identity_credential``,
    ``azuread_application_federated_identity_credential``, the ARM resource
    ``Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials``): Entra
    exchanges a token whose ``iss``, ``sub`` and ``aud`` match it for a token of its parent."""

    address: str
    parent: Text
    """The identity or application it belongs to: a reference (its ``ref`` is the parent's
    address), a resource id or object id as written, or ``Unknown``."""
    parent_kind: str
    """``managed-identity`` or ``application``: which resource type holds it."""
    issuer: Text
    subject: Text | None
    """The exact ``sub``; ``None`` for a flexible credential (``claims_matching_expression``)."""
    audiences: list[Text] | Unknown
    """As written; empty when the argument is left out (Entra's default then applies)."""
    claims_matching_expression: Text | None = None
    span: Span | None = None
    issuer_span: Span | None = None
    subject_span: Span | None = None
    audience_span: Span | None = None
    scope: str = ""
