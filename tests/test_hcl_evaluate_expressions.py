"""Terraform expressions: literals, templates, traversals, operators and `for`
expressions, with the unknowns and the spans they keep."""

from __future__ import annotations

from oidclint.source import LDict, LList, Partial, Span, Str, Unknown
from hcl_evaluate_helpers import local, module, shape


def test_literals():
    assert local("42") == 42
    assert local("2.5e3") == 2500
    assert local("-1.5") == -1.5
    assert local("true") is True
    assert local("null") is None
    assert local('"a\\tb\\"c\\u00e9"') == 'a\tb"c\u00e9'
    assert local('"$${literal} %%{x}"') == "${literal} %{x}"


def test_literal_string_keeps_its_span():
    mod = module('locals {\n  greeting = "hello"\n}\n')
    value = mod.local("greeting", Span("main.tf", 9))
    assert isinstance(value, Str)
    assert value.span == Span("main.tf", 2, 14, 2, 21)


def test_tuple_and_object_are_located():
    value = local('["a", { Version = "2012-10-17", "Sid" : "x", (local.k) = 1 }]',
                  'locals {\n  k = "Dynamic"\n}')
    assert isinstance(value, LList) and value.span is not None
    obj = value[1]
    assert isinstance(obj, LDict)
    assert obj == {"Version": "2012-10-17", "Sid": "x", "Dynamic": 1}
    key = next(k for k in obj if k == "Version")
    assert key.span.line == value.span.line  # a bare name is the key itself


def test_heredoc_values():
    text = 'locals {\n  plain = <<EOT\nline one\n  line two\nEOT\n  trimmed = <<-EOT\n    a\n      b\n    EOT\n}\n'
    mod = module(text)
    assert mod.local("plain", Span("main.tf", 1)) == "line one\n  line two\n"
    trimmed = mod.local("trimmed", Span("main.tf", 1))
    assert trimmed == "a\n  b\n"
    assert trimmed.span == Span("main.tf", 6, 13, 9, 8)


# --- templates ----------------------------------------------------------------------------

def test_template_with_known_parts_is_a_str_spanning_the_template():
    value = local('"repo:${var.org}/api:*"', 'variable "org" {\n  default = "acme"\n}')
    assert value == "repo:acme/api:*"
    assert isinstance(value, Str)
    assert value.span == Span("main.tf", 5, 7, 5, 30)


def test_template_with_unknown_part_is_partial():
    value = local('"repo:${var.org}/api:*"', 'variable "org" {}')
    assert isinstance(value, Partial)
    assert value.parts[0] == "repo:" and value.parts[2] == "/api:*"
    assert value.parts[1].origin == "var.org (no default)"
    assert value.known_prefix == "repo:"


def test_single_interpolation_keeps_the_value_type():
    assert local('"${[1, 2]}"') == [1, 2]
    assert local('"${3}"') == 3
    assert local('"n=${3}"') == "n=3"
    assert local('"${true}!"') == "true!"


def test_template_directives():
    assert local('"%{ if true }yes%{ else }no%{ endif }"') == "yes"
    assert local('"%{ for i, v in ["a", "b"] }${i}=${v};%{ endfor }"') == "0=a;1=b;"
    assert local('"a  %{~ if false }x%{ endif ~}  b"') == "ab"


def test_template_directive_on_unknown_condition():
    value = local('"x-%{ if var.c }a%{ else }b%{ endif }"', 'variable "c" {}')
    assert isinstance(value, Partial) and value.known_prefix == "x-"
    same = local('"x-%{ if var.c }a%{ else }a%{ endif }"', 'variable "c" {}')
    assert same == "x-a"


