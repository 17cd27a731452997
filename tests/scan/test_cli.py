"""`invoke scan`'s judgement and report, with a stand-in for Checkov (a test double).

The real Checkov judges the real plans in tests/policy/test_checkov.py; here a script in its
place answers what each test needs, so every outcome of the scan is exercised in milliseconds.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from invoke.context import Context
from invoke.exceptions import Exit

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.scan.checkov_install import checkov_home, requirements_digest
from orchestration.scan.cli import ScanError, run_scan
from program.policy import Resource
from shared import aws_types as t

# Answers, per plan file, a failed or passed check for resources whose name ends as given:
# FAKE_RESULTS = {"<file name>": [[check, name suffix, passed], ...]}; or crashes on demand.
FAKE_CHECKOV = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_CHECKOV_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
mode = os.environ.get("FAKE_CHECKOV_MODE", "")
if mode == "crash":
    print("Traceback: boom", file=sys.stderr)
    sys.exit(3)
files = [args[i + 1] for i, arg in enumerate(args) if arg == "--file"]
results = {{"passed_checks": [], "failed_checks": []}}
answers = json.loads(os.environ["FAKE_RESULTS"])
for path in files:
    plan = json.load(open(path))
    for address in plan["pulumi"]["resources"]:
        for check, suffix, passed in answers.get(os.path.basename(path), []):
            if address.endswith(suffix):
                key = "passed_checks" if passed else "failed_checks"
                results[key].append({{"check_id": check, "check_name": "name of " + check,
                    "resource": address, "file_abs_path": path}})
errors = 1 if mode == "unreadable" else 0
print(json.dumps({{"check_type": "terraform_plan", "results": results,
    "summary": {{"parsing_errors": errors}}}}))
"""


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tools directory whose Checkov install is the stand-in (stamped, so it is used)."""
    tools = tmp_path / "tools"
    home = checkov_home(tools)
    (home / "bin").mkdir(parents=True)
    binary = home / "bin" / "checkov"
    binary.write_text(FAKE_CHECKOV.format(python=sys.executable))
    binary.chmod(0o755)
    (home / ".requirements-sha256").write_text(requirements_digest() + "\n")
    monkeypatch.setenv("FAKE_CHECKOV_LOG", str(tmp_path / "checkov.log"))
    return tools


def answers(monkeypatch: pytest.MonkeyPatch, **by_environment: list[list[object]]) -> None:
    files = {f"{env}.tf.json": checks for env, checks in by_environment.items()}
    monkeypatch.setenv("FAKE_RESULTS", json.dumps(files))


def plan_of(environment: str) -> EnvironmentPlan:
    bucket = Resource(
        t.BUCKET, f"webapp-{environment}-data", {"bucket": "b"}, urn=f"u:{environment}"
    )
    stack = StackPlan("storage", f"organization/storage/{environment}", (bucket,), {})
    return EnvironmentPlan(environment, (stack,), ())


def suppressions(tmp_path: Path, *entries: dict[str, object]) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(yaml.safe_dump({"suppressions": list(entries)}), encoding="utf-8")
    return path


REPLICATION = {
    "check": "CKV_AWS_144",
    "resource": "storage/webapp-*-data",
    "environments": ["development", "production"],
    "reason": "Cross-region replication is out of scope for a one-region application.",
}


def scan(
    tools: Path,
    file: Path,
    *environments: str,
    knobs_set: frozenset[str] = frozenset(),
    verbose: bool = True,
) -> tuple[int, str]:
    out = io.StringIO()
    code = run_scan(
        list(environments),
        out=out,
        tools_dir=tools,
        suppressions_file=file,
        plan_of=plan_of,
        knob_is_set=lambda _environment, knob: knob in knobs_set,
        verbose=verbose,
    )
    return code, out.getvalue()


# Accepted only while a knob that fixes it is unset (as the HTTP listener's findings are while
# no certificate is configured).
UNTIL_CONFIGURED = {**REPLICATION, "while_unset": "storage:noncurrentVersionExpirationDays"}


def test_explained_failures_pass_with_a_summary_per_environment(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(
        monkeypatch,
        development=[["CKV_AWS_144", "-data", False], ["CKV_AWS_21", "-data", True]],
        production=[["CKV_AWS_144", "-data", False]],
    )

    code, report = scan(tools, suppressions(tmp_path, REPLICATION), "development", "production")

    assert code == 0
    assert "CKV_AWS_144  storage  webapp-development-data" in report
    assert "why: Cross-region replication is out of scope" in report
    assert "  development       1       0           1" in report
    assert "  production        0       0           1" in report
    # Counted as the plan counts: the AWS resources (here the one bucket of the test's plan).
    assert "production: 1 AWS resource checked" in report
    # One Checkov run for both environments.
    assert len((tmp_path / "checkov.log").read_text().splitlines()) == 1


def test_a_green_scan_prints_the_count_of_suppressions_and_the_reasons_only_verbose(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch, development=[["CKV_AWS_144", "-data", False]])

    code, report = scan(tools, suppressions(tmp_path, REPLICATION), "development", verbose=False)

    assert code == 0
    assert (
        "  suppressed (1, 1 entries of the suppressions file): --verbose lists them with the "
        "reasons" in report
    )
    assert "why:" not in report
    assert "CKV_AWS_144" not in report
    assert "  development       0       0           1" in report


def test_an_unexplained_failure_fails_naming_the_pulumi_resource_and_our_rule(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(
        monkeypatch, development=[["CKV_AWS_144", "-data", False], ["CKV_AWS_21", "-data", False]]
    )
    file = suppressions(tmp_path, {**REPLICATION, "environments": ["development"]})

    code, report = scan(tools, file, "development")

    assert code == 1
    assert "FAILED (1), not explained in the suppressions file:" in report
    assert f"CKV_AWS_21  storage  webapp-development-data ({t.BUCKET})" in report
    assert "name of CKV_AWS_21  [our rule: s3-bucket-versioning]" in report
    assert f"Scan failed: 1 failed check(s) not explained in {file}" in report


def test_an_entry_that_explains_nothing_fails_the_scan_as_stale(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch, production=[["CKV_AWS_144", "-data", True]])

    code, report = scan(tools, suppressions(tmp_path, REPLICATION), "production")

    assert code == 1
    assert (
        "entry 1 (CKV_AWS_144 on storage/webapp-*-data) explains no failure in production" in report
    )


def test_an_entry_waiting_for_a_knob_explains_the_failure_while_the_knob_is_unset(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch, production=[["CKV_AWS_144", "-data", False]])

    code, report = scan(tools, suppressions(tmp_path, UNTIL_CONFIGURED), "production")

    assert code == 0, report
    assert "CKV_AWS_144  storage  webapp-production-data" in report


def test_with_the_knob_set_the_entry_is_neither_stale_nor_an_excuse(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    knob = frozenset({"storage:noncurrentVersionExpirationDays"})
    file = suppressions(tmp_path, UNTIL_CONFIGURED)
    # The knob fixed the finding: the entry does not apply, so it is not stale either.
    answers(monkeypatch, production=[["CKV_AWS_144", "-data", True]])
    code, report = scan(tools, file, "production", knobs_set=knob)
    assert code == 0, report
    assert "explains no failure" not in report
    # The knob is set and the finding is still there: nothing excuses it any more.
    answers(monkeypatch, production=[["CKV_AWS_144", "-data", False]])
    code, report = scan(tools, file, "production", knobs_set=knob)
    assert code == 1
    assert f"CKV_AWS_144  storage  webapp-production-data ({t.BUCKET})" in report


def test_an_entry_waiting_for_an_unknown_knob_is_refused(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch)
    file = suppressions(tmp_path, {**REPLICATION, "while_unset": "compute:certificateArm"})

    with pytest.raises(ScanError, match=r"while_unset 'compute:certificateArm' must be a project"):
        scan(tools, file, "production")


@pytest.mark.parametrize(
    ("mode", "message"),
    [("crash", r"Checkov failed \(exit 3\): Traceback: boom"), ("unreadable", "could not read 1")],
)
def test_checkov_failing_is_one_message(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, message: str
) -> None:
    answers(monkeypatch)
    monkeypatch.setenv("FAKE_CHECKOV_MODE", mode)

    with pytest.raises(ScanError, match=message):
        scan(tools, suppressions(tmp_path, REPLICATION), "development")


def test_bad_input_is_refused_before_checkov_runs(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch)
    reasonless = suppressions(tmp_path, {**REPLICATION, "reason": ""})

    with pytest.raises(ScanError, match="CKV_AWS_144 has no reason"):
        scan(tools, reasonless, "development")
    with pytest.raises(ScanError, match="name the environment"):
        scan(tools, suppressions(tmp_path, REPLICATION))
    assert not (tmp_path / "checkov.log").exists()


def test_the_task_turns_user_errors_into_one_message(repo_tasks: ModuleType) -> None:
    with pytest.raises(Exit) as caught:
        repo_tasks.scan(Context(), env=["staging"])

    assert caught.value.code == 1
    assert "unknown environment 'staging'" in str(caught.value.message)
    assert sorted(repo_tasks.scan.help) == ["env", "verbose"]


def test_the_task_passes_verbose_on(
    repo_tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[list[str], bool]] = []

    def fake_scan(environments: list[str], *, verbose: bool = False) -> int:
        seen.append((environments, verbose))
        return 0

    monkeypatch.setattr("orchestration.scan.cli.run_scan", fake_scan)

    repo_tasks.scan(Context(), env=["development"], verbose=True)
    repo_tasks.scan(Context(), env=["development"])

    assert seen == [(["development"], True), (["development"], False)]
