# oidclint model of terraform-module/gitlab-oidc-provider/aws 1.1.0 on (1.1.0 is the newest
# tag; the default branch has the same Terraform files).
# Written by oidclint from reading, not copied. Files read (main.tf, variables.tf, outputs.tf,
# versions.tf):
#   https://github.com/terraform-module/terraform-aws-gitlab-oidc-provider/tree/ad489a336efde681c068e3c7f9a05701857ef19a (v1.1.0)
# Trust, provider and attachments as 0.1.0-1.0.1 (see ../v1.0/main.tf): one statement,
# sts:AssumeRoleWithWebIdentity, StringLike "<provider url as stored>:<match_field>" over the
# entries exactly as given; no condition on `aud`; the role exists only with the module's
# provider.
# Changes from 1.0.x that alter the call: `repositories` -> `project_paths`; `gitlab_url`
# (unused) is gone. The validation no longer anchors `project_path:` at the start of an entry.
# As tagged, variables.tf puts unescaped quotes inside the `project_paths` error_message, which
# is an HCL syntax error: Terraform cannot load 1.1.0 (find_model says so on the call). The
# model renders the trust the call asks for.
# The input validation is not modelled.
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

variable "project_paths" {
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
      values   = var.project_paths
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
