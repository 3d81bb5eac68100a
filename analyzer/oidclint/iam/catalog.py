"""What oidclint knows of each OIDC issuer AWS federates with.

Facts from docs/facts.md; each entry cites the vendor documentation it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oidclint.source import FILL_IN

DEFAULT_KEYS = frozenset({"sub", "aud", "oaud", "amr", "email"})
"""Claims every issuer exposes as condition keys.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_aud
"""


@dataclass(frozen=True)
class Field:
    """One variable segment of a subject: ``owner`` in ``repo:<owner>/<repo>:...``."""

    name: str
    stop: str
    """The character that ends it; empty when it runs to the end of the subject."""
    tenant: bool = False
    """The segment that separates one customer of a shared issuer from another."""
    scope: bool = False
    """The segment right below the tenant (repository, project, workspace, service account)."""
    unique: bool = False
    """A scope that names one thing of the tenant whatever the scopes above it hold: a
    Spacelift stack id is unique in its account, so `*:stack:infra:*` admits one stack."""
    values: tuple[str, ...] = ()
    """The only values the issuer writes there, when it documents a list (`stack` or
    `module`): a reading of a pattern that puts another value there is not one."""
    id_suffix: str = ""
    """A suffix (a regular expression) that names the same thing again by its id: GitHub's
    immutable `acme@1234567` is the owner `acme` (docs/facts.md, section 5)."""

    def identity(self, text: str) -> str:
        """What the text names: ``acme`` for ``acme`` and for ``acme@1234567``."""
        return re.sub(f"(?:{self.id_suffix})$", "", text) if self.id_suffix else text


@dataclass(frozen=True)
class Probe:
    """A subject the issuer gives to code that no review stands in front of (a pull request,
    a push to any branch), written for the repository, project ... a trust names: when the
    trust of a privileged role admits it, so does that code (OIDC209).

    ``subject`` names a field of the grammar in angle brackets (`<owner>`), which stands for
    the trust's own value of it, and ``oidclint-probe`` for a name nobody chose."""

    admits: str
    """What admitting it means, in the user's words: ``pull requests``, ``any branch``."""
    subject: str


@dataclass(frozen=True)
class SubjectGrammar:
    """The default ``sub`` format of an issuer: literals and fields in order."""

    parts: tuple[str | Field, ...]
    example: str
    probes: tuple[Probe, ...] = ()
    """Subjects of unreviewed code (OIDC209), per issuer: what "any branch" is in its terms."""

    @property
    def head(self) -> str:
        return self.parts[0] if isinstance(self.parts[0], str) else ""

    @property
    def tenant_field(self) -> Field | None:
        """The field naming the tenant; None when the issuer's URL names it instead (a
        CircleCI organization, a Bitbucket workspace, a Spacelift account)."""
        return next((p for p in self.parts if isinstance(p, Field) and p.tenant), None)

    @property
    def scope_fields(self) -> list[Field]:
        return [p for p in self.parts if isinstance(p, Field) and p.scope]


@dataclass(frozen=True)
class Issuer:
    """An issuer kind: GitHub Actions, gitlab.com, an EKS cluster ..."""

    kind: str
    title: str
    host_pattern: re.Pattern
    shared: bool
    """Multi-tenant: anyone can obtain a token from it (every GitHub repository ...)."""
    extra_keys: frozenset[str] = frozenset()
    subject_keys: frozenset[str] = frozenset({"sub"})
    """Condition keys that bind the token to a tenant (a repository, a project ...)."""
    audience_is_boundary: bool = False
    """True when ``aud`` is what separates tenants (Cognito: the identity pool)."""
    default_audiences: tuple[str, ...] = ()
    grammar: SubjectGrammar | None = None
    requires_subject: bool = False
    """A trust must restrict a subject-binding claim, or anyone on the issuer gets in."""
    only_keys: frozenset[str] | None = None
    """For the built-in providers: the complete set of keys (they do not get the default set)."""
    builtin: bool = False
    """Federated principal is the bare host; no IAM OIDC provider object exists."""
    service_accounts: bool = False
    """Issues Kubernetes ServiceAccount tokens (``system:serviceaccount:<ns>:<name>``)."""
    realm: str = ""
    """What one issuer of one customer serves, when its subjects name tenants within it
    (`the cluster`: namespaces; `the instance`: groups)."""
    tenant: str = ""
    """For an issuer of one customer, what its URL names (``organization``, ``workspace``,
    ``account``): ``host_pattern`` captures the name as ``tenant``. Every token of the issuer
    is that customer's, so its grammar has no tenant field, and a trust restricting no
    subject admits every project of the customer (OIDC204)."""
    reference: str = ""

    @property
    def keys(self) -> frozenset[str]:
        if self.only_keys is not None:
            return self.only_keys
        return DEFAULT_KEYS | self.extra_keys

    def matches(self, host: str) -> bool:
        return bool(self.host_pattern.fullmatch(_filled(host)))

    def tenant_of(self, host: str) -> str | None:
        """The customer an issuer URL names (``tenant``); None when it names none, or when
        the name is a placeholder left to fill in (`<your_workspace>`)."""
        match = self.host_pattern.fullmatch(host) if self.tenant else None
        name = match["tenant"] if match else None
        return name if name and not FILL_IN.search(name) else None


