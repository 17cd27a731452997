"""The GitHub Actions workflows agree with the code: tasks and flags, projects, environments.

The workflows are YAML the test suite cannot run, so what they call is checked against what
exists: every `invoke` task and flag they use against tasks.py, the per-project deploy jobs and
their `needs` against shared/topology.py, the environments against shared/environments/, the
region against the settings; and the security rules of the issue (pinned actions, least
permissions, OIDC only where AWS is used) are checked here too, next to actionlint and zizmor.
"""

from __future__ import annotations

import inspect
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from invoke.collection import Collection
from invoke.exceptions import ParseError
from invoke.parser import Parser

import tasks
from shared.settings import ENVIRONMENTS_DIR, load_settings
from shared.topology import TOPOLOGY
from tooling import workflow_lint

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
DEPLOY_STACK = "./.github/workflows/deploy-stack.yml"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
ENVIRONMENTS = sorted(path.stem for path in ENVIRONMENTS_DIR.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True; the tests never need it.
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return document


def workflow_names() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def run_scripts() -> list[tuple[str, str]]:
    """(workflow, script) for every `run:` step of every workflow."""
    return [
        (name, step["run"])
        for name in workflow_names()
        for job in load(name)["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def invoke_calls(script: str) -> list[list[str]]:
    """Each `invoke TASK ARGS...` in a shell script, as words (up to an operator or redirection)."""
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        while "invoke" in words:
            words = words[words.index("invoke") + 1 :]
            call = []
            for word in words:
                if word and set(word) <= set("&|;<>()"):
                    break
                call.append(word)
            calls.append(call)
    return calls


@pytest.fixture(scope="module")
def collection() -> Collection:
    return Collection.from_module(tasks)


def flags_of(collection: Collection, task_name: str) -> set[str]:
    """The long flags invoke derives from the task's parameters (`json_` -> `--json`)."""
    body = collection[task_name].body
    parameters = [name for name in inspect.signature(body).parameters if name != "c"]
    return {"--" + name.rstrip("_").replace("_", "-") for name in parameters}


def test_every_invoke_task_and_flag_the_workflows_use_exists(collection: Collection) -> None:
    used = set()
    for workflow, script in run_scripts():
        for call in invoke_calls(script):
            task_name = call[0]
            assert task_name in collection.task_names, f"{workflow}: no task `invoke {task_name}`"
            flags = {word.split("=", 1)[0] for word in call[1:] if word.startswith("--")}
            unknown = flags - flags_of(collection, task_name)
            assert not unknown, f"{workflow}: `invoke {task_name}` has no flag {unknown}"
            used.add(task_name)

    # The parser must have found the pipeline's every stage, or it checked nothing.
    assert used == {"test", "plan", "affected", "preview", "deploy", "verify"}


def parse_call(collection: Collection, call: list[str]) -> None:
    """Parse `invoke CALL` as invoke would: a flag that takes a value must be given one."""
    Parser(contexts=collection.to_contexts()).parse_argv(call)


def test_every_invoke_call_in_the_workflows_parses(collection: Collection) -> None:
    for workflow, script in run_scripts():
        for call in invoke_calls(script):
            try:
                parse_call(collection, call)
            except ParseError as error:
                raise AssertionError(f"{workflow}: invoke {shlex.join(call)}: {error}") from None


def test_the_parse_check_notices_a_flag_without_its_value(collection: Collection) -> None:
    # `--json` takes a path or - (shared.output_target): `--json > file` gives it none.
    (call,) = invoke_calls("invoke affected --all --json > affected.json")

    with pytest.raises(ParseError, match=r"json_.* needed value"):
        parse_call(collection, call)


def test_the_flag_check_notices_a_missing_flag(collection: Collection) -> None:
    (call,) = invoke_calls('python3 -m uv run --locked invoke deploy --env "$E" --projects x')

    assert call == ["deploy", "--env", "$E", "--projects", "x"]
    assert "--projects" not in flags_of(collection, "deploy")


def deploy_jobs() -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """(environment, project) -> (job id, job) for every call of the deploy-stack workflow."""
    jobs = load("deploy.yml")["jobs"]
    found = {}
    for job_id, job in jobs.items():
        if job.get("uses") == DEPLOY_STACK:
            key = (job["with"]["environment"], job["with"]["project"])
            assert key not in found, f"two jobs deploy {key}"
            found[key] = (job_id, job)
    return found


def test_one_deploy_job_per_environment_and_topology_project() -> None:
    assert set(deploy_jobs()) == {(env, name) for env in ENVIRONMENTS for name in TOPOLOGY.names}


def test_deploy_jobs_follow_the_topology_and_production_comes_last() -> None:
    jobs = deploy_jobs()
    non_production = [env for env in ENVIRONMENTS if not load_settings(env).production]
    for (env, project), (job_id, job) in jobs.items():
        needs = set(job["needs"])
        producers = {jobs[(env, producer)][0] for producer in TOPOLOGY.project(project).depends_on}
        assert producers <= needs, f"{job_id} must wait for {producers - needs}"
        if load_settings(env).production:
            earlier = {
                jobs[(other, name)][0] for other in non_production for name in TOPOLOGY.names
            }
            assert earlier <= needs, f"{job_id} must wait for {earlier - needs}"
        assert f"contains(fromJSON(needs.affected.outputs.{env}), '{project}')" in job["if"]
        if needs != {"affected"}:
            # A skipped (unaffected) producer must not skip its consumers; a failed one must.
            assert job["if"].startswith("${{ !cancelled() && !failure() && ")
        assert (
            job["with"]["verify"] == f"${{{{ needs.affected.outputs.{env}-last == '{project}' }}}}"
        )


def test_the_affected_outputs_cover_every_environment() -> None:
    affected = load("deploy.yml")["jobs"]["affected"]
    assert set(affected["outputs"]) == {
        f"{env}{suffix}" for env in ENVIRONMENTS for suffix in ("", "-last")
    }
    script = affected["steps"][-1]["run"]
    assert f"for env in {' '.join(ENVIRONMENTS)}; do" in script


def test_pull_requests_plan_every_environment() -> None:
    plan = load("pull-request.yml")["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["environment"] == ENVIRONMENTS


def test_the_workflows_use_the_settings_region() -> None:
    regions = {load_settings(env).region for env in ENVIRONMENTS}
    for name in ("pull-request.yml", "deploy-stack.yml"):
        assert {load(name)["env"]["AWS_REGION"]} == regions


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    uses = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
    for name in workflow_names():
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            match = uses.match(line)
            if match is None or match.group(1).startswith("./"):
                continue
            action, _, ref = match.group(1).partition("@")
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}: {action} is not pinned by commit"
            assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", match.group(2)), (
                f"{name}: {action} version?"
            )


def _uses_aws(job: dict[str, Any]) -> bool:
    steps = job.get("steps", [])
    return job.get("uses") == DEPLOY_STACK or any(
        str(step.get("uses", "")).startswith(AWS_CREDENTIALS_ACTION) for step in steps
    )


def test_least_permissions_and_oidc_only_where_aws_is_used() -> None:
    for name in workflow_names():
        workflow = load(name)
        assert workflow["permissions"] == {}, f"{name}: the workflow default must be no permission"
        for job_id, job in workflow["jobs"].items():
            permissions = job["permissions"]
            assert "write-all" not in str(permissions)
            writes = {scope for scope, level in permissions.items() if level == "write"}
            expected = {"id-token"} if _uses_aws(job) else set()
            assert writes == expected, f"{name}/{job_id} writes {writes}"
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_production_deploys_wait_for_a_protected_environment_one_stack_at_a_time() -> None:
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.environment }}"
    assert deploy["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}-${{ inputs.project }}",
        "cancel-in-progress": False,
    }
    step_names = [step.get("name", "") for step in deploy["steps"]]
    assert step_names.index("invoke deploy") < step_names.index("invoke verify")


