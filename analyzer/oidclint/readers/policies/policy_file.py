"""Standalone IAM policy documents: a JSON or YAML file whose top level is a policy
(``Version``, ``Statement``) that grants web identity, kept for ``aws iam create-role
--assume-role-policy-document file://trust-policy.json``.

Such a file is the trust of a role whose address is the file and whose name is unknown,
until a command of the tree names it (``iam_cli``): ``link_policy_files`` then gives the role
that name, so a workload asking for it is linked. A file a Terraform or CloudFormation role
of the scan reads (``file()``, ``templatefile()``) is that role's trust, not a role of its own:
it is not reported twice. A ``${...}`` or ``{{ ... }}`` in a value is a placeholder some tool
fills in (``envsubst``, a template engine): unknown.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import Any, Callable

from oidclint.iam.policy import document_from_value, grants_web_identity
from oidclint.model import Diagnostic, Inventory, Level, PolicyFileUse, Related, Role
from oidclint.located.documents import CLOUDFORMATION, LoadError, load_documents, load_json
from oidclint.markers import mentions
from oidclint.source import (
    LDict, LList, Partial, SourceFile, Span, Str, Text, Unknown, concat, fill_ins,
    span_of,
)

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}")
_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")


def looks_like_policy(text: str) -> bool:
    """Cheap test before parsing: a policy that may grant web identity."""
    lowered = text.lower()
    return '"statement"' in lowered or "statement:" in lowered


def parse_policy_file(file: SourceFile) -> Inventory | None:
    """The role a standalone trust policy file stands for; ``None`` when the file is not a
    policy granting web identity."""
    if not looks_like_policy(file.text):
        return None
    json_mode = file.text.lstrip("\ufeff \t\r\n").startswith("{")
    try:
        documents = load_documents(file.text, file.path, json_mode=json_mode,
                                   schema=CLOUDFORMATION)
    except (LoadError, RecursionError) as exc:
        return _syntax_error(file, str(exc) or "nested too deeply to read", json_mode)
    if len(documents) != 1 or not is_policy(documents[0]):
        return None
    value = documents[0]
    document = document_from_value(with_placeholders(value), span_of(value))
    if not grants_web_identity(document):
        return None
    role = Role(address=file.path,
                name=Unknown(f"role name (no command of the scan creates it from {file.path})"),
                trust=document, span=span_of(value) or Span(file.path, 1), scope=file.path,
                standalone=True)
    return Inventory(roles=[role], files=[file.path])


def is_policy(value: Any) -> bool:
    """A mapping whose keys are those of a policy document, ``Statement`` among them."""
    if not isinstance(value, dict) or not any(k == "Statement" for k in value):
        return False
    return all(k in ("Version", "Statement", "Id") for k in value)


TRUST_MARKERS = ("assumerolewithwebidentity", "federated")
"""Lower-cased text of a trust policy that grants web identity: what makes a document that
cannot be read worth a diagnostic."""


def _syntax_error(file: SourceFile, reason: str, json_mode: bool) -> Inventory | None:
    if not mentions(file.text.lower(), TRUST_MARKERS):
        return None
    position = _SYNTAX_POSITION.match(reason)
    span = Span(file.path, int(position[1]), int(position[2])) if position else None
    if "%{" in file.text:
        # A Terraform template (`%{ for ... }` directives) is no policy until templatefile()
        # renders it; the role that renders it reads it, and says so if the result is not
        # JSON.
        return Inventory(diagnostics=[Diagnostic(
            file.path, "a Terraform template (`%{ ... }` directives), not a policy on its own: "
                       "read where templatefile() renders it", Level.NOTE, span=span)],
            files=[file.path])
    kind = "JSON" if json_mode else "YAML"
    return Inventory(diagnostics=[Diagnostic(file.path, f"{kind} syntax error: {reason}",
                                             span=span)], files=[file.path])


def with_placeholders(value: Any) -> Any:
    """The value with ``${...}`` and ``{{ ... }}`` pieces of its strings unknown, and the
    fill-in placeholders (``<ACCOUNT_ID>``, ``oidclint.source.fill_ins``) too."""
    if isinstance(value, str):
        if "${" not in value and "{{" not in value:
            return fill_ins(value)
        pieces: list[Any] = []
        end = 0
        for match in _PLACEHOLDER.finditer(value):
            pieces += [value[end:match.start()], Unknown(match[0], span_of(value))]
            end = match.end()
        pieces.append(value[end:])
        return fill_ins(concat([p for p in pieces if not (isinstance(p, str) and p == "")],
                               span_of(value)))
    if isinstance(value, dict):
        return LDict({with_placeholders(k): with_placeholders(v) for k, v in value.items()},
                     span=span_of(value))
    if isinstance(value, list):
        return LList([with_placeholders(v) for v in value], span=span_of(value))
    return value


def written_role(text: str, lines: tuple[int, ...], place: Callable[[int], Span],
                 address: str, name: Text, scope: str, origin: Related,
                 written_to: str | None = None) -> Role | None:
    """The role a script creates with a trust policy it writes itself (a here-document):
    ``lines`` are where each line of ``text`` starts in the script, ``place`` where an
    offset of the script is written, ``written_to`` the file it writes the text to (``None``
    for JSON given in the command). ``None`` when the text is no web identity trust; a
    ``LoadError`` when it is not JSON."""
    try:
        value = load_json(text, scope)
    except RecursionError:
        raise LoadError("nested too deeply to read") from None

    def move(span: Span | None) -> Span | None:
        if span is None or not lines:
            return None
        start = _offset(lines, span.line, span.column)
        end = _offset(lines, span.end_line, span.end_column)
        first, last = place(start), place(end)
        return Span(first.path, first.line, first.column, last.line, last.column)

    value = _moved(with_placeholders(value), move)
    document = document_from_value(value, span_of(value))
    if not is_policy(value) or not grants_web_identity(document):
        return None
    known = isinstance(name, str)
    # A name partly known (`ci-$1`) stays so: the commands of the same run that name the
    # role the same way reach it (its permissions).
    return Role(address=f'{address}["{name}"]' if known else address,
                name=name if isinstance(name, (str, Partial))
                else Unknown(f"role name {name}"), trust=document,
                span=span_of(value) or origin.span, scope=scope, origins=[origin],
                written_to=written_to)


def _offset(lines: tuple[int, ...], line: int, column: int) -> int:
    return lines[min(max(line, 1), len(lines)) - 1] + max(column, 1) - 1


def _moved(value: Any, move: Callable[[Span | None], Span | None]) -> Any:
    """The value with every span moved."""
    if isinstance(value, Str):
        return Str(str(value), move(value.span), value.ref)
    if isinstance(value, Partial):
        return Partial(value.parts, move(value.span), value.ref)
    if isinstance(value, Unknown):
        return Unknown(value.origin, move(value.span), value.ref)
    if isinstance(value, dict):
        return LDict({_moved(k, move): _moved(v, move) for k, v in value.items()},
                     span=move(span_of(value)))
    if isinstance(value, list):
        return LList([_moved(v, move) for v in value], span=move(span_of(value)))
    return value


# -- linking: which role a policy file is the trust of ------------------------------------------

def is_standalone(role: Role) -> bool:
    """A role ``parse_policy_file`` made: addressed by its file."""
    return role.standalone and role.span is not None and role.span.path == role.address


def link_policy_files(inventory: Inventory) -> None:
    """Give each standalone trust file the names the commands of the tree create it with,
    and drop the standalone trusts (files, policy documents) another role of the scan uses."""
    if not any(r.standalone for r in inventory.roles):
        return
    standalone = {r.address: r for r in inventory.roles if is_standalone(r)}
    named: dict[str, list[PolicyFileUse]] = {}
    for use in inventory.policy_uses:
        path = _policy_path(use, standalone)
        if path is not None:
            named.setdefault(path, []).append(use)
    used = _used_by_other_roles(inventory)
    written = {role.written_to for role in inventory.roles if role.written_to}
    kept: list[Role] = []
    for role in inventory.roles:
        if not role.standalone:
            kept.append(role)
        elif role.address in written and is_standalone(role):
            continue  # a script writes this file before creating the role from it: its role
        elif role.address in named and is_standalone(role):
            kept += _named_roles(role, named[role.address])
        elif not _used(role, used):
            kept.append(role)
    inventory.roles = kept


def _policy_path(use: PolicyFileUse, standalone: dict[str, Role]) -> str | None:
    """The standalone policy file a command names: its path from the command's folder, or
    from the root; a path with an unknown head, by its known tail when one file has it."""
    if isinstance(use.policy, Unknown):
        return None
    if isinstance(use.policy, Partial):
        tail = use.policy.known_suffix.lstrip("/")
        if not tail or isinstance(use.policy.parts[-1], Unknown):
            return None
        found = [path for path in standalone if path == tail or path.endswith("/" + tail)]
        return found[0] if len(found) == 1 else None
    written = str(use.policy)
    if written.startswith("/"):
        return None
    for base in (use.folder, ""):
        path = posixpath.normpath(posixpath.join(base, written))
        if path in standalone:
            return path
    return None


def _used_by_other_roles(inventory: Inventory) -> set[Span]:
    """Where the trusts of the roles of the scan are written: a standalone trust written
    there (a file a role reads with ``file()``, a policy document a role's
    ``assume_role_policy`` names) is that role's, not one of its own."""
    return {span for role in inventory.roles if not role.standalone and role.trust is not None
            for span in (s.span for s in role.trust.statements) if span is not None}


