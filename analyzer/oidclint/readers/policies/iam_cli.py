"""``aws iam`` commands in shell scripts, Makefiles and workflow ``run`` steps that give a role
the trust policy kept in a file of the tree (and the managed policies they attach to it):

    aws iam create-role --role-name X --assume-role-policy-document file://trust-policy.json
    aws iam update-assume-role-policy --role-name X --policy-document file://trust-policy.json

(https://docs.aws.amazon.com/cli/latest/reference/iam/create-role.html,
https://docs.aws.amazon.com/cli/latest/reference/iam/update-assume-role-policy.html; a
``file://`` path is read relative to the working folder,
https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-file.html).

A script may write the policy itself first, from a here-document (``cat > trust.json <<EOF``):
the command then uses that text (with ``$NAME`` put in unless the delimiter is quoted,
https://www.gnu.org/software/bash/manual/bash.html#Here-Documents). The permissions it gives
(``put-role-policy``, ``create-policy``) are read from such text or from the file of the tree
the command names. A command handed whole to a function or ``eval`` (``run "aws iam ..."``)
is read as the words it runs as.

Nothing is run: the text is split into words as the shell would (``shlex``), one logical line
at a time. A ``$NAME`` is known when the same script (or Makefile, or the step's ``env``)
gives ``NAME`` one literal value before the command. A default the script writes for a name
it does not assign or for one of its arguments (``${NAME:-default}``, ``${NAME-default}``,
``${NAME:=default}``, ``${1:-default}``, a Makefile ``?=``) is the value, as a Terraform variable's default is: the environment may
override either, and what the repository says is what is judged
(https://www.gnu.org/software/bash/manual/bash.html#Shell-Parameter-Expansion,
https://www.gnu.org/software/make/manual/make.html#Conditional-Assignment). ``$(...)``, a
name given several values, the script's arguments and the shell's special parameters
(``$1``, ``$@`` ...) stay unknown. So does a
placeholder in angle brackets given as a value (``GITHUB_ORG=<your-org>``,
``OWNER=<<owner>>``): the shell would read it as a redirection, but it is text to replace
before the script runs. Quoting is not kept, which does not matter here: a role name or a
path holds no ``$``.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from oidclint.located.documents import LoadError
from oidclint.markers import mentions
from oidclint.model import (
    Diagnostic, Inventory, Level, PermissionPolicy, PolicyFileUse, Related,
)
from oidclint.source import Partial, SourceFile, Span, Text, Unknown, concat

if TYPE_CHECKING:
    from oidclint.located.tree_files import TreeFiles
    from oidclint.model import Role

MARKERS = ("assume-role-policy-document", "update-assume-role-policy", "put-role-policy",
           "attach-role-policy", "create-policy")
"""Text a file must hold to give a role a trust policy or permissions (the prefilter's
test): a script may only attach or write the permissions of a role defined elsewhere."""

_COMMANDS = {"create-role": "--assume-role-policy-document",
             "update-assume-role-policy": "--policy-document",
             # Not a trust, but what makes the role privileged (OIDC209):
             # https://docs.aws.amazon.com/cli/latest/reference/iam/attach-role-policy.html
             "attach-role-policy": "--policy-arn",
             # https://docs.aws.amazon.com/cli/latest/reference/iam/put-role-policy.html
             "put-role-policy": "--policy-document",
             # A customer managed policy an attach-role-policy may name by its ARN:
             # https://docs.aws.amazon.com/cli/latest/reference/iam/create-policy.html
             "create-policy": "--policy-document",
             "create-policy-version": "--policy-document"}
_PERMISSIONS = frozenset({"put-role-policy", "create-policy", "create-policy-version"})
"""Commands whose document is a permissions policy the script writes itself, not a trust."""
_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "|&", ";;", "!", "{", "}"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
# The script's arguments and the shell's special parameters ($1, $@, $? ...):
# https://www.gnu.org/software/bash/manual/bash.html#Special-Parameters
_SPECIAL = "[0-9@*#?$!-]"
_EXPANSION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)"
                        r"|(" + _SPECIAL + r")"
                        r"|\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+):?[-=]([^}$`]*)\}"
                        r"|\{[^}]*\}|\(.*)")
_PLACEHOLDER_ASSIGNMENT = re.compile(r"(?:^|(?<=[\s;&|(]))([A-Za-z_][A-Za-z0-9_]*)=(<<?[^<>\s]+>>?)"
                                     r"(?=$|[\s;&|)])")
"""``NAME=<value>``: a placeholder to replace, not a redirection."""
_MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*"
                              r"(::=|:=|\?=|\+=|!=|=)\s*(.*)$")
_MAKE_REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
_DECLARATIONS = frozenset({"export", "readonly", "local", "declare", "typeset"})
_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "time", "!"})

Rewrite = Callable[[str], tuple[str, dict[str, Text]]]
"""Turns one logical line into shell text, with values for the names it introduced (a
workflow's ``${{ ... }}`` become ``$NAME`` references this way)."""


@dataclass(frozen=True, slots=True)
class CliCommand:
    """One ``aws iam`` command that gives a role a trust policy from a file."""

    verb: str
    role_name: Text
    policy: Text
    """What follows ``file://`` (empty for a policy given inline as JSON text)."""
    offset: int
    """Where the command's line starts in the text read."""
    written: "Written | None" = None
    """The policy, when the script itself writes the file before the command."""
    policy_name: Text | None = None
    """The permissions policy's name (``put-role-policy``, ``create-policy``; the end of the
    ARN of ``create-policy-version``)."""


@dataclass(frozen=True, slots=True)
class Written:
    """A file a script writes from a here-document (``cat > trust.json <<EOF``), with the
    variables the shell puts in (a name not known stays ``${NAME}``)."""

    text: str
    lines: tuple[int, ...]
    """Where each line of ``text`` starts in the script."""


def script_commands(text: str, variables: dict[str, Text] | None = None,
                    rewrite: Rewrite | None = None, origin: str = "") -> list[CliCommand]:
    """The commands of a shell script (or a workflow step's ``run``)."""
    known: dict[str, Text] = dict(variables or {})
    given: dict[str, set[str]] = {}
    written: dict[str, Written] = {}
    found = []
    for offset, line, heredoc in _script_lines(text):
        if "aws" not in line and "=" not in line and heredoc is None:
            continue  # neither the command, an assignment it may use, nor a file it reads
        extra: dict[str, Text] = {}
        if rewrite is not None:
            line, extra = rewrite(line)
        # A command whose output a variable keeps (`out=$(aws iam create-role ...)`) runs
        # all the same.
        for inner in _inner_commands(line):
            inner_words = _words(_placeholders(_substitutions(inner, extra, origin), extra,
                                               origin))
            for statement in _statements(inner_words or []):
                command = _command(statement, {**known, **extra}, offset, origin)
                if command is not None:
                    found.append(_with_written(command, written))
        kept = _HEREDOC_CAPTURE.match(line) if heredoc is not None else None
        if kept is not None:
            # `POLICY=$(cat <<EOF ... EOF\n)`: the variable holds the document's text.
            text = _expand_heredoc(heredoc, {**known, **extra}).text
            _assign([f"{kept[1]}={text}"], {**known, **extra}, known, given, origin)
            continue
        line = _placeholders(_substitutions(line, extra, origin), extra, origin)
        words = _words(line)
        if words is None:
            continue
        if heredoc is not None:
            target = _redirect_target(words)
            key = _file_key(_expand(target, {**known, **extra}, origin)) if target else None
            if key is not None:
                written[key] = _expand_heredoc(heredoc, {**known, **extra})
        for statement in _statements(words):
            command = _command(statement, {**known, **extra}, offset, origin)
            if command is not None:
                found.append(_with_written(command, written))
            elif statement:
                _assign(statement, {**known, **extra}, known, given, origin)
    return found


def _with_written(command: CliCommand, written: dict[str, "Written"]) -> CliCommand:
    """The command with the policy file the script wrote before it, if it did."""
    key = _file_key(command.policy) if command.verb != "attach-role-policy" else None
    own = written.get(key) if key is not None else None
    return replace(command, written=own) if own else command


def _file_key(path: Text | None) -> str | None:
    """What names one file in one run of the script: its path, where a part not known is
    the same part when it comes from the same expansion (`/tmp/trust-$ENV.json` written,
    then read, with `ENV=$1`); None for a path not known at all."""
    return posixpath.normpath(str(path)) if isinstance(path, (str, Partial)) and path else None


_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w.-]*)\2")
_HEREDOC_CAPTURE = re.compile(r"^\s*(?:(?:export|local|readonly|declare)\s+)?"
                              r"([A-Za-z_][A-Za-z0-9_]*)=[\"']?\$\(\s*cat\s*<<")
