"""What assumes roles: GitHub Actions workflows and the actions they use (``github_*``),
GitLab CI jobs (``gitlab_ci``, ``gitlab_refs``), Kubernetes ServiceAccounts and
kustomizations (``kubernetes``). Each workload carries the contexts it runs in, so the
subjects and audiences of its tokens can be synthesised.
"""
