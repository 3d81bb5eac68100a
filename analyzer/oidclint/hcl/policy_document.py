"""``data "aws_iam_policy_document"`` blocks as the JSON-shaped policy they render.

Follows the AWS provider's rendering (https://registry.terraform.io/providers/hashicorp/aws/
latest/docs/data-sources/iam_policy_document, and its iam_policy_model.go):
``effect`` defaults to ``Allow``; ``principals`` blocks of one type merge their identifiers;
``condition`` blocks with the same test and variable merge their values (provider 5.14 and
later, hashicorp/terraform-provider-aws pull 33093; the merge is reported, since two blocks
read as AND but act as OR); a lone
``principals { type = "*", identifiers = ["*"] }`` renders as ``"Principal": "*"``;
``source_policy_documents`` come first and ``override_policy_documents`` last, a statement
with the ``sid`` of an earlier one replacing it. Every value keeps the span of the HCL
attribute it came from; a statement spans its block.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Callable

from oidclint.hcl.instances import Scoped, expand
from oidclint.hcl.values import MISSING, UnknownElements, is_unknown, same_value, with_span
from oidclint.source import LDict, LList, Span, Str, Unknown

if TYPE_CHECKING:
    from oidclint.hcl.module import Module

Block = Scoped
Evaluate = Callable[[Block, str], Any]
"""The value of a block's attribute, or ``MISSING``."""
Decode = Callable[[Any], Any]
"""A policy argument (``Encoded``, JSON text, ``Unknown``) as its located JSON value."""

_FIELDS = (("sid", "Sid"), ("effect", "Effect"), ("actions", "Action"),
           ("not_actions", "NotAction"), ("resources", "Resource"),
           ("not_resources", "NotResource"))
_ARGUMENTS = [name for name, _ in _FIELDS]
"""The arguments of a ``statement`` block (its nested blocks are ``principals``,
``not_principals`` and ``condition``)."""


def policy_document(block: Block, address: str, module: "Module") -> LDict:
    """The located JSON of one ``aws_iam_policy_document`` data source."""
    evaluate, decode = module.argument, module.located_policy
    document = LDict(span=block.span)
    version = evaluate(block, "version")
    if version is MISSING or version is None:
        version = Str("2012-10-17", block.span)
    document[Str("Version", block.span)] = version
    policy_id = evaluate(block, "policy_id")
    if policy_id is not MISSING and policy_id is not None:
        document[Str("Id", _value_span(block, "policy_id"))] = policy_id

    statements: list[Any] = []
    for name in ("source_policy_documents", "source_json"):
        _merge(statements, _documents(evaluate(block, name), decode, block.span))
    own: list[Any] = []
    for child in expand(module, block, "statement"):
        if isinstance(child, Unknown):
            own.append(Unknown(f"{child.origin} in {address}", child.span))
        else:
            own.append(_statement(child, module, address))
    _merge(statements, own)
    for name in ("override_policy_documents", "override_json"):
        _merge(statements, _documents(evaluate(block, name), decode, block.span))
    document[Str("Statement", block.span)] = LList(statements, span=block.span)
    return document


def _statement(block: Block, module: "Module", address: str) -> Any:
    evaluate = module.argument
    statement = LDict(span=block.span)
    for attribute, key in _FIELDS:
        value = evaluate(block, attribute)
        if value is not MISSING and value is not None:
            statement[Str(key, _name_span(block, attribute))] = value
    unexpected = _unexpected(block, module, address)
    if unexpected and "Action" not in statement and "NotAction" not in statement:
        # `action = [...]` for `actions`: what the statement was meant to allow is not known.
        statement[Str("Action", block.span)] = Unknown(
            f"the actions of {address} (Terraform rejects `{unexpected[0]}`)", block.span)
    if "Effect" not in statement:
        statement[Str("Effect", block.span)] = Str("Allow", block.header_span)
    for kind, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = expand(module, block, kind)
        if any(isinstance(b, Unknown) for b in blocks):
            unknown = next(b for b in blocks if isinstance(b, Unknown))
            statement[Str(key, unknown.span)] = unknown
            continue
        principals = _principals(blocks, evaluate)
        if principals is not None:
            statement[Str(key, blocks[0].span)] = principals
    conditions = _conditions(block, module, address)
    if conditions is not None:
        statement[Str("Condition", conditions.span)] = conditions
    return statement


def _unexpected(block: Block, module: "Module", address: str) -> list[str]:
    """The arguments of a ``statement`` block the data source does not have, each reported:
    Terraform rejects the configuration ("An argument named ... is not expected here")."""
    unexpected = [name for name in block.attributes if name not in _ARGUMENTS]
    for name in unexpected:
        close = difflib.get_close_matches(name, _ARGUMENTS, n=1)
        hint = f" (`{close[0]}`?)" if close else ""
        module.report(block.attributes[name].span,
                      f"{address}: a `statement` block has no argument `{name}`{hint}; "
                      "Terraform rejects it")
    return unexpected


