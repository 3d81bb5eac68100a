locals {
  key = { a = 1 }
}
resource "aws_iam_role" "keyed" {
  name               = jsonencode(zipmap([local.key], ["x"]))
  assume_role_policy = "{}"
}
