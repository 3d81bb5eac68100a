"""GitLab CI pipelines to workloads: jobs that request an ID token and assume an AWS role.

A job is a workload when it requests an ID token (``id_tokens: <NAME>: aud: <string or
list>``, https://docs.gitlab.com/ci/secrets/id_token_authentication/) and hands a role to AWS:
a ``*ROLE_ARN*`` variable (``AWS_ROLE_ARN`` is what the AWS SDKs and CLI read beside
``AWS_WEB_IDENTITY_TOKEN_FILE``) or ``aws sts assume-role-with-web-identity --role-arn``
(https://docs.gitlab.com/ci/cloud_services/aws/). Variables set in the project or group
settings override those of the file and are not visible here: ``$VAR`` without a value in
the file is ``Unknown``.

The token's ``sub`` is ``project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>``
(https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload); the job's
``environment:`` does not change it (docs/facts.md §4). Contexts are the refs a job
can run for, read from ``rules:if``, ``only``/``except`` and ``workflow:rules`` as far as they
are static: a ref that cannot be ruled out is kept, so the contexts over-approximate. Claim
synthesis prefixes the project path.

``include:local`` files are taken from the scanned files only, never from disk, with paths
relative to the repository root (the scan root) and ``*``/``**`` wildcards; the including
file's own keys override what it includes, mappings merging deeply
(https://docs.gitlab.com/ci/yaml/includes/). ``extends`` merges the same way
(https://docs.gitlab.com/ci/yaml/#extends); ``default:`` fills keys a job does not set.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Iterable

import yaml

from oidclint.model import Diagnostic, Inventory, Level, TokenContext, Workload
from oidclint.parsers.located import LoadError, _LocatedLoader
from oidclint.source import LDict, LList, SourceFile, Span, Str, Text, Unknown, concat, span_of

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
MAX_GLOBS = 16
"""Alternatives a regular expression may spell out before it counts as any ref."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)|\$\[\[\s*(.*?)\s*\]\]")
_ROLE_VARIABLE = re.compile(r"ROLE_ARN|ROLE_TO_ASSUME", re.I)
_ASSUME = "assume-role-with-web-identity"
_OPTION = re.compile(
    r"--(role-arn|web-identity-token|role-session-name|duration-seconds)(?:=|\s+)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"';|&`]+)")
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")


def parse_gitlab_ci(file: SourceFile, files_by_path: dict[str, SourceFile]) -> Inventory:
    """The workloads of a pipeline: ``file`` with its local includes resolved."""
    inventory = Inventory(files=[file.path])
    config = _IncludeResolver(files_by_path, inventory).compose(file, ())
    if config is not None:
        _Pipeline(file.path, config, files_by_path, inventory).read()
    return inventory


# -- YAML ----------------------------------------------------------------------------------

class _MergeKeyLoader(_LocatedLoader):
    """The located loader with YAML merge keys (``<<: *defaults``), common in GitLab CI.

    Merged keys are deduplicated (explicit keys win, then earlier sources), so a chain of
    merges cannot grow exponentially before the loader's alias budget sees it.
    """

    def __init__(self, stream: str, path: str) -> None:
        super().__init__(stream, path, False)
        self._flattened: set[yaml.Node] = set()

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            self._flatten(node)
        return super().construct_object(node, deep)

    def _flatten(self, node: yaml.MappingNode) -> None:
        if node in self._flattened:
            return
        self._flattened.add(node)
        own, merged = [], []
        for key, value in node.value:
            if key.tag != _MERGE_TAG:
                own.append((key, value))
                continue
            for source in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a merge key (<<) expects a mapping", source.start_mark)
                self._flatten(source)
                merged.extend(source.value)
        seen = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        kept = []
        for key, value in merged:
            identity = key.value if isinstance(key, yaml.ScalarNode) else id(key)
            if identity not in seen:
                seen.add(identity)
                kept.append((key, value))
        node.value = kept + own


def load_yaml(text: str, path: str) -> list[Any]:
    """Every document of a YAML text, located, merge keys applied. Raises ``LoadError``."""
    loader = _MergeKeyLoader(text, path)
    try:
        documents = []
        while loader.check_node():
            documents.append(loader.construct_document(loader.get_node()))
        return documents
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise LoadError(f"{where}{exc.problem or exc.context}") from None
    except LoadError:
        raise
    except RecursionError:
        raise LoadError("nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - yaml errors, unhashable keys, bad tag values
        raise LoadError(f"cannot read the document: {exc}") from None
    finally:
        loader.dispose()


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

    def _report(self, path: str, message: str, span: Span | None,
                level: Level = Level.WARNING) -> None:
        self.inventory.diagnostics.append(Diagnostic(path, message, level, span))

    def compose(self, file: SourceFile, stack: tuple[str, ...]) -> LDict | None:
        """The file's configuration with its includes merged under it."""
        config = self._load(file)
        if config is None:
            return None
        merged = LDict(span=config.span)
        for path, span in self._local_paths(config.get("include"), file):
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
        own = LDict({k: v for k, v in config.items() if k != "include"}, span=config.span)
        return deep_merge(merged, own)

    def _load(self, file: SourceFile) -> LDict | None:
        try:
            documents = load_yaml(file.text, file.path)
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

    def _local_paths(self, value: Any, file: SourceFile) -> Iterable[tuple[str, Span | None]]:
        # https://docs.gitlab.com/ci/yaml/#include: a string (local unless a URL), a list of
        # strings or mappings, or one mapping; only ``local`` files are in this repository.
        for entry in value if isinstance(value, list) else [] if value is None else [value]:
            pattern = entry.get("local") if isinstance(entry, dict) else entry
            if not isinstance(pattern, str) or "://" in pattern:
                continue  # remote, project, template or component includes
            span = span_of(pattern) or span_of(entry)
            if "$" in pattern:
                self._report(file.path, f"include {pattern}: a path with variables is not "
                             "resolved; its jobs are not analyzed", span, Level.NOTE)
                continue
            matches = self._matching(pattern)
            if not matches:
                self._report(file.path, f"include {pattern} is not among the scanned files; "
                             "its jobs are not analyzed", span, Level.NOTE)
            for path in matches:
                yield path, span

    def _matching(self, pattern: str) -> list[str]:
        relative = posixpath.normpath(pattern.lstrip("/"))
        if not any(ch in relative for ch in "*?{"):
            return [relative] if relative in self.files else []
        matcher = _path_glob(relative)
        return [path for path in sorted(self.files)
                if path.endswith((".yml", ".yaml")) and matcher.fullmatch(path)]


def _path_glob(pattern: str) -> re.Pattern[str]:
    """``include:local`` wildcards: ``*`` within a folder, ``**`` across folders, ``{a,b}``."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "{" and "}" in pattern[index:]:
            end = pattern.index("}", index)
            options = pattern[index + 1:end].split(",")
            out.append("(?:" + "|".join(re.escape(option) for option in options) + ")")
            index = end + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out))


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
                 inventory: Inventory) -> None:
        self.path = path
        self.config = config
        self.files = files_by_path
        self.inventory = inventory
        self.jobs = {str(key): (key, value) for key, value in config.items()
                     if isinstance(key, str) and key not in RESERVED and isinstance(value, dict)}
        default = config.get("default")
        self.default = default if isinstance(default, dict) else {}
        self.variables = _variables(config.get("variables"))
        workflow = config.get("workflow")
        rules = self._resolved(workflow.get("rules")) if isinstance(workflow, dict) else None
        self.workflow = rule_refs(rules) if isinstance(rules, list) else [_Refs()]

    def _report(self, span: Span | None, message: str) -> None:
        path = span.path if span else self.path
        self.inventory.diagnostics.append(Diagnostic(path, message, span=span))

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
        if not isinstance(tokens, dict) or not tokens:
            return None
        variables = dict(global_variables)
        variables.update(_variables(self._resolved(job.get("variables"))))
        own = set(_variables(job.get("variables")))
        script = _script_lines(self._resolved([job.get(k) for k in
                                               ("before_script", "script", "after_script")]))
        expander = _Expander(variables, set(tokens))
        command = self._assume_role(script, expander)
        role = command.role if command.role is not None else self._role_variable(
            variables, own, expander)
        if role is None:
            return None
        token = _token_used(tokens, command, script, variables)
        session_name = command.session_name
        if session_name is None and "AWS_ROLE_SESSION_NAME" in variables:
            session_name = expander.expand(variables["AWS_ROLE_SESSION_NAME"])
        return Workload(
            kind="gitlab-ci",
            name=f"{self.path} job {name}",
            span=key.span or span_of(job) or Span(self.path, 1),
            role=role,
            role_span=span_of(role),
            audience=_audience(token, tokens.get(token), expander),
            session_name=session_name,
            duration=command.duration,
            contexts=self._contexts(key, job),
        )

    def _assume_role(self, script: list[Str], expander: "_Expander") -> _Command:
        command = _Command()
        for line in script:
            text = line.replace("\\\n", " ")
            start = text.find(_ASSUME)
            if start < 0:
                continue
            for match in _OPTION.finditer(text, start):
                option, raw = match[1], match[2]
                quoted = raw[:1] in "\"'" and len(raw) > 1
                value = raw[1:-1] if quoted else raw
                begin = match.start(2) + (1 if quoted else 0)
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
            refs = [_Refs(merge_request=False, span=key.span)]
        met = _unique(m for r in refs for w in self.workflow if (m := _meet(r, w)) is not None)
        return [_context(r, key.span) for r in met]


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
        whole = _VARIABLE.fullmatch(text.strip())
        name = whole and (whole[1] or whole[2])
        if name and name in self.variables and depth < 5 and name not in self.tokens:
            return self.expand(self.variables[name], depth + 1)  # located where it is set
        pieces: list[Any] = []
        position = 0
        for match in _VARIABLE.finditer(text):
            pieces.append(text[position:match.start()])
            position = match.end()
            name = match[1] or match[2]
            if match[0] == "$$":
                pieces.append("$")
            elif name is None:
                pieces.append(Unknown(f"input {match[3]}", text.span))
            elif name in self.variables and depth < 5 and name not in self.tokens:
                pieces.append(self.expand(self.variables[name], depth + 1))
            else:
                pieces.append(Unknown(_origin(name, name in self.tokens), text.span))
        pieces.append(text[position:])
        return concat([p for p in pieces if p != ""], text.span)


def _origin(name: str, token: bool) -> str:
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


# -- refs a job runs for -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Refs:
    """Refs a pipeline can run for: a ref type and a ref name (exact, glob or unknown)."""

    ref_type: str = "*"
    """``branch``, ``tag``, or ``*`` for either."""
    ref: Text = "*"
    glob: bool = True
    merge_request: bool | None = None
    """True: merge request pipelines only (the ref is the source branch); False: never in
    them (branch, tag, schedule ... pipelines); None: either."""
    span: Span | None = None


def _meet(a: _Refs, b: _Refs) -> _Refs | None:
    """Refs in both (or a superset of them when globs cannot be intersected exactly)."""
    if a.ref_type == "*":
        ref_type = b.ref_type
    elif b.ref_type in ("*", a.ref_type):
        ref_type = a.ref_type
    else:
        return None
    if None not in (a.merge_request, b.merge_request) and a.merge_request != b.merge_request:
        return None
    ref = _meet_ref(a, b)
    if ref is None:
        return None
    merge_request = b.merge_request if a.merge_request is None else a.merge_request
    return _Refs(ref_type, ref[0], ref[1], merge_request, a.span or b.span)


def _meet_ref(a: _Refs, b: _Refs) -> tuple[Text, bool] | None:
    if a.glob and a.ref == "*":
        return b.ref, b.glob
    if b.glob and b.ref == "*":
        return a.ref, a.glob
    exact_a = isinstance(a.ref, str) and not a.glob
    exact_b = isinstance(b.ref, str) and not b.glob
    if exact_a and exact_b:
        return (a.ref, False) if a.ref == b.ref else None
    if exact_a or exact_b:
        exact, other = (a, b) if exact_a else (b, a)
        if other.glob and isinstance(other.ref, str) and not glob_match(other.ref, exact.ref):
            return None
        return exact.ref, False
    return a.ref, a.glob  # two globs, or an unknown name: the meet lies within the first


def _unique(refs: Iterable[_Refs]) -> list[_Refs]:
    seen: dict[tuple, _Refs] = {}
    for r in refs:
        seen.setdefault((r.ref_type, str(r.ref), r.glob, r.merge_request), r)
    return list(seen.values())


def _meet_all(groups: list[list[_Refs]]) -> list[_Refs]:
    result = [_Refs()]
    for group in groups:
        result = _unique(m for r in result for g in group if (m := _meet(r, g)) is not None)
    return result


def glob_match(glob: str, text: str) -> bool:
    """IAM-style wildcards: ``*`` any run of characters, ``?`` one."""
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.fullmatch(pattern, text, re.S) is not None


def _context(refs: _Refs, fallback: Span | None) -> TokenContext:
    kind = {"branch": "branch", "tag": "tag"}.get(refs.ref_type, "branch or tag")
    ref = refs.ref
    if refs.glob and ref == "*":
        label = "merge request (any source branch)" if refs.merge_request else f"any {kind}"
    else:
        shown = ref.origin if isinstance(ref, Unknown) else str(ref)
        label = f"{kind} matching {shown}" if refs.glob else f"{kind} {shown}"
        label = f"merge request from {label}" if refs.merge_request else label
    claims: dict[str, Text] = {}
    if refs.ref_type != "*":
        claims["ref_type"] = Str(refs.ref_type)
    if not refs.glob:
        claims["ref"] = ref
    if refs.merge_request:
        claims["pipeline_source"] = Str("merge_request_event")
    return TokenContext(
        label=label,
        subject=concat(("ref_type:", refs.ref_type, ":ref:", ref), refs.span or fallback),
        pattern=refs.glob or refs.ref_type == "*",
        span=refs.span or fallback,
        claims=claims,
    )


def rule_refs(rules: list) -> list[_Refs]:
    """The refs ``rules`` let a job (or, under ``workflow``, a pipeline) run for.

    The first rule that matches decides (https://docs.gitlab.com/ci/yaml/#rules): a rule
    after ``when: never`` rules applies only where none of them matched.
    """
    result: list[_Refs] = []
    excluded: list[list[_Refs]] = []
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        condition = rule.get("if")
        tree = parse_condition(condition) if isinstance(condition, str) else ("true",)
        span = span_of(condition) or span_of(rule)
        if rule.get("when") == "never":
            if "changes" in rule or "exists" in rule:
                continue  # excludes only together with file changes: nothing certain
            if condition is None:
                break
            excluded.append(refs_of(tree, positive=False) if tree else [_Refs()])
            continue
        refs = [_Refs(r.ref_type, r.ref, r.glob, r.merge_request, span)
                for r in (refs_of(tree) if tree else [_Refs()])]
        result.extend(_meet_all([refs, *excluded]))
    return _unique(result)


_ONLY_KEYWORDS = {
    "branches": _Refs("branch", merge_request=False), "tags": _Refs("tag", merge_request=False),
    "merge_requests": _Refs("branch", merge_request=True),
}
# Pipeline sources (https://docs.gitlab.com/ci/yaml/#onlyrefs--exceptrefs): any ref.
_ONLY_SOURCES = frozenset({
    "api", "chat", "external", "external_pull_requests", "pipelines", "pushes", "schedules",
    "triggers", "web",
})


def only_refs(only: Any, exclude: Any) -> list[_Refs]:
    """The refs ``only`` admits minus the ref types ``except`` names (``tags``, ``branches``).

    A plain name is read as a branch, as GitLab documents it; a regular expression is matched
    against branch and tag names. Names and patterns never match merge request pipelines.
    """
    refs_list, variables = (only.get("refs"), only.get("variables")) if isinstance(only, dict) \
        else (only, None)
    if refs_list is None:
        result = [_Refs()]
    else:
        result = _unique(r for entry in _entries(refs_list) for r in _only_entry(entry))
    if isinstance(variables, list):
        trees = [parse_condition(v) for v in variables if isinstance(v, str)]
        admitted = _unique(r for t in trees for r in (refs_of(t) if t else [_Refs()]))
        result = _meet_all([result, admitted])
    excluded_list = exclude.get("refs") if isinstance(exclude, dict) else exclude
    excluded = {str(e) for e in _entries(excluded_list)} & {"branches", "tags"}
    kept = []
    for r in result:
        types = [t for t in (("branch", "tag") if r.ref_type == "*" else (r.ref_type,))
                 if {"branch": "branches", "tag": "tags"}[t] not in excluded]
        if len(types) == 1 and r.ref_type == "*":
            r = _Refs(types[0], r.ref, r.glob, r.merge_request, r.span)
        if types:
            kept.append(r)
    return kept


def _entries(value: Any) -> list[Str]:
    items = value if isinstance(value, list) else [value]
    return [i if isinstance(i, Str) else Str(i) for i in items if isinstance(i, str)]


def _only_entry(entry: Str) -> list[_Refs]:
    span = entry.span
    if entry in _ONLY_KEYWORDS:
        keyword = _ONLY_KEYWORDS[entry]
        return [_Refs(keyword.ref_type, "*", True, keyword.merge_request, span)]
    if entry in _ONLY_SOURCES:
        return [_Refs(span=span)]
    regex = _regex_literal(entry)
    if regex is not None:
        return _glob_refs("*", regex_globs(*regex), False, span)
    return [_Refs("branch", entry, False, False, span)]


# ---- rules:if expressions (https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions)

_TOKEN = re.compile(r"""\s*(?:
    (?P<var>\$\{\w+\}|\$\w+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
  | (?P<op>==|!=|=~|!~|&&|\|\||\(|\))
  | (?P<null>null\b)
)""", re.X)
_NEGATED = {"==": "!=", "!=": "==", "=~": "!~", "!~": "=~"}


def parse_condition(text: str) -> tuple | None:
    """A ``rules:if`` expression as a tree; ``None`` when it cannot be read."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        position = match.end()
    parser = _ConditionParser(tokens)
    try:
        tree = parser.disjunction()
    except (IndexError, ValueError, RecursionError):
        return None
    return tree if parser.position == len(tokens) else None


class _ConditionParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def _next(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def disjunction(self) -> tuple:
        parts = [self.conjunction()]
        while self._peek() == ("op", "||"):
            self._next()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> tuple:
        parts = [self.comparison()]
        while self._peek() == ("op", "&&"):
            self._next()
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def comparison(self) -> tuple:
        if self._peek() == ("op", "("):
            self._next()
            inner = self.disjunction()
            if self._next() != ("op", ")"):
                raise ValueError("unbalanced parenthesis")
            return inner
        left = self._operand()
        kind, op = self._peek()
        if kind == "op" and op in _NEGATED:
            self._next()
            return ("cmp", op, left, self._operand())
        return ("present", left) if left[0] == "var" else ("true",)

    def _operand(self) -> tuple:
        kind, text = self._next()
        if kind == "var":
            return ("var", text.strip("${}"))
        if kind == "str":
            return ("str", text[1:-1])
        if kind == "regex":
            return ("regex", text)
        if kind == "null":
            return ("null",)
        raise ValueError(f"unexpected {text!r}")


_BRANCH, _TAG, _REF = "CI_COMMIT_BRANCH", "CI_COMMIT_TAG", "CI_COMMIT_REF_NAME"
_MR_SOURCE, _DEFAULT = "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_DEFAULT_BRANCH"
_REF_TYPES = {_BRANCH: "branch", _TAG: "tag", _REF: "*", _MR_SOURCE: "branch"}
# Where each variable is set (https://docs.gitlab.com/ci/variables/predefined_variables/):
# CI_COMMIT_BRANCH in branch pipelines only, CI_COMMIT_TAG in tag pipelines only,
# CI_MERGE_REQUEST_* in merge request pipelines only, CI_COMMIT_REF_NAME in all.
_MERGE_REQUEST = {_BRANCH: False, _TAG: False, _REF: None, _MR_SOURCE: True}


def refs_of(tree: tuple, positive: bool = True) -> list[_Refs]:
    """The refs for which the expression is true (false, when not ``positive``)."""
    kind = tree[0]
    if kind in ("or", "and"):
        groups = [refs_of(child, positive) for child in tree[1]]
        if (kind == "or") == positive:
            return _unique(r for group in groups for r in group)
        return _meet_all(groups)
    if kind == "present":
        return _atom(tree[1][1], "present" if positive else "absent", None)
    if kind == "cmp":
        op, left, right = tree[1], tree[2], tree[3]
        op = op if positive else _NEGATED[op]
        if left[0] != "var" and right[0] == "var":
            left, right = right, left
        if left[0] == "var":
            return _atom(left[1], op, right)
    return [_Refs()]


def _atom(name: str, op: str, operand: tuple | None) -> list[_Refs]:
    """What one comparison says about the ref; anything else admits every ref."""
    if operand == ("null",):
        op, operand = ("absent" if op == "==" else "present"), None
    merge_request = _MERGE_REQUEST.get(name)
    text = operand[1] if operand is not None and operand[0] == "str" else None
    if op == "present":
        if name in (_BRANCH, _TAG):
            return [_Refs(_REF_TYPES[name], merge_request=False)]
        if name.startswith("CI_MERGE_REQUEST_"):
            return [_Refs("branch", merge_request=True)]
    elif op == "absent" and name == _TAG:
        return [_Refs("branch")]
    elif name == "CI_PIPELINE_SOURCE" and text is not None and op in ("==", "!="):
        # https://docs.gitlab.com/ci/jobs/job_rules/#ci_pipeline_source-predefined-variable
        is_merge_request = text == "merge_request_event"
        if op == "==":
            return [_Refs("branch", merge_request=True) if is_merge_request
                    else _Refs(merge_request=False)]
        return [_Refs(merge_request=False)] if is_merge_request else [_Refs()]
    elif op == "==" and text is not None and name in _REF_TYPES:
        return [_Refs(_REF_TYPES[name], Str(text), False, merge_request)]
    elif op == "==" and operand is not None and operand[0] == "var":
        pair = {name, operand[1]}
        other = (pair - {_DEFAULT}).pop() if _DEFAULT in pair and len(pair) == 2 else None
        if other in _REF_TYPES:
            default = Unknown(f"${_DEFAULT} (the project's default branch)")
            ref_type = "branch" if other != _REF else "*"
            return [_Refs(ref_type, default, False, _MERGE_REQUEST[other])]
    elif op == "=~" and operand is not None and operand[0] == "regex" and name in _REF_TYPES:
        regex = _regex_literal(operand[1])
        return _glob_refs(_REF_TYPES[name], regex_globs(*regex) if regex else None, merge_request)
    return [_Refs()]


def _glob_refs(ref_type: str, globs: list[str] | None, merge_request: bool | None,
               span: Span | None = None) -> list[_Refs]:
    """Refs matching any of ``globs`` (a glob without wildcards is one exact name)."""
    return [_Refs(ref_type, Str(g), "*" in g or "?" in g, merge_request, span)
            for g in globs or ["*"]]


def _regex_literal(text: str) -> tuple[str, str] | None:
    """``/pattern/flags`` split, ``None`` when the text is not one."""
    match = re.fullmatch(r"/(.*)/([a-z]*)", text, re.S)
    return (match[1].replace("\\/", "/"), match[2]) if match else None


def regex_globs(pattern: str, flags: str = "") -> list[str] | None:
    """Globs that together match at least every ref the regular expression matches (GitLab
    searches, so an unanchored end is a ``*``); ``None`` when it cannot be translated.

    The expression is read with the standard library's own parser (RE2, which GitLab uses,
    shares its syntax for everything translated here).
    """
    if "i" in flags:
        return None
    try:
        parsed = _sre_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    items = list(parsed)
    alternatives = ([list(b) for b in items[0][1][1]]
                    if len(items) == 1 and items[0][0] is _sre.BRANCH else [items])
    globs: list[str] = []
    for alternative in alternatives:
        start = bool(alternative) and alternative[0] in _STARTS
        end = len(alternative) > start and alternative[-1] in _ENDS
        middles = _sequence_globs(alternative[int(start):len(alternative) - int(end)])
        if middles is None:
            return None
        globs.extend(("" if start else "*") + m + ("" if end else "*") for m in middles)
        if len(globs) > MAX_GLOBS:
            return None
    return list(dict.fromkeys(re.sub(r"\*+", "*", g) for g in globs))


try:  # the standard library's regular expression parser (Python 3.11+, then 3.10)
    from re import _constants as _sre, _parser as _sre_parser
except ImportError:  # pragma: no cover
    import sre_constants as _sre
    import sre_parse as _sre_parser

_STARTS = ((_sre.AT, _sre.AT_BEGINNING), (_sre.AT, _sre.AT_BEGINNING_STRING))
_ENDS = ((_sre.AT, _sre.AT_END), (_sre.AT, _sre.AT_END_STRING))
_ONE_CHARACTER = (_sre.ANY, _sre.IN, _sre.NOT_LITERAL)


def _sequence_globs(items: list) -> list[str] | None:
    """Globs for a parsed sequence: literals as written, one character ``?``, repeats ``*``."""
    globs = [""]
    for op, argument in items:
        if op is _sre.LITERAL:
            options = [chr(argument)]
        elif op in _ONE_CHARACTER:
            options = ["?"]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or op.name == "POSSESSIVE_REPEAT":
            low, high, inner = argument
            options = _sequence_globs(list(inner)) if low == high == 1 else ["*"]
        elif op is _sre.SUBPATTERN:
            options = _sequence_globs(list(argument[-1]))
        elif op is _sre.BRANCH:
            branches = [_sequence_globs(list(b)) for b in argument[1]]
            options = None if None in branches else [g for b in branches for g in b]
        else:
            return None  # anchors inside, look-arounds, back-references
        if options is None:
            return None
        globs = [g + o for g in globs for o in options]
        if len(globs) > MAX_GLOBS:
            return None
    return globs