def test_the_preview_is_skipped_with_a_note_without_credentials() -> None:
    jobs = load("pull-request.yml")["jobs"]
    preview, skipped = jobs["preview"]["if"], jobs["preview-skipped"]["if"]
    assert "vars.AWS_PREVIEW_ROLE_ARN != ''" in preview
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview
    assert "vars.AWS_PREVIEW_ROLE_ARN == ''" in skipped
    assert "github.event.pull_request.head.repo.full_name != github.repository" in skipped
    assert "GITHUB_STEP_SUMMARY" in jobs["preview-skipped"]["steps"][0]["run"]


# The linters themselves: they must fail on a bad workflow, or a green run means nothing.

BAD_WORKFLOW = """\
name: bad
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
      - run: echo ${{ matrix.nothing }}
"""


def test_actionlint_and_zizmor_reject_a_bad_workflow(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    actionlint = workflow_lint.ensure_actionlint(REPO_ROOT / ".tools", lambda line: None)

    results = [
        subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)
        for command in workflow_lint.lint_commands(tmp_path, actionlint)
    ]

    assert results[0].returncode != 0
    assert "matrix" in results[0].stdout
    assert results[1].returncode != 0
    assert "template-injection" in results[1].stdout
    assert "unpinned-uses" in results[1].stdout