def _used(role: Role, used: set[Span]) -> bool:
    """A standalone trust is used when a role's trust has one of its statements, or a
    statement written inside it (a role reading the file with ``file()``)."""
    own = {s.span for s in role.trust.statements} if role.trust else set()
    return bool(own & used) or any(_within(span, role.span) for span in used)


def _within(inner: Span, outer: Span | None) -> bool:
    return outer is not None and inner.path == outer.path and \
        (outer.line, outer.column) <= (inner.line, inner.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _named_roles(role: Role, uses: list[PolicyFileUse]) -> list[Role]:
    """The role once per name the commands give it (addressed ``file["name"]`` when there
    are several); a name not known leaves the name unknown."""
    names: dict[str, Any] = {}
    for use in uses:
        key = str(use.role_name)
        names.setdefault(key, use.role_name)
    roles = []
    for key, name in names.items():
        origins = [Related(u.span, f"aws iam {u.command} --role-name {u.role_name}")
                   for u in uses if str(u.role_name) == key]
        address = role.address if len(names) == 1 else f'{role.address}["{key}"]'
        given = name if isinstance(name, str) else role.name
        if isinstance(name, str) and not isinstance(name, Str):
            given = Str(name, origins[0].span)
        roles.append(replace(role, address=address, name=given,
                             origins=[*role.origins, *origins]))
    return roles
