"""Terraform references: variables, locals, providers, resources and their instances, as
values known, partly known or unknown."""

from __future__ import annotations

from oidclint.source import LList, Partial, Span, Str, Unknown
from hcl_evaluate_helpers import local, module, shape


def test_variables():
    declarations = 'variable "with" {\n  default = "d"\n}\nvariable "without" {\n  type = string\n}'
    assert local("var.with", declarations) == "d"
    missing = local("var.without", declarations)
    assert missing == Unknown("var.without (no default)", missing.span)
    assert missing.span.line == 8  # where it is used
    undeclared = local("var.nope", declarations)
    assert undeclared.origin == "undeclared var.nope"
    assert undeclared.ref == "var.nope"


def test_locals_chain_and_cycles():
    declarations = 'locals {\n  a = "${local.b}-a"\n  b = upper(local.c)\n  c = "c"\n  loop = local.loop\n}'
    assert local("local.a", declarations) == "C-a"
    cycle = local("local.loop", declarations)
    assert isinstance(cycle, Unknown) and "refers to itself" in cycle.origin
    assert local("local.nope", declarations).origin == "undeclared local.nope"


def test_reference_keeps_the_span_of_the_literal_it_resolves_to():
    value = local("local.c", 'locals {\n  c = "value"\n}')
    assert value.span == Span("main.tf", 2, 7, 2, 14)


def test_opaque_names_are_unknown():
    assert local("count.index").origin == "count.index"
    assert local("each.value.name").origin == "each.value.name"
    assert local("terraform.workspace").origin == "terraform.workspace"
    assert local("path.module") == "."


def test_module_outputs_are_unknown():
    declarations = 'module "iam" {\n  source = "./iam"\n}'
    value = local("module.iam.role_arn", declarations)
    assert value.origin == "module.iam.role_arn"
    assert local("module.other.x", declarations).origin.startswith("undeclared module.other")


def test_caller_identity_partition_and_region_are_unknown():
    declarations = ('data "aws_caller_identity" "current" {}\ndata "aws_partition" "p" {}\n'
                    'data "aws_region" "r" {}')
    account = local("data.aws_caller_identity.current.account_id", declarations)
    assert account.origin == "data.aws_caller_identity.current.account_id"
    assert local("data.aws_partition.p.partition", declarations).origin == "data.aws_partition.p.partition"
    assert local("data.aws_region.r.name", declarations).origin == "data.aws_region.r.name"
    arn = local('"arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/x"', declarations)
    assert isinstance(arn, Partial) and arn.known_suffix == ":role/x"


PROVIDER = '''resource "aws_iam_openid_connect_provider" "gh" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}'''


def test_provider_url_is_scheme_less_and_names_the_provider():
    url = local("aws_iam_openid_connect_provider.gh.url", PROVIDER)
    assert url == "token.actions.githubusercontent.com"
    assert isinstance(url, Str) and url.ref == "aws_iam_openid_connect_provider.gh"
    assert url.span == Span("main.tf", 2, 20, 2, 65)
    key = local('"${aws_iam_openid_connect_provider.gh.url}:sub"', PROVIDER)
    assert key == "token.actions.githubusercontent.com:sub"
    stripped = local('replace(aws_iam_openid_connect_provider.gh.url, "https://", "")', PROVIDER)
    assert stripped == "token.actions.githubusercontent.com"


def test_provider_arn():
    arn = local("aws_iam_openid_connect_provider.gh.arn", PROVIDER)
    assert isinstance(arn, Partial)
    assert arn.ref == "aws_iam_openid_connect_provider.gh"
    assert arn.parts == ("arn:aws:iam::", Unknown("account id of aws_iam_openid_connect_provider.gh"),
                         ":oidc-provider/token.actions.githubusercontent.com")
    assert local("aws_iam_openid_connect_provider.gh.client_id_list", PROVIDER) == ["sts.amazonaws.com"]


