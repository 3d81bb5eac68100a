# Identity providers of the shared-services account.

resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com/"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]

  tags = {
    owner = "platform"
  }
}

# Added by the data team for their own workflows.
resource "aws_iam_openid_connect_provider" "github_data" {
  url             = "https://token.actions.githubusercontent.com/"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]

  tags = {
    owner = "data"
  }
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = []

  tags = {
    owner = "mobile"
  }
}
