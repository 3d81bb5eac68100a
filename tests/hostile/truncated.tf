resource "aws_iam_role" "x" {
  name = "unterminated
