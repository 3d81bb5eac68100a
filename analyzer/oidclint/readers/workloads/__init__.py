"""What assumes roles: GitHub Actions workflows and the actions they use (``github_*``),
GitLab CI jobs (``gitlab_ci``, ``gitlab_refs``), Kubernetes ServiceAccounts and
kustomizations (``kubernetes``), the jobs of other CI systems (``circleci``, ``buildkite``,
``bitbucket_pipelines``, recognised by ``ci_pipelines``, with what they share in
``ci_files``) and HCP Terraform workspaces (``hcp_terraform``). Each workload carries the contexts it runs in, so the
subjects and audiences of its tokens can be synthesised.
"""