"""``NAME=$(cat <<EOF``: a here-document kept in a variable."""


def _script_lines(text: str):
    """(offset, logical line, here-document) of a script; a here-document's body is
    ``(quoted delimiter, [(offset, line) ...])`` and its lines are not read as commands."""
    lines = logical_lines(text)
    index = 0
    while index < len(lines):
        offset, line = lines[index]
        index += 1
        match = _HEREDOC.search(_PLACEHOLDER_ASSIGNMENT.sub(r"\1=", line)) \
            if "<<" in line and "<<<" not in line else None
        if match is None:
            yield offset, line, None
            continue
        strip_tabs, quoted, delimiter = match[1] == "-", bool(match[2]), match[3]
        body: list[tuple[int, str]] = []
        # A here-document's lines are taken as written (a backslash at an end is kept).
        position = offset + len(text[offset:].split("\n", 1)[0]) + 1
        for raw in text[position:].split("\n"):
            candidate = raw.rstrip("\r")
            if (candidate.lstrip("\t") if strip_tabs else candidate) == delimiter:
                position += len(raw) + 1
                break
            body.append((position, candidate.lstrip("\t") if strip_tabs else candidate))
            position += len(raw) + 1
        while index < len(lines) and lines[index][0] < position:
            index += 1
        yield offset, line, (quoted, body)


