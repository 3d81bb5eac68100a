"""The CEL subset of Google Cloud attribute mappings and conditions (``iam.google_cel``)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from oidclint.iam.google_cel import (
    Admission, ByteLength, CelError, Claims, Expression, NotUnderstood, condition_admits,
    evaluate, key_problem, map_attributes, parse, subject_length)
from oidclint.source import OneOf, Partial, Unknown, UnknownField

GITHUB = Claims({
    "sub": "repo:acme/api:ref:refs/heads/main",
    "repository": "acme/api",
    "repository_owner": "acme",
    "repository_owner_id": "1342004",
    "repository_id": "260064828",
    "ref": "refs/heads/main",
    "actor": "octocat",
    "workflow": "deploy",
    "groups": ["admins", "ops"],
    "nested": {"team": "platform"},
})


def value(text: str, claims: Claims = GITHUB, **scope):
    expression = parse(text)
    assert isinstance(expression, Expression), expression
    return evaluate(expression, claims, **scope)


@pytest.mark.parametrize("text, expected", [
    ("assertion.repository_owner == 'acme'", True),
    ("assertion.repository_owner == \"acme\"", True),
    ("assertion.repository_owner != 'acme'", False),
    ("assertion['repository_owner'] == 'acme'", True),
    ("assertion.nested.team == 'platform'", True),
    ("assertion.nested['team']", "platform"),
    ("!(assertion.actor == 'octocat')", False),
    ("!!true", True),
    ("'admins' in assertion.groups", True),
    ("'dev' in assertion.groups", False),
    ("assertion.ref in ['refs/heads/main', 'refs/heads/dev']", True),
    ("assertion.ref.startsWith('refs/heads/')", True),
    ("assertion.ref.startsWith('refs/tags/')", False),
    ("assertion.sub.endsWith(':ref:refs/heads/main')", True),
    ("assertion.sub.contains('acme/api')", True),
    ("assertion.sub.contains('acme/web')", False),
    ("assertion.ref.matches('^refs/heads/(main|release-[0-9]+)$')", True),
    ("assertion.ref.matches('main')", True),  # RE2 search, not anchored
    ("assertion.ref.matches('^main')", False),
    ("assertion.repository.split('/')[1]", "api"),
    ("assertion.repository.split('/')", ["acme", "api"]),
    ("assertion.repository_owner + '/' + assertion.workflow", "acme/deploy"),
    ("1 + 2 == 3", True),
    ("[1, 2][1]", 2),
    ("assertion.actor == 'octocat' ? 'human' : 'bot'", "human"),
    ("assertion.actor == 'x' ? 'human' : 'bot'", "bot"),
    ("r'a\\d' == 'a\\\\d'", True),
    ("'a\\'b' == \"a'b\"", True),
])
def test_operators_and_functions(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize("text, expected", [
    # && binds tighter than ||; relations tighter than &&; + tighter than ==; ! tightest.
    ("true || false && false", True),
    ("(true || false) && false", False),
    ("assertion.repository_owner + '/api' == assertion.repository", True),
    ("!false && false", False),
    ("false ? 'a' : true ? 'b' : 'c'", "b"),
    ("assertion.actor == 'octocat' == true", True),
])
def test_precedence(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("false && assertion.missing == 'x'", False),
    ("assertion.missing == 'x' && false", False),
    ("true || assertion.missing == 'x'", True),
    ("assertion.missing == 'x' || true", True),
])
def test_logical_operators_absorb_errors_both_ways(text, expected):
    assert value(text) is expected


@pytest.mark.parametrize("text, reason", [
    ("assertion.missing == 'x'", "no such key: missing"),
    ("assertion.missing == 'x' && true", "no such key: missing"),
    ("attribute.team == 'x'", "no such key: team"),
    ("assertion.actor.first == 'x'", "no field 'first' on a string"),
    ("assertion.repository.split('/')[5]", "index 5 out of range"),
    ("assertion.actor + 1", "+ on a string and a int"),
    ("assertion.actor && true", "a string where a bool is expected"),
    ("assertion.ref.startsWith(1)", "startsWith() on a string with a int"),
    # A list with an element that raises raises, even where another element would match.
    ("'/' in [assertion.missing, '/']", "no such key: missing"),
])
def test_runtime_errors(text, reason):
    assert value(text) == CelError(reason)


@pytest.mark.parametrize("text, reason, position", [
    ("assertion.x < 3", "operator < is not in the subset read", 12),
    ("size(assertion.sub) == 3", "function size() is not in the subset read", 0),
    ("has(assertion.email)", "function has() is not in the subset read", 0),
    ("assertion.sub.extract('repo:{x}:')", "function extract() is not in the subset read", 14),
    ("assertion.sub.lowerAscii('x')", "function lowerAscii() is not in the subset read", 14),
    ("assertion.a == null", "null is not in the subset read", 15),
    ("assertion.n == 1.5", "number '1.5': only decimal integers are read", 15),
    ("assertion.n == -1", "operator - is not in the subset read", 15),
    ("request.time == 'x'", "unknown name 'request' (a mapping or condition reads assertion, "
                            "attribute and google)", 0),
    ("assertion.a == 'x", "unterminated string", 15),
    ("assertion.a == '''x'''", "triple-quoted strings are not in the subset read", 15),
    ("assertion.a == 'x\\u0041'", "escape \\u is not in the subset read", 17),
    ("(assertion.a == 'x'", "expected ')'", 19),
    ("assertion.a == 'x')", "unexpected ')'", 18),
    ("assertion.a ==", "unexpected end of expression", 14),
    ("assertion.a.startsWith('a', 'b')", "startsWith() takes one argument here", 12),
    ("assertion.a # comment", "unexpected character '#'", 12),
])
def test_not_understood_says_why_and_where(text, reason, position):
    assert parse(text) == NotUnderstood(reason, position)


def test_not_understood_message_counts_characters_from_one():
    assert str(parse("assertion.x < 3")) == \
        "operator < is not in the subset read (character 13)"


def test_an_expression_longer_than_google_takes_is_not_read():
    found = parse("assertion.a == '" + "x" * 5000 + "'")
    assert isinstance(found, NotUnderstood) and "4096" in found.reason


# --- partly known claims ------------------------------------------------------------------

PARTLY = Claims({
    "repository_owner": Partial(("other", Unknown("var.suffix"))),
    "repository": Partial(("acme/", UnknownField("var.repo"))),
    "ref": Partial((Unknown("var.prefix"), "/heads/main")),
    "sub": Partial(("repo:", Unknown("var.repo"), ":ref:refs/heads/main")),
    "actor": Unknown("inputs.actor"),
})


@pytest.mark.parametrize("text, expected", [
    # The known prefix `other` rules `acme` out, whatever the rest is.
    ("assertion.repository_owner == 'acme'", False),
    ("assertion.repository_owner != 'acme'", True),
    ("assertion.repository_owner == 'otherwise'", None),
    ("assertion.actor == 'acme'", None),
    ("assertion.actor != 'acme'", None),
    ("assertion.repository_owner.startsWith('ot')", True),
    ("assertion.repository_owner.startsWith('ac')", False),
    ("assertion.repository_owner.startsWith('otherwise')", None),
    ("assertion.ref.endsWith('/main')", True),
    ("assertion.ref.endsWith('/dev')", False),
    ("assertion.ref.startsWith('refs/')", None),
    ("assertion.sub.contains(':ref:')", True),
    ("assertion.sub.contains('acme')", None),
    ("assertion.ref.matches('main$')", None),
    # An unknown field holds no `/`: the owner is known, and so is the element count.
    ("assertion.repository.split('/')[0] == 'acme'", True),
    ("assertion.repository.split('/')[0] == 'evil'", False),
    ("assertion.sub.split(':')[0] == 'repo'", True),
    ("assertion.sub.split(':')[3] == 'refs/heads/main'", None),
    ("'acme' in [assertion.actor]", None),
    ("'acme' in [assertion.actor, 'acme']", True),
    ("'acme' in [assertion.repository_owner]", False),
    # Three-valued && and ||.
    ("assertion.actor == 'a' && false", False),
    ("assertion.actor == 'a' && true", None),
    ("assertion.actor == 'a' || true", True),
    ("assertion.actor == 'a' || false", None),
    ("!(assertion.actor == 'a')", None),
    ("assertion.actor == 'a' ? 'x' : 'x'", "x"),
])
def test_partly_known_claims(text, expected):
    assert value(text, PARTLY) == expected


def test_a_value_known_to_be_one_of_several_is_decided_when_all_agree():
    claims = Claims({"owner": OneOf("local.org", options=("acme", "acme-labs"))})
    assert value("assertion.owner == 'evil'", claims) is False
    assert value("assertion.owner == 'acme'", claims) is None


def test_an_open_token_leaves_claims_not_listed_unknown():
    claims = Claims({"sub": "repo:acme/api:ref:refs/heads/main"}, closed=False)
    assert value("assertion.environment == 'prod'", claims) is None
    assert value("assertion.environment == 'prod'", Claims({})) == \
        CelError("no such key: environment")


def test_an_expression_written_with_an_input_is_read_with_it_unknown():
    condition = Partial(("assertion.repository_owner == '", Unknown("var.org"), "'"))
    assert value(condition) is None
    assert value(condition, PARTLY) is None
    evil = Partial(("assertion.repository_owner == 'acme-", Unknown("var.suffix"), "'"))
    assert value(evil) is False  # `acme` is not `acme-...`
    assert parse(Partial(("assertion.", Unknown("var.claim"), " == 'x'"))) == \
        NotUnderstood("${var.claim} stands where the expression's own text is", 10)


# --- RE2 (matches) ------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, subject, expected", [
    ("^refs/heads/main$", "refs/heads/main", True),
    ("^refs/heads/main$", "refs/heads/main\n", False),  # RE2's $ is the end of the text
    ("main", "refs/heads/main", True),  # a search, not anchored
    ("\\d+", "v12", True),
    ("^\\w+$", "caf\u00e9", False),  # RE2's \w is ASCII
    ("^\\s$", "\v", False),  # RE2's \s has no vertical tab
    ("^[\\s]$", "\t", True),
    ("^\\S$", "\v", True),
    ("^a\\z", "a", True),
    ("^(?:main|dev)$", "dev", True),
    ("^(?P<branch>main)$", "main", True),
    ("^a{2,3}$", "aaa", True),
    ("^[^/]+/api$", "acme/api", True),
    ("^[[:alpha:]]+/api$", "acme/api", True),
    ("(?i)^MAIN$", "main", True),
])
def test_matches_reads_patterns_as_re2(pattern, subject, expected):
    claims = Claims({"value": subject, "pattern": pattern})
    assert value("assertion.value.matches(assertion.pattern)", claims) is expected


@pytest.mark.parametrize("pattern, reason", [
    ("\\\\pL", "uses RE2 that is not read: \\p classes"),
    ("[\\\\S]", "uses RE2 that is not read: \\S inside a character class"),
    ("a\\\\Z", "is not valid RE2: \\Z is not RE2"),
    ("(a)\\\\1", "is not valid RE2: backreferences are not RE2"),
    ("(?=a)", "is not valid RE2"),
    ("a{1001}", "is not valid RE2: repetition count above 1000"),
    ("(a", "is not valid RE2"),
])
def test_a_literal_pattern_not_read_is_not_understood(pattern, reason):
    found = parse(f"assertion.ref.matches('{pattern}')")
    assert isinstance(found, NotUnderstood) and reason in found.reason, found
    assert found.position == len("assertion.ref.matches(")


def test_a_pattern_not_read_at_run_time_leaves_the_match_unknown():
    claims = Claims({"ref": "refs/heads/main", "pattern": "\\pL"})
    assert isinstance(value("assertion.ref.matches(assertion.pattern)", claims), Unknown)


def test_a_pattern_that_could_backtrack_too_long_is_unknown_not_a_hang():
    claims = Claims({"value": "a" * 40 + "!"})
    for pattern in ("^(a+)+$", "^(a|aa)*$"):
        verdict = value(f"assertion.value.matches('{pattern}')", claims)
        assert isinstance(verdict, Unknown) and "backtrack" in verdict.origin
    # The same patterns on a short text are run, and decide.
    assert value("assertion.value.matches('^(a+)+$')", Claims({"value": "aaa"})) is True
    assert value("'x' + assertion.value == 'xaaa'", Claims({"value": "aaa"})) is True


# --- mappings, conditions and the subject limit -------------------------------------------

# The mapping and condition Google's GitHub example sets up (docs/facts.md, Google Cloud):
# subject, actor, repository and owner mapped; admission restricted to one owner.
GITHUB_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.actor": "assertion.actor",
    "attribute.repository": "assertion.repository",
    "attribute.repository_owner": "assertion.repository_owner",
}


def test_a_mapping_gives_each_attribute_its_value():
    mapped = map_attributes(GITHUB_MAPPING, GITHUB)
    assert mapped.values == {"google.subject": "repo:acme/api:ref:refs/heads/main",
                             "attribute.actor": "octocat", "attribute.repository": "acme/api",
                             "attribute.repository_owner": "acme"}
    assert not mapped.errors and not mapped.not_understood


def test_a_mapping_keeps_errors_and_what_it_does_not_read_apart():
    mapped = map_attributes({"google.subject": "assertion.sub",
                             "attribute.env": "assertion.environment",
                             "attribute.n": "size(assertion.sub)"}, GITHUB)
    assert mapped.errors == {"attribute.env": CelError("no such key: environment")}
    assert mapped.not_understood["attribute.n"].reason == \
        "function size() is not in the subset read"


@pytest.mark.parametrize("condition, claims, expected", [
    ("assertion.repository_owner == 'acme'", GITHUB, True),
    ("assertion.repository_owner == 'evil'", GITHUB, False),
    ("attribute.repository_owner == 'acme'", GITHUB, True),
    ("assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'",
     GITHUB, True),
    ("assertion.repository_owner == 'acme'", PARTLY, False),
    ("'admins' in google.groups", GITHUB, False),  # google.groups not mapped: an error
])
def test_conditions(condition, claims, expected):
    mapped = map_attributes(GITHUB_MAPPING, claims)
    assert condition_admits(condition, claims, mapped).verdict is expected


def test_a_condition_that_raises_or_is_not_a_bool_admits_no_token():
    assert condition_admits("assertion.environment == 'prod'", GITHUB) == \
        Admission(False, error=CelError("no such key: environment"))
    assert condition_admits("assertion.actor", GITHUB) == \
        Admission(False, error=CelError("a string where a bool is expected"))


def test_a_condition_not_read_decides_nothing():
    admission = condition_admits("size(assertion.sub) < 100", GITHUB)
    assert admission.verdict is None and admission.not_understood is not None


def test_groups_are_read_from_the_mapping():
    mapped = map_attributes({"google.subject": "assertion.sub",
                             "google.groups": "assertion.groups"}, GITHUB)
    assert condition_admits("'admins' in google.groups", GITHUB, mapped).verdict is True
    assert condition_admits("'dev' in google.groups", GITHUB, mapped).verdict is False


def test_the_condition_reads_the_claims_and_attributes_it_names():
    expression = parse("assertion.repository_owner == 'acme' && "
                       "attribute.ref.startsWith('refs/') && assertion['aud'] != ''")
    assert expression.references() == {("assertion", "repository_owner"),
                                       ("attribute", "ref"), ("assertion", "aud")}


@pytest.mark.parametrize("key, problem", [
    ("google.subject", None),
    ("google.groups", None),
    ("attribute.repository_owner", None),
    ("attribute.Repo", "'attribute.Repo': a custom attribute's name is 1 to 100 of a-z, 0-9 "
                       "and _"),
    ("attribute." + "x" * 101, None if False else "'attribute." + "x" * 101 + "': a custom "
     "attribute's name is 1 to 100 of a-z, 0-9 and _"),
    ("google.display_name", "'google.display_name' is not google.subject, google.groups or "
                            "attribute.NAME"),
])
def test_mapping_keys(key, problem):
    assert key_problem(key) == problem


def test_subject_length_within_and_past_the_limit():
    assert subject_length(GITHUB_MAPPING, GITHUB) == ByteLength(33, 33)
    assert subject_length(GITHUB_MAPPING, GITHUB).exceeds is False
    long = Claims({"sub": "repo:acme/" + "r" * 120 + ":ref:refs/heads/main"})
    assert subject_length(GITHUB_MAPPING, long).exceeds is True
    # Bytes, not characters: 64 two-byte characters are 128 bytes.
    wide = Claims({"sub": "\u00e9" * 64})
    assert subject_length(GITHUB_MAPPING, wide) == ByteLength(128, 128)


def test_subject_length_of_partly_known_claims_is_a_lower_bound():
    bound = subject_length(GITHUB_MAPPING, PARTLY)
    assert bound == ByteLength(len("repo:") + len(":ref:refs/heads/main"), None)
    assert bound.exceeds is None
    huge = Claims({"sub": Partial(("x" * 130, Unknown("var.rest")))})
    assert subject_length(GITHUB_MAPPING, huge).exceeds is True


def test_subject_length_without_a_subject_mapping_or_with_one_not_read():
    assert subject_length({"attribute.actor": "assertion.actor"}, GITHUB) is None
    assert isinstance(subject_length({"google.subject": "size(assertion.sub)"}, GITHUB),
                      NotUnderstood)
    assert subject_length({"google.subject": "assertion.email"}, GITHUB) == \
        CelError("no such key: email")


# --- properties ---------------------------------------------------------------------------

texts = st.text(alphabet="ab/:-_.", max_size=12)


@given(texts, texts)
def test_equality_matches_python_on_known_text(left, right):
    claims = Claims({"a": left, "b": right})
    assert value("assertion.a == assertion.b", claims) is (left == right)
    assert value("assertion.a != assertion.b", claims) is (left != right)


@given(texts, texts, texts)
def test_a_partly_known_verdict_never_contradicts_a_completion(prefix, rest, literal):
    """Whatever the unknown piece turns out to be, a decided verdict holds for it."""
    partial = Claims({"a": Partial((prefix, Unknown("x")))})
    known = Claims({"a": prefix + rest})
    for text in (f"assertion.a == '{literal}'", f"assertion.a.startsWith('{literal}')",
                 f"assertion.a.endsWith('{literal}')", f"assertion.a.contains('{literal}')",
                 f"assertion.a.split('/')[0] == '{literal}'"):
        verdict = value(text, partial)
        if verdict is not None and not isinstance(verdict, Unknown):
            assert verdict == value(text, known), text


@given(st.text(max_size=40))
def test_any_text_parses_or_is_not_understood(text):
    assert isinstance(parse(text), (Expression, NotUnderstood))


# --- maps, tests not decided, hostile shapes ----------------------------------------------

@pytest.mark.parametrize("text, claims, expected", [
    ("'repository' in assertion", GITHUB, True),
    ("'environment' in assertion", GITHUB, False),
    ("'environment' in assertion", Claims({}, closed=False), None),
    ("'team' in assertion.nested", GITHUB, True),
    ("!('environment' in assertion) || assertion.environment == 'prod'", GITHUB, True),
])
def test_in_a_map_tests_its_keys(text, claims, expected):
    assert value(text, claims) is expected


def test_a_test_not_decided_is_never_equal_to_itself():
    claims = Claims({"actor": Unknown("inputs.actor")})
    assert value("(assertion.actor == 'a') == (assertion.actor == 'a')", claims) is None
    assert value("(assertion.actor == 'a') in [true]", claims) is None
    assert isinstance(value("[assertion.actor][0]", claims), Unknown)


@pytest.mark.parametrize("text, reason", [
    ("(" * 41 + "true" + ")" * 41, "nested more than 40 deep"),
    ("!" * 41 + "true", "nested more than 40 deep"),
    ("[" * 41 + "]" * 41, "nested more than 40 deep"),
    (" + ".join(["'a'"] * 201), "more than 200 operations deep"),
])
def test_expressions_too_deep_to_read_safely_are_not_understood(text, reason):
    found = parse(text)
    assert isinstance(found, NotUnderstood) and found.reason == reason


def test_expressions_within_the_limits_are_read():
    assert value("(" * 40 + "true" + ")" * 40) is True
    assert value(" && ".join(["true"] * 150)) is True
    assert value(" + ".join(["'a'"] * 150)) == "a" * 150


# --- the examples of Google's provider reference (docs/facts.md, GC8) ---------------------

def test_an_aws_mapping_with_a_conditional():
    mapping = {"google.subject": "assertion.arn", "attribute.aws_account": "assertion.account",
               "attribute.environment":
                   "assertion.arn.contains(\":instance-profile/Production\") ? \"prod\" : \"test\""}
    production = Claims({"arn": "arn:aws:iam::999999999999:instance-profile/Production-web",
                         "account": "999999999999"})
    assert map_attributes(mapping, production).values["attribute.environment"] == "prod"
    staging = Claims({"arn": "arn:aws:iam::999999999999:instance-profile/Staging",
                      "account": "999999999999"})
    assert map_attributes(mapping, staging).values["attribute.environment"] == "test"
    unknown = Claims({"arn": Partial(("arn:aws:iam::999999999999:", Unknown("var.role"))),
                      "account": "999999999999"})
    assert isinstance(map_attributes(mapping, unknown).values["attribute.environment"], Unknown)


OIDC_FULL = {
    "google.subject": "\"azure::\" + assertion.tid + \"::\" + assertion.sub",
    "attribute.tid": "assertion.tid",
    "attribute.managed_identity_name": """
      {
        "8bb39bdb-1cc5-4447-b7db-a19e920eb111":"workload1",
        "55d36609-9bcf-48e0-a366-a3cf19027d2a":"workload2"
      }[assertion.oid]