def test_heredoc_interpolation_and_directives():
    text = ('variable "org" {}\nlocals {\n  doc = <<-EOT\n    org: ${var.org}\n'
            '    %{ for r in ["api", "web"] ~}\n    - ${r}\n    %{ endfor ~}\n    EOT\n}\n')
    value = module(text).local("doc", Span("main.tf", 1))
    assert isinstance(value, Partial)
    assert value.parts[0] == "org: "
    unknown = value.parts[1]
    assert unknown.origin == "var.org (no default)"
    assert unknown.span.line == 4
    assert value.parts[2] == "\n- api\n- web\n"


def test_unterminated_heredoc_interpolation_is_unknown_not_an_error():
    value = module('locals {\n  x = <<EOT\n${oops\nEOT\n}\n').local("x", Span("main.tf", 1))
    assert isinstance(value, Unknown) and "unterminated" in value.origin


# --- traversal, operators, for ----------------------------------------------------------

def test_index_attribute_and_splat():
    assert local('{ a = [{ b = "x" }, { b = "y" }] }.a[1].b') == "y"
    assert local('{ a = { "k.x" = 1 } }.a["k.x"]') == 1
    assert local('[{ b = 1 }, { b = 2 }][*].b') == [1, 2]
    assert local('[{ b = 1 }, { b = 2 }].*.b') == [1, 2]
    bad = local('[1][3]')
    assert isinstance(bad, Unknown) and "out of range" in bad.origin


def test_a_full_splat_after_a_full_splat_applies_within_each_element():
    """`a[*].b[*].c`: the second splat takes each element of every `b` (a list of lists),
    as Terraform does; the first splat's traversal does not end at the second `[*]`."""
    clusters = '[{ identity = [{ oidc = [{ issuer = "x" }] }] }, { identity = [] }]'
    assert local(f"{clusters}[*].identity[*].oidc.0.issuer") == [["x"], []]
    assert local(f"flatten({clusters}[*].identity[*].oidc[0].issuer)") == ["x"]
    assert local('[[{ a = 1 }], [{ a = 2 }, { a = 3 }]][*][*].a') == [[1], [2, 3]]


def test_unknown_traversal_extends_its_origin():
    value = local("var.cfg.repos[0]", 'variable "cfg" {}')
    assert value.origin == "var.cfg (no default)"
    value = local("module.m.out.inner", 'module "m" {\n  source = "./m"\n}')
    assert value.origin == "module.m.out.inner"


def test_arithmetic_comparison_logic():
    assert local("1 + 2 * 3") == 7
    assert local("7 / 2") == 3.5
    assert local("(7 - 1) / 2") == 3
    assert local("7 % 4") == 3
    assert local('"5" + 1') == 6
    assert local('2 >= 2 && !(1 > 2)') is True
    assert local('"a" == "a" ? "y" : "n"') == "y"
    assert local('[1, "a"] == [1, "a"]') is True
    assert local("1 +\n  2") == 3


def test_unknown_operands():
    declarations = 'variable "n" {}'
    assert isinstance(local("var.n + 1", declarations), Unknown)
    assert local("false && var.n", declarations) is False
    assert local("true || var.n", declarations) is True
    assert isinstance(local("true && var.n", declarations), Unknown)


def test_conditional_on_unknown():
    declarations = 'variable "prod" {}'
    assert local('var.prod ? "x" : "x"', declarations) == "x"
    value = local('var.prod ? "a" : "b"', declarations)
    assert isinstance(value, Unknown) and "var.prod (no default)" in value.origin


def test_for_expressions():
    assert local('[for s in ["a", "b", "c"] : upper(s) if s != "b"]') == ["A", "C"]
    assert local('{ for k, v in { b = 1, a = 2 } : v => k }') == {"2": "a", "1": "b"}
    assert local('{ for s in ["x", "y", "x"] : s => s... }') == {"x": ["x", "x"], "y": ["y"]}
    assert local('[for i, v in ["a"] : "${i}:${v}"]') == ["0:a"]


REPOS = 'variable "repos" {}\nvariable "more" {}\nvariable "flag" {}\nvariable "m" {}'