def _redirect_target(words: list[str]) -> str | None:
    """The file ``> FILE`` (or ``tee FILE``) writes."""
    for index, word in enumerate(words[:-1]):
        if word in (">", ">>", ">|", "tee"):
            return words[index + 1]
    return None


def _expand_heredoc(heredoc: tuple[bool, list[tuple[int, str]]],
                    known: dict[str, Text]) -> Written:
    """The text a here-document writes: with ``$NAME`` put in unless its delimiter is
    quoted; a name not known, or not known whole, and a command's output (``$(...)``), are
    written ``${NAME}``."""
    quoted, body = heredoc
    lines = []
    for _, line in body:
        if not quoted:
            # `$(...)` and backquotes run a command there too: what it prints is not known.
            line = _substitutions(line, {}, "")
            line = _HEREDOC_EXPANSION.sub(lambda m: _known_text(m, known), line)
        lines.append(line)
    return Written("\n".join(lines), tuple(offset for offset, _ in body))


_HEREDOC_EXPANSION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+|" + _SPECIAL + r")\}"
                                r"|([A-Za-z_][A-Za-z0-9_]*|" + _SPECIAL + r"))")


def _known_text(match: re.Match, known: dict[str, Text]) -> str:
    """The value of a name the script gave one literal value; ``${NAME}`` (a placeholder the
    policy reader takes as unknown) for any other name, argument or special parameter."""
    name = match[1] or match[2]
    value = known.get(name)
    return str(value) if isinstance(value, str) and not isinstance(value, Partial) \
        else "${" + name + "}"


def makefile_commands(text: str, origin: str = "") -> list[CliCommand]:
    """The commands of a Makefile's recipes, with its variables (``=``, ``:=``, ``::=``,
    ``?=``) put in; a recipe line is its own shell."""
    variables: dict[str, str] = {}
    given: dict[str, set[str]] = {}
    found = []
    for offset, line in logical_lines(text):
        if line.startswith("\t"):
            shell = _make_expand(line.lstrip("\t").lstrip("@-+ "), variables)
            found += [CliCommand(c.verb, c.role_name, c.policy, offset)
                      for c in script_commands(shell, origin=origin)]
            continue
        assignment = _MAKE_ASSIGNMENT.match(line.strip())
        if assignment is None:
            continue
        name, operator, value = assignment.groups()
        value = value.split("#", 1)[0].strip()
        # `?=` sets what the environment does not: its value, as a default is.
        given.setdefault(name, set()).add(value if operator in ("=", ":=", "::=", "?=")
                                          else "\0")
        if operator in ("=", ":=", "::=", "?=") and "$" not in value and len(given[name]) == 1:
            variables[name] = value
        else:
            variables.pop(name, None)
    return found


