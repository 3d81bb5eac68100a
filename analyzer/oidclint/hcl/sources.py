"""Where a module call's code is, read from a file's text without parsing it (the prefilter
and root detection need it before anything is parsed)."""

from __future__ import annotations

import posixpath
import re

_SOURCE = re.compile(r'source"?\s*[=:]\s*"([^"\n]+)"')


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
