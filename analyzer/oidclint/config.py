"""Project configuration: ``.oidclint.toml``, or ``[tool.oidclint]`` in ``pyproject.toml``.

The file is found by walking up from the first scanned path to the enclosing git work tree
(``--config`` names one instead); in one folder ``.oidclint.toml`` wins over
``pyproject.toml``. Command-line flags win over the file. Unknown keys and wrong types are
errors that name the key and the file: a misspelt ``disabel`` must not silently enable
everything. The JSON schema of the file is ``oidclint.schema.json`` beside this module.

The file usually lives in the tree being scanned, so a pull request can change it. It may not
lift the safety limits: ``time-budget`` and ``max-file-size`` above ``LIMIT_CAPS`` are lowered
to the cap, with a note; only the command line goes further. What it turns off (rules it
disables or re-levels, files it excludes) is reported with every scan (``effects``), so
switching the scan off from inside a pull request shows in its results.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from oidclint.model import Diagnostic, Level, RuleInfo
from oidclint.reading import MAX_FILE_BYTES, read_text

FILE_NAMES = (".oidclint.toml", "pyproject.toml")
MAX_CONFIG_BYTES = MAX_FILE_BYTES
"""A configuration file is read up to this size (it may be a link to ``/dev/zero``)."""

LIMIT_CAPS = {"time_budget": 30, "max_file_size": 16 * 1024 * 1024}
"""The most a configuration file may set: 30 seconds per file, three times the default, and
16 MiB per file (loading takes about 50 times a file's size in memory: 0.8 GB for a 16 MiB
plan JSON). Above them one file could hold a scan for minutes or take gigabytes; the command
line's ``--time-budget`` and ``--max-file-size`` go further."""
_LIMIT_UNITS = {"time_budget": ("seconds", "--time-budget"),
                "max_file_size": ("bytes", "--max-file-size")}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass
class Config:
    disable: list[str] = field(default_factory=list)
    """Rule ids (``OIDC304``) or names (``stringlike-without-wildcard``) not to run."""
    severity: dict[str, str] = field(default_factory=dict)
    """Rule id or name -> ``error``, ``warning`` or ``note``."""
    exclude: list[str] = field(default_factory=list)
    """gitignore-style patterns, relative to the folder of the configuration file."""
    repository: str | None = None
    """``owner/name`` of the repository, for CI job subjects."""
    default_branch: str | None = None
    trusted_owners: list[str] = field(default_factory=list)
    """GitHub owners, GitLab groups, HCP organisations (CircleCI organization ids, Bitbucket
    workspaces, Spacelift accounts) of your own: a trust open to all of one of them is a
    note, not a warning (OIDC204)."""
    immutable_subjects: list[str] = field(default_factory=list)
    """GitHub repositories configured to issue ``owner@id/name@id`` subjects (OIDC114)."""
    known_roles: list[str] = field(default_factory=list)
    """Roles defined outside the scanned code (ARNs or names; ``*`` globs allowed) that
    workloads may assume without a note (OIDC305)."""
    var_files: list[str] = field(default_factory=list)
    """Terraform variable files applied to every root module, relative to this file."""
    max_file_size: int | None = None
    """Files larger than this many bytes are reported and not read (default 5 MiB)."""
    time_budget: float = 10.0
    """Seconds one file may take to parse (and, per file, a root module to evaluate); each
    rule may take as long, all rules together three times as long (``oidclint.rule_runner``)."""
    baseline: str | None = None
    """A baseline report (``--write-baseline``), relative to this file: findings it holds
    are not reported. ``--baseline`` wins."""
    path: Path | None = None
    """The file this configuration came from, if any."""
    capped: dict[str, str] = field(default_factory=dict)
    """Limits the file asked for above ``LIMIT_CAPS``: the field, and the note that says it
    was lowered to the cap."""

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path else None

    @property
    def baseline_path(self) -> Path | None:
        if self.baseline is None:
            return None
        return self.folder / self.baseline if self.folder else Path(self.baseline)

    def level_of(self, rule_id: str, rule_name: str) -> Level | None:
        value = self.severity.get(rule_id) or self.severity.get(rule_name)
        return Level(value) if value else None

    def disables(self, rule_id: str, rule_name: str) -> bool:
        return rule_id in self.disable or rule_name in self.disable


_LEVELS = ("error", "warning", "note")