def test_provider_with_unknown_url():
    declarations = 'variable "issuer" {}\nresource "aws_iam_openid_connect_provider" "x" {\n  url = var.issuer\n}'
    arn = local("aws_iam_openid_connect_provider.x.arn", declarations)
    assert isinstance(arn, Partial) and arn.known_prefix == "arn:aws:iam::"
    assert arn.parts[-1].origin == "var.issuer (no default)"
    url = local("aws_iam_openid_connect_provider.x.url", declarations)
    assert url.ref == "aws_iam_openid_connect_provider.x"


def test_undeclared_resource():
    value = local("aws_iam_openid_connect_provider.gh.arn")
    assert isinstance(value, Unknown)
    assert value.origin.startswith("undeclared aws_iam_openid_connect_provider.gh")
    assert value.ref == "aws_iam_openid_connect_provider.gh"


def test_eks_issuer_carries_the_scheme():
    declarations = 'resource "aws_eks_cluster" "main" {\n  name = "main"\n}'
    issuer = local("aws_eks_cluster.main.identity[0].oidc[0].issuer", declarations)
    assert isinstance(issuer, Partial) and issuer.ref == "aws_eks_cluster.main"
    assert issuer.parts == ("https://oidc.eks.", Unknown("region of aws_eks_cluster.main"),
                            ".amazonaws.com/id/", Unknown("OIDC id of aws_eks_cluster.main"))
    host = local('replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")', declarations)
    assert host.known_prefix == "oidc.eks."
    trimmed = local('trimprefix(aws_eks_cluster.main.identity.0.oidc.0.issuer, "https://")', declarations)
    assert str(trimmed) == str(issuer).removeprefix("https://")
    # The unknown pieces may hold the scheme too: replaced there, they are new unknowns.
    assert [p if isinstance(p, str) else Unknown for p in host.parts] == \
        [p if isinstance(p, str) else Unknown for p in trimmed.parts]
    assert [p.origin for p in host.unknowns] == [
        "replace() of region of aws_eks_cluster.main", "replace() of OIDC id of aws_eks_cluster.main"]
    assert local("aws_eks_cluster.main.name", declarations) == "main"


def test_role_name_and_arn():
    declarations = ('resource "aws_iam_role" "ci" {\n  name = "ci"\n  path = "/deploy/"\n}\n'
                    'resource "aws_iam_role" "gen" {\n  name_prefix = "ci-"\n}')
    name = local("aws_iam_role.ci.name", declarations)
    assert name == "ci" and name.ref == "aws_iam_role.ci"
    assert local("aws_iam_role.ci.id", declarations).ref == "aws_iam_role.ci"
    arn = local("aws_iam_role.ci.arn", declarations)
    assert arn.parts == ("arn:aws:iam::", Unknown("account id of aws_iam_role.ci"), ":role/deploy/ci")
    assert arn.ref == "aws_iam_role.ci"
    generated = local("aws_iam_role.gen.name", declarations)
    assert isinstance(generated, Unknown) and generated.ref == "aws_iam_role.gen"


def test_policy_arn_and_other_attributes():
    declarations = 'resource "aws_iam_policy" "p" {\n  name = "deploy"\n  policy = "{}"\n}'
    arn = local("aws_iam_policy.p.arn", declarations)
    assert str(arn) == "arn:aws:iam::${account id of aws_iam_policy.p}:policy/deploy"
    assert arn.ref == "aws_iam_policy.p"
    assert local("aws_iam_policy.p.policy", declarations) == "{}"
    other = local("aws_iam_policy.p.tags_all", declarations)
    assert other.origin == "aws_iam_policy.p.tags_all" and other.ref == "aws_iam_policy.p"