def test_for_over_a_collection_not_known_keeps_what_every_element_is():
    # Any number of elements (none included), each `repo:acme/<r>:*`.
    every = local('[for r in var.repos : "repo:acme/${r}:*"]', REPOS)
    assert shape(every) == [("each", "repo:acme/?:*")]
    element = every[0].element
    assert element.unknowns[0].origin == "var.repos[*] (no default)"
    # Known elements stay as they are; those not known follow, each of the body's shape.
    assert shape(local('[for s in concat(["a"], var.more) : "repo:acme/${s}:*"]', REPOS)) == \
        ["repo:acme/a:*", ("each", "repo:acme/?:*")]
    # Over a map: key and value both stand for any entry.
    assert shape(local('[for k, v in var.m : "repo:${k}/${v}:*"]', REPOS)) == \
        [("each", "repo:?/?:*")]
    # A filter not known may drop an element: what remains has the shape.
    assert shape(local('[for r in var.repos : "repo:acme/${r}:*" if r != "infra"]', REPOS)) == \
        [("each", "repo:acme/?:*")]
    assert shape(local('[for s in ["a", "b"] : "x/${s}" if var.flag]', REPOS)) == \
        [("each", "x/a"), ("each", "x/b")]
    assert local('[for r in var.repos : r if false]', REPOS) == []
    # Nested: a list of lists, each of any number of elements; flatten makes them one.
    nested = '[for r in var.repos : [for b in var.more : "repo:acme/${r}:ref:refs/heads/${b}"]]'
    assert shape(local(nested, REPOS)) == [("each", [("each", "repo:acme/?:ref:refs/heads/?")])]
    assert shape(local(f"flatten({nested})", REPOS)) == [("each", "repo:acme/?:ref:refs/heads/?")]
    pairs = 'flatten([for r in var.repos : ["repo:acme/${r}:ref:refs/heads/main", "x/${r}"]])'
    assert shape(local(pairs, REPOS)) == [("each", "repo:acme/?:ref:refs/heads/main"),
                                          ("each", "x/?")]
    # A for over the result of another.
    assert shape(local('[for r in [for q in var.repos : "o/${q}"] : "repo:${r}:*"]', REPOS)) \
        == [("each", "repo:o/?:*")]
    # A splat over them takes the attribute of each.
    assert shape(local('[for r in var.repos : { sub = "repo:acme/${r}" }][*].sub', REPOS)) == \
        [("each", "repo:acme/?")]
    # The body evaluated for every element fails: nothing is known of the elements, but the
    # list is still one of elements not known (Terraform would say so when it has them).
    assert shape(local('[for r in var.repos : [r][5]]', REPOS)) == [("each", None)]
    assert shape(local('[for r in var.repos : ["a"][r]]', REPOS)) == [("each", "a")]


def test_for_object_over_a_collection_not_known():
    made = local('{ for r in var.repos : r => "repo:acme/${r}:*" }', REPOS)
    assert shape(made) == {("keys", "?"): "repo:acme/?:*"}
    assert shape(local('values({ for r in var.repos : r => "repo:acme/${r}:*" })', REPOS)) == \
        [("each", "repo:acme/?:*")]
    assert shape(local('keys({ for r in var.repos : "k-${r}" => r })', REPOS)) == \
        [("each", "k-?")]
    assert shape(local('{ for s in ["a"] : s => s... if var.flag }', REPOS)) == \
        {("keys", "a"): [("each", "a")]}
    assert isinstance(local('lookup({ for r in var.repos : r => 1 }, "a", 0)', REPOS), Unknown)
    # Iterating over such a map stands for its entries.
    again = '[for k, v in { for r in var.repos : r => "x/${r}" } : "${k}=${v}"]'
    assert shape(local(again, REPOS)) == [("each", "?=x/?")]


