"""GitLab CI pipelines to workloads: jobs that request an ID token and assume an AWS role.

A job is a workload when it requests an ID token (``id_tokens: <NAME>: aud: <string or
list>``, https://docs.gitlab.com/ci/secrets/id_token_authentication/) and hands a role to AWS:
a ``*ROLE_ARN*`` variable (``AWS_ROLE_ARN`` is what the AWS SDKs and CLI read beside
``AWS_WEB_IDENTITY_TOKEN_FILE``) or ``aws sts assume-role-with-web-identity --role-arn``
(https://docs.gitlab.com/ci/cloud_services/aws/), or to Google Cloud: a ``gcloud iam
workload-identity-pools create-cred-config`` naming the pool provider and the service
account (``gcloud_credentials``; the workload's ``cloud`` is ``google``, its ``target`` the
provider, its ``role`` the service account). Variables set in the project or group
settings override those of the file and are not visible here: ``$VAR`` without a value in
the file is ``Unknown``.

The token's ``sub`` is ``project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>``
(https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload); the job's
``environment:`` does not change it (docs/facts.md §4). Contexts are the refs a job
can run for, read from ``rules:if``, ``only``/``except`` and ``workflow:rules`` by
``oidclint.readers.workloads.gitlab_refs``; claim synthesis prefixes the project path. YAML merge keys
(``<<: *defaults``) are applied by the shared loader, ``oidclint.located.documents``.

``include:local`` files are taken from the scanned files only, never from disk, with paths
relative to the repository root (the scan root) and ``*``/``**`` wildcards; the including
file's own keys override what it includes, mappings merging deeply
(https://docs.gitlab.com/ci/yaml/includes/). An include with ``rules`` is part of the
pipelines its rules admit only, so the jobs only it defines run in those pipelines alone
(https://docs.gitlab.com/ci/yaml/includes/#use-rules-with-include). Remote, project,
template and component includes are not in the repository: they are named in a note and
their jobs are not analyzed. ``extends`` merges the same way
(https://docs.gitlab.com/ci/yaml/#extends); ``default:`` fills keys a job does not set.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Iterable

from oidclint.iam.federation import AZURE_AUDIENCE, GOOGLE_AUDIENCE_PREFIX
from oidclint.iam.subjects import ANY, Automaton, Chars, TooComplex, alt, opt, seq, star
from oidclint.located.documents import LoadError, load_documents
from oidclint.model import Diagnostic, Inventory, Level, TokenContext, Workload
from oidclint.readers.workloads.ci_files import assume_role_options, substitute
from oidclint.readers.workloads.gcloud_credentials import credential_configs
from oidclint.readers.workloads.gitlab_refs import (  # the ref functions are importable from here too
    Refs, contexts, glob_match, only_refs, parse_condition, refs_of, regex_globs, rule_refs,
    within,
)
from oidclint.source import (
    LDict, LList, Partial, SourceFile, Span, Str, Text, Unknown, fill_ins, span_of,
)

__all__ = [
    "RESERVED", "deep_merge", "glob_match", "parse_condition", "parse_gitlab_ci", "refs_of",
    "regex_globs",
]

# Top-level keys that are not jobs (https://docs.gitlab.com/ci/yaml/); ``pages`` is a job.
RESERVED = frozenset({
    "default", "include", "stages", "variables", "workflow", "image", "services",
    "before_script", "after_script", "cache", "types", "spec",
})
MAX_INCLUDES = 150
"""GitLab's limit on included files per pipeline."""
MAX_EXTENDS_DEPTH = 11
"""GitLab's limit on ``extends`` nesting."""
MAX_REFERENCE_DEPTH = 10
"""``!reference`` tags followed through one another this deep (GitLab's limit)."""

_VARIABLE = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)|\$\[\[\s*(.*?)\s*\]\]")
_ROLE_VARIABLE = re.compile(r"ROLE_ARN|ROLE_TO_ASSUME", re.I)
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")


def parse_gitlab_ci(file: SourceFile, files_by_path: dict[str, SourceFile]) -> Inventory:
    """The workloads of a pipeline: ``file`` with its local includes resolved."""
    inventory = Inventory(files=[file.path])
    resolver = _IncludeResolver(files_by_path, inventory)
    config = resolver.compose(file, ())
    if config is not None:
        _Pipeline(file.path, config, files_by_path, inventory, resolver.conditional).read()
    return inventory


# -- includes and merging ------------------------------------------------------------------

