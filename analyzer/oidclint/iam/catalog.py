"""What oidclint knows of each OIDC issuer AWS federates with.

Facts from docs/facts.md; each entry cites the vendor documentation it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SubjectGrammar:
    """The default ``sub`` format of an issuer: literals and fields in order."""

    parts: tuple[str | Field, ...]
    example: str

    @property
    def head(self) -> str:
        return self.parts[0] if isinstance(self.parts[0], str) else ""


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
    reference: str = ""

    @property
    def keys(self) -> frozenset[str]:
        if self.only_keys is not None:
            return self.only_keys
        return DEFAULT_KEYS | self.extra_keys

    def matches(self, host: str) -> bool:
        return bool(self.host_pattern.fullmatch(host))

    @property
    def subject_language(self):
        """Every documented ``sub`` form of this issuer, each with its citation
        (``oidclint.iam.subjects.LANGUAGES``); None when not modelled. OIDC115 checks trust
        patterns against it and claim synthesis builds subjects from the same module."""
        from oidclint.iam.subjects import language_for  # subjects imports this module

        return language_for(self.kind)


GITHUB_SUBJECT = SubjectGrammar(
    (
        "repo:",
        Field("owner", "/", tenant=True),
        "/",
        Field("repository", ":", scope=True),
        ":",
        Field("context", ""),
    ),
    "repo:acme/api:ref:refs/heads/main",
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
        ),
        reference="https://buildkite.com/docs/pipelines/security/oidc/aws",
    ),
    Issuer(
        kind="circleci",
        title="CircleCI",
        host_pattern=re.compile(r"oidc\.circleci\.com/org/[A-Za-z0-9-]+"),
        shared=False,
        extra_keys=frozenset({"oidc.circleci.com/project-id"}),
        reference="https://circleci.com/docs/openid-connect-tokens/",
    ),
    Issuer(
        kind="bitbucket",
        title="Bitbucket Pipelines",
        host_pattern=re.compile(
            r"api\.bitbucket\.org/2\.0/workspaces/[^/]+/pipelines-config/identity/oidc"
        ),
        shared=False,
        reference="https://support.atlassian.com/bitbucket-cloud/docs/deploy-on-aws-using-bitbucket-pipelines-openid-connect/",
    ),
    Issuer(
        kind="spacelift",
        title="Spacelift",
        host_pattern=re.compile(r"[A-Za-z0-9-]+\.app\.spacelift\.io"),
        shared=False,
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
        # https://access.redhat.com/documentation/en-us/red_hat_openshift_service_on_aws/4/html/introduction_to_rosa/rosa-sts-oidc-provider-requirements-for-operators_rosa-sts-about-iam-resources
        # https://github.com/terraform-redhat/terraform-aws-rosa-sts (rh_oidc_provider_url)
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
        reference="https://github.com/aws/amazon-eks-pod-identity-webhook/blob/master/"
        "SELF_HOSTED_SETUP.md",
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


def issuer_for(host: str) -> Issuer:
    """The issuer kind of a host (scheme-less), or the generic issuer."""
    for issuer in ISSUERS:
        if issuer.matches(host):
            return issuer
    return GENERIC