def parse_scripts(files: list[SourceFile]) -> Inventory:
    """The commands of shell scripts and Makefiles, as uses of policy files."""
    from oidclint.located.tree_files import TreeFiles

    inventory = Inventory()
    for file in files:
        if not any(marker in file.text for marker in MARKERS):
            continue
        name = file.path.rpartition("/")[2]
        makefile = name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk")
        commands = makefile_commands(file.text, file.path) if makefile \
            else script_commands(file.text, origin=file.path)
        folder = file.path.rpartition("/")[0]
        tree = TreeFiles(file.scan_root)
        for command in commands:
            record(command, folder, file.path,
                   lambda offset: Span(file.path, *file.position(offset)), inventory, tree)
    return inventory


def record(command: CliCommand, folder: str, path: str, place: Callable[[int], Span],
           inventory: Inventory, tree: "TreeFiles | None" = None) -> None:
    """A command into the inventory: a role whose trust the script writes itself, a use of
    a policy file of the tree, or a managed policy attached to a role named by its name.
    ``place`` gives where an offset of the text read is in the file ``path``; ``tree`` reads
    the permissions policy files of the tree that commands name (``file://``)."""
    span = place(command.offset)
    if command.verb in _PERMISSIONS:
        _record_permissions(command, folder, span, inventory, tree)
        return
    if command.written is not None:
        from oidclint.readers.policies.policy_file import TRUST_MARKERS, written_role

        # Addressed by the file the script writes, or by the script for a policy given
        # inline in the command or written to a file whose name is not wholly known.
        known_file = isinstance(command.policy, str) and bool(command.policy)
        target = posixpath.normpath(posixpath.join(folder, str(command.policy))) \
            if known_file else path
        origin = Related(span, f"aws iam {command.verb} --role-name {command.role_name}")
        try:
            role = written_role(command.written.text, command.written.lines, place, target,
                                command.role_name, path, origin,
                                written_to=target if known_file else None)
        except LoadError as exc:
            # IAM refuses it where the script runs; a text that names web identity is a
            # trust the scan could not read, and says so.
            if mentions(command.written.text.lower(), TRUST_MARKERS):
                inventory.diagnostics.append(Diagnostic(
                    path, f"the trust policy of `aws iam {command.verb}` is not JSON ({exc}): "
                          "the role it writes is not read", span=span))
            return
        if role is None:
            return
        # The same trust given to the same role again (`create-role` in one branch of an
        # `if`, `update-assume-role-policy` in the other) is one role, named by both.
        same = next((r for r in inventory.roles if r.address == role.address
                     and r.name == role.name and r.scope == role.scope
                     and _same_document(r, role)), None)
        if same is not None:
            same.origins.append(origin)
        else:
            inventory.roles.append(role)
        return
    if command.verb == "attach-role-policy":
        inventory.policies.append(PermissionPolicy(
            address=f"aws iam attach-role-policy ({span.path}:{span.line})",
            roles=[command.role_name],
            managed_arn=command.policy, span=span, scope=folder))
        return
    inventory.policy_uses.append(PolicyFileUse(
        role_name=command.role_name, policy=command.policy, folder=folder, span=span,
        command=command.verb))


def _same_document(first: "Role", second: "Role") -> bool:
    """Whether two roles a script makes have the same trust, statement for statement."""
    def shape(role: "Role") -> list:
        statements = role.trust.statements if role.trust else []
        return [(str(s.effect), [str(a) for a in s.actions],
                 {k: [str(v) for v in vs] for k, vs in s.principals.items()},
                 [(str(c.operator), str(c.key), [str(v) for v in c.values])
                  for c in s.conditions]) for s in statements]
    return shape(first) == shape(second)


