"""Built-in models of widely used registry modules that create OIDC trust roles, and of the
eks module, whose cluster, IRSA provider and add-ons the roles are for.

A ``module`` block whose code is not in the scanned tree (a registry or git source, no
``.terraform/modules``) is evaluated against a small Terraform module folder written by
oidclint (``models/<name>/<vN>/``): the same input names and defaults as the real module,
producing the same IAM role, trust policy, OIDC provider and policy attachments. What each
model covers, and the sources it was written from, is in ``docs/registry-modules.md``.

``find_model(source, version)`` picks the folder: the source is normalised (registry address,
``registry.terraform.io/`` prefix, ``git::``/``github.com/`` forms of the module's repository,
``//subdir``, ``?ref=``), then Terraform installs the *newest* release a constraint admits
(https://developer.hashicorp.com/terraform/language/expressions/version-constraints), so the
newest model whose version range the constraint admits is chosen. Without a usable version the
newest model is chosen and ``Model.note`` says so; it also says when the chosen release does not
load in Terraform as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from oidclint.reading import read_text

MODELS = Path(__file__).resolve().parent / "models"

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Model:
    """A built-in model folder chosen for one module call."""

    address: str
    """Normalised registry address, ``terraform-aws-modules/iam/aws//modules/iam-role``."""
    folder: Path
    """The model's Terraform files."""
    since: Version
    """First upstream release the model stands for."""
    until: Version | None
    """First upstream release it no longer stands for (``None``: still current)."""
    note: str | None = None
    """Set when the version did not decide the model (missing, unparsable, too wide)."""

    @property
    def major(self) -> int:
        return self.since[0]


@dataclass(frozen=True)
class _Entry:
    folder: str
    since: Version
    until: Version | None
    caveat: str | None = None
    """Said on every call the model is chosen for (a release Terraform cannot load)."""


_IAM = "terraform-aws-modules/iam/aws"
_UNFUNCO = "unfunco/oidc-github/aws"
_EKS = "terraform-aws-modules/eks/aws"
_TERRAFORM_MODULE_GITHUB = "terraform-module/github-oidc-provider/aws"
_TERRAFORM_MODULE_GITLAB = "terraform-module/gitlab-oidc-provider/aws"
_GOOGLE_RUNNERS = "terraform-google-modules/github-actions-runners/google"
_PHILIPS_LABS_GITHUB = "philips-labs/github-oidc/aws"
_THETESTLABS_GITHUB = "thetestlabs/oidc-with-github-actions/aws"
_CDS_SNC = "github.com/cds-snc/terraform-modules"
"""Not a registry module: git sources of the repository are indexed under this name."""