GITHUB_SUBJECT = SubjectGrammar(
    (
        "repo:",
        Field("owner", "/", tenant=True, id_suffix="@[0-9]+"),
        "/",
        Field("repository", ":", scope=True, id_suffix="@[0-9]+"),
        ":",
        Field("context", ""),
    ),
    "repo:acme/api:ref:refs/heads/main",
    # Anyone who can open a pull request, and anyone who can push a branch, runs code
    # without review (docs/facts.md, section 5).
    probes=(
        Probe("pull requests", "repo:<owner>/<repository>:pull_request"),
        Probe("any branch", "repo:<owner>/<repository>:ref:refs/heads/oidclint-probe"),
    ),
)

GITLAB_SUBJECT = SubjectGrammar(
    (
        "project_path:",
        Field("group", "/", tenant=True),
        "/",
        Field("project", ":", scope=True),
        ":ref_type:",
        Field("ref_type", ":"),
        ":ref:",
        Field("ref", ""),
    ),
    "project_path:acme/api:ref_type:branch:ref:main",
    # A push to any branch, in each order a project may give its `sub` (docs/facts.md, §4).
    probes=tuple(Probe("any branch", f"project_path:<group>/<project>:{context}") for context in (
        "ref_type:branch:ref:oidclint-probe", "ref:oidclint-probe:ref_type:branch",
        "ref:oidclint-probe")),
)

SERVICE_ACCOUNT_SUBJECT = SubjectGrammar(
    (
        "system:serviceaccount:",
        Field("namespace", ":", tenant=True),
        ":",
        Field("service account", "", scope=True),
    ),
    "system:serviceaccount:payments:api",
)