def deep_merge(base: Any, override: Any) -> Any:
    """GitLab's merge of configuration: mappings key by key, anything else replaced."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = LDict(span=span_of(override))
    override_keys = {key: key for key in override}
    for key, value in base.items():
        if key in override:
            merged[override_keys[key]] = deep_merge(value, override[key])
        else:
            merged[key] = value
    for key, value in override.items():
        if key not in merged:
            merged[key] = value
    return merged


class _IncludeResolver:
    def __init__(self, files_by_path: dict[str, SourceFile], inventory: Inventory) -> None:
        self.files = files_by_path
        self.inventory = inventory
        self.included = 0
        self.conditional: dict[str, list[list]] = {}
        """Job name to the ``include:rules`` of the includes it comes from alone."""

    def _report(self, path: str, message: str, span: Span | None,
                level: Level = Level.WARNING) -> None:
        self.inventory.diagnostics.append(Diagnostic(path, message, level, span))

    def compose(self, file: SourceFile, stack: tuple[str, ...]) -> LDict | None:
        """The file's configuration with its includes merged under it."""
        config = self._load(file)
        if config is None:
            return None
        merged = LDict(span=config.span)
        for path, span, rules in self._local_paths(config.get("include"), file):
            if path == file.path or path in stack:
                self._report(file.path, f"include {path} includes itself; not read again", span)
                continue
            self.included += 1
            if self.included > MAX_INCLUDES:
                self._report(file.path, f"more than {MAX_INCLUDES} included files; the rest "
                             "are not read", span)
                break
            self.inventory.files.append(path)
            included = self.compose(self.files[path], stack + (file.path,))
            if included is not None:
                merged = deep_merge(merged, included)
                self._condition(_job_names(included), rules)
        own = LDict({k: v for k, v in config.items() if k != "include"}, span=config.span)
        self._condition(_job_names(own), None)
        return deep_merge(merged, own)

    def _condition(self, jobs: list[str], rules: list | None) -> None:
        """Jobs an include with ``rules`` brings run only where those rules hold; one that
        a file defines without such an include runs whatever they say."""
        for name in jobs:
            if rules is None:
                self.conditional.pop(name, None)
            else:
                self.conditional.setdefault(name, []).append(rules)

    def _load(self, file: SourceFile) -> LDict | None:
        try:
            documents = load_documents(file.text, file.path)
        except LoadError as exc:
            position = _SYNTAX_POSITION.match(str(exc))
            span = Span(file.path, int(position[1]), int(position[2])) if position else None
            self._report(file.path, f"YAML syntax error: {exc}", span)
            return None
        if not documents or documents[0] is None:
            return None
        # A file with a ``spec:`` header keeps its configuration in the second document.
        content = documents[0]
        if len(documents) > 1 and isinstance(content, dict) and "spec" in content:
            content = documents[1]
        if not isinstance(content, dict):
            self._report(file.path, "the CI configuration is not a mapping", span_of(content))
            return None
        return content if isinstance(content, LDict) else LDict(content)

    def _local_paths(self, value: Any,
                     file: SourceFile) -> Iterable[tuple[str, Span | None, list | None]]:
        # https://docs.gitlab.com/ci/yaml/#include: a string (local unless a URL), a list of
        # strings or mappings, or one mapping; only ``local`` files are in this repository.
        for entry in value if isinstance(value, list) else [] if value is None else [value]:
            if entry is not None and not isinstance(entry, (str, dict)):
                self._report(file.path, "an `include` is neither a path nor a mapping; not read",
                             span_of(entry) or span_of(value), Level.NOTE)
                continue
            pattern = entry.get("local") if isinstance(entry, dict) else entry
            if entry is None:
                continue
            if isinstance(entry, dict) and "local" in entry and not isinstance(pattern, str):
                self._report(file.path, "the `local` of an `include` is not a path; not read",
                             span_of(pattern) or span_of(entry), Level.NOTE)
                continue
            if not isinstance(pattern, str) or "://" in pattern:
                self._elsewhere(entry, file)
                continue
            rules = entry.get("rules") if isinstance(entry, dict) else None
            if rules is not None and not isinstance(rules, list):
                self._report(file.path, f"`rules` of include {pattern} is not a list; read as "
                             "no rules", span_of(rules) or span_of(entry), Level.NOTE)
                rules = None
            span = span_of(pattern) or span_of(entry)
            if "$" in pattern:
                self._report(file.path, f"include {pattern}: a path with variables is not "
                             "resolved; its jobs are not analyzed", span, Level.NOTE)
                continue
            try:
                matches = self._matching(pattern)
            except TooComplex as exc:
                self._report(file.path, f"include {pattern} is too complex to match against "
                             f"the scanned files ({exc}); its jobs are not analyzed", span,
                             Level.WARNING)
                continue
            if not matches:
                self._report(file.path, f"include {pattern} is not among the scanned files; "
                             "its jobs are not analyzed", span, Level.NOTE)
            for path in matches:
                yield path, span, rules

    def _elsewhere(self, entry: Any, file: SourceFile) -> None:
        """A note for an include that is not a file of this repository: what it names is
        not read, so its jobs, variables and defaults are not known."""
        if isinstance(entry, str):
            kind, name = "remote", entry
        else:
            kind = next((k for k in ("remote", "project", "template", "component")
                         if k in entry), None)
            if kind is None:
                self._report(file.path, "an `include` names no local, remote, project, "
                             "template or component file; not read", span_of(entry), Level.NOTE)
                return
            name = entry[kind]
            if kind == "project" and entry.get("file") is not None:
                name = f"{name} {entry['file']}"
        self._report(file.path, f"include {kind} {name} is not in this repository and is not "
                     "read: its jobs, variables and defaults are not analyzed",
                     span_of(entry[kind] if isinstance(entry, dict) else entry) or span_of(entry),
                     Level.NOTE)
    def _matching(self, pattern: str) -> list[str]:
        relative = posixpath.normpath(pattern.lstrip("/"))
        if not any(ch in relative for ch in "*?{"):
            return [relative] if relative in self.files else []
        matcher = _path_glob(relative)
        return [path for path in sorted(self.files)
                if path.endswith((".yml", ".yaml")) and matcher.accepts(path)]