INDEX: dict[str, tuple[_Entry, ...]] = {
    # address -> models, oldest first. Ranges are where the submodule exists upstream with the
    # behaviour the model reproduces; a constraint outside every range finds no model.
    f"{_IAM}//modules/iam-github-oidc-role": (
        _Entry("iam-github-oidc-role/v5", (5, 6, 0), (6, 0, 0)),
    ),
    f"{_IAM}//modules/iam-github-oidc-provider": (
        _Entry("iam-github-oidc-provider/v5", (5, 6, 0), (6, 0, 0)),
    ),
    f"{_IAM}//modules/iam-oidc-provider": (
        _Entry("iam-oidc-provider/v6", (6, 0, 0), None),
    ),
    f"{_IAM}//modules/iam-assumable-role-with-oidc": (
        _Entry("iam-assumable-role-with-oidc/v3", (3, 0, 0), (3, 7, 0)),
        _Entry("iam-assumable-role-with-oidc/v3.7", (3, 7, 0), (4, 0, 0)),
        _Entry("iam-assumable-role-with-oidc/v4", (4, 0, 0), (5, 0, 0)),
        _Entry("iam-assumable-role-with-oidc/v5", (5, 0, 0), (6, 0, 0)),
    ),
    f"{_IAM}//modules/iam-role-for-service-accounts-eks": (
        # Trust identical in 4.x (from 4.12) and 5.x; the 5.x model also reads 4.x inputs.
        _Entry("iam-role-for-service-accounts-eks/v5", (4, 12, 0), (6, 0, 0)),
    ),
    f"{_IAM}//modules/iam-role-for-service-accounts": (
        _Entry("iam-role-for-service-accounts/v6", (6, 0, 0), None),
    ),
    f"{_IAM}//modules/iam-assumable-role": (
        # A caller's own trust (`custom_role_trust_policy`), used whenever given before 5.30
        # and only with `create_custom_role_trust_policy` from 5.30; 6.0 replaced the
        # submodule with iam-role.
        _Entry("iam-assumable-role/v4.10", (4, 10, 0), (5, 30, 0)),
        _Entry("iam-assumable-role/v5.30", (5, 30, 0), (6, 0, 0)),
    ),
    f"{_IAM}//modules/iam-role": (
        _Entry("iam-role/v6", (6, 0, 0), None),
    ),
    _EKS: (
        # The cluster, its IRSA provider and add-ons; 21.x renamed inputs the model takes
        # under both names. 18.0 to 18.3 created no IRSA provider by default: no model.
        _Entry("eks/v17", (17, 0, 0), (18, 0, 0)),
        _Entry("eks/v18", (18, 4, 0), (19, 0, 0)),
        _Entry("eks/v19", (19, 0, 0), None),
    ),
    _UNFUNCO: (
        _Entry("unfunco-oidc-github/v1", (1, 0, 0), (2, 0, 0)),
        _Entry("unfunco-oidc-github/v2", (2, 0, 0), (3, 0, 0)),
        _Entry("unfunco-oidc-github/v3", (3, 0, 0), None),
    ),
    _TERRAFORM_MODULE_GITHUB: (
        # 0.1.x has the same Terraform files as 1.0.0.
        _Entry("terraform-module-github-oidc-provider/v1", (0, 1, 0), (2, 0, 0)),
        # Before 2.2.0 the role needs the module's own provider; from 2.2.0 it may trust
        # an existing one (`oidc_provider_arn`).
        _Entry("terraform-module-github-oidc-provider/v2.0", (2, 0, 0), (2, 2, 0)),
        _Entry("terraform-module-github-oidc-provider/v2", (2, 2, 0), None),
    ),
    _TERRAFORM_MODULE_GITLAB: (
        # 0.1.0 and 1.0.0 are the same commit; 1.1.0 renames `repositories` to `project_paths`.
        _Entry("terraform-module-gitlab-oidc-provider/v1.0", (0, 1, 0), (1, 1, 0)),
        _Entry("terraform-module-gitlab-oidc-provider/v1", (1, 1, 0), None, caveat=(
            f"{_TERRAFORM_MODULE_GITLAB} 1.1.0 as tagged has an HCL syntax error in variables.tf (quotes inside the "
            "`project_paths` error_message): Terraform cannot load it; pin 1.0.1 "
            "(`repositories`) until a fixed release")),
    ),
}

INDEX[_PHILIPS_LABS_GITHUB] = (
    # The web identity statement is the same from 0.3.0 to 0.8.1; later inputs default to
    # what earlier releases wrote.
    _Entry("philips-labs-github-oidc/v0", (0, 3, 0), None),
)
INDEX[f"{_PHILIPS_LABS_GITHUB}//modules/provider"] = (
    _Entry("philips-labs-github-oidc-provider/v0", (0, 2, 0), None),
)

INDEX[_THETESTLABS_GITHUB] = (
    # 0.1.0 to 0.1.2 named the provider otherwise (the caller's account, no scheme).
    _Entry("thetestlabs-oidc-with-github-actions/v0", (0, 1, 3), None),
)

INDEX[f"{_GOOGLE_RUNNERS}//modules/gh-oidc"] = (
    # Google Cloud workload identity for GitHub; 1.x fixed another issuer (vstoken) and the
    # audience `sigstore`: no model.
    _Entry("google-gh-oidc/v2", (2, 0, 0), None),
)