def test_resource_with_count_is_indexable_and_splattable():
    declarations = 'resource "aws_iam_role" "r" {\n  count = 2\n  name = "r-${count.index}"\n}'
    name = local("aws_iam_role.r[1].name", declarations)
    assert name == "r-1" and name.ref == "aws_iam_role.r[1]"
    names = local("aws_iam_role.r[*].name", declarations)
    assert isinstance(names, LList) and names == ["r-0", "r-1"]
    unknown = 'variable "n" {}\nresource "aws_iam_role" "r" {\n  count = var.n\n' \
              '  name = "r-${count.index}"\n}'
    name = local("aws_iam_role.r[0].name", unknown)
    assert isinstance(name, Partial) and name.known_prefix == "r-"


def test_the_instances_of_a_resource_as_a_value():
    """`for_each = aws_x.this` (a `dynamic` block, a `for`) iterates the instances: a list by
    `count.index`, a map by `each.key`, each an object whose attributes are read as known."""
    mod = module('''
resource "aws_iam_openid_connect_provider" "counted" {
  count = 2
  url   = "https://gitlab.com"
}
resource "aws_iam_openid_connect_provider" "keyed" {
  for_each = toset(["b.example", "a.example"])
  url      = "https://${each.key}"
}
variable "n" {}
resource "aws_iam_openid_connect_provider" "unknown" {
  count = var.n
  url   = "https://gitlab.com"
}
locals {
  counted = [for p in aws_iam_openid_connect_provider.counted : p.url]
  keyed   = { for k, p in aws_iam_openid_connect_provider.keyed : k => p.url }
  arns    = [for p in aws_iam_openid_connect_provider.keyed : p.arn]
  unknown = [for p in aws_iam_openid_connect_provider.unknown : p.url]
}
''')
    span = Span("main.tf", 1)
    assert mod.local("counted", span) == ["gitlab.com", "gitlab.com"]
    assert mod.local("keyed", span) == {"a.example": "a.example", "b.example": "b.example"}
    arn = mod.local("arns", span)[0]
    assert isinstance(arn, Partial) and str(arn).endswith(":oidc-provider/a.example")
    # How many instances is not known: any number of them, each as configured.
    assert shape(mod.local("unknown", span)) == [("each", "gitlab.com")]


def _statements_over(urls: str, tmp_path) -> list:
    """The trust statements a `dynamic "statement"` over the list ``urls`` generates."""
    from oidclint.terraform_roots import parse_terraform
    from oidclint.source import SourceFile
    text = f'''
variable "org" {{}}
variable "other" {{}}
data "aws_iam_policy_document" "this" {{
  dynamic "statement" {{
    for_each = {urls}
    content {{
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {{
        type        = "Federated"
        identifiers = ["arn:aws:iam::123456789012:oidc-provider/${{statement.value}}"]
      }}
    }}
  }}
}}
resource "aws_iam_role" "this" {{
  assume_role_policy = data.aws_iam_policy_document.this.json
}}
'''
    (tmp_path / "main.tf").write_text(text)
    role, = parse_terraform([SourceFile("main.tf", tmp_path / "main.tf", text, "terraform")]).roles
    return role.trust.statements


def test_a_dynamic_block_over_elements_known_in_part_makes_one_block_each(tmp_path):
    """A list (or set) whose elements are known only in part still has a known number of
    elements when no two of them can be equal: one block each, its iterator value as known
    as the element."""
    two = _statements_over('["oidc.circleci.com/org/${var.org}", "gitlab.com"]', tmp_path)
    assert [s.unknown for s in two] == [None, None]
    first = two[0].principals["Federated"][0]
    assert isinstance(first, Partial) and first.known_prefix.endswith("org/")
    assert two[1].principals["Federated"] == ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    # `toset` of two values that may be the same one may hold a single element: not known.
    for urls in ['toset(["oidc.circleci.com/org/${var.org}", "oidc.circleci.com/org/x"])',
                 '[var.org, var.other]']:
        statement, = _statements_over(urls, tmp_path)
        assert statement.unknown is not None