_NOT_SLASH = Chars("^/", "x", "a name")


def _path_glob(pattern: str) -> Automaton:
    """``include:local`` wildcards: ``*`` within a folder, ``**`` across folders, ``{a,b}``.
    An automaton, so matching takes linear time whatever the pattern (a regular expression
    would backtrack exponentially on ``**a**a**a...``)."""
    items: list[object] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            items.append(opt(seq(star(ANY), "/")))
            index += 3
        elif pattern.startswith("**", index):
            items.append(star(ANY))
            index += 2
        elif pattern[index] == "*":
            items.append(star(_NOT_SLASH))
            index += 1
        elif pattern[index] == "?":
            items.append(_NOT_SLASH)
            index += 1
        elif pattern[index] == "{" and "}" in pattern[index:]:
            end = pattern.index("}", index)
            items.append(alt(*pattern[index + 1:end].split(",")))
            index = end + 1
        else:
            items.append(pattern[index])
            index += 1
    return Automaton.of(seq(*items))


# -- jobs ----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Command:
    """What an ``aws sts assume-role-with-web-identity`` command in a script passes."""

    role: Text | None = None
    token: str = ""
    session_name: Text | None = None
    duration: int | Unknown | None = None


class _Pipeline:
    """The jobs of one composed configuration, and the workloads among them."""

    def __init__(self, path: str, config: LDict, files_by_path: dict[str, SourceFile],
                 inventory: Inventory, conditional: dict[str, list[list]] | None = None) -> None:
        self.path = path
        self.conditional = conditional or {}
        self.config = config
        self.files = files_by_path
        self.inventory = inventory
        self.jobs = {str(key): (key, value) for key, value in config.items()
                     if isinstance(key, str) and key not in RESERVED and isinstance(value, dict)}
        default = config.get("default")
        self.default = default if isinstance(default, dict) else {}
        self._wrong(config.get("variables"), (dict,), "the global `variables`", config)
        self.variables = _variables(config.get("variables"))
        workflow = config.get("workflow")
        rules = self._resolved(workflow.get("rules")) if isinstance(workflow, dict) else None
        self.workflow = rule_refs(rules) if isinstance(rules, list) else [Refs()]

    def _report(self, span: Span | None, message: str, level: Level = Level.WARNING) -> None:
        path = span.path if span else self.path
        diagnostic = Diagnostic(path, message, level, span=span)
        if diagnostic not in self.inventory.diagnostics:  # a template job extended twice
            self.inventory.diagnostics.append(diagnostic)

    def _wrong(self, value: Any, expected: tuple[type, ...], field: str, within: Any) -> bool:
        """Whether ``value`` is of the wrong type (neither one of ``expected`` nor absent),
        noted with the field: the job is read around it."""
        if value is None or isinstance(value, expected):
            return False
        nouns = {dict: "a mapping", list: "a list", str: "a string"}
        self._report(span_of(value) or span_of(within),
                     f"{field} is not {' or '.join(nouns[t] for t in expected)}; not read",
                     Level.NOTE)
        return True

    def read(self) -> None:
        for name, (key, _) in self.jobs.items():
            if name.startswith("."):
                continue  # hidden jobs are templates
            try:
                workload = self._workload(name, key, *self._effective(name))
            except RecursionError:
                self._report(key.span, f"job {name} is nested too deeply to analyze")
                continue
            if workload is not None:
                self.inventory.workloads.append(workload)

    # ---- configuration of one job

    def _extended(self, name: str, trail: tuple[str, ...]) -> LDict:
        key, job = self.jobs[name]
        parents = job.get("extends")
        if not isinstance(parents, list):
            parents = [parents] if isinstance(parents, str) else []
        merged = LDict()
        for parent in parents:
            if not isinstance(parent, str):
                continue
            if parent in trail or parent == name or len(trail) >= MAX_EXTENDS_DEPTH:
                self._report(span_of(parent),
                             f"job {name}: extends {parent} loops or nests too deeply")
            elif parent not in self.jobs:
                self._report(span_of(parent), f"job {name}: extends {parent}, which is not defined")
            else:
                merged = deep_merge(merged, self._extended(parent, trail + (name,)))
        own = LDict({k: v for k, v in job.items() if k != "extends"}, span=span_of(job))
        return deep_merge(merged, own)

    def _effective(self, name: str) -> tuple[LDict, dict[str, Str]]:
        """The job after ``extends`` and ``default:``, and the global variables it inherits."""
        job = self._extended(name, ())
        inherit = job.get("inherit")
        inherit = inherit if isinstance(inherit, dict) else {}
        # https://docs.gitlab.com/ci/yaml/#inherit: true, false or a list of keywords.
        defaults = _inherited(self.default, inherit.get("default", True))
        for key, value in defaults.items():
            if key not in job:
                job[key] = value
        return job, _inherited(self.variables, inherit.get("variables", True))

    def _resolved(self, value: Any, hops: int = 0) -> Any:
        """The value with ``!reference [job, key, ...]`` tags replaced by what they name
        (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags); a reference
        in a list splices the list it names."""
        if _is_reference(value):
            if hops >= MAX_REFERENCE_DEPTH:
                return None
            target: Any = self.config
            path = value["Fn::reference"]
            for step in path if isinstance(path, list) else [None]:
                found = isinstance(target, dict) and isinstance(step, str)
                target = target.get(step) if found else None
            return self._resolved(target, hops + 1)
        if isinstance(value, list):
            items = LList(span=span_of(value))
            for item in value:
                resolved = self._resolved(item, hops)
                items.extend(resolved if _is_reference(item) and isinstance(resolved, list)
                             else [resolved])
            return items
        if isinstance(value, dict):
            return LDict({k: self._resolved(v, hops) for k, v in value.items()},
                         span=span_of(value))
        return value

    # ---- the workload

    def _workload(self, name: str, key: Str, job: LDict,
                  global_variables: dict[str, Str]) -> Workload | None:
        tokens = self._resolved(job.get("id_tokens"))
        if self._wrong(tokens, (dict,), f"`id_tokens` of job {name}", job) or not tokens:
            return None
        for token_name, spec in tokens.items():
            if not self._wrong(spec, (dict,), f"id_token {token_name} of job {name}", tokens) \
                    and isinstance(spec, dict):
                aud = spec.get("aud")
                for item in aud if isinstance(aud, list) else [aud]:
                    self._wrong(item, (str,), f"`aud` of id_token {token_name} of job {name}",
                                spec)
        self._wrong(job.get("variables"), (dict,), f"`variables` of job {name}", job)
        for part in ("before_script", "script", "after_script"):
            self._wrong(job.get(part), (str, list), f"`{part}` of job {name}", job)
        self._wrong(job.get("rules"), (list,), f"`rules` of job {name}", job)
        variables = dict(global_variables)
        variables.update(_variables(self._resolved(job.get("variables"))))
        own = set(_variables(job.get("variables")))
        script = _script_lines(self._resolved([job.get(k) for k in
                                               ("before_script", "script", "after_script")]))
        expander = _Expander(variables, set(tokens))
        command = self._assume_role(script, expander)
        role = command.role if command.role is not None else self._role_variable(
            variables, own, expander)
        cloud, target = "aws", None
        token = _token_used(tokens, command, script, variables)
        audience = _audience(token, tokens.get(token), expander)
        if role is not None and command.role is None and _for_another_cloud(audience):
            # A role variable the job inherits, beside a token minted for Google Cloud or
            # Azure: the job does not hand that token to STS.
            role = None
        if role is None:
            google = self._google_credentials(script, expander)
            if google is None:
                return None
            cloud, (target, role) = "google", google
        session_name = command.session_name
        if session_name is None and "AWS_ROLE_SESSION_NAME" in variables:
            session_name = expander.expand(variables["AWS_ROLE_SESSION_NAME"])
        return Workload(
            kind="gitlab-ci",
            name=f"{self.path} job {name}",
            span=key.span or span_of(job) or Span(self.path, 1),
            # an `<ACCOUNT_ID>` left for the user decides nothing
            role=fill_ins(role) if role is not None else None,
            role_span=span_of(role) or span_of(target),
            audience=audience,
            session_name=session_name,
            duration=command.duration,
            contexts=self._contexts(key, job),
            logical=(str(name), "object"),
            cloud=cloud,
            target=fill_ins(target) if target is not None else None,
        )

    def _google_credentials(self, script: list[Str], expander: "_Expander"
                            ) -> tuple[Text, Text | None] | None:
        """The pool provider and service account of the first ``gcloud iam
        workload-identity-pools create-cred-config`` of the job's script
        (``gcloud_credentials``)."""
        for line in script:
            text = line.replace("\\\n", " ")
            for found in credential_configs(text):
                provider, start = found.provider
                located = Str(provider, self._sub_span(line, start, start + len(provider)))
                account = None
                if found.service_account is not None:
                    value, begin = found.service_account
                    account = expander.expand(
                        Str(value, self._sub_span(line, begin, begin + len(value))))
                return expander.expand(located), account
        return None

    def _assume_role(self, script: list[Str], expander: "_Expander") -> _Command:
        command = _Command()
        for line in script:
            text = line.replace("\\\n", " ")
            for option, value, begin in assume_role_options(text):
                located = Str(value, self._sub_span(line, begin, begin + len(value)))
                if option == "role-arn" and command.role is None:
                    command.role = expander.expand(located)
                elif option == "web-identity-token" and not command.token:
                    command.token = value
                elif option == "role-session-name" and command.session_name is None:
                    command.session_name = expander.expand(located)
                elif option == "duration-seconds" and command.duration is None:
                    command.duration = (int(value) if value.isdigit() else
                                        Unknown(f"--duration-seconds {value}", located.span))
            if command.role is not None:
                break
        return command

    def _sub_span(self, line: Str, start: int, end: int) -> Span | None:
        """The span of ``line[start:end]``, found in the source of the scalar (a folded or
        quoted scalar's text differs from its source, but an option value rarely does)."""
        span = line.span
        file = self.files.get(span.path) if span else None
        if span is None or file is None:
            return span
        value = str(line)[start:end]
        lines = file.text.split("\n")
        begin = sum(len(text) + 1 for text in lines[:span.line - 1]) + span.column - 1
        finish = sum(len(text) + 1 for text in lines[:span.end_line - 1]) + span.end_column - 1
        region = file.text[begin:finish]
        index = -len(value)
        for _ in range(str(line).count(value, 0, start) + 1):
            index = region.find(value, index + len(value))
            if index < 0 or not value:
                return span
        return file.span(begin + index, begin + index + len(value))

    def _role_variable(self, variables: dict[str, Str], own: set[str],
                       expander: "_Expander") -> Text | None:
        names = [n for n in variables if n == "AWS_ROLE_ARN" or _ROLE_VARIABLE.search(n)]
        if not names:
            return None
        names.sort(key=lambda n: (n != "AWS_ROLE_ARN", n not in own))
        value = variables[names[0]]
        if not value.strip():
            return Unknown(f"CI/CD variable {names[0]} (empty in the file)", value.span)
        return expander.expand(value)

    # ---- contexts

    def _contexts(self, key: Str, job: LDict) -> list[TokenContext]:
        rules = self._resolved(job.get("rules"))
        if isinstance(rules, list):
            refs = rule_refs(rules)
        elif "only" in job or "except" in job:
            refs = only_refs(self._resolved(job.get("only")), self._resolved(job.get("except")))
        else:
            # Without rules or only, a job runs in branch and tag pipelines, not in merge
            # request pipelines (https://docs.gitlab.com/ci/yaml/#only--except).
            refs = [Refs(merge_request=False, span=key.span)]
        workflow = within(self.workflow, *(rule_refs(self._resolved(rules))
                                           for rules in self.conditional.get(str(key), ())))
        return contexts(refs, workflow, key.span)