INDEX[f"{_CDS_SNC}//gh_oidc_role"] = (
    # 1.0.0 to 1.0.2 wrote the trust inline, keyed by name, always with a new provider: no
    # model. Counted roles until 4.0.0; the provider was made by default until 2.0.0
    # (`oidc_exists` from 1.0.11, default false); 11.4.5 added per-role `claims`.
    _Entry("cds-snc-gh-oidc-role/v1", (1, 0, 3), (2, 0, 0)),
    _Entry("cds-snc-gh-oidc-role/v2", (2, 0, 0), (4, 0, 0)),
    _Entry("cds-snc-gh-oidc-role/v4", (4, 0, 0), (11, 4, 5)),
    _Entry("cds-snc-gh-oidc-role/v11.4.5", (11, 4, 5), None),
)

ROLE_NAME_INPUTS = ("name", "name_prefix", "role_name", "role_name_prefix", "iam_role_name")
"""Inputs that name the role of every modelled module, in some release line (v4/v5
``role_name``, v6 ``name`` with ``use_name_prefix``, unfunco ``iam_role_name``): what a call
of a release without a model most likely names its role by."""

_GITHUB_REPOSITORIES = {
    # github.com/<owner>/<repository> -> registry <namespace>/<name>/<provider> (the INDEX
    # key; `github.com/<owner>/<repository>` for a module only published on GitHub)
    "terraform-aws-modules/terraform-aws-iam": _IAM,
    "unfunco/terraform-aws-oidc-github": _UNFUNCO,
    "terraform-aws-modules/terraform-aws-eks": _EKS,
    "terraform-module/terraform-aws-github-oidc-provider": _TERRAFORM_MODULE_GITHUB,
    "terraform-module/terraform-aws-gitlab-oidc-provider": _TERRAFORM_MODULE_GITLAB,
    "terraform-google-modules/terraform-google-github-actions-runners": _GOOGLE_RUNNERS,
    "philips-labs/terraform-aws-github-oidc": _PHILIPS_LABS_GITHUB,
    "thetestlabs/terraform-aws-oidc-with-github-actions": _THETESTLABS_GITHUB,
    "cds-snc/terraform-modules": _CDS_SNC,
}


_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers",
                             "depends_on"})
"""Arguments of a module block that are Terraform's, not inputs of the module."""


def find_model(source: str, version: str | None = None,
               arguments: Iterable[str] = ()) -> Model | None:
    """The built-in model for a module call's ``source`` and ``version``, or ``None``.

    ``version`` is the call's ``version`` argument (registry sources); a git source's
    ``?ref=`` is used when there is none. When neither says which release it is (no version,
    a branch or a commit), the newest release line that declares every input the call passes
    (``arguments``, the module block's argument names) is assumed, since Terraform refuses an
    input a module does not declare; the newest of all when none does.
    """
    parsed = normalise_source(source)
    if parsed is None:
        return None
    address, ref = parsed
    entries = INDEX.get(address)
    if not entries:
        return None
    inputs = set(arguments) - _META_ARGUMENTS
    fitting = [e for e in entries if inputs <= _inputs(MODELS / e.folder)]
    newest = fitting[-1] if inputs and fitting else entries[-1]
    line = ("the newest modelled release line whose inputs the call's arguments fit"
            if newest is not entries[-1] else "the newest modelled release line")
    text = version if version is not None and version.strip() else ref
    if text is None:
        return _model(address, newest, f"no version given: assumed {line} "
                                       f"({_label(newest)})")
    constraint = parse_constraint(text)
    if constraint is None:
        return _model(address, newest, f"version {text!r} is not a version or version "
                                       f"constraint: assumed {line} ({_label(newest)})")
    for entry in reversed(entries):
        if constraint.admits_range(entry.since, entry.until):
            note = None
            if entry.until is not None and constraint.admits_range(entry.until, None):
                note = (f"version {text!r} also admits releases from "
                        f"{_dotted(entry.until)} on, which have no model: assumed "
                        f"{_label(entry)}")
            return _model(address, entry, note)
    return None