def test_functions_of_lists_whose_length_is_not_known():
    every = '[for r in var.repos : "repo:acme/${r}:*"]'
    assert isinstance(local(f"length({every})", REPOS), Unknown)
    assert isinstance(local(f"one({every})", REPOS), Unknown)
    assert isinstance(local(f"element({every}, 0)", REPOS), Unknown)
    # What is known of every element decides `contains` when it rules the value out.
    assert local(f'contains({every}, "repo:other/x:*")', REPOS) is False
    assert isinstance(local(f'contains({every}, "repo:acme/x:*")', REPOS), Unknown)
    assert isinstance(local(f'contains(concat(["a"], {every}), "repo:acme/x:*")', REPOS), Unknown)
    # A list of only such elements may be empty: coalescelist cannot choose.
    assert isinstance(local(f'coalescelist({every}, ["b"])', REPOS), Unknown)
    assert shape(local(f'coalescelist(concat(["a"], {every}), ["b"])', REPOS)) == \
        ["a", ("each", "repo:acme/?:*")]
    # An unknown element may be null or "": none or one element after compact.
    assert shape(local('compact(["a", var.flag, ""])', REPOS)) == ["a", ("each", None)]
    # Where elements not known sort is not known: they come first, known ones in order.
    assert shape(local(f'sort(concat(["b", "a"], {every}))', REPOS)) == \
        [("each", "repo:acme/?:*"), "a", "b"]
    assert shape(local(f'reverse(concat(["a"], {every}))', REPOS)) == \
        [("each", "repo:acme/?:*"), "a"]
    assert shape(local(f'distinct(concat(["a", "a"], {every}))', REPOS)) == \
        ["a", ("each", "repo:acme/?:*")]
    assert local(f'slice(concat(["a", "b"], {every}), 0, 2)', REPOS) == ["a", "b"]
    assert shape(local(f'tolist(toset({every}))', REPOS)) == [("each", "repo:acme/?:*")]
    # join keeps the known items and puts one unknown piece where the others go.
    assert shape(local('join(",", concat(["a"], var.more, ["b"]))', REPOS)) == "a?,b"
    assert shape(local('join(",", concat(var.more, ["b"]))', REPOS)) == "?b"
    # A variable's type converts what is known of each element.
    typed = local("var.n", 'variable "n" {\n  type = list(string)\n  default = [for i in '
                  'var.repos : 5]\n}\nvariable "repos" {}')
    assert shape(typed) == [("each", "5")]


def test_set_functions():
    assert local('setunion(["repo:acme/api:ref:refs/heads/main"], [])') == \
        ["repo:acme/api:ref:refs/heads/main"]
    assert local('setunion(["b", "a"], ["a", "c"])') == ["a", "b", "c"]
    assert local('setintersection(["a", "b"], ["b", "c"], ["b"])') == ["b"]
    assert local('setsubtract(["a", "b"], ["b"])') == ["a"]
    # Mixed element types become the most general one: `3` and `"3"` are one element.
    assert local('setintersection(["bob", "jane", 3], ["jane", 3, "ajax"], ["3", "jane"])') \
        == ["3", "jane"]
    assert local('toset(["a", "b", 3])') == ["3", "a", "b"]
    objects = local('setunion([{ test = "x" }], [{ test = "x" }, { test = "y" }])')
    assert objects == [{"test": "x"}, {"test": "y"}]
    # Unknown sets: their elements are unknown in number; known ones stay.
    assert shape(local('setunion(["a"], var.more)', REPOS)) == [("each", None), "a"]
    # Membership not known: the element may be there (none or one of it).
    assert shape(local('setintersection(["a", "b"], var.more)', REPOS)) == \
        [("each", "a"), ("each", "b")]
    assert shape(local('setsubtract(["a", "x/1"], [for r in var.repos : "x/${r}"])', REPOS)) \
        == [("each", "x/1"), "a"]
    # ... unless what is known of the other set decides it.
    assert local('setintersection(["a", "b"], concat(["a"], [for r in var.repos : "x/${r}"]))',
                 REPOS) == ["a"]
    assert isinstance(local('setsubtract(var.more, ["a"])', REPOS), Unknown)
