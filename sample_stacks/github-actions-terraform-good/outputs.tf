output "deploy_role_arn" {
  description = "Set as role-to-assume in .github/workflows/deploy.yml"
  value       = aws_iam_role.payments_api_deploy.arn
}

output "plan_role_arn" {
  description = "Set as role-to-assume in .github/workflows/plan.yml"
  value       = aws_iam_role.payments_api_plan.arn
}