def _job_names(config: dict) -> list[str]:
    return [str(k) for k, v in config.items()
            if isinstance(k, str) and k not in RESERVED and isinstance(v, dict)]


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "Fn::reference" in value


def _inherited(values: dict, setting: Any) -> dict:
    if setting is True or setting is None:
        return dict(values)
    if isinstance(setting, list):
        return {k: v for k, v in values.items() if k in setting}
    return {}


def _variables(value: Any) -> dict[str, Str]:
    """``NAME: value`` or ``NAME: {value: ..., expand: false}`` as located strings."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, Str] = {}
    for name, item in value.items():
        if not isinstance(name, str):
            continue
        raw = item.get("value") if isinstance(item, dict) else item
        if isinstance(raw, dict | list):
            continue
        text = "" if raw is None else str(raw).lower() if isinstance(raw, bool) else str(raw)
        located = Str(text, span_of(raw) or span_of(name))
        if isinstance(item, dict) and item.get("expand") is False:
            located = Str(text.replace("$", "$$"), located.span)
        out[str(name)] = located
    return out


def _script_lines(value: Any, depth: int = 0) -> list[Str]:
    """Script entries, nested lists flattened (GitLab allows 10 levels)."""
    if isinstance(value, str):
        return [value if isinstance(value, Str) else Str(value)]
    if isinstance(value, list) and depth <= MAX_REFERENCE_DEPTH:
        return [line for item in value for line in _script_lines(item, depth + 1)]
    return []


class _Expander:
    """``$VAR`` / ``${VAR}`` expansion with the variables the file sets."""

    def __init__(self, variables: dict[str, Str], tokens: set[str]) -> None:
        self.variables = variables
        self.tokens = tokens

    def expand(self, text: Str, depth: int = 0) -> Text:
        def value_of(name: str) -> Text | None:
            if name in self.variables and depth < 5 and name not in self.tokens:
                return self.expand(self.variables[name], depth + 1)  # located where it is set
            return None
        return substitute(text, value_of, lambda name: _origin(name, name in self.tokens),
                          _VARIABLE)


def _origin(name: str, token: bool) -> str:
    if not re.fullmatch(r"\w+", name):  # `$[[ inputs.x ]]`: a name no variable has
        return f"input {name}"
    if token:
        return f"ID token {name}"
    if name.startswith(("CI_", "GITLAB_")):
        return f"predefined variable {name}"
    return f"CI/CD variable {name}"


def _mentions(text: str, name: str) -> bool:
    return re.search(r"\$\{?" + re.escape(name) + r"\b", text) is not None


def _token_used(tokens: dict, command: _Command, script: list[Str],
                variables: dict[str, Str]) -> Any:
    """The ID token handed to AWS: the one passed to the command or written to the token
    file, else the one a script or variable mentions, else the first."""
    names = [name for name in tokens if isinstance(name, str)]
    file_lines = [line for line in script if "AWS_WEB_IDENTITY_TOKEN_FILE" in line]
    for texts in ([command.token], file_lines, list(script) + list(variables.values())):
        for name in names:
            if any(_mentions(text, name) for text in texts):
                return name
    return names[0] if names else next(iter(tokens))


_OTHER_CLOUD_AUDIENCES = ("//iam.googleapis.com/", GOOGLE_AUDIENCE_PREFIX, AZURE_AUDIENCE)
"""Audiences of tokens for Google Cloud (a workload identity pool provider's resource name,
with or without the scheme) and Azure (Entra's token exchange)."""


def _for_another_cloud(audience: Text) -> bool:
    text = audience.known_prefix if isinstance(audience, Partial) else audience
    return isinstance(text, str) and text.startswith(_OTHER_CLOUD_AUDIENCES)


def _audience(name: Any, spec: Any, expander: _Expander) -> Text:
    aud = spec.get("aud") if isinstance(spec, dict) else None
    where = span_of(aud) or span_of(spec) or span_of(name)
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    if isinstance(aud, str):
        return expander.expand(aud if isinstance(aud, Str) else Str(aud, where))
    if isinstance(aud, list):
        listed = ", ".join(str(a) for a in aud)
        return Unknown(f"id_tokens.{name}.aud lists several audiences ({listed})", where)
    return Unknown(f"id_tokens.{name} sets no aud", where)