def _record_permissions(command: CliCommand, folder: str, span: Span,
                        inventory: Inventory, tree: "TreeFiles | None") -> None:
    """A permissions policy the script writes itself (a here-document, or JSON text in the
    command) or reads from a file of the tree (``file://policy.json``, from the script's
    folder or the root, ``_tree_file``): inline on a role
    (``put-role-policy``), or a customer managed policy (``create-policy``,
    ``create-policy-version``) that ``attach-role-policy`` names by its ARN,
    ``arn:aws:iam::<account>:policy/<name>``. A ``${NAME}`` in a file read is a placeholder
    some tool fills in: unknown."""
    from oidclint.iam.policy import document_from_value
    from oidclint.located.documents import load_json
    from oidclint.readers.policies.policy_file import with_placeholders

    relative = None
    try:
        if command.written is not None:
            value = load_json(command.written.text, span.path)
        else:
            relative = _tree_file(command.policy, folder, tree)
            if relative is None:
                return  # not in the tree: written when the script runs, or not wholly known
            value = with_placeholders(load_json(tree.text(relative), relative))
    except (LoadError, RecursionError, OSError, ValueError) as exc:
        # IAM refuses a document that is not JSON, unless the script fills it in first: the
        # permissions stay unread, and the scan says so.
        # (An OSError's own text would show where the tree lies on this machine.)
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) \
            or "nested too deeply to read"
        command_text = f"`aws iam {command.verb}`"
        if relative is None:
            message = (f"the policy of {command_text} is not JSON ({reason}): the "
                       "permissions it grants are not read")
        else:
            what = f"not JSON ({reason})" if isinstance(exc, (LoadError, RecursionError)) \
                else reason
            message = (f"{what}, so the permissions {command_text} at "
                       f"{span.path}:{span.line} grants from it are not read")
        inventory.diagnostics.append(Diagnostic(
            relative or span.path, message, Level.NOTE, span=None if relative else span))
        return
    inline = command.verb == "put-role-policy"
    name = command.policy_name
    named = f" {name}" if name is not None else ""
    inventory.policies.append(PermissionPolicy(
        address=f"aws iam {command.verb}{named} ({span.path}:{span.line})",
        roles=[command.role_name] if inline else [],
        document=document_from_value(value, span), span=span, scope=folder,
        created_name=None if inline or not isinstance(name, str)
        or isinstance(name, Partial) else str(name)))


def _tree_file(policy: Text, folder: str, tree: "TreeFiles | None") -> str | None:
    """The file of the tree a ``file://`` path names, from the script's folder or from the
    root (where the script may be run from; as for trust files, ``policy_file``); None when
    not wholly known, outside the tree, not there, or no tree is read."""
    if tree is None or not isinstance(policy, str) or not policy:
        return None
    for base in (folder, ""):
        relative = tree.inside(str(policy), base or ".")
        if relative is not None and tree.exists(relative):
            return relative
    return None


_QUOTED_ASSIGNMENT = re.compile(r"^\s*(?:(?:export|local|readonly|declare)\s+)?"
                                r"[A-Za-z_][A-Za-z0-9_]*='")