def inputs_of_other_releases(model: Model, arguments: Iterable[str]) -> str | None:
    """The note for a call that passes, to the release line ``model`` stands for, inputs only
    other release lines of the module have (a 2.x name with ``version = "~> 1.0"``): Terraform
    refuses such a call, and the model does not read those values."""
    own = _inputs(model.folder)
    stray = []
    for name in sorted(set(arguments) - own):
        lines = [_label(entry) for entry in INDEX.get(model.address, ())
                 if MODELS / entry.folder != model.folder
                 and name in _inputs(MODELS / entry.folder)]
        if lines:
            stray.append(f"`{name}` (an input of {', '.join(lines)})")
    if not stray:
        return None
    release = _label(_Entry("", model.since, model.until))
    return (f"{model.address} {release} has no {'inputs' if len(stray) > 1 else 'input'} "
            f"{', '.join(stray)}: Terraform refuses the call as written, and the model of "
            f"{release} does not read {'them' if len(stray) > 1 else 'it'} (check `version`)")


@lru_cache(maxsize=None)
def _inputs(folder: Path) -> frozenset[str]:
    """The variables a model folder declares (oidclint's own files, one block a line)."""
    names: set[str] = set()
    for path in folder.glob("*.tf"):
        names.update(re.findall(r'^variable "([^"]+)"', read_text(path, root=MODELS),
                                flags=re.MULTILINE))
    return frozenset(names)


def known_module(source: str) -> bool:
    """Whether ``source`` names a module with built-in models, at any version."""
    parsed = normalise_source(source)
    return parsed is not None and parsed[0] in INDEX


def unmodelled(source: str, version: str | None) -> str | None:
    """The note for a call of a known module at a version no model covers (``find_model``
    found nothing), or ``None`` when the source is not a known module."""
    parsed = normalise_source(source)
    entries = INDEX.get(parsed[0]) if parsed is not None else None
    if not entries:
        return None
    text = version if version is not None and version.strip() else parsed[1]
    covered = ", ".join(_label(entry) for entry in entries)
    return (f"{parsed[0]} version {text!r} has no built-in model (the models cover "
            f"{covered}): the roles it creates are taken as defined elsewhere, unchecked")


_TRUST_WORDS = ("oidc", "irsa", "openid", "web-identity", "webidentity", "web_identity")
_CI_WORDS = ("github", "gitlab", "bitbucket", "circleci", "buildkite")
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
_TRUST_INPUTS = frozenset({
    # Names the modelled modules, and others of their kind, take the trusted identities by.
    "provider_url", "provider_urls", "subjects", "repositories", "github_repositories",
    "github_subjects", "namespace_service_accounts", "cluster_service_accounts",
    "service_accounts", "role_policy_arns",
})


def is_trust_input(name: str) -> bool:
    """Whether a module input's name says it takes issuers, subjects, repositories or role
    policies (``web_identity_hint``)."""
    return name in _TRUST_INPUTS or any(word in name for word in _TRUST_WORDS)


def web_identity_hint(source: str, inputs: Iterable[str]) -> str | None:
    """Why a module call whose code is not read may create a web identity trust, as the
    start of a sentence (``its source suggests``: it names OIDC, IRSA, or a CI system with a
    role; ``its input `subjects` suggests``: an input takes issuers, subjects, repositories
    or role policies), or ``None``: unrelated modules (a VPC, a bucket) stay quiet."""
    named = source.lower()
    for host in _CODE_HOSTS:  # every GitHub-hosted source names github: only the path counts
        named = named.replace(host, "")
    if any(word in named for word in _TRUST_WORDS) or (
            any(word in named for word in _CI_WORDS) and "role" in named):
        return "its source suggests"
    telling = sorted(name for name in inputs if is_trust_input(name))
    if not telling:
        return None
    named = ", ".join(f"`{name}`" for name in telling)
    return f"its inputs {named} suggest" if len(telling) > 1 else f"its input {named} suggests"


def unread(name: str, source: str, version: str | None, hint: str) -> str:
    """The note for a call of a module with no built-in model whose code is not in the
    scanned tree, when ``hint`` (``web_identity_hint``) says it may create web identity
    trust."""
    shown = f"source {source}" + (f", version {version!r}" if version else "")
    return (f"module.{name} ({shown}) is not read: the roles it makes are not checked; "
            f"{hint} web identity trust, and it has no built-in model and no code "
            f"in the scanned tree (`terraform init` downloads it into .terraform/modules, "
            f"which is read)")


