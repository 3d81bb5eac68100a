resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}

# Lets every pipeline of the acme group on gitlab.com publish release artifacts.
resource "aws_iam_role" "gitlab_release" {
  name        = "gitlab-release-publisher"
  description = "Release artifact uploads from acme/* pipelines on gitlab.com"

  assume_role_policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "GitLabCi",
          "Effect": "Allow",
          "Principal": {
            "Federated": "${aws_iam_openid_connect_provider.gitlab.arn}"
          },
          "Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {
            "StringEquals": {
              "gitlab.com:aud": "https://gitlab.com"
            },
            "StringLike": {
              "gitlab.com:project_path": "acme/*"
            }
          }
        }
      ]
    }
  EOF
}

resource "aws_iam_role_policy" "gitlab_release" {
  name = "publish-releases"
  role = aws_iam_role.gitlab_release.id

  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["s3:PutObject", "s3:PutObjectTagging"],
          "Resource": "arn:aws:s3:::acme-releases/*"
        }
      ]
    }
  EOF
}
