"""Project configuration: ``.oidclint.toml``, or ``[tool.oidclint]`` in ``pyproject.toml``.

The file is found by walking up from the first scanned path to the enclosing git work tree
(``--config`` names one instead); in one folder ``.oidclint.toml`` wins over
``pyproject.toml``. Command-line flags win over the file. Unknown keys and wrong types are
errors that name the key and the file: a misspelt ``disabel`` must not silently enable
everything. The JSON schema of the file is ``oidclint.schema.json`` beside this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from oidclint.model import Level

FILE_NAMES = (".oidclint.toml", "pyproject.toml")


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
    """GitHub owners, GitLab groups, HCP organisations of your own: a trust open to all of
    one of them is a note, not a warning (OIDC204)."""
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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # Broken, but meant for us: use it, so the error is reported rather than the whole
        # configuration silently skipped.
        return "[tool.oidclint" in text
    return isinstance(data.get("tool"), dict) and "oidclint" in data["tool"]


def _checked(data: dict[str, Any], path: Path, where: str) -> Config:
    known = {f.name.replace("_", "-") for f in fields(Config)} - {"path"}
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
        elif key in ("max_file_size", "time_budget"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                    or key == "max_file_size" and not isinstance(value, int):
                raise ConfigError(f"{path}: `{name}` must be a positive "
                                  f"{'whole number' if key == 'max_file_size' else 'number'}")
        elif key == "severity":
            if not isinstance(value, dict) or not all(
                    isinstance(v, str) and v in _LEVELS for v in value.values()):
                raise ConfigError(f"{path}: `{name}` must map rule ids to one of "
                                  f"{', '.join(_LEVELS)}")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: `{name}` must be a list of strings")
        setattr(config, key, value)
    return config