def find_config(start: Path) -> Path | None:
    """The configuration file for a scan of ``start``: the nearest one walking up, no
    further than the git work tree that holds ``start``."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        for name in FILE_NAMES:
            path = candidate / name
            if path.is_file() and (name != "pyproject.toml" or _has_tool_table(path)):
                return path
        if (candidate / ".git").exists():
            return None
    return None


def load_config(path: Path) -> Config:
    """Read and check one configuration file; raises ``ConfigError``."""
    try:
        data = tomllib.loads(read_text(path, limit=MAX_CONFIG_BYTES))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # refused (not a regular file, too large) or not text
        if isinstance(exc, tomllib.TOMLDecodeError):
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        raise ConfigError(f"{path}: {exc}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("oidclint", {}) if isinstance(tool, dict) else {}
        where = "[tool.oidclint]"
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: `{where}` must be a table")
    else:
        where = ""
    return _checked(data, path, where)


def _has_tool_table(path: Path) -> bool:
    try:
        text = read_text(path, limit=MAX_CONFIG_BYTES)
    except (OSError, ValueError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # Broken, but meant for us: use it, so the error is reported rather than the whole
        # configuration silently skipped.
        return "[tool.oidclint" in text
    return isinstance(data.get("tool"), dict) and "oidclint" in data["tool"]


def with_limits(config: Config | None, *, time_budget: float | None = None,
                max_file_size: int | None = None) -> Config | None:
    """``config`` with the command line's limits, which win over the file's and are not
    capped; a limit not given keeps the file's."""
    given = {"time_budget": time_budget, "max_file_size": max_file_size}
    given = {name: value for name, value in given.items() if value is not None}
    if not given:
        return config
    config = replace(config) if config is not None else Config()
    config.capped = {name: note for name, note in config.capped.items() if name not in given}
    for name, value in given.items():
        setattr(config, name, value)
    return config


def effects(config: Config, rules: list[RuleInfo], shown: str) -> list[Diagnostic]:
    """What a configuration file turns off or lowers, said with every scan: the rules it
    disables, the levels it changes, the limits it asked for above the caps. ``rules``: every
    rule oidclint has; ``shown``: the file's name in reports."""
    if config.path is None:
        return []
    notes = [Diagnostic("", f"configuration {shown}: {note}", Level.NOTE)
             for note in config.capped.values()]
    off = [f"{r.id} ({r.name})" for r in rules if config.disables(r.id, r.name)]
    if off and len(off) == len(rules):
        notes.append(Diagnostic("", f"configuration {shown} disables every rule: nothing is "
                                    "checked", Level.WARNING))
    elif off:
        notes.append(Diagnostic("", f"configuration {shown} disables {_count(off, 'rule')}, "
                                    f"whose findings are not reported: {', '.join(off)}",
                                Level.NOTE))
    moved = [f"{r.id} ({r.name}) from {r.level.value} to {level.value}" for r in rules
             if not config.disables(r.id, r.name)
             and (level := config.level_of(r.id, r.name)) not in (None, r.level)]
    if moved:
        notes.append(Diagnostic("", f"configuration {shown} changes the level of "
                                    f"{_count(moved, 'rule')}: {', '.join(moved)}",
                                Level.NOTE))
    return notes


def exclusion_effect(config: Config, shown: str, excluded: int,
                     scanned: int) -> Diagnostic | None:
    """How many files a configuration file's ``exclude`` left out; a warning when it left
    out every one (``exclude = ["**"]`` switches the scan off)."""
    if config.path is None or not excluded:
        return None
    files = f"{excluded:,} file{'' if excluded == 1 else 's'}"
    if not scanned:
        return Diagnostic("", f"configuration {shown} excludes every file of the scan "
                              f"({files}): nothing is checked", Level.WARNING)
    return Diagnostic("", f"configuration {shown} excludes {files} from the scan (`exclude`)",
                      Level.NOTE)


def _capped_limit(config: Config, key: str, name: str, value: Any) -> int | float:
    """A limit from the file, checked, and lowered to its cap with a note when above it."""
    whole = key == "max_file_size"
    # `not value > 0` also refuses TOML's nan.
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
            or not value > 0:
        raise ConfigError(f"{config.path}: `{name}` must be a positive "
                          f"{'whole number' if whole else 'number'}")
    cap = LIMIT_CAPS[key]
    if value <= cap:
        return value
    # Lowered, not refused: refusing would let a pull request turn the scan into "could not
    # run", with no results at all. Files that need more are then reported as not read.
    unit, flag = _LIMIT_UNITS[key]
    config.capped[key] = (f"`{name}` = {value:,} {unit} is above {cap:,} {unit}, the most a "
                          f"configuration file may set; {cap:,} {unit} is used ({flag} on the "
                          "command line goes further)")
    return cap


def _count(items: list[str], word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"


_NOT_KEYS = {"path", "capped"}


def _checked(data: dict[str, Any], path: Path, where: str) -> Config:
    known = {f.name.replace("_", "-") for f in fields(Config)} - _NOT_KEYS
    config = Config(path=path)
    for key, value in data.items():
        name = f"{where}.{key}" if where else key
        if key not in known:
            raise ConfigError(f"{path}: unknown key `{name}` (known keys: "
                              f"{', '.join(sorted(known))})")
        key = key.replace("-", "_")
        if key in ("repository", "default_branch", "baseline"):
            if not isinstance(value, str):
                raise ConfigError(f"{path}: `{name}` must be a string")
        elif key in LIMIT_CAPS:
            value = _capped_limit(config, key, name, value)
        elif key == "severity":
            if not isinstance(value, dict) or not all(
                    isinstance(v, str) and v in _LEVELS for v in value.values()):
                raise ConfigError(f"{path}: `{name}` must map rule ids to one of "
                                  f"{', '.join(_LEVELS)}")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: `{name}` must be a list of strings")
        setattr(config, key, value)
    return config