def _model(address: str, entry: _Entry, note: str | None) -> Model:
    if entry.caveat is not None:
        note = f"{note}; {entry.caveat}" if note else entry.caveat
    return Model(address, MODELS / entry.folder, entry.since, entry.until, note)


def _label(entry: _Entry) -> str:
    upper = f" to before {_dotted(entry.until)}" if entry.until else " on"
    return f"{_dotted(entry.since)}{upper}"


def _dotted(version: Version) -> str:
    return ".".join(str(part) for part in version)


# --- sources -------------------------------------------------------------------------------

_REGISTRY_HOSTS = ("registry.terraform.io/", "registry.opentofu.org/")
_REGISTRY_ADDRESS = re.compile(r"^([a-z0-9][a-z0-9_-]*)/([a-z0-9][a-z0-9_-]*)/([a-z0-9]+)$")


def normalise_source(source: str) -> tuple[str, str | None] | None:
    """``(address, ref)``: the registry address with its ``//subdir`` and a git ``?ref=``.

    Registry addresses are matched case-insensitively; a git source of a known repository
    (``git::https://github.com/o/r.git``, ``git::ssh://git@github.com/o/r.git``,
    ``git@github.com:o/r.git``, ``github.com/o/r``) maps to that repository's registry
    address.
    """
    text = source.strip()
    if not text:
        return None
    # `github.com/o/r?ref=v1//modules/x`: hashicorp/go-getter's SourceDirSubdir took the
    # first `//` after the scheme, in the query too, as the start of the subdirectory and
    # moved what follows a `?` in it back to the query, so this was `github.com/o/r//modules/x
    # ?ref=v1`; newer releases (and Terraform's own module source parser) stop at `?`, and
    # the ref `v1//modules/x` then fails to check out. Either way it is never the root
    # module of the repository: read as the subdirectory.
    start = text.find("://") + 3 if "://" in text else 0
    split = text.find("//", start)
    if split >= 0 and "?" in text[:split]:
        head, subdir = text[:split], text[split + 2:]
        query_in_subdir = ""
        if "?" in subdir:
            subdir, query_in_subdir = subdir.split("?", 1)
        base, query_before = head.split("?", 1)
        text = f"{base}//{subdir}"
        joined = "&".join(q for q in (query_before, query_in_subdir) if q)
        text += f"?{joined}" if joined else ""
    query = ""
    if "?" in text:
        text, query = text.split("?", 1)
    ref = _query_ref(query)
    lowered = text.lower()
    for host in _REGISTRY_HOSTS:
        if lowered.startswith(host):
            text = text[len(host):]
            lowered = text.lower()
            break
    base, subdir = _split_subdir(text)
    if base.lower().startswith("github.com/") and base.count("/") > 2:
        # `github.com/o/r/modules/x`: go-getter's GitHub detector takes the path after the
        # repository as the subdirectory, `//` or not (docs/facts.md, T43).
        *repository, extra = base.split("/", 3)
        base, subdir = "/".join(repository), "/".join(p for p in (extra, subdir) if p)
    if _REGISTRY_ADDRESS.match(base.lower()) and not base.lower().startswith("github.com/"):
        return _address(base.lower(), subdir), None
    repository = _github_repository(base)
    if repository is None:
        return None
    address = _GITHUB_REPOSITORIES.get(repository.lower())
    if address is None:
        return None
    return _address(address, subdir), ref


def _split_subdir(text: str) -> tuple[str, str]:
    """``base//sub/dir`` -> ``(base, "sub/dir")``; the ``//`` of a URL scheme is skipped."""
    start = text.find("://") + 3 if "://" in text else 0
    index = text.find("//", start)
    if index < 0:
        return text.rstrip("/"), ""
    return text[:index].rstrip("/"), text[index + 2:].strip("/")


def _address(base: str, subdir: str) -> str:
    subdir = "/".join(part for part in subdir.split("/") if part and part != ".")
    return f"{base}//{subdir}" if subdir else base