# The actionlint installer, with a stand-in for `go` (a test double: a shell script).

FAKE_GO = """#!/bin/sh
echo "$@" >> "{log}"
if [ "{fail}" = yes ]; then echo "go: module lookup disabled" >&2; exit 1; fi
printf '#!/bin/sh\\necho v{version}\\necho built by the fake go\\n' > "$GOBIN/actionlint"
chmod +x "$GOBIN/actionlint"
"""


def fake_go(tmp_path: Path, *, fail: bool = False, version: str = "1.7.12") -> tuple[Path, Path]:
    log = tmp_path / "go-calls.log"
    go = tmp_path / "go"
    go.write_text(FAKE_GO.format(log=log, fail="yes" if fail else "no", version=version))
    go.chmod(0o755)
    return go, log


def test_the_installer_builds_once_then_reuses(tmp_path: Path) -> None:
    go, log = fake_go(tmp_path)
    tools = tmp_path / "tools"
    lines: list[str] = []

    first = workflow_lint.ensure_actionlint(tools, lines.append, version="1.7.12", go=str(go))
    second = workflow_lint.ensure_actionlint(tools, lines.append, version="1.7.12", go=str(go))

    assert first == second == tools / "actionlint" / "1.7.12" / "actionlint"
    assert log.read_text().splitlines() == [f"install {workflow_lint.ACTIONLINT_MODULE}@v1.7.12"]
    assert len(lines) == 1
    assert lines[0].startswith("Building actionlint v1.7.12 with")


def test_the_installer_replaces_a_wrong_version(tmp_path: Path) -> None:
    go, log = fake_go(tmp_path, version="1.7.12")
    tools = tmp_path / "tools"
    workflow_lint.ensure_actionlint(tools, lambda line: None, version="1.7.12", go=str(go))

    with pytest.raises(
        workflow_lint.WorkflowLintUnavailable, match=r"go install of actionlint v9\.9\.9 failed"
    ):
        workflow_lint.ensure_actionlint(tools, lambda line: None, version="9.9.9", go=str(go))
    assert len(log.read_text().splitlines()) == 2


def test_the_installer_says_what_failed(tmp_path: Path) -> None:
    go, _ = fake_go(tmp_path, fail=True)

    with pytest.raises(workflow_lint.WorkflowLintUnavailable, match="go: module lookup disabled"):
        workflow_lint.ensure_actionlint(tmp_path / "tools", lambda line: None, go=str(go))


def test_the_installer_without_go_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(
        workflow_lint.WorkflowLintUnavailable, match="`go` is not on PATH: install Go"
    ):
        workflow_lint.ensure_actionlint(tmp_path / "tools", lambda line: None)
