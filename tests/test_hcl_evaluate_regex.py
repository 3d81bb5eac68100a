"""Terraform's RE2 regular expressions: the translation, what it refuses, and the bound that
keeps every pattern it runs fast."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidclint.iam.re2 import InvalidPattern, TooSlow, Unsupported, compile_re2, expand_template
from oidclint.source import Unknown
from hcl_evaluate_helpers import local


@pytest.mark.parametrize("pattern, text, expected", [
    (r"^https://", "https://x", True),
    (r"x$", "x\n", False),            # RE2 $ is the end of the text
    (r"(?m)x$", "x\ny", True),
    (r"[[:digit:]]+\z", "ab12", True),
    (r"\Qa.b\E", "aXb", False),
    (r"\x{41}", "A", True),
    (r"(?<name>a)", "a", True),
    (r"a{,2}", "a{,2}", True),       # not a repetition in RE2
    (r"\d", "\u0663", False),         # Perl classes are ASCII
])
def test_re2_translation(pattern, text, expected):
    assert bool(compile_re2(pattern).search(text)) is expected


@pytest.mark.parametrize("pattern, error", [
    (r"(a)\1", InvalidPattern), (r"(?=a)", InvalidPattern), (r"\pL", Unsupported),
    (r"(?U)a+", Unsupported), (r"a(?i)b", Unsupported),
])
def test_re2_rejections(pattern, error):
    with pytest.raises(error):
        compile_re2(pattern)


def test_re2_repetition_counts_above_1000_are_invalid():
    with pytest.raises(InvalidPattern, match="above 1000"):
        compile_re2("a{1001}")
    with pytest.raises(InvalidPattern):
        compile_re2("a{2,1001}")
    assert compile_re2("a{2,1000}").search("aa")
    assert compile_re2(r"\x41\x{42}").search("AB")  # two hex digits are one character
    with pytest.raises(InvalidPattern):
        compile_re2(r"\x4")


# Patterns that make a backtracking matcher take exponential (or high polynomial) time on a
# text like the one given (here short enough for Python to finish anyway, should the guard
# fail; the last test makes them long). RE2 takes linear time on them; the translation
# refuses to run them.
CATASTROPHIC = [
    ("^(a+)+$", "a" * 18 + "b"),
    ("([a-zA-Z]+)*$", "a" * 18 + "1"),
    ("(a|aa)+$", "a" * 20 + "b"),
    ("(a|a?)+$", "a" * 18 + "b"),
    ("(.*a){12}", "a" * 20),
    (r"^(\w+\s?)*$", "word " * 4 + "!"),
    ("(x+x+)+y", "x" * 18),
    (r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|"
     r"([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "a" * 18 + "!"),
    ("(.*)(.*)(.*)(.*)(.*)x", "a" * 30),
    ("a*a*a*a*a*a*a*b", "a" * 20),
    (r"(\d+)*$", "1" * 18 + "x"),
]


@pytest.mark.parametrize("pattern, text", CATASTROPHIC)
def test_catastrophic_backtracking_gives_an_unknown_value(pattern, text):
    for expression in (f'regexall("{pattern}", "{text}")', f'regex("{pattern}", "{text}")',
                       f'replace("{text}", "/{pattern}/", "z")'):
        value = local(expression.replace("\\", "\\\\"))
        assert isinstance(value, Unknown), (expression, value)


@pytest.mark.parametrize("pattern, text, expected", [
    (r"arn:aws:iam::(\d+):role/(.+)", "arn:aws:iam::123456789012:role/ci/" + "x" * 500,
     ["123456789012", "ci/" + "x" * 500]),
    (r"^([a-z0-9-]+\.)*[a-z]+$", "oidc.eks." * 200 + "com", ["eks."]),
    (r"(?i)^https://([^/]+)", "HTTPS://token.actions.githubusercontent.com/x",
     ["token.actions.githubusercontent.com"]),
    (r"(a|b)*c", "ab" * 100 + "c", ["b"]),
])
def test_ordinary_patterns_still_run_on_ordinary_texts(pattern, text, expected):
    [match] = compile_re2(pattern).finditer(text)
    assert [g for g in match.groups()] == expected


def test_a_long_text_is_searched_when_its_runs_keep_the_bound_low():
    # One whitespace character at a time over a megabyte: the closer estimate (runs of each
    # repeated class, characters that can start a match) lets it run.
    text = " a" * 500_000
    assert compile_re2(r"\s+").steps(text) < 5_000_000
    assert compile_re2(r"\s+").sub("", text) == "a" * 500_000


def test_refusal_says_why():
    with pytest.raises(TooSlow, match=r"the pattern `\^\(a\+\)\+\$` could backtrack for more "
                       "than 20,000,000 steps on a text of 41 characters"):
        list(compile_re2("^(a+)+$").finditer("a" * 40 + "b"))
    value = local('regexall("^(a+)+$", "%sb")' % ("a" * 40))
    assert isinstance(value, Unknown) and value.origin.startswith(
        "regexall(): the pattern `^(a+)+$` could backtrack")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab.*+?|()[]^$\\{},0123dw:-", max_size=14),
       st.text(alphabet="ab:-1 ", max_size=30))
def test_any_pattern_is_refused_or_run_within_its_bound(pattern, text):
    """Whatever the pattern, the translator either refuses it or gives a pattern whose search
    is bounded, and a bounded search finds what Python finds with the same expression."""
    try:
        compiled = compile_re2(pattern)
    except (InvalidPattern, Unsupported):
        return
    assert compiled.steps(text) >= len(text)
    try:
        found = [m.span() for m in compiled.finditer(text)]
    except TooSlow:
        assert compiled.steps(text) > 20_000_000
        return
    assert found == [m.span() for m in compiled.compiled.finditer(text)]


def test_catastrophic_patterns_finish_on_long_texts():
    # Every pattern above, on texts up to 100,000 characters, in a process of its own: each
    # search either runs (its bound allows it) or is refused; none hangs.
    program = "\n".join([
        "from oidclint.iam.re2 import TooSlow, compile_re2",
        f"cases = {CATASTROPHIC!r}",
        "for pattern, text in cases:",
        "    for n in (10, 30, 100, 1000, 100_000):",
        "        sample = (text * (n // len(text) + 1))[:n] + text[-1]",
        "        try:",
        "            list(compile_re2(pattern).finditer(sample))",
        "        except TooSlow:",
        "            pass",
        "print('done')",
    ])
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout == "done\n", done.stderr


def test_go_replacement_templates():
    match = re.search(r"(?P<host>[a-z]+)/(\d+)", "abc/12")
    assert expand_template("${host}-$2-$$-$2x-${9}-$", match) == "abc-12-$--" + "-$"