def _github_repository(base: str) -> str | None:
    """``owner/repository`` of a github.com git or shorthand source."""
    text = base
    if text.lower().startswith("git::"):
        text = text[len("git::"):]
    text = re.sub(r"^(?:https?|ssh|git)://", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^[^@/]+@", "", text)  # git@github.com:owner/repo, ssh://git@github.com/
    match = re.match(r"^(?:www\.)?github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$", text,
                     flags=re.IGNORECASE)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _query_ref(query: str) -> str | None:
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "ref" and value:
            return value
    return None


# --- versions ------------------------------------------------------------------------------

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_CLAUSE = re.compile(r"^(~>|>=|<=|!=|=|>|<)?\s*(\S+)$")


@dataclass(frozen=True)
class _Clause:
    operator: str
    version: Version
    parts: int
    """How many version parts were written (``~> 5.1`` vs ``~> 5.1.0``)."""


@dataclass(frozen=True)
class Constraint:
    """A conjunction of Terraform version constraint clauses (``>= 5.0, < 6.0``).

    Pre-release labels are dropped: ``6.0.0-beta1`` counts as ``6.0.0``.
    """

    clauses: tuple[_Clause, ...]

    def admits_range(self, since: Version, until: Version | None) -> bool:
        """Whether some release in ``[since, until)`` satisfies every clause."""
        low, low_open = since, False
        high, high_open = until, True
        for clause in self.clauses:
            for bound in _bounds(clause):
                kind, version, is_open = bound
                if kind == "low" and (version > low or version == low and is_open):
                    low, low_open = version, is_open
                if kind == "high" and (high is None or version < high
                                       or version == high and is_open):
                    high, high_open = version, is_open
        if high is not None and (low > high or low == high and (low_open or high_open)):
            return False
        # False when the only admitted release is excluded by `!=`.
        return not (high == low and any(c.operator == "!=" and c.version == low
                                        for c in self.clauses))


def parse_constraint(text: str) -> Constraint | None:
    """A Terraform version constraint, or a bare version / git tag (``v5.39.0``)."""
    clauses = []
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            return None
        match = _CLAUSE.match(piece)
        if match is None:
            return None
        version = _VERSION.match(match.group(2))
        if version is None:
            return None
        numbers = [int(n) if n is not None else 0 for n in version.groups()]
        parts = sum(1 for n in version.groups() if n is not None)
        clauses.append(_Clause(match.group(1) or "=", (numbers[0], numbers[1], numbers[2]),
                               parts))
    return Constraint(tuple(clauses)) if clauses else None


def parse_version(text: str) -> Version | None:
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    a, b, c = (int(n) if n is not None else 0 for n in match.groups())
    return (a, b, c)


def _bounds(clause: _Clause) -> list[tuple[str, Version, bool]]:
    """The clause as ``(low|high, version, open)`` bounds; ``!=`` bounds nothing."""
    v = clause.version
    if clause.operator == "=":
        return [("low", v, False), ("high", v, False)]
    if clause.operator == ">=":
        return [("low", v, False)]
    if clause.operator == ">":
        return [("low", v, True)]
    if clause.operator == "<=":
        return [("high", v, False)]
    if clause.operator == "<":
        return [("high", v, True)]
    if clause.operator == "~>":
        # Only the rightmost written part may grow: ~> 5.1 is < 6.0.0, ~> 5.1.2 is < 5.2.0,
        # and ~> 5, whose rightmost part is the major version, has no upper bound (Terraform
        # checks module constraints with hashicorp/go-version, whose pessimistic operator
        # compares every written part but the last: none for a single one; constraint.go,
        # constraintPessimistic).
        if clause.parts == 1:
            return [("low", v, False)]
        upper = (v[0], v[1] + 1, 0) if clause.parts >= 3 else (v[0] + 1, 0, 0)
        return [("low", v, False), ("high", upper, True)]
    return []


__all__ = [
    "INDEX",
    "MODELS",
    "ROLE_NAME_INPUTS",
    "Constraint",
    "Model",
    "find_model",
    "inputs_of_other_releases",
    "known_module",
    "normalise_source",
    "unmodelled",
    "unread",
    "web_identity_hint",
    "parse_constraint",
    "parse_version",
]
