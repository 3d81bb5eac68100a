# oidclint model of terraform-module/gitlab-oidc-provider/aws 0.1.0 to 1.0.1 (before 1.1.0:
# v0.1.0 and v1.0.0 are the same commit; 1.0.1 adds `gitlab_tls_url`, which only feeds the
# thumbprint lookup).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf):
#   https://github.com/terraform-module/terraform-aws-gitlab-oidc-provider/tree/211e2f6a9e271944d4ca47ef1038d3f0acc22abc (v0.1.0, v1.0.0)
#   https://github.com/terraform-module/terraform-aws-gitlab-oidc-provider/tree/4bfbf89c1629068a40530a123475f4698a02eeb3 (v1.0.1)
# Trust: one statement, action sts:AssumeRoleWithWebIdentity, Federated = the provider the
# module creates; StringLike "<provider url as stored>:<match_field>" (`match_field` defaults
# to "sub": gitlab.com:sub for the default `url`) over the entries of `repositories` exactly
# as given. Nothing is added to an entry: "project_path:acme/*" admits every project of the
# group and every ref, and "project_path:acme/api" (no :ref_type/:ref part) matches no GitLab
# subject. There is no condition on `aud` in any release.
# The role and its statement exist only when the module creates the provider
# (create_oidc_provider and create_oidc_role both true): no release can point the role at an
# existing provider.
# The provider: `url` (default https://gitlab.com, also the issuer a self-managed instance
# passes), client ids `aud_value` (default ["https://gitlab.com"]).
# Attachments: each ARN of `oidc_role_attach_policies`. Without a role upstream attaches them
# to the role name "" (fails at apply): the model attaches nothing.
# The input validation (each entry must look like project_path:<group>/<project...> or
# project_path:<group>/*) is not modelled. `gitlab_url` is declared upstream and never used.
# Left out: the tls_certificate lookup and thumbprint_list (`gitlab_tls_url`), tags,
# depends_on, the thumbprint output.

variable "create_oidc_provider" {
  type    = bool
  default = true
}

variable "create_oidc_role" {
  type    = bool
  default = true
}

variable "url" {
  type    = string
  default = "https://gitlab.com"
}

variable "aud_value" {
  type    = list(string)
  default = ["https://gitlab.com"]
}

variable "repositories" {
  type    = list(string)
  default = []
}

variable "match_field" {
  type    = string
  default = "sub"
}

variable "oidc_role_attach_policies" {
  type    = list(string)
  default = []
}

variable "role_name" {
  type    = string
  default = "gitlab-oidc-provider-aws"
}

variable "role_description" {
  type    = string
  default = "Role assumed by the Gitlab OIDC provider."
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

# Accepted so that calls passing them stay valid; they do not change the trust.
variable "gitlab_url" {
  type    = string
  default = "https://gitlab.com"
}

variable "gitlab_tls_url" {
  type    = string
  default = "tls://gitlab.com:443"
}

variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  with_provider = var.create_oidc_provider
  with_role     = var.create_oidc_provider && var.create_oidc_role
}

resource "aws_iam_openid_connect_provider" "this" {
  count = local.with_provider ? 1 : 0

  url            = var.url
  client_id_list = var.aud_value
}

data "aws_iam_policy_document" "trust" {
  count = local.with_role ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.this[0].arn]
    }

    # The key is built from the provider's stored url, as upstream builds it.
    condition {
      test     = "StringLike"
      variable = "${aws_iam_openid_connect_provider.this[0].url}:${var.match_field}"
      values   = var.repositories
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.with_role ? 1 : 0

  name                 = var.role_name
  description          = var.role_description
  max_session_duration = var.max_session_duration
  assume_role_policy   = data.aws_iam_policy_document.trust[0].json
}

resource "aws_iam_role_policy_attachment" "attach" {
  count = local.with_role ? length(var.oidc_role_attach_policies) : 0

  role       = aws_iam_role.this[0].name
  policy_arn = var.oidc_role_attach_policies[count.index]
}

output "oidc_provider_arn" {
  value = try(aws_iam_openid_connect_provider.this[0].arn, "")
}

output "oidc_role" {
  value = try(aws_iam_role.this[0].arn, "")
}

output "policy_document" {
  value = try(data.aws_iam_policy_document.trust[0].json, "")
}