def _principals(blocks: list[Block], evaluate: Evaluate) -> Any:
    if not blocks:
        return None
    merged = LDict(span=blocks[0].span)
    for block in blocks:
        kind = evaluate(block, "type")
        identifiers = evaluate(block, "identifiers")
        if kind is MISSING or identifiers is MISSING:
            continue
        key = _existing_key(merged, kind) if not is_unknown(kind) else None
        items = merged.setdefault(kind if key is None else key,
                                  LList(span=_list_span(identifiers, block)))
        items.extend(_as_items(identifiers))
    if len(merged) == 1:
        (kind, identifiers), = merged.items()
        if kind == "*" and len(identifiers) == 1 and identifiers[0] == "*":
            return identifiers[0]
    return merged


def _conditions(statement: Block, module: "Module", address: str) -> LDict | None:
    evaluate = module.argument
    found = expand(module, statement, "condition")
    if not found:
        return None
    merged = LDict(span=found[0].span)
    for block in found:
        if isinstance(block, Unknown):
            merged[block] = LDict({block: LList([block], span=block.span)}, span=block.span)
            continue
        test, variable, values = (evaluate(block, n) for n in ("test", "variable", "values"))
        if MISSING in (test, variable, values):
            continue
        # The key points at the `variable` argument, where a fix goes, even when its value
        # comes from a local or a variable.
        test = with_span(test, _value_span(block, "test"))
        variable = with_span(variable, _value_span(block, "variable"))
        key = _existing_key(merged, test) if not is_unknown(test) else None
        keys = merged.setdefault(test if key is None else key, LDict(span=block.span))
        # A key built from an unknown (`${...provider.url}:sub`) is the same string when it
        # is the same expression: Terraform merges those blocks too.
        existing = _existing_key(keys, variable) if not isinstance(variable, Unknown) else None
        if existing is not None:
            module.warn(block.span, (
                f"{address}: two condition blocks test {test} on {variable}; the AWS provider "
                "merges their values, so a request matching any one of them passes (OR, not "
                "AND). Put the values in one block, or use another operator or key for the "
                "second requirement"))
        items = keys.setdefault(variable if existing is None else existing,
                                LList(span=_list_span(values, block)))
        items.extend(_as_items(values))
    return merged


def _documents(value: Any, decode: Decode, span: Span) -> list[Any]:
    """Statements of the documents a ``source_*``/``override_*`` argument names."""
    if value is MISSING or value is None:
        return []
    documents = value if isinstance(value, list) else [value]
    statements: list[Any] = []
    for item in documents:
        if isinstance(item, Unknown):
            statements.append(Unknown(f"statements of {item.origin}", item.span or span))
            continue
        try:
            decoded = decode(item)
        except ValueError:
            decoded = None
        raw = decoded.get("Statement") if isinstance(decoded, dict) else None
        if isinstance(raw, Unknown):
            statements.append(raw)
        elif isinstance(raw, list):
            statements.extend(raw)
        elif isinstance(raw, dict):
            statements.append(raw)
        elif decoded is None or is_unknown(decoded):
            statements.append(Unknown("statements of a policy document that is not known",
                                      getattr(item, "span", None) or span))
    return statements


def _merge(statements: list[Any], new: list[Any]) -> None:
    """Append statements; one with the ``Sid`` of an earlier statement replaces it."""
    for statement in new:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if isinstance(sid, str) and sid:
            for index, existing in enumerate(statements):
                if isinstance(existing, dict) and same_value(existing.get("Sid"), sid):
                    statements[index] = statement
                    break
            else:
                statements.append(statement)
        else:
            statements.append(statement)


def _existing_key(mapping: dict, key: Any) -> Any:
    for existing in mapping:
        if same_value(existing, key):
            return existing
    return None


def _as_items(value: Any) -> list[Any]:
    if isinstance(value, Unknown) and not isinstance(value, UnknownElements):
        return [UnknownElements(value.origin, value.span, value.ref)]
    return list(value) if isinstance(value, list) else [value]


def _list_span(value: Any, block: Block) -> Span:
    return getattr(value, "span", None) or block.span


def _name_span(block: Block, attribute: str) -> Span:
    found = block.attributes.get(attribute)
    return found.span if found else block.span


def _value_span(block: Block, attribute: str) -> Span:
    found = block.attributes.get(attribute)
    return found.value_span if found else block.span
