"""Partly known text with its unknown pieces as holes (``iam.holes``)."""

from __future__ import annotations

import re

from oidclint.iam.holes import HOLE, between, fullmatch, with_holes
from oidclint.source import Partial, Unknown

ORG, REPO = Unknown("var.org"), Unknown("var.repo")


def test_unknown_pieces_become_holes_and_come_back():
    source, unknowns = with_holes(Partial(("repo:", ORG, "/", REPO, ":*")))
    assert source == f"repo:{HOLE}/{HOLE}:*" and unknowns == [ORG, REPO]
    assert between(source, 5, 8, unknowns) == Partial((ORG, "/", REPO))
    assert between(source, 7, 8, unknowns) == REPO  # the second hole is the second unknown
    assert between(source, 0, 5, unknowns) == "repo:"


def test_what_is_not_partly_known_text():
    assert with_holes("repo:acme/api:*") == ("repo:acme/api:*", [])
    assert with_holes(ORG) is None
    assert with_holes(["a"]) is None
    assert with_holes("a\x00b") is None  # a NUL of its own is not a hole


def test_a_regular_expression_reads_the_known_text_around_the_unknowns():
    pattern = re.compile(r"repo:(?P<owner>[^/]+)/(?P<name>[^:]+)(?::(?P<context>.+))?")
    found = fullmatch(pattern, Partial(("repo:", ORG, "/api")))
    assert found == {"owner": ORG, "name": "api", "context": None}
    assert fullmatch(pattern, "repo:acme/api:ref:refs/heads/main")["context"] == \
        "ref:refs/heads/main"
    assert fullmatch(pattern, "project_path:acme/api") is None
    assert fullmatch(pattern, ORG) is None
