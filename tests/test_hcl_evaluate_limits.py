"""Terraform expressions past the evaluator's limits (depth, size, number length, chains of
locals) and files read beside a module: unknown values and a message, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from oidclint.hcl.evaluate import Environment, evaluate_source
from oidclint.hcl.module import Module
from oidclint.hcl.syntax import parse_file
from oidclint.source import Partial, Span, Unknown
from hcl_evaluate_helpers import local, module


def test_deep_nesting_is_unknown_not_a_crash_and_said():
    mod = module("locals {\n  x = " + "[" * 400 + "]" * 400 + "\n}\n")
    value = mod.local("x", Span("main.tf", 1))
    assert isinstance(value, Unknown) and "nested more than 160 levels deep" in value.origin
    [(span, message)] = mod.problems
    assert (span.line, span.column) == (2, 7)
    assert message == "x: nested more than 160 levels deep; not evaluated"


@pytest.mark.parametrize("expression", [
    "lower(" * 100 + '"repo:*"' + ")" * 100,
    "(" * 1000 + '"repo:*"' + ")" * 1000,
    "9" * 5000,
])
def test_try_never_takes_its_fallback_for_an_expression_past_a_limit(expression):
    # Terraform would evaluate the first argument; the fallback is not what it deploys.
    value = local(f'try({expression}, "repo:acme/api:*")')
    assert isinstance(value, Unknown) and "not evaluated" in value.origin
    assert isinstance(local(f"can({expression})"), Unknown)


def test_a_number_too_long_to_convert_is_unknown_and_said():
    mod = module("locals {\n  x = " + "9" * 5000 + "\n  y = 1" + "0" * 4299 + "\n}\n")
    assert isinstance(mod.local("x", Span("main.tf", 1)), Unknown)
    assert mod.local("y", Span("main.tf", 1)) == 10 ** 4299
    [(_, message)] = mod.problems
    assert message == "x: a number with more than 4,300 digits; not evaluated"


def test_long_chain_of_locals_is_unknown_not_a_crash():
    chain = "\n".join(f"  l{i} = local.l{i + 1}" for i in range(600)) + '\n  l600 = "end"'
    value = local("local.l0", f"locals {{\n{chain}\n}}")
    assert isinstance(value, Unknown)
    assert local("local.l590", f"locals {{\n{chain}\n}}") == "end"


def test_evaluate_source_without_module():
    assert evaluate_source('upper("x")') == "X"
    assert isinstance(evaluate_source("var.x", Environment()), Unknown)


def test_module_reads_files_beside_it(tmp_path: Path):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "trust.json").write_text('{"a": 1}\n')
    mod = Module("infra", parse_file('locals {\n  t = file("${path.module}/trust.json")\n}\n',
                                     "infra/main.tf"), tmp_path)
    value = mod.local("t", Span("infra/main.tf", 1))
    assert value == '{"a": 1}\n'
    assert value.span.path == "infra/trust.json"
    outside = Module("infra", parse_file('locals {\n  t = file("../../etc/passwd")\n}\n',
                                         "infra/main.tf"), tmp_path)
    assert isinstance(outside.local("t", Span("infra/main.tf", 1)), Unknown)


def test_values_that_double_at_every_step_are_refused():
    doubling = "\n".join(f"  l{i + 1} = [local.l{i}, local.l{i}]" for i in range(40))
    value = local("jsonencode(local.l40)", f'locals {{\n  l0 = ["x"]\n{doubling}\n}}')
    assert "a list with more than 200,000 elements" in str(value)  # an inner local gave up
    strings = "\n".join(f'  s{i + 1} = "${{local.s{i}}}${{local.s{i}}}"' for i in range(40))
    value = local("local.s40", f'locals {{\n  s0 = "ab"\n{strings}\n}}')
    assert isinstance(value, (Unknown, Partial)) and "10,000 unknown pieces" in str(value)
    value = local("local.s19", f'locals {{\n  s0 = "ab"\n{strings}\n}}')
    assert isinstance(value, Unknown) and "longer than" in value.origin


def test_infinite_numbers_are_unknown():
    assert isinstance(local('format("%d", 1e400)'), Unknown)