""",
}
AZURE_TOKEN = Claims({"tid": "tenant", "sub": "subject",
                      "oid": "55d36609-9bcf-48e0-a366-a3cf19027d2a",
                      "groups": ["e968c2ef-047c-498d-8d79-16ca1b61e77e"]})


def test_an_oidc_mapping_with_concatenation_and_a_map():
    mapped = map_attributes(OIDC_FULL, AZURE_TOKEN)
    assert mapped.values == {"google.subject": "azure::tenant::subject",
                             "attribute.tid": "tenant",
                             "attribute.managed_identity_name": "workload2"}
    other = Claims({"tid": "tenant", "sub": "subject", "oid": "another"})
    assert map_attributes(OIDC_FULL, other).errors == {
        "attribute.managed_identity_name": CelError("no such key: another")}
    condition = "\"e968c2ef-047c-498d-8d79-16ca1b61e77e\" in assertion.groups"
    assert condition_admits(condition, AZURE_TOKEN, mapped).verdict is True


@pytest.mark.parametrize("text, expected", [
    ("{'a': 'x', 'b': 'y'}['b']", "y"),
    ("'a' in {'a': 'x'}", True),
    ("{'a': 'x'}[assertion.actor]", CelError("no such key: octocat")),
    ("{'a': 'x', 'a': 'y'}['a']", CelError("a map literal with a repeated key")),
])
def test_map_literals(text, expected):
    assert value(text) == expected


def test_a_map_with_a_key_not_known_is_not_known():
    claims = Claims({"actor": Unknown("inputs.actor")})
    assert isinstance(value("{assertion.actor: 'x'}['a']", claims), Unknown)


def test_a_mapping_longer_than_google_takes_is_not_read():
    mapped = map_attributes({"google.subject": "assertion.sub + '" + "x" * 2100 + "'"}, GITHUB)
    assert "2048" in mapped.not_understood["google.subject"].reason


_PIECES = st.sampled_from([
    "assertion.sub", "assertion.groups", "assertion.nested", "attribute.x", "google.subject",
    "'acme'", "'a/b'", "1", "true", "==", "!=", "&&", "||", "!", "in", "+", "?", ":", "(", ")",
    "[", "]", "{", "}", ",", ".", ".split('/')", ".matches('^(a+)+$')", ".startsWith('a')",
    "[0]", "['sub']", " "])


@given(st.lists(_PIECES, max_size=25))
def test_any_arrangement_of_the_subset_parses_and_evaluates_without_raising(pieces):
    """Hostile or broken text never escapes as an exception: it is read, or not understood,
    and what is read evaluates to a value, an unknown, or a CEL error."""
    expression = parse("".join(pieces))
    if isinstance(expression, Expression):
        evaluate(expression, GITHUB, {"x": "y"}, {"subject": "s"})
        evaluate(expression, PARTLY)
        condition_admits("".join(pieces), GITHUB)