"""The start of an assignment whose single-quoted value may run over several lines
(``policy='{ ... }'``, JSON kept in a shell variable)."""


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) with backslash-newline continuations joined, and an assignment's
    single-quoted value that goes on over several lines kept with its newlines."""
    lines: list[tuple[int, str]] = []
    start, pending = 0, ""
    quoted = False
    offset = 0
    for raw in text.split("\n"):
        if not pending:
            start = offset
        offset += len(raw) + 1
        body = raw.rstrip("\r")
        if quoted:  # inside a single-quoted value: taken as written, up to its quote
            pending += body
            if body.count("'") % 2 == 1:
                quoted = False
                lines.append((start, pending))
                pending = ""
            else:
                pending += "\n"
            continue
        trailing = len(body) - len(body.rstrip("\\"))
        if trailing % 2 == 1:
            pending += body[:-1] + " "
            continue
        line = pending + body
        if _QUOTED_ASSIGNMENT.match(line) and line.count("'") % 2 == 1 and '"' not in \
                line.split("'", 1)[0]:
            quoted, pending = True, line + "\n"
            continue
        lines.append((start, line))
        pending = ""
    if pending:
        lines.append((start, pending.rstrip("\n")))
    return lines


def _words(line: str) -> list[str] | None:
    """The words and operators of a shell line; ``None`` when it cannot be split (an open
    quote: a here-document's body or a multi-line string)."""
    lexer = shlex.shlex(_without_comment(line), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return None


def _without_comment(line: str) -> str:
    """The line up to an unquoted ``#`` that starts a word."""
    quote = None
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t;&|()"):
            return line[:index]
    return line


def _placeholder_name(unknown: Unknown) -> str:
    """A name for a piece not known, as ``${NAME}`` in a policy's text: the variable it
    came from, or ``command_output``."""
    match = re.match(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", unknown.origin)
    return match[1] if match and not match[1].startswith("__command") else "command_output"


def _inner_commands(line: str) -> list[str]:
    """The ``aws`` commands run in the line's command substitutions (``$(aws ...)``)."""
    found = []
    index = line.find("$(")
    while index != -1:
        end = _substitution_end(line, index)
        inner = line[index + 2:end - 1].strip()
        if inner.startswith("aws "):
            found.append(inner)
        index = line.find("$(", index + 2)
    return found


def _substitutions(line: str, names: dict[str, Text], origin: str) -> str:
    """Each ``$(...)`` and backquoted command as a variable with no known value, so that
    it stays one word."""
    out: list[str] = []
    index = 0
    while index < len(line):
        if line.startswith("$(", index) or line[index] == "`":
            end = _substitution_end(line, index)
            written = line[index:end]
            name = f"__command_{len(names)}"
            names[name] = Unknown(f"{written} in {origin}" if origin else written)
            out.append("${" + name + "}")
            index = end
        else:
            out.append(line[index])
            index += 1
    return "".join(out)


def _placeholders(line: str, names: dict[str, Text], origin: str) -> str:
    """Each ``NAME=<placeholder>`` as an assignment of a value not known."""
    def unknown(match: re.Match) -> str:
        name = f"__placeholder_{len(names)}"
        names[name] = Unknown(f"{match[2]} in {origin}" if origin else match[2])
        return f"{match[1]}=${{{name}}}"
    return _PLACEHOLDER_ASSIGNMENT.sub(unknown, line)


def _substitution_end(line: str, start: int) -> int:
    if line[start] == "`":
        end = line.find("`", start + 1)
        return len(line) if end < 0 else end + 1
    depth = 0
    for index in range(start + 1, len(line)):
        if line[index] == "(":
            depth += 1
        elif line[index] == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(line)


def _statements(words: list[str]) -> list[list[str]]:
    """Words split at the shell's operators, without the reserved words that open a
    compound command (``if``, ``then`` ...)."""
    statements: list[list[str]] = [[]]
    for word in words:
        if word in _OPERATORS or (word and set(word) <= set(";&|()<>")):
            statements.append([])
        elif statements[-1] or word not in _RESERVED:
            statements[-1].append(word)
    return [s for s in statements if s]


def _command(words: list[str], known: dict[str, Text], offset: int,
             origin: str) -> CliCommand | None:
    start = next((i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == "aws"), None)
    if start is None:
        # A command handed whole, as one word, to a function of the script or to `eval`
        # (`run "aws iam create-role ..."`): the words it is split into when it runs.
        whole = next((w for w in words if w.startswith("aws ") and " iam " in w), None)
        inner = _words(whole) if whole is not None else None
        return _command(inner, known, offset, origin) if inner else None
    rest = words[start + 1:]
    try:
        service = next(i for i, w in enumerate(rest[:8]) if w == "iam")
    except StopIteration:
        return None
    if service + 1 >= len(rest) or rest[service + 1] not in _COMMANDS:
        return None
    verb = rest[service + 1]
    options = _options(rest[service + 2:])
    name, policy = options.get("--role-name"), options.get(_COMMANDS[verb])
    policy_name = options.get("--policy-name") or \
        options.get("--policy-arn", "").rpartition("/")[2] or None
    if verb in ("create-policy", "create-policy-version"):
        name = policy_name  # no role: the policy is attached by its ARN
    attach = verb == "attach-role-policy"
    locals_ = {**known, **_prefix_assignments(words[:start], known)}
    if not attach and policy is not None and policy.startswith("$"):
        # JSON kept in a variable of the script (`--policy-document "$policy"`)
        value = _expand(policy, locals_, origin)
        if isinstance(value, Partial) and isinstance(value.parts[0], str):
            # Pieces not known stay placeholders the policy reader takes as unknown.
            value = "".join(p if isinstance(p, str) else "${%s}" % _placeholder_name(p)
                            for p in value.parts)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            policy = str(value)
    inline = not attach and policy is not None and policy.lstrip().startswith("{")
    if name is None or policy is None or not (attach or inline or policy.startswith("file://")):
        return None  # fileb://, or a value not known: no policy to read
    role_name = _expand(name, locals_, origin)
    named = _expand(policy_name, locals_, origin) if policy_name is not None else None
    if inline:
        # The policy as JSON text in the command; the shell has put its variables in.
        text = _HEREDOC_EXPANSION.sub(lambda m: _known_text(m, locals_), policy)
        return CliCommand(verb, role_name, "", offset,
                          Written(text, tuple(offset for _ in text.split("\n"))), named)
    written = policy if attach else policy[len("file://"):]
    return CliCommand(verb, role_name, _expand(written, locals_, origin), offset,
                      policy_name=named)


def _options(words: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and "=" in word:
            key, _, value = word.partition("=")
            options[key] = value
        elif word.startswith("--") and index + 1 < len(words):
            options[word] = words[index + 1]
            index += 1
        index += 1
    return options


def _prefix_assignments(words: list[str], known: dict[str, Text]) -> dict[str, Text]:
    """``NAME=value aws ...``: names set for this command only."""
    found: dict[str, Text] = {}
    for word in words:
        match = _ASSIGNMENT.match(word)
        if match:
            found[match[1]] = _expand(match[2], {**known, **found}, "")
    return found


def _assign(words: list[str], known_now: dict[str, Text], known: dict[str, Text],
            given: dict[str, set[str]], origin: str) -> None:
    """Record ``NAME=value`` statements (``export``, ``readonly`` ... too). A name given
    different values, or a value with an expansion not known, is not known."""
    if words[0] in _DECLARATIONS:
        words = [w for w in words[1:] if not w.startswith("-")]
    elif not _ASSIGNMENT.match(words[0]):
        return
    for word in words:
        match = _ASSIGNMENT.match(word)
        if match is None:
            if word in known:  # `export NAME` keeps its value
                continue
            return  # a command after the assignments: they are its own, not the script's
        name, value = match[1], _expand(match[2], known_now, origin)
        given.setdefault(name, set()).add(str(value))
        if isinstance(value, str) and len(given[name]) == 1:
            known[name] = value
        elif len(given[name]) > 1:
            where = f" in {origin}" if origin else ""
            known[name] = Unknown(f"${name}{where} (given several values)")
        else:
            known[name] = value


def _expand(word: str, known: dict[str, Text], origin: str) -> Text:
    """A word with its ``$NAME`` and ``${NAME}`` put in; other expansions unknown."""
    pieces: list[Text] = []
    end = 0
    for match in _EXPANSION.finditer(word):
        pieces.append(word[end:match.start()])
        name = match[1] or match[2]
        value = known.get(name) if name else None
        if match[4]:  # `${X:-default}`: X's value if the script gives one, else the default
            # (`${1:-acme}`: the argument's default, as for a name the script does not set)
            value = known.get(match[4]) or match[5]
        pieces.append(value if value is not None else
                      Unknown(match[0] if not origin else f"{match[0]} in {origin}"))
        end = match.end() if name or match[3] or match[4] else len(word)
        if not (name or match[3] or match[4]):
            break  # `$(...)`, `${X/a/b}`: what follows is not known either
    pieces.append(word[end:])
    return concat(p for p in pieces if not (isinstance(p, str) and p == ""))


def _make_expand(line: str, variables: dict[str, str]) -> str:
    """A recipe line with the Makefile's known variables put in; the others become a shell
    expansion no value is known for, and ``$$`` the shell's ``$``."""
    def put(match: re.Match) -> str:
        value = variables.get(match[1])
        return value if value is not None else "${%s}" % match[1].replace(".", "_")
    return _MAKE_REFERENCE.sub(put, line.replace("$$", "\0")).replace("\0", "$")