ISSUERS: tuple[Issuer, ...] = (
    Issuer(
        kind="github",
        requires_subject=True,
        title="GitHub Actions",
        host_pattern=re.compile(
            r"token\.actions\.githubusercontent\.com(/[A-Za-z0-9_.-]+)?"
            r"|token\.actions\.[A-Za-z0-9-]+\.ghe\.com(/[A-Za-z0-9_.-]+)?"
        ),
        shared=True,
        extra_keys=frozenset({
            "actor", "actor_id", "job_workflow_ref", "repository", "repository_id",
            "repository_owner_id", "workflow", "ref", "environment", "enterprise_id",
        }),
        subject_keys=frozenset({
            "sub", "job_workflow_ref", "repository", "repository_id", "repository_owner_id",
        }),
        default_audiences=("sts.amazonaws.com", "sts.amazonaws.com.cn"),
        grammar=GITHUB_SUBJECT,
        reference="https://docs.github.com/en/actions/security-for-github-actions/"
        "security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
    ),
    Issuer(
        kind="gitlab.com",
        requires_subject=True,
        title="GitLab.com",
        host_pattern=re.compile(r"gitlab\.com"),
        shared=True,
        extra_keys=frozenset({
            "namespace_id", "project_id", "user_id", "user_login", "user_email",
            "user_access_level", "ref_protected", "pipeline_source", "runner_environment",
        }),
        subject_keys=frozenset({"sub", "project_id", "namespace_id"}),
        # No default audience: `aud` is what the job's `id_tokens` entry asks for.
        grammar=GITLAB_SUBJECT,
        reference="https://docs.gitlab.com/ci/cloud_services/aws/",
    ),
    Issuer(
        kind="gitlab-self-managed",
        title="GitLab (self-managed)",
        # A self-managed instance is recognised by a `gitlab` label in its host name; it has
        # the default keys only (the extra keys are gitlab.com's) and gitlab.com's sub forms.
        host_pattern=re.compile(
            r"(?:[a-z0-9-]+\.)*gitlab(?:[-.][a-z0-9-]+)*\.[a-z]{2,}(?:/[A-Za-z0-9_.~-]+)*"
        ),
        shared=False,
        # Users of an instance may create groups and projects by default, so every group
        # of it is a tenant, as on gitlab.com (docs/facts.md, section 4).
        realm="the instance",
        grammar=GITLAB_SUBJECT,
        reference="https://docs.gitlab.com/ci/secrets/id_token_authentication/",
    ),
    Issuer(
        kind="hcp-terraform",
        requires_subject=True,
        title="HCP Terraform",
        host_pattern=re.compile(r"app\.terraform\.io"),
        shared=True,
        default_audiences=("aws.workload.identity",),
        grammar=SubjectGrammar(
            (
                "organization:",
                Field("organization", ":", tenant=True),
                ":project:",
                Field("project", ":", scope=True),
                ":workspace:",
                Field("workspace", ":", scope=True),
                ":run_phase:",
                Field("run_phase", ""),
            ),
            "organization:acme:project:platform:workspace:network:run_phase:apply",
        ),
        reference="https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration",
    ),
    Issuer(
        kind="buildkite",
        requires_subject=True,
        title="Buildkite",
        host_pattern=re.compile(r"agent\.buildkite\.com|agent\.[a-z0-9-]+\.buildkite\.(dev|site)"),
        shared=True,
        extra_keys=frozenset({
            "organization_slug", "organization_id", "pipeline_slug", "pipeline_id",
            "cluster_name", "cluster_id", "build_branch",
        }),
        subject_keys=frozenset({"sub", "organization_slug", "organization_id"}),
        grammar=SubjectGrammar(
            (
                "organization:",
                Field("organization", ":", tenant=True),
                ":pipeline:",
                Field("pipeline", ":", scope=True),
                ":ref:",
                Field("ref", ":"),
                ":commit:",
                Field("commit", ":"),
                ":step:",
                Field("step", ""),
            ),
            "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:abc:step:deploy",
            probes=(Probe("any branch", "organization:<organization>:pipeline:<pipeline>:ref:"
                                        "refs/heads/oidclint-probe:commit:oidclint-probe:step:"
                                        "oidclint-probe"),),
        ),
        reference="https://buildkite.com/docs/pipelines/security/oidc/aws",
    ),
    Issuer(
        kind="circleci",
        title="CircleCI",
        # One issuer per organization; `sub` is `org/<org>/project/<project>/user/<user>`,
        # the V2 token appends `/vcs-origin/<repository URL>/vcs-ref/<ref>`, and the project
        # id is a key of its own (docs/facts.md, sections 3 and 4).
        host_pattern=re.compile(r"oidc\.circleci\.com/org/(?P<tenant>[A-Za-z0-9-]+)"),
        shared=False,
        tenant="organization",
        extra_keys=frozenset({"oidc.circleci.com/project-id"}),
        subject_keys=frozenset({"sub", "oidc.circleci.com/project-id"}),
        grammar=SubjectGrammar(
            (
                "org/",
                Field("organization", "/"),
                "/project/",
                Field("project", "/", scope=True),
                "/user/",
                Field("user", ""),
            ),
            "org/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/project/11111111-2222-3333-4444-"
            "555555555555/user/66666666-7777-8888-9999-000000000000",
            # The V1 token does not name the branch: `user/*` admits every push.
            probes=(
                Probe("jobs on any branch", "org/<organization>/project/<project>/user/"
                                            "oidclint-probe"),
                Probe("jobs on any branch", "org/<organization>/project/<project>/user/"
                                            "oidclint-probe/vcs-origin/oidclint-probe/vcs-ref/"
                                            "refs/heads/oidclint-probe"),
            ),
        ),
        reference="https://circleci.com/docs/openid-connect-tokens/",
    ),
    Issuer(
        kind="bitbucket",
        title="Bitbucket Pipelines",
        # One issuer per workspace; `sub` is `{<repository uuid>}:{<step uuid>}`, or
        # `{<repository uuid>}:{<environment uuid>}:{<step uuid>}` in a deployment step, and
        # the step uuid is new on every run (docs/facts.md, section 4).
        host_pattern=re.compile(
            r"api\.bitbucket\.org/2\.0/workspaces/(?P<tenant>[^/]+)/pipelines-config/identity/oidc"
        ),
        shared=False,
        tenant="workspace",
        grammar=SubjectGrammar(
            (
                "{",
                Field("repository", "}", scope=True),
                "}:",
                Field("step", ""),
            ),
            "{a1b2c3d4-0000-1111-2222-333344445555}:{0f0f0f0f-aaaa-bbbb-cccc-dddddddddddd}",
            probes=(
                Probe("every step on any branch", "{<repository>}:{oidclint-probe}"),
                Probe("every deployment environment",
                      "{<repository>}:{oidclint-probe}:{oidclint-probe}"),
            ),
        ),
        reference="https://support.atlassian.com/bitbucket-cloud/docs/deploy-on-aws-using-bitbucket-pipelines-openid-connect/",
    ),
    Issuer(
        kind="spacelift",
        title="Spacelift",
        # One issuer per account; `sub` is
        # `space:<space>:(stack|module):<id>:run_type:<type>:scope:<read|write>`, a stack id
        # naming one stack of the account; a push to any branch starts a proposed run
        # (docs/facts.md, section 4).
        host_pattern=re.compile(r"(?P<tenant>[A-Za-z0-9-]+)\.app\.spacelift\.io"),
        shared=False,
        tenant="account",
        grammar=SubjectGrammar(
            (
                "space:",
                Field("space", ":", scope=True),
                ":",
                Field("caller", ":", values=("stack", "module")),
                ":",
                Field("stack", ":", scope=True, unique=True),
                ":run_type:",
                Field("run type", ":",
                      values=("PROPOSED", "TRACKED", "TASK", "TESTING", "DESTROY")),
                ":scope:",
                Field("token scope", "", values=("read", "write")),
            ),
            "space:root:stack:network:run_type:TRACKED:scope:write",
            probes=(Probe("proposed runs (a push to any branch)",
                          "space:<space>:<caller>:<stack>:run_type:PROPOSED:scope:read"),),
        ),
        reference="https://docs.spacelift.io/integrations/cloud-providers/oidc/aws-oidc",
    ),
    Issuer(
        kind="eks",
        title="Amazon EKS",
        host_pattern=re.compile(r"oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/[A-Za-z0-9]+"),
        shared=False,
        default_audiences=("sts.amazonaws.com",),
        grammar=SERVICE_ACCOUNT_SUBJECT,
        service_accounts=True,
        realm="the cluster",
        reference="https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html",
    ),
    Issuer(
        kind="kubernetes",
        title="Kubernetes (ROSA or self-hosted)",
        # Red Hat OpenShift Service on AWS: managed OIDC configurations are served from
        # oidc.op1.openshiftapps.com/<id>, older clusters' from the rh-oidc S3 bucket.
        # Self-hosted clusters (kops, k3s ...) publish the discovery document in a public
        # S3 bucket, virtual-hosted (<bucket>.s3.<region>.amazonaws.com/...) or path-style
        # (s3-<region>.amazonaws.com/<bucket>).
        host_pattern=re.compile(
            r"oidc\.op1\.openshiftapps\.com/[A-Za-z0-9]+"
            r"|[a-z0-9][a-z0-9.-]*\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?"
            r"(?:/[A-Za-z0-9_.~-]+)*"
            r"|s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?(?:/[A-Za-z0-9_.~-]+)+"
        ),
        shared=False,
        default_audiences=("sts.amazonaws.com",),
        grammar=SERVICE_ACCOUNT_SUBJECT,
        service_accounts=True,
        realm="the cluster",
        # https://access.redhat.com/documentation/en-us/red_hat_openshift_service_on_aws/4/html/introduction_to_rosa/rosa-sts-oidc-provider-requirements-for-operators_rosa-sts-about-iam-resources
        # https://github.com/terraform-redhat/terraform-aws-rosa-sts (rh_oidc_provider_url)
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
        reference="https://github.com/aws/amazon-eks-pod-identity-webhook/blob/master/"
        "SELF_HOSTED_SETUP.md",
    ),
    Issuer(
        kind="gke",
        title="Google Kubernetes Engine",
        # A GKE cluster's ServiceAccount tokens name the cluster's resource URL as issuer
        # (docs/facts.md, "Google Cloud workload identity federation", GC15); a cluster of one
        # customer, so its namespaces are the tenants, as on EKS.
        host_pattern=re.compile(
            r"container\.googleapis\.com/v1/projects/[a-z0-9-]+/locations/[a-z0-9-]+"
            r"/clusters/[a-z0-9-]+"
        ),
        shared=False,
        grammar=SERVICE_ACCOUNT_SUBJECT,
        service_accounts=True,
        realm="the cluster",
        reference="https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/"
        "projects.locations.clusters",
    ),
    Issuer(
        kind="aks",
        title="Azure Kubernetes Service",
        # https://<region>.oic.prod-aks.azure.com/<tenant id>/<issuer id>/ (the trailing `/`
        # is part of the URL, not of the host form read here); ServiceAccount tokens of
        # workload identity ask for api://AzureADTokenExchange (docs/facts.md, "Azure
        # federated identity credentials").
        host_pattern=re.compile(
            r"[a-z0-9]+\.oic\.prod-aks\.azure\.com/[0-9A-Fa-f-]{36}/[0-9A-Fa-f-]{36}"),
        shared=False,
        default_audiences=("api://AzureADTokenExchange",),
        grammar=SERVICE_ACCOUNT_SUBJECT,
        service_accounts=True,
        realm="the cluster",
        reference="https://learn.microsoft.com/azure/aks/use-oidc-issuer",
    ),
    Issuer(
        kind="cognito",
        title="Amazon Cognito identity pools",
        host_pattern=re.compile(r"cognito-identity\.amazonaws\.com"),
        shared=True,
        subject_keys=frozenset({"aud"}),
        only_keys=frozenset({"aud", "amr", "sub"}),
        audience_is_boundary=True,
        builtin=True,
        reference="https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html",
    ),
    Issuer(
        kind="google",
        requires_subject=True,
        title="Google",
        host_pattern=re.compile(r"accounts\.google\.com"),
        shared=True,
        only_keys=frozenset({"aud", "oaud", "sub", "google/organization_number"}),
        audience_is_boundary=True,
        builtin=True,
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    ),
    Issuer(
        kind="facebook",
        title="Facebook",
        host_pattern=re.compile(r"graph\.facebook\.com"),
        shared=True,
        only_keys=frozenset({"app_id", "id"}),
        subject_keys=frozenset({"app_id"}),
        audience_is_boundary=True,
        builtin=True,
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    ),
    Issuer(
        kind="amazon",
        title="Login with Amazon",
        host_pattern=re.compile(r"www\.amazon\.com"),
        shared=True,
        only_keys=frozenset({"app_id", "user_id"}),
        subject_keys=frozenset({"app_id"}),
        audience_is_boundary=True,
        builtin=True,
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    ),
)

GENERIC = Issuer(
    kind="generic",
    title="OIDC issuer",
    host_pattern=re.compile(r".*"),
    shared=False,
)

BUILTIN_HOSTS = frozenset({
    "cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com",
})
"""Web identity providers built into IAM: the Federated principal is the bare host."""

GLOBAL_KEY_PREFIXES = frozenset({"aws", "sts"})
"""Condition keys that are not claims of the token: ``aws:SourceIp``, ``sts:RoleSessionName``."""


def _filled(host: str) -> str:
    """A host with each fill-in placeholder (`<your_workspace>`, ``FILL_IN``) read as a name,
    so that the kind comes from the known text around it."""
    return FILL_IN.sub("x0", host)


def issuer_for(host: str) -> Issuer:
    """The issuer kind of a host (scheme-less), or the generic issuer. A placeholder in it
    leaves the kind to the rest of the text: `api.bitbucket.org/2.0/workspaces/<ws>/...` is a
    Bitbucket workspace, which one is not known (``Issuer.tenant_of``)."""
    for issuer in ISSUERS:
        if issuer.matches(host):
            return issuer
    return GENERIC

