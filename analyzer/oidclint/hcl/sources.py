"""Where a module call's code is, read from a file's text without parsing it (the prefilter
and root detection need it before anything is parsed)."""

from __future__ import annotations

import posixpath
import re

_SOURCE = re.compile(r'source"?\s*[=:]\s*"([^"\n]+)"')
# The argument of `file(` or `templatefile(`; in `.tf.json` the quotes are escaped (`\"x\"`).
_READ_ARGUMENT = re.compile(r'\s*(\\?)"([^"\n]*?)\1"')
_PATH_NAME = re.compile(r"\$\{\s*path\.(?:module|root|cwd)\s*\}")
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def module_sources(text: str) -> list[str]:
    """The ``source`` of every module call written in a file's text (``.tf`` or ``.tf.json``),
    read without parsing it: Terraform requires a literal string there."""
    sources = []
    for match in _SOURCE.finditer(text):
        start = match.start()
        if start and text[start - 1] == '"':  # "source": in .tf.json
            start -= 1
        # Only white space before it on its line (``^\s*``; a regular expression anchored
        # there tries every position of the text and is several times slower).
        if not text[text.rfind("\n", 0, start) + 1:start].strip():
            sources.append(match.group(1))
    return sources


def local_folder(folder: str, source: object) -> str | None:
    """The root-relative folder a local ``source`` names, or ``None`` for other sources and
    for paths that leave the tree
    (https://developer.hashicorp.com/terraform/language/modules/sources#local-paths)."""
    if not isinstance(source, str) or not source.startswith(("./", "../")):
        return None
    target = posixpath.normpath(posixpath.join(folder, str(source)))
    if target == ".." or target.startswith("../") or posixpath.isabs(target):
        return None
    return target


def files_read(text: str) -> list[str]:
    """The files a Terraform file reads with ``file()`` or ``templatefile()`` (``data
    "template_file"`` takes its template from ``file()``), as globs relative to its folder:
    ``${path.module}`` is the folder, any other interpolation a ``*``."""
    globs = []
    # `file(` found by str.find and the argument matched there: a regular expression
    # searching the whole text took half a second on a tree of 8 MB.
    at = text.find("file(")
    while at >= 0:
        before = text[at - 1] if at else " "
        if not (before.isalnum() or before == "_") or text.endswith("template", 0, at):
            match = _READ_ARGUMENT.match(text, at + len("file("))
            if match is not None:
                path = _INTERPOLATION.sub("*", _PATH_NAME.sub(".", match.group(2)))
                if path and "$" not in path and path not in globs:
                    globs.append(path)
        at = text.find("file(", at + 1)
    return globs
