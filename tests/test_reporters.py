"""Reporters: SARIF, text, JSON and GitHub workflow commands, on hand-built reports."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import SAMPLES, foreign_hyperlinks, without_styles
from oidclint.model import Diagnostic, Finding, Level, Related, Report, RuleInfo
from oidclint.findings import FINGERPRINT_KEY, fingerprint
from oidclint.reporters import FORMATS
from oidclint.source import Span, Unknown

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
ANSI = re.compile(r"\x1b\[")


def _docs(what: str) -> str:
    return f"""Checks one thing.

## What it does

{what}

## Why it matters

Anyone who can mint such a token can assume the role.

## Example

```hcl
values = ["repo:*"]
```

## Fix

Name the repository.

## References

- https://docs.github.com/en/actions/security-for-github-actions
"""


RULES = [
    RuleInfo(
        "OIDC101",
        "web-identity-action-missing",
        Level.ERROR,
        "A statement trusts an OIDC provider but does not allow sts:AssumeRoleWithWebIdentity",
        _docs("Reports statements that trust a Federated OIDC principal without the action."),
        ("correctness",),
    ),
    RuleInfo(
        "OIDC107",
        "audience-not-registered",
        Level.ERROR,
        "The audience the trust requires is not registered on the provider",
        _docs("Compares the aud values of the trust with the provider's client ids."),
        ("correctness",),
    ),
    RuleInfo(
        "OIDC203",
        "wildcard-subject",
        Level.ERROR,
        "The subject pattern admits any owner",
        _docs("Reports subject patterns that admit any repository owner."),
        ("security", "external/cwe/cwe-285"),
        security_severity=8.1,
    ),
]

PROVIDER = Span("modules/oidc/provider.tf", 3, 1, 6, 2)
ROLE_FILE = "iam/deploy role.tf"


def _findings() -> list[Finding]:
    return [
        # Cross-file: the provider lives in another module.
        Finding(
            "OIDC107",
            Level.ERROR,
            "The trust requires aud 'sts.amazonaws.com' but the provider registers only 'api'",
            Span(ROLE_FILE, 14, 9, 14, 40),
            address="aws_iam_role.deploy",
            related=[Related(PROVIDER, "provider defined")],
            fix="Add sts.amazonaws.com to client_id_list",
            evidence={"fingerprint": "aud=sts.amazonaws.com", "unknown": Unknown("var.aud")},
        ),
        # Same file: no code flow.
        Finding(
            "OIDC203",
            Level.WARNING,
            "The subject `repo:*` admits every repository on GitHub [bold]",
            Span(ROLE_FILE, 20, 7, 20, 30),
            address="aws_iam_role.deploy",
            related=[Related(Span(ROLE_FILE, 2, 1, 2, 40), "role declared")],
            fix="Use repo:acme/api:ref:refs/heads/main",
        ),
        Finding(
            "OIDC101",
            Level.NOTE,
            "Actions list 2 actions, none of them sts:AssumeRoleWithWebIdentity",
            Span("stack.yaml", 8, 5),
        ),
    ]


def _report(**changes) -> Report:
    report = Report(
        root="",
        findings=_findings(),
        diagnostics=[
            Diagnostic("broken.tf", "unexpected token '}'", Level.WARNING, Span("broken.tf", 4, 2)),
            Diagnostic("huge.json", "file is larger than 5 MiB, skipped", Level.NOTE),
        ],
        files_scanned=4,
        rules=list(RULES),
        version="0.1.0",
    )
    return dataclasses.replace(report, **changes)


def _strange_names() -> Report:
    """Findings in files named with bytes that are not UTF-8, a line break, an escape."""
    names = ["\udcff\udcfebad/main.tf", "nl/new\nline.tf", "esc/esc\x1b[31mred.tf"]
    findings = [Finding("OIDC203", Level.WARNING, f"in {name}: `repo:*\x1b[2J`", Span(name, 3),
                        address="aws_iam_role.deploy", related=[Related(Span(name, 1), name)])
                for name in names]
    return _report(findings=findings, diagnostics=[
        Diagnostic(name, "not UTF-8 text", Level.WARNING, Span(name, 1)) for name in names])


def _sarif(report: Report) -> dict:
    return json.loads(FORMATS["sarif"](report))


def _results_by_rule(log: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


# --- registry ---------------------------------------------------------------------------


def test_formats_are_the_cli_formats_and_render_strings():
    assert set(FORMATS) == {"text", "json", "sarif", "github", "markdown"}
    for render in FORMATS.values():
        assert render(_report()).endswith("\n")


def test_importing_the_registry_does_not_import_rich_or_sarif_om():
    code = (
        "import sys, oidclint.reporters; "
        "print(sorted(m for m in ('rich', 'sarif_om') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- SARIF ------------------------------------------------------------------------------


def _validator():
    schema = json.loads((DATA / "sarif-2.1.0.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize(
    "report",
    [
        pytest.param(_report(), id="relative-root"),
        pytest.param(_report(root=str(Path(os.sep, "srv", "checkout dir").resolve())), id="abs"),
        pytest.param(_report(findings=[], diagnostics=[]), id="empty"),
        pytest.param(_strange_names(), id="strange-names"),
    ],
)
def test_sarif_validates_against_the_schema(report):
    errors = sorted(_validator().iter_errors(_sarif(report)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_validator_rejects_what_the_schema_forbids():
    log = _sarif(_report())
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(_validator().iter_errors(log))


def test_sarif_driver_carries_the_full_rule_catalog():
    log = _sarif(_report())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "oidclint"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/oidclint/oidclint"
    assert [r["id"] for r in driver["rules"]] == ["OIDC101", "OIDC107", "OIDC203"]
    rule = driver["rules"][2]
    assert rule["name"] == "wildcard-subject"
    assert rule["shortDescription"]["text"] == "The subject pattern admits any owner."
    assert rule["fullDescription"]["text"] == (
        "Reports subject patterns that admit any repository owner."
    )
    assert "## Why it matters" in rule["help"]["markdown"]
    assert rule["help"]["text"]
    assert rule["helpUri"] == "https://github.com/oidclint/oidclint/blob/main/docs/rules/OIDC203.md"
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"]["security-severity"] == "8.1"
    assert rule["properties"]["precision"] == "high"
    assert rule["properties"]["tags"] == ["security", "external/cwe/cwe-285"]
    assert "security-severity" not in driver["rules"][0]["properties"]


def test_sarif_rule_index_points_at_the_rule_of_the_result():
    log = _sarif(_report())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == 3
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_result_location_message_and_level():
    result = _results_by_rule(_sarif(_report()))["OIDC203"]
    # A downgraded finding keeps its level explicitly: absent, it would read as the rule's.
    assert result["level"] == "warning"
    assert result["message"]["text"].startswith("The subject `repo:*` admits every repository")
    assert "Fix: Use repo:acme/api:ref:refs/heads/main" in result["message"]["text"]
    [location] = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "iam/deploy%20role.tf", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 20, "startColumn": 7, "endColumn": 30}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "aws_iam_role.deploy", "kind": "resource"}
    ]
    assert result["relatedLocations"][0]["id"] == 1
    assert result["relatedLocations"][0]["message"]["text"] == "role declared"


@pytest.mark.parametrize("stack, rule, uri, logical", [
    ("github-actions-workflows", "OIDC112", ".github/workflows/migrate.yml",
     [{"fullyQualifiedName": "jobs.migrate", "kind": "object"}]),
    ("eks-irsa-workloads", "OIDC110", "k8s/ledger-exporter.yaml",
     [{"fullyQualifiedName": "ServiceAccount/ledger/exporter", "kind": "resource"}]),
])
def test_sarif_results_in_a_workload_file_name_the_workload(stack, rule, uri, logical):
    """A result anchored in a workflow or a manifest carries the job, or the ServiceAccount,
    as its logical location; one anchored in the trust names the role."""
    from oidclint.engine import scan

    log = json.loads(FORMATS["sarif"](scan([SAMPLES / stack], root=SAMPLES / stack)))
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == rule
               and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri]
    assert results and all(r["locations"][0]["logicalLocations"] == logical for r in results)
    in_trusts = [r for r in log["runs"][0]["results"]
                 if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                 .endswith(".tf") and "logicalLocations" in r["locations"][0]]
    assert all(len(r["locations"][0]["logicalLocations"]) == 1 for r in in_trusts)


def test_sarif_region_omits_an_end_equal_to_the_start_and_keeps_multiline_ends():
    results = _results_by_rule(_sarif(_report()))
    assert results["OIDC101"]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8,
        "startColumn": 5,
    }
    assert "logicalLocations" not in results["OIDC101"]["locations"][0]
    related = results["OIDC107"]["relatedLocations"][0]["physicalLocation"]
    assert related["region"] == {"startLine": 3, "startColumn": 1, "endLine": 6, "endColumn": 2}


def test_sarif_code_flows_only_for_findings_that_cross_files():
    results = _results_by_rule(_sarif(_report()))
    assert "codeFlows" not in results["OIDC203"]
    assert "codeFlows" not in results["OIDC101"]
    [flow] = results["OIDC107"]["codeFlows"]
    [thread] = flow["threadFlows"]
    steps = [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["message"]["text"],
        )
        for step in thread["locations"]
    ]
    assert steps[0] == ("modules/oidc/provider.tf", "provider defined")
    assert steps[1][0] == "iam/deploy%20role.tf"
    assert len(steps) == 2


def _moved(finding: Finding, lines: int) -> Finding:
    span = finding.span
    moved = Span(span.path, span.line + lines, span.column, span.end_line + lines, span.end_column)
    return dataclasses.replace(finding, span=moved)


def test_fingerprints_survive_unrelated_edits_and_tell_findings_apart():
    findings = _findings()
    # An edit above the finding moves it; a message quoting a line number changes with it.
    numbered = Finding("OIDC203", Level.ERROR, "pattern on line 20 admits *", Span("a.tf", 20))
    renumbered = Finding("OIDC203", Level.ERROR, "pattern on line 31 admits *", Span("a.tf", 31))
    assert fingerprint(numbered) == fingerprint(renumbered)
    for finding in findings:
        assert fingerprint(finding) == fingerprint(_moved(finding, 11))
    assert len({fingerprint(f) for f in findings}) == len(findings)
    # The rule's evidence key decides when it is given.
    aud = findings[0]
    assert fingerprint(aud) == fingerprint(dataclasses.replace(aud, message="reworded"))
    assert fingerprint(aud) != fingerprint(
        dataclasses.replace(aud, evidence={"fingerprint": "aud=other"})
    )
    assert fingerprint(aud) != fingerprint(dataclasses.replace(aud, address="aws_iam_role.other"))
    assert fingerprint(aud) != fingerprint(dataclasses.replace(aud, span=Span("other.tf", 14)))

    before = _results_by_rule(_sarif(_report()))
    after = _results_by_rule(_sarif(_report(findings=[_moved(f, 3) for f in findings])))
    for rule_id, result in before.items():
        fingerprints = result["partialFingerprints"]
        assert set(fingerprints) == {FINGERPRINT_KEY}
        assert re.fullmatch(r"[0-9a-f]{64}", fingerprints[FINGERPRINT_KEY])
        assert after[rule_id]["partialFingerprints"] == fingerprints


def test_sarif_diagnostics_become_tool_execution_notifications():
    [invocation] = _sarif(_report())["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("warning", "unexpected token '}'."),
        ("note", "file is larger than 5 MiB, skipped."),
    ]
    broken, huge = (n["locations"][0]["physicalLocation"] for n in notes)
    assert broken == {
        "artifactLocation": {"uri": "broken.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 2},
    }
    assert huge == {"artifactLocation": {"uri": "huge.json", "uriBaseId": "%SRCROOT%"}}


def test_sarif_base_uri_only_for_an_absolute_root(tmp_path):
    root = tmp_path / "check out"
    run = _sarif(_report(root=str(root)))["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == root.as_uri() + "/"
    assert "originalUriBaseIds" not in _sarif(_report(root="."))["runs"][0]


def test_sarif_empty_run_still_lists_results_and_rules():
    run = _sarif(_report(findings=[], diagnostics=[]))["runs"][0]
    assert run["results"] == []
    assert "toolExecutionNotifications" not in run["invocations"][0]
    assert len(run["tool"]["driver"]["rules"]) == 3


def test_sarif_is_deterministic():
    report = _report()
    shuffled = _report(findings=list(reversed(_findings())), diagnostics=report.diagnostics[::-1])
    out = FORMATS["sarif"](report)
    assert out == FORMATS["sarif"](shuffled)
    assert out.endswith("}\n")


def test_sarif_percent_encodes_paths():
    finding = Finding("OIDC101", Level.ERROR, "m", Span("dir #1/ü 100%.tf", 1))
    [result] = _sarif(_report(findings=[finding]))["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20%231/%C3%BC%20100%25.tf"


@pytest.mark.skipif(
    not os.environ.get("SARIF_MULTITOOL"),
    reason="set SARIF_MULTITOOL to the Sarif.Multitool binary to run Microsoft's validator",
)
@pytest.mark.parametrize("report", [_report, _strange_names])
def test_sarif_passes_the_multitool_with_github_rules(tmp_path, report):
    path = tmp_path / "oidclint.sarif"
    path.write_text(FORMATS["sarif"](dataclasses.replace(report(), root=str(tmp_path))),
                    encoding="utf-8")
    script = REPO / ".ci" / "validate-sarif.sh"
    out = subprocess.run(["bash", str(script), str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --- text -------------------------------------------------------------------------------


def test_text_groups_findings_by_file():
    out = FORMATS["text"](_report())
    lines = out.splitlines()
    assert lines.count(ROLE_FILE) == 1
    assert lines.count("stack.yaml") == 1
    role, stack = lines.index(ROLE_FILE), lines.index("stack.yaml")
    assert role < stack
    section = "\n".join(lines[role:stack])
    assert re.search(r"^  14:9 +error +OIDC107 audience-not-registered$", section, re.M)
    assert re.search(r"^  20:7 +warning +OIDC203 wildcard-subject$", section, re.M)
    assert section.index("OIDC107") < section.index("OIDC203")
    assert "fix: Add sts.amazonaws.com to client_id_list" in section
    assert "↳ provider defined at modules/oidc/provider.tf:3" in section
    assert re.search(r"^  8:5 +note +OIDC101 web-identity-action-missing$", out, re.M)


def test_text_summary_counts_levels_files_and_diagnostics():
    out = FORMATS["text"](_report())
    assert "3 problems (1 error, 1 warning, 1 note) in 4 files." in out
    # A note is not a file that could not be read: they are counted apart.
    assert "1 file could not be read (reasons on stderr)." in out
    assert "1 note on stderr." in out
    assert "unexpected token" not in out  # the reasons are the CLI's to print, on stderr


def test_text_without_findings():
    out = FORMATS["text"](_report(findings=[], diagnostics=[], files_scanned=3))
    assert out == "No problems found in 3 files.\n"


def test_text_has_no_ansi_without_color_and_has_it_with_color():
    assert not ANSI.search(FORMATS["text"](_report(), color=False))
    assert ANSI.search(FORMATS["text"](_report(), color=True))


def test_text_does_not_interpret_markup_or_emoji_codes_from_findings():
    finding = Finding(
        "OIDC203",
        Level.ERROR,
        "admits [bold]repo:acme/*[/bold] and :smile: [link=https://evil.example]x[/link]\\",
        Span("[red]main.tf", 1),
        fix="[/]",
    )
    styled = FORMATS["text"](_report(findings=[finding]), color=True)
    assert foreign_hyperlinks(styled) == []  # no hyperlink but the rule's own
    out = without_styles(styled)
    assert out == FORMATS["text"](_report(findings=[finding]), color=False)
    assert "[bold]repo:acme/*[/bold]" in out
    assert ":smile:" in out
    assert "[link=https://evil.example]x[/link]\\" in out
    assert "[red]main.tf" in out
    assert "fix: [/]" in out


def test_text_shows_terminal_control_characters_as_escapes_in_paths_and_messages():
    finding = Finding(
        "OIDC203",
        Level.ERROR,
        "admits \x1b]8;;https://evil.example\x07everything\x1b]8;;\x07\rhidden\u202e",
        Span("evil\x1b[31m.tf", 1),
        related=[Related(Span("x\x1b[2Jy.tf", 2), "provider\x07 defined")],
    )
    out = FORMATS["text"](_report(findings=[finding], diagnostics=[]), color=False)
    assert "\x1b" not in out
    assert "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "evil\\x1b[31m.tf" in out
    assert ("admits \\x1b]8;;https://evil.example\\x07everything\\x1b]8;;\\x07\\rhidden"
            "\\u202e") in out.replace("\n    ", "")
    assert "↳ provider\\x07 defined at x\\x1b[2Jy.tf:2" in out


# --- JSON -------------------------------------------------------------------------------


def test_json_round_trips_and_is_stable():
    out = FORMATS["json"](_report())
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert out == FORMATS["json"](_report(findings=list(reversed(_findings()))))
    assert doc["version"] == "0.1.0"
    assert doc["files_scanned"] == 4
    assert "root" not in doc
    assert doc["summary"] == {"error": 1, "warning": 1, "note": 1}
    assert [f["rule_id"] for f in doc["findings"]] == ["OIDC107", "OIDC203", "OIDC101"]
    assert json.loads(FORMATS["json"](_report(root="/src")))["root"] == "/src"


def test_json_finding_fields():
    doc = json.loads(FORMATS["json"](_report()))
    first = doc["findings"][0]
    assert first == {
        "rule_id": "OIDC107",
        "rule_name": "audience-not-registered",
        "level": "error",
        "message": (
            "The trust requires aud 'sts.amazonaws.com' but the provider registers only 'api'"
        ),
        "path": ROLE_FILE,
        "line": 14,
        "column": 9,
        "end_line": 14,
        "end_column": 40,
        "address": "aws_iam_role.deploy",
        "fix": "Add sts.amazonaws.com to client_id_list",
        "related": [
            {
                "path": "modules/oidc/provider.tf",
                "line": 3,
                "column": 1,
                "label": "provider defined",
            }
        ],
        "evidence": {"fingerprint": "aud=sts.amazonaws.com", "unknown": "${var.aud}"},
        "fingerprint": fingerprint(_findings()[0]),
        "suppression": None,
    }
    assert doc["diagnostics"] == [
        {"path": "broken.tf", "message": "unexpected token '}'", "level": "warning", "line": 4,
         "column": 2},
        {"path": "huge.json", "message": "file is larger than 5 MiB, skipped", "level": "note"},
    ]


def test_json_writes_any_evidence_value():
    finding = Finding(
        "OIDC101",
        Level.ERROR,
        "m",
        Span("a.tf", 1),
        evidence={"set": {"b", "a"}, "span": Span("a.tf", 2), "level": Level.NOTE, 3: (1, 2)},
    )
    [doc] = json.loads(FORMATS["json"](_report(findings=[finding])))["findings"]
    assert doc["evidence"] == {
        "set": ["a", "b"],
        "span": {"path": "a.tf", "line": 2, "column": 1, "end_line": 2, "end_column": 1},
        "level": "note",
        "3": [1, 2],
    }


# --- GitHub -----------------------------------------------------------------------------


def test_github_one_command_per_finding_then_diagnostics():
    lines = FORMATS["github"](_report()).splitlines()
    assert lines == [
        "::error file=iam/deploy role.tf,line=14,col=9,endColumn=39,"
        "title=OIDC107 audience-not-registered::The trust requires aud 'sts.amazonaws.com' but "
        "the provider registers only 'api'%0AFix: Add sts.amazonaws.com to client_id_list",
        "::warning file=iam/deploy role.tf,line=20,col=7,endColumn=29,"
        "title=OIDC203 wildcard-subject::The subject `repo:*` admits every repository on GitHub "
        "[bold]%0AFix: Use repo:acme/api:ref:refs/heads/main",
        "::notice file=stack.yaml,line=8,col=5,title=OIDC101 web-identity-action-missing::"
        "Actions list 2 actions, none of them sts:AssumeRoleWithWebIdentity",
        "::warning file=broken.tf,line=4,col=2,title=oidclint could not read this file::"
        "unexpected token '}'",
        "::warning file=huge.json,title=oidclint could not read this file::"
        "file is larger than 5 MiB, skipped",
    ]


def test_github_escapes_data_and_properties():
    finding = Finding(
        "OIDC203",
        Level.ERROR,
        "100% open\r\n::error::injected, a:b",
        Span("dir,1/a:b%.tf", 3, 1, 5, 2),
    )
    rules = [dataclasses.replace(RULES[2], name="wild,card:subject")]
    report = _report(findings=[finding], diagnostics=[], rules=rules)
    [line] = FORMATS["github"](report).splitlines()
    assert line == (
        "::error file=dir%2C1/a%3Ab%25.tf,line=3,endLine=5,title=OIDC203 wild%2Ccard%3Asubject"
        "::100%25 open%0A::error::injected, a:b"
    )


def test_scan_wide_diagnostics_name_no_file():
    report = _report(findings=[], diagnostics=[Diagnostic("", "the git index could not be read")])
    [note] = _sarif(report)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note == {"level": "warning", "message": {"text": "the git index could not be read."}}
    assert FORMATS["github"](report) == (
        "::warning title=oidclint::the git index could not be read\n"
    )
    text = FORMATS["text"](report)
    assert "could not be read" not in text
    assert "1 message about the scan itself on stderr." in text
