"""Variable values of root modules: ``.tfvars`` files and ``--var-file``, with Terraform's
precedence.

Terraform loads, later sources winning: ``terraform.tfvars``, ``terraform.tfvars.json``,
``*.auto.tfvars`` and ``*.auto.tfvars.json`` in lexical order of their names, then each
``-var-file`` in the order given
(https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence).
Other ``.tfvars`` files are read only when named with ``--var-file``. Values are literals; a
reference in one evaluates to ``Unknown``.
"""

from __future__ import annotations

import posixpath
from typing import Any

from oidclint.hcl.evaluate import Environment, Evaluator
from oidclint.hcl.syntax import is_tree, parse_tree, read_body
from oidclint.hcl.syntax_errors import syntax_error
from oidclint.hcl.values import EvalError
from oidclint.limits import TooLarge, allowance
from oidclint.model import Diagnostic
from oidclint.located.documents import LoadError, load_documents
from oidclint.source import SourceFile, Unknown


def auto_loaded_rank(path: str) -> tuple[int, str] | None:
    """Where an auto-loaded file stands in the precedence order; ``None`` for other files."""
    name = posixpath.basename(path)
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    if name.endswith((".auto.tfvars", ".auto.tfvars.json")):
        return (2, name)
    return None


def root_variables(files: list[SourceFile], var_files: list[SourceFile],
                   diagnostics: list[Diagnostic]) -> dict[str, dict[str, Any]]:
    """Root module folder -> variable name -> value, for every folder with auto-loaded
    files; the ``--var-file`` values apply to every root module and win."""
    by_folder: dict[str, list[SourceFile]] = {}
    for file in files:
        if auto_loaded_rank(file.path) is not None:
            by_folder.setdefault(posixpath.dirname(file.path) or ".", []).append(file)
    given: dict[str, Any] = {}
    for file in var_files:
        given.update(_values(file, diagnostics))
    values: dict[str, dict[str, Any]] = {}
    for folder, members in by_folder.items():
        merged: dict[str, Any] = {}
        for file in sorted(members, key=lambda f: auto_loaded_rank(f.path)):
            merged.update(_values(file, diagnostics))
        values[folder] = {**merged, **given}
    if given:
        values["*"] = given
    return values


def _values(file: SourceFile, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    try:
        if file.path.endswith(".json"):
            return _json_values(file)
        with allowance():
            return _hcl_values(file, diagnostics)
    except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
        if isinstance(exc, LoadError):
            diagnostics.append(Diagnostic(file.path, str(exc)))
        else:
            diagnostics.append(syntax_error(file, exc))
        return {}


def _hcl_values(file: SourceFile, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    tree = parse_tree(file.text)
    body = next(c for c in tree.children if is_tree(c, "body"))
    attributes, _ = read_body(body, file.path)
    environment = Environment()
    values = {}
    for name, attribute in attributes.items():
        try:
            values[name] = Evaluator(environment, file.path).evaluate(attribute.value)
        except (TooLarge, RecursionError) as exc:
            # Past a limit of the scan, not an error of the code: said, never silent.
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            values[name] = Unknown(f"{name} in {file.path}: {reason}", attribute.value_span)
            if not getattr(exc, "repeated", False):
                diagnostics.append(Diagnostic(file.path, f"{name}: {reason}; not evaluated",
                                              span=attribute.value_span))
        except (EvalError, ArithmeticError, ValueError) as exc:
            values[name] = Unknown(f"{name} in {file.path}: {exc}", attribute.value_span)
    return values


def _json_values(file: SourceFile) -> dict[str, Any]:
    documents = load_documents(file.text, file.path, json_mode=True)
    document = documents[0] if documents else None
    if not isinstance(document, dict):
        raise LoadError("a variables file must hold one JSON object")
    return {str(name): value for name, value in document.items()}
