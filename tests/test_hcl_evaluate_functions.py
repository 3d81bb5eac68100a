"""Terraform functions on known, partly known and unknown values, `jsonencode` and
`jsondecode` among them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.hcl.values import Encoded, UnknownElements
from oidclint.source import LDict, Partial, Unknown
from hcl_evaluate_helpers import call, local


UNKNOWN = Unknown("var.org (no default)")


def partial(*parts: object) -> Partial:
    return Partial(tuple(parts))


# --- functions ----------------------------------------------------------------------------

def test_string_functions():
    assert local('lower("AbC")') == "abc"
    assert local('upper("abc")') == "ABC"
    assert local('trimspace("  x \\n")') == "x"
    assert local('trimprefix("https://h", "https://")') == "h"
    assert local('trimsuffix("a.json", ".json")') == "a"
    assert local('startswith("repo:x", "repo:")') is True
    assert local('endswith("repo:x", ":y")') is False
    assert local('substr("hello", 1, 3)') == "ell"
    assert local('substr("hello", -3, -1)') == "llo"
    assert local('split(",", "a,b")') == ["a", "b"]
    assert local('join("/", ["a", "b"], ["c"])') == "a/b/c"
    assert local('tostring(12)') == "12"
    assert local('tonumber("12")') == 12
    assert local('title("hello world")') == "Hello World"


def test_replace_plain_and_regex():
    assert local('replace("a-b-c", "-", "+")') == "a+b+c"
    assert local('replace("https://h/x", "/^https:\\\\/\\\\//", "")') == "h/x"
    assert local('replace("v1.2", "/(\\\\d+)\\\\.(\\\\d+)/", "$2.$1")') == "v2.1"
    assert local('replace("ab", "/(?P<x>a)/", "[$${x}]")') == "[a]b"
    assert local('replace("a\\nb", "/b$/", "c")') == "a\nc"


def test_format_and_formatlist():
    assert local('format("%s:%s", "repo", "acme/*")') == "repo:acme/*"
    assert local('format("%05d|%-4s|%.2f|%t|%q|%%", 42, "ab", 3.14159, true, "q")') == \
        '00042|ab  |3.14|true|"q"|%'
    assert local('format("%[2]s-%[1]s", "a", "b")') == "b-a"
    assert local('format("%v", [1, "a"])') == '[1,"a"]'
    assert local('formatlist("repo:%s:*", ["a", "b"])') == ["repo:a:*", "repo:b:*"]
    value = local('format("repo:%s/%s:*", var.org, "api")', 'variable "org" {}')
    assert isinstance(value, Partial)
    assert value.parts[0] == "repo:" and value.parts[2] == "/api:*"
    bad = local('format("%s %s", "a")')
    assert isinstance(bad, Unknown) and "not enough arguments" in bad.origin


def test_collection_functions():
    assert local('concat(["a"], ["b", "c"])') == ["a", "b", "c"]
    assert local('element(["a", "b"], 3)') == "b"
    assert local('one(["x"])') == "x"
    assert local("one([])") is None
    assert local('tolist(["a"])') == ["a"]
    assert local('toset(["b", "a", "b"])') == ["a", "b"]  # a set of strings, in lexical order
    assert local('merge({ a = 1, b = 1 }, { b = 2 })') == {"a": 1, "b": 2}
    assert local('coalesce("", null, "x")') == "x"
    assert local('length(["a", "b"])') == 2
    assert local('length("abc")') == 3
    assert local('contains(["a", "b"], "b")') is True
    assert local('distinct(["a", "a", "b"])') == ["a", "b"]
    assert local('flatten([["a"], [["b"]], "c"])') == ["a", "b", "c"]
    assert local('keys({ b = 1, a = 2 })') == ["a", "b"]
    assert local('values({ b = 1, a = 2 })') == [2, 1]
    assert local('lookup({ a = "x" }, "a", "d")') == "x"
    assert local('lookup({ a = "x" }, "b", "d")') == "d"
    assert local('compact(["a", "", null])') == ["a"]
    assert local('concat([["a"], ["b"]]...)') == ["a", "b"]


def test_try_and_can():
    assert local('try({ a = 1 }.b, "fallback")') == "fallback"
    assert local('try({ a = 1 }.a, "fallback")') == 1
    assert local("can([][0])") is False
    assert local('can("x")') is True


def test_functions_keep_what_is_exactly_known():
    declarations = 'variable "more" {}\nvariable "org" {}'
    listed = local('concat(["a"], var.more)', declarations)
    assert listed[0] == "a" and isinstance(listed[1], UnknownElements)
    assert isinstance(local('length(concat(["a"], var.more))', declarations), Unknown)
    assert local('contains(concat(["a"], var.more), "a")', declarations) is True
    lowered = local('lower("REPO:${var.org}")', declarations)
    assert isinstance(lowered, Partial) and lowered.parts[0] == "repo:"
    assert lowered.parts[1].origin == "lower() of var.org (no default)"
    assert isinstance(local("split(\",\", var.org)", declarations), Unknown)
    assert isinstance(local("merge({ a = 1 }, var.more)", declarations), Unknown)
    joined = local('join(":", ["repo", var.org])', declarations)
    assert isinstance(joined, Partial) and joined.known_prefix == "repo:"


def test_unknown_functions_are_named():
    value = local('sha256("x")')
    assert value == Unknown("function sha256", value.span)
    provider = local('provider::aws::arn_parse("x")')
    assert provider.origin == "function provider::aws::arn_parse"


def test_trimprefix_on_partial():
    assert call("trimprefix", partial("https://h/", UNKNOWN), "https://").parts == ("h/", UNKNOWN)
    assert isinstance(call("trimprefix", partial("ht", UNKNOWN), "https://"), Unknown)
    unchanged = call("trimprefix", partial("oidc.", UNKNOWN), "https://")
    assert unchanged.parts == ("oidc.", UNKNOWN)
    assert isinstance(call("trimprefix", partial(UNKNOWN, "x"), "https://"), Unknown)


def test_startswith_on_partial():
    assert call("startswith", partial("repo:acme/", UNKNOWN), "repo:") is True
    assert call("startswith", partial("repo:acme/", UNKNOWN), "project:") is False
    assert isinstance(call("startswith", partial("re", UNKNOWN), "repo:"), Unknown)


def test_replace_on_partial_keeps_what_the_known_text_decides():
    # The scheme of an issuer whose workspace is left to fill in: the `/` after the
    # placeholder could end a `https://` begun in it, so it goes with the placeholder.
    url = partial("https://api.bitbucket.org/2.0/workspaces/", UNKNOWN, "/pipelines-config/oidc")
    host = call("replace", url, "https://", "")
    assert str(host) == ("api.bitbucket.org/2.0/workspaces/${replace() of var.org (no default)}"
                         "pipelines-config/oidc")
    assert str(call("replace", partial("oidc.circleci.com/org/", UNKNOWN), "https://", "")) == \
        "oidc.circleci.com/org/${replace() of var.org (no default)}"
    # A match that may straddle the edge of an unknown piece takes the known text with it.
    assert isinstance(call("replace", partial("https:/", UNKNOWN), "https://", ""), Unknown)
    assert call("replace", partial(UNKNOWN, ":x"), "::", ":").parts[1:] == ("x",)
    # (`//` is a regular expression, an empty one: it matches everywhere.)
    assert isinstance(call("replace", partial(UNKNOWN, ":x"), "//", ":"), Unknown)
    # Known text wholly inside a match that may run through it from both sides.
    assert isinstance(call("replace", partial(UNKNOWN, "tp", UNKNOWN), "https", ""), Unknown)
    # Searches from each place the stretch may be taken up at that never meet (every other
    # `aa`, one way or the other, for 100,000 characters): the stretch stays unsettled.
    assert isinstance(call("replace", partial(UNKNOWN, "a" * 100_001), "aa", "b"), Unknown)
    # One-character patterns never straddle; `$1` expands from the known match.
    assert call("replace", partial("{ab}:", UNKNOWN, ":{cd}"), "/({)|(})/", "").parts[::2] == \
        ("ab:", ":cd")
    assert call("replace", partial("a-b-", UNKNOWN), "/([a-z])-/", "${1}_").parts[0] == "a_b_"
    # Patterns that look around the match, may match nothing or without bound: unknown.
    for pattern in ["/^a/", "/a\\b/", "/x*/", "/a+/"]:
        assert isinstance(call("replace", partial("aaa", UNKNOWN), pattern, "-"), Unknown)
    # A replacement known in part goes in as it is.
    assert str(call("replace", "repo:ORG/*:*", "ORG", UNKNOWN)) == \
        "repo:${var.org (no default)}/*:*"
    assert str(call("replace", "ab", "", UNKNOWN)).count("${") == 3
    # An empty substring is inserted around every character (Go's strings.Replace).
    assert call("replace", "ab", "", "-") == "-a-b-"
    assert isinstance(call("replace", partial("ab", UNKNOWN), "", "-"), Unknown)
    assert str(call("replace", partial("ab", UNKNOWN), "", "")) == str(partial("ab", UNKNOWN))


def _fits(result: object, text: str) -> bool:
    """Whether ``text`` is among the strings ``result`` can be: its known parts as written,
    anything for each unknown piece."""
    if isinstance(result, Unknown):
        return True
    if isinstance(result, Partial):
        glob = "".join(".*" if isinstance(p, Unknown) else re.escape(p) for p in result.parts)
        return re.fullmatch(glob, text, re.DOTALL) is not None
    return str(result) == text


def _fits_list(result: list, texts: list[str]) -> bool:
    """Whether ``texts`` is among the lists ``result`` can be; ``UnknownElements`` stand for
    any number of any elements."""
    if not result:
        return not texts
    head, rest = result[0], result[1:]
    if isinstance(head, UnknownElements):
        return any(_fits_list(rest, texts[n:]) for n in range(len(texts) + 1))
    return bool(texts) and _fits(head, texts[0]) and _fits_list(rest, texts[1:])


_PIECES = st.text(alphabet="ab:/", max_size=5)
_PATTERNS = ["/a/", "/[ab]/", "/a:?/", "/(a)(b)/", "/a|ab/", "/ab|a/", "/[^a]b/", "/a{2}/",
             "/:/", "/b(:|//)a/"]


@settings(max_examples=400)
@given(pieces=st.lists(_PIECES, min_size=2, max_size=4),
       fillings=st.lists(st.text(alphabet="ab:/", max_size=5), min_size=3, max_size=3),
       search=st.one_of(st.text(alphabet="ab:/", min_size=1, max_size=3),
                        st.sampled_from(_PATTERNS)),
       replacement=st.sampled_from(["", "c", "$1", "dd"]))
def test_replace_on_partial_is_never_wrong(pieces, fillings, search, replacement):
    """Whatever the unknown pieces hold (the searched text too), the true result is one of
    the strings the partial result can be."""
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    result = call("replace", value, search, replacement)
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits(result, str(call("replace", filled, search, replacement)))


@settings(max_examples=300)
@given(pieces=st.lists(_PIECES, min_size=2, max_size=4),
       fillings=st.lists(st.text(alphabet="ab:/", max_size=5), min_size=3, max_size=3),
       separator=st.text(alphabet="ab:/", min_size=1, max_size=2))
def test_split_on_partial_is_never_wrong(pieces, fillings, separator):
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    result = call("split", separator, value)
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits_list(result, filled.split(separator))


def test_split_on_partial_keeps_the_elements_the_known_text_decides():
    elements = call("split", "/", partial("acme/api/", UNKNOWN, "/prod"))
    assert elements[:2] == ["acme", "api"] and isinstance(elements[2], UnknownElements)
    assert elements[3] == "prod"
    # The first element of a subject is known even though its end is not.
    assert call("split", ":", partial("repo:", UNKNOWN))[0] == "repo"
    assert isinstance(call("split", ":", UNKNOWN), Unknown)


# --- jsonencode ---------------------------------------------------------------------------

def test_jsonencode_keeps_the_located_value():
    value = local('jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow" }] })')
    assert isinstance(value, Encoded)
    assert value == '{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}'
    assert isinstance(value.decoded, LDict)
    assert value.decoded["Statement"][0]["Effect"].span.line == 3


def test_jsonencode_renders_unknowns():
    value = local('jsonencode({ sub = "repo:${var.org}/*" })', 'variable "org" {}')
    assert value == '{"sub":"repo:${var.org (no default)}/*"}'
    assert isinstance(value.decoded["sub"], Partial)


def test_jsondecode_of_heredoc():
    value = local('jsondecode(<<EOT\n{"a": ["b"]}\nEOT\n)')
    assert value == {"a": ["b"]}


def test_one_document_joined_alone_keeps_its_located_value():
    joined = local('join("", [jsonencode({ Version = "2012-10-17" })])')
    assert isinstance(joined, Encoded) and joined.decoded == {"Version": "2012-10-17"}
    two = local('join("", [jsonencode({ a = 1 }), jsonencode({ b = 2 })])')
    assert two == '{"a":1}{"b":2}' and not isinstance(two, Encoded)
    assert local('join("", [])') == ""


@settings(max_examples=300)
@given(pieces=st.lists(st.text(alphabet="aB:/", max_size=4), min_size=2, max_size=3),
       fillings=st.lists(st.text(alphabet="aB:/", max_size=4), min_size=2, max_size=2),
       function=st.sampled_from(["trimprefix", "trimsuffix", "lower", "upper"]),
       argument=st.text(alphabet="aB:/", max_size=3))
def test_string_functions_on_partial_are_never_wrong(pieces, fillings, function, argument):
    """What ``trimprefix``, ``trimsuffix``, ``lower`` and ``upper`` keep of a string known in
    part holds whatever its unknown pieces hold."""
    unknowns = [Unknown(f"var.u{i}") for i in range(len(pieces) - 1)]
    value = Partial(tuple(p for i, text in enumerate(pieces)
                          for p in ([text] + ([unknowns[i]] if i < len(unknowns) else []))
                          if p != ""))
    args = [value] if function in ("lower", "upper") else [value, argument]
    filled = "".join(text + (fillings[i] if i < len(unknowns) else "")
                     for i, text in enumerate(pieces))
    assert _fits(call(function, *args), str(call(function, filled, *args[1:])))
