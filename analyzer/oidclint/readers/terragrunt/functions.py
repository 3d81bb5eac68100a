"""Terragrunt's own functions, over located values
(https://terragrunt.gruntwork.io/docs/reference/built-in-functions/).

Paths are what Terragrunt gives: absolute paths on this machine, of folders and files inside
the scanned tree (nothing outside it is looked at). What only the run knows is unknown:
``get_env`` (an environment variable, even with a default: it may be set), and every
function not here (``run_cmd``, ``get_aws_account_id``, ``sops_decrypt_file`` ...) is
unknown as any unknown function is.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any, Callable

from oidclint.hcl.calls import Call
from oidclint.hcl.values import EvalError, derived_unknown, is_unknown
from oidclint.source import Str, Unknown

if TYPE_CHECKING:
    from oidclint.readers.terragrunt.config import Config

DEFAULT_CONFIG = "terragrunt.hcl"
"""What ``find_in_parent_folders()`` looks for when given no name."""

TerragruntFunction = Callable[["Config", Call], Any]
TERRAGRUNT_FUNCTIONS: dict[str, TerragruntFunction] = {}


def _function(name: str, least: int, most: int):
    def register(fn: TerragruntFunction) -> TerragruntFunction:
        def checked(config: "Config", call: Call) -> Any:
            if not least <= len(call.args) <= most:
                raise EvalError(f"{name}() takes {least} to {most} arguments, "
                                f"got {len(call.args)}")
            return fn(config, call)
        TERRAGRUNT_FUNCTIONS[name] = checked
        return fn
    return register


@_function("get_terragrunt_dir", 0, 0)
def _get_terragrunt_dir(config: "Config", call: Call) -> Any:
    """The unit's folder (an included file's too: it is evaluated for the unit)."""
    return Str(config.files.absolute(config.terragrunt_dir), call.span)


@_function("get_original_terragrunt_dir", 0, 0)
def _get_original_terragrunt_dir(config: "Config", call: Call) -> Any:
    return Str(config.files.absolute(_unit_folder(config)), call.span)


@_function("get_parent_terragrunt_dir", 0, 1)
def _get_parent_terragrunt_dir(config: "Config", call: Call) -> Any:
    """The folder of the included file (of the one named, among several includes)."""
    folder = _included_folder(config, call)
    if isinstance(folder, Unknown):
        return folder
    return Str(config.files.absolute(folder), call.span)


@_function("path_relative_to_include", 0, 1)
def _path_relative_to_include(config: "Config", call: Call) -> Any:
    """The unit's folder relative to the included file's (``.`` without an include)."""
    folder = _included_folder(config, call, alone=config.terragrunt_dir)
    if isinstance(folder, Unknown):
        return folder
    return Str(posixpath.relpath(config.terragrunt_dir, folder), call.span)


@_function("path_relative_from_include", 0, 1)
def _path_relative_from_include(config: "Config", call: Call) -> Any:
    """The included file's folder relative to the unit's."""
    folder = _included_folder(config, call, alone=config.terragrunt_dir)
    if isinstance(folder, Unknown):
        return folder
    return Str(posixpath.relpath(folder, config.terragrunt_dir), call.span)


@_function("find_in_parent_folders", 0, 2)
def _find_in_parent_folders(config: "Config", call: Call) -> Any:
    """The first of the unit's parent folders (not its own: Terragrunt starts from the
    parent) holding the name, as an absolute path; the fallback (when given) or unknown when
    no folder of the scanned tree holds it. Without a name, ``terragrunt.hcl``."""
    name = call.args[0] if call.args else Str(DEFAULT_CONFIG)
    if is_unknown(name):
        return derived_unknown("find_in_parent_folders()", [name], call.span)
    if not isinstance(name, str) or not name:
        raise EvalError("find_in_parent_folders() expects a file name")
    folder = config.terragrunt_dir
    while folder not in ("", "."):
        folder = posixpath.dirname(folder) or "."
        candidate = config.files.relative(str(name), folder)
        if candidate is not None and config.files.exists(candidate):
            return Str(config.files.absolute(candidate), call.span)
    if len(call.args) == 2:
        return call.args[1]
    message = (f"find_in_parent_folders(\"{name}\"): no parent folder of "
               f"{config.terragrunt_dir} in the scanned tree holds it")
    config.reading.warn(call.span, message)
    return Unknown(message, call.span)


@_function("read_terragrunt_config", 1, 2)
def _read_terragrunt_config(config: "Config", call: Call) -> Any:
    """Another configuration file's locals, inputs and dependencies, the file evaluated as
    itself; the default (when given) if it cannot be read."""
    fallback = len(call.args) == 2
    found = config.read(call.args[0], call.span, "read_terragrunt_config", included=False,
                        quiet=fallback)
    if isinstance(found, Unknown):
        return call.args[1] if fallback else found
    return found.exposed(call.span)


@_function("get_env", 1, 2)
def _get_env(config: "Config", call: Call) -> Any:
    """The variable, or the default when it is not set: which, only the run knows."""
    name = call.args[0]
    shown = f"get_env(\"{name}\")" if isinstance(name, str) else "get_env()"
    return Unknown(f"{shown} (an environment variable, known when Terragrunt runs)",
                   call.span)


@_function("get_repo_root", 0, 0)
def _get_repo_root(config: "Config", call: Call) -> Any:
    root = _repository_root(config, call)
    return root if isinstance(root, Unknown) else Str(config.files.absolute("."), call.span)


@_function("get_path_to_repo_root", 0, 0)
def _get_path_to_repo_root(config: "Config", call: Call) -> Any:
    root = _repository_root(config, call)
    return root if isinstance(root, Unknown) else \
        Str(posixpath.relpath(".", config.terragrunt_dir), call.span)


@_function("get_path_from_repo_root", 0, 0)
def _get_path_from_repo_root(config: "Config", call: Call) -> Any:
    root = _repository_root(config, call)
    return root if isinstance(root, Unknown) else Str(config.terragrunt_dir, call.span)


def _repository_root(config: "Config", call: Call) -> Unknown | None:
    """The repository is the scanned tree when it is a git work tree."""
    if config.files.exists(".git"):
        return None
    return Unknown(f"{call.name}() (the scanned folder is not a git work tree)", call.span)


def _unit_folder(config: "Config") -> str:
    return posixpath.dirname(config.chain[0]) or "." if config.chain else config.terragrunt_dir


def _included_folder(config: "Config", call: Call, alone: str | None = None) -> Any:
    """The folder of the included file the function speaks of: the file being evaluated
    when it is included; else the unit's include named by the argument (the only one, when
    not named); ``alone`` when the unit includes nothing."""
    if config.included:
        return config.folder
    includes = config.includes()
    if call.args:
        label = call.args[0]
        if is_unknown(label):
            return derived_unknown(f"{call.name}()", [label], call.span)
        includes = [i for i in includes if i.label == label]
    if not includes:
        if alone is not None and not call.args:
            return alone
        return Unknown(f"{call.name}() (no such include)", call.span)
    if len(includes) > 1:
        return Unknown(f"{call.name}() (which of {len(includes)} includes is not named)",
                       call.span)
    found = includes[0].config
    if isinstance(found, Unknown):
        return Unknown(f"{call.name}(): {found.origin}", call.span)
    return found.folder
