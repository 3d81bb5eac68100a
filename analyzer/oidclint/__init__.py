"""oidclint: static analysis of OIDC web identity federation in infrastructure code.

    >>> import oidclint
    >>> report = oidclint.scan(["infra/"])
    >>> [(f.rule_id, f.span.path, f.span.line, f.message) for f in report.active]

``scan`` returns a ``Report`` (``oidclint.model``): typed findings, diagnostics for what could
not be read, and the rules that ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from oidclint.config import Config
    from oidclint.model import Report

__version__ = "0.1.0"
__all__ = ["scan", "__version__"]


def scan(paths: Sequence[str | Path], config: "Config | str | Path | None" = None) -> "Report":
    """Scan files and folders as ``oidclint scan`` does.

    ``config`` is a ``Config``, the path of a configuration file, or ``None`` to use the
    ``.oidclint.toml`` / ``[tool.oidclint]`` found above the first path (if any). Raises
    ``oidclint.config.ConfigError`` for a configuration that cannot be used.
    """
    from oidclint.config import Config, find_config, load_config
    from oidclint.engine import scan as run_scan

    paths = [Path(p) for p in paths] or [Path(".")]
    if config is None:
        found = find_config(paths[0])
        config = load_config(found) if found else Config()
    elif not isinstance(config, Config):
        config = load_config(Path(config))
    return run_scan(paths, config)
