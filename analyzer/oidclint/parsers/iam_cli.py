"""``aws iam`` commands in shell scripts, Makefiles and workflow ``run`` steps that give a role
the trust policy kept in a file of the tree (and the managed policies they attach to it):

    aws iam create-role --role-name X --assume-role-policy-document file://trust-policy.json
    aws iam update-assume-role-policy --role-name X --policy-document file://trust-policy.json

(https://docs.aws.amazon.com/cli/latest/reference/iam/create-role.html,
https://docs.aws.amazon.com/cli/latest/reference/iam/update-assume-role-policy.html; a
``file://`` path is read relative to the working folder,
https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-parameters-file.html).

Nothing is run: the text is split into words as the shell would (``shlex``), one logical line
at a time. A ``$NAME`` is known when the same script (or Makefile, or the step's ``env``)
gives ``NAME`` one literal value before the command; ``${NAME:-default}``, ``$(...)``, a
Makefile ``?=`` (which the environment overrides) or a name given several values stays
unknown. Quoting is not kept, which does not matter here: a role name or a path holds no
``$``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Callable

from oidclint.model import Inventory, PermissionPolicy, PolicyFileUse
from oidclint.source import SourceFile, Span, Text, Unknown, concat

MARKERS = ("assume-role-policy-document", "update-assume-role-policy")
"""Text a file must hold to give a role a trust policy from a file (the prefilter's test)."""

_COMMANDS = {"create-role": "--assume-role-policy-document",
             "update-assume-role-policy": "--policy-document",
             # Not a trust, but what makes the role privileged (OIDC209):
             # https://docs.aws.amazon.com/cli/latest/reference/iam/attach-role-policy.html
             "attach-role-policy": "--policy-arn"}
_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "|&", ";;", "!", "{", "}"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_EXPANSION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|\{[^}]*\}|\(.*)")
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
    """What follows ``file://``."""
    offset: int
    """Where the command's line starts in the text read."""


def script_commands(text: str, variables: dict[str, Text] | None = None,
                    rewrite: Rewrite | None = None, origin: str = "") -> list[CliCommand]:
    """The commands of a shell script (or a workflow step's ``run``)."""
    known: dict[str, Text] = dict(variables or {})
    given: dict[str, set[str]] = {}
    found = []
    for offset, line in logical_lines(text):
        if "aws" not in line and "=" not in line:
            continue  # neither the command nor an assignment it may use
        extra: dict[str, Text] = {}
        if rewrite is not None:
            line, extra = rewrite(line)
        line = _substitutions(line, extra, origin)
        words = _words(line)
        if words is None:
            continue
        for statement in _statements(words):
            command = _command(statement, {**known, **extra}, offset, origin)
            if command is not None:
                found.append(command)
            elif statement:
                _assign(statement, {**known, **extra}, known, given, origin)
    return found


def makefile_commands(text: str, origin: str = "") -> list[CliCommand]:
    """The commands of a Makefile's recipes, with its variables (``=``, ``:=``, ``::=``)
    put in; a recipe line is its own shell."""
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
        given.setdefault(name, set()).add(value if operator in ("=", ":=", "::=") else "\0")
        if operator in ("=", ":=", "::=") and "$" not in value and len(given[name]) == 1:
            variables[name] = value
        else:
            variables.pop(name, None)
    return found


def parse_scripts(files: list[SourceFile]) -> Inventory:
    """The commands of shell scripts and Makefiles, as uses of policy files."""
    inventory = Inventory()
    for file in files:
        if not any(marker in file.text for marker in MARKERS):
            continue
        name = file.path.rpartition("/")[2]
        makefile = name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk")
        commands = makefile_commands(file.text, file.path) if makefile \
            else script_commands(file.text, origin=file.path)
        folder = file.path.rpartition("/")[0]
        for command in commands:
            line, column = file.position(command.offset)
            record(command, folder, Span(file.path, line, column), inventory)
    return inventory


def record(command: CliCommand, folder: str, span: Span, inventory: Inventory) -> None:
    """A command into the inventory: a use of a policy file, or a managed policy attached
    to a role named by its name."""
    if command.verb == "attach-role-policy":
        inventory.policies.append(PermissionPolicy(
            address=f"aws iam attach-role-policy ({span.path}:{span.line})",
            roles=[command.role_name],
            managed_arn=command.policy, span=span, scope=folder))
        return
    inventory.policy_uses.append(PolicyFileUse(
        role_name=command.role_name, policy=command.policy, folder=folder, span=span,
        command=command.verb))


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) with backslash-newline continuations joined."""
    lines: list[tuple[int, str]] = []
    start, pending = 0, ""
    offset = 0
    for raw in text.split("\n"):
        if not pending:
            start = offset
        offset += len(raw) + 1
        body = raw.rstrip("\r")
        trailing = len(body) - len(body.rstrip("\\"))
        if trailing % 2 == 1:
            pending += body[:-1] + " "
            continue
        lines.append((start, pending + body))
        pending = ""
    if pending:
        lines.append((start, pending))
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
    try:
        start = next(i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == "aws")
    except StopIteration:
        return None
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
    attach = verb == "attach-role-policy"
    if name is None or policy is None or not (attach or policy.startswith("file://")):
        return None  # inline JSON, or fileb:// (not a policy): not a file of the tree
    locals_ = {**known, **_prefix_assignments(words[:start], known)}
    written = policy if attach else policy[len("file://"):]
    return CliCommand(verb, _expand(name, locals_, origin), _expand(written, locals_, origin),
                      offset)


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
        pieces.append(value if value is not None else
                      Unknown(match[0] if not origin else f"{match[0]} in {origin}"))
        end = match.end() if name else len(word)
        if not name:
            break  # `${X:-d}`, `$(...)`: what follows is not known either
    pieces.append(word[end:])
    return concat(p for p in pieces if not (isinstance(p, str) and p == ""))


def _make_expand(line: str, variables: dict[str, str]) -> str:
    """A recipe line with the Makefile's known variables put in; the others become a shell
    expansion no value is known for, and ``$$`` the shell's ``$``."""
    def put(match: re.Match) -> str:
        value = variables.get(match[1])
        return value if value is not None else "${%s}" % match[1].replace(".", "_")
    return _MAKE_REFERENCE.sub(put, line.replace("$$", "\0")).replace("\0", "$")

