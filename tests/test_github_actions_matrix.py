"""GitHub Actions matrix jobs: the combinations GitHub runs, and the environment and role
each combination gives."""

from __future__ import annotations

import pytest

from oidclint.source import Unknown
from github_actions_helpers import ROLE, job, only, parse, subjects


def test_environment_from_a_matrix_gives_one_context_each():
    workload = only(job("on: push\n", body="""\
        strategy:
          matrix:
            stage: [staging, production]
        environment: ${{ matrix.stage }}
        """))
    assert [str(c.subject) for c in workload.contexts] == [
        "environment:staging", "environment:production"]


def test_environment_matrix_include_entries_count_too():
    workload = only(job("on: push\n", body="""\
        strategy:
          matrix:
            region: [eu, us]
            include:
              - {env: sandbox}
              - {env: live, region: eu}
        environment: ${{ matrix.env }}
        """))
    # region eu takes `live` (an include may overwrite what an earlier one added), us keeps
    # `sandbox`.
    assert sorted(str(c.subject) for c in workload.contexts) == [
        "environment:live", "environment:sandbox"]
    assert workload.contexts[0].span.line == 13  # where the environment is named


# -- matrix combinations -----------------------------------------------------------------------

@pytest.mark.parametrize("matrix, combinations", [
    ({"a": [1, 2], "b": ["x"]}, [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]),
    ({"a": [1, 2], "b": ["x", "y"], "exclude": [{"a": 2, "b": "y"}]},
     [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}]),
    # An include entry joins every combination whose original values it keeps ...
    ({"a": [1, 2], "include": [{"c": "z"}]}, [{"a": 1, "c": "z"}, {"a": 2, "c": "z"}]),
    # ... may overwrite what an earlier include added, and stands alone when it fits none.
    ({"a": [1, 2], "include": [{"c": "z"}, {"a": 1, "c": "w"}, {"a": 3}]},
     [{"a": 1, "c": "w"}, {"a": 2, "c": "z"}, {"a": 3}]),
    ({"include": [{"env": "dev"}, {"env": "prod"}]}, [{"env": "dev"}, {"env": "prod"}]),
    # GitHub's own example of include: six jobs.
    ({"fruit": ["apple", "pear"], "animal": ["cat", "dog"],
      "include": [{"color": "green"}, {"color": "pink", "animal": "cat"},
                  {"fruit": "apple", "shape": "circle"}, {"fruit": "banana"},
                  {"fruit": "banana", "animal": "cat"}]},
     [{"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
      {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
      {"fruit": "pear", "animal": "cat", "color": "pink"},
      {"fruit": "pear", "animal": "dog", "color": "green"},
      {"fruit": "banana"}, {"fruit": "banana", "animal": "cat"}]),
    # Not written out: not known.
    ("${{ fromJSON(needs.plan.outputs.matrix) }}", None),
    ({"a": "${{ fromJSON(inputs.list) }}"}, None),
    ({"a": [1], "include": "${{ fromJSON(inputs.more) }}"}, None),
    ({"a": list(range(17)), "b": list(range(17))}, None),  # past GitHub's 256 jobs
])
def test_matrix_combinations_follow_githubs_include_and_exclude_rules(matrix, combinations):
    from oidclint.readers.workloads.github_matrix import matrix_combinations

    assert matrix_combinations({"strategy": {"matrix": matrix}}) == combinations
    assert matrix_combinations({}) is None


MATRIX_ROLES = """\
    strategy:
      matrix:
        include:
          - {stage: staging, account: "111111111111"}
          - {stage: production, account: "222222222222"}
    environment: ${{ matrix.stage }}
    """


def test_each_matrix_combination_assumes_its_own_role_in_its_own_environment():
    role = "arn:aws:iam::${{ matrix.account }}:role/deploy-${{ matrix.stage }}"
    workloads = parse({"deploy.yml": job("on: push\n", body=MATRIX_ROLES, role=role)}).workloads
    assert [(w.name, str(w.role), subjects(w)) for w in workloads] == [
        ("deploy.yml job deploy (matrix stage=staging, account=111111111111)",
         "arn:aws:iam::111111111111:role/deploy-staging",
         [("environment staging", "environment:staging", False)]),
        ("deploy.yml job deploy (matrix stage=production, account=222222222222)",
         "arn:aws:iam::222222222222:role/deploy-production",
         [("environment production", "environment:production", False)]),
    ]


def test_combinations_sharing_a_role_are_one_workload_that_runs_in_each_way():
    workload = only(job("on: push\n", body=MATRIX_ROLES, role=ROLE))
    assert workload.name == "deploy.yml job deploy"
    assert subjects(workload) == [("environment staging", "environment:staging", False),
                                  ("environment production", "environment:production", False)]
    # A role from a matrix not written out stays unknown.
    unknown = only(job("on: push\n", body="""\
        strategy:
          matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
        """, role="${{ matrix.role }}"))
    assert isinstance(unknown.role, Unknown)
