"""GitHub Actions composite actions of the scanned repositories: the role and inputs a
calling step gives them."""

from __future__ import annotations

import textwrap

from oidclint.source import Unknown
from github_actions_helpers import ACTION, LOGIN, ROLE, WORKFLOWS, parse_tree, subjects, using


def test_a_local_composite_action_assumes_the_role_its_caller_gives():
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using("./.github/actions/login",
                                         f"        with:\n          role: {ROLE}\n"),
        ".github/actions/login/action.yml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.name == "deploy.yml job deploy → ./.github/actions/login"
    assert workload.role == ROLE and workload.role.span.path == f"{WORKFLOWS}/deploy.yml"
    assert workload.role_span.path == ".github/actions/login/action.yml"
    assert workload.session_name == "ci-login-prod"  # the default; env of the job
    assert workload.span.path == f"{WORKFLOWS}/deploy.yml"
    assert subjects(workload) == [("push to main", "ref:refs/heads/main", False)]
    assert workload.id_token_permission is True
    assert inventory.diagnostics == []


def test_the_calling_step_env_and_inputs_reach_the_action():
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using(
            "./.github/actions/login",
            "        with:\n          role: ${{ env.ROLE }}\n          session: ${{ env.STAGE }}\n",
            f"        env:\n          ROLE: {ROLE}\n          STAGE: canary\n"),
        ".github/actions/login/action.yaml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.role == ROLE
    assert workload.session_name == "canary-canary"


def test_an_input_not_given_and_without_default_is_unknown():
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": using("./.github/actions/login"),
                            ".github/actions/login/action.yml": LOGIN})
    (workload,) = inventory.workloads
    assert workload.role == Unknown("inputs.role", workload.role_span)


def test_actions_of_a_repository_in_a_sub_folder_of_the_scan():
    inventory = parse_tree({
        f"svc/{WORKFLOWS}/deploy.yml": using("./.github/actions/login",
                                             f"        with:\n          role: {ROLE}\n"),
        "svc/.github/actions/login/action.yml": LOGIN,
        ".github/actions/login/action.yml": LOGIN.replace("inputs.role", "inputs.other")})
    (workload,) = inventory.workloads
    assert workload.role == ROLE


def test_nested_composite_actions_and_loops():
    outer = textwrap.dedent(f"""\
        name: outer
        description: calls login, and itself
        runs:
          using: composite
          steps:
            - uses: ./.github/actions/login
              with: {{role: "{ROLE}"}}
            - uses: ./.github/actions/outer
        """)
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": using("./.github/actions/outer"),
                            ".github/actions/outer/action.yml": outer,
                            ".github/actions/login/action.yml": LOGIN})
    assert [(w.name, w.role) for w in inventory.workloads] == [
        ("deploy.yml job deploy → ./.github/actions/outer → ./.github/actions/login", ROLE)]
    assert [d.message for d in inventory.diagnostics] == [
        "local action ./.github/actions/outer uses itself (a loop) or nests too deeply: "
        "not followed"]


def test_other_actions_are_not_followed():
    node = "name: x\ndescription: y\nruns:\n  using: node20\n  main: index.js\n"
    inventory = parse_tree({
        f"{WORKFLOWS}/deploy.yml": using("./.github/actions/node")
        .replace("      - uses: actions/checkout@v4\n",
                 "      - uses: actions/checkout@v4\n      - uses: ./.github/actions/gone\n"),
        ".github/actions/node/action.yml": node})
    assert inventory.workloads == []
    assert [d.message for d in inventory.diagnostics] == [
        "local action ./.github/actions/gone is not among the scanned files"]


def test_steps_of_a_job_and_of_its_action_are_numbered_apart():
    text = using("./.github/actions/login", f"        with:\n          role: {ROLE}\n") + (
        f"      - uses: {ACTION}\n        with:\n          role-to-assume: {ROLE}-2\n")
    inventory = parse_tree({f"{WORKFLOWS}/deploy.yml": text,
                            ".github/actions/login/action.yml": LOGIN})
    assert [(w.name, str(w.role)) for w in inventory.workloads] == [
        ("deploy.yml job deploy step 2 → ./.github/actions/login", ROLE),
        ("deploy.yml job deploy step 3", f"{ROLE}-2")]
