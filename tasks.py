"""Tasks: `invoke --list`; `invoke --help <task>` documents every flag.

Each task hands its work to `orchestration.commands`, which can be tested without invoke.
Each task declares every flag with its help text, which invoke needs on the task itself; no
task body does more than call into `orchestration/`.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

# invoke has loaded these already (it is loading this file): importing them costs nothing.
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task

from orchestration.exit_codes import EXIT_CHANGES, EXIT_INTERRUPTED
from shared.paths import REPO_ROOT
from tooling.task_cli import RepoTask, task

INTERRUPTED_EARLY = "Interrupted before any stack operation started."


def _interrupted_early(signum: int, frame: object) -> None:
    """Ctrl-C before a run takes over SIGINT: the line and exit 130, as a user expects.

    Without it invoke turns the KeyboardInterrupt into a silent exit 1. Installed as soon as
    invoke loads this file; the runner installs its own handler while stacks run, and restores
    this one afterwards.
    """
    print(INTERRUPTED_EARLY, file=sys.stderr, flush=True)
    raise SystemExit(EXIT_INTERRUPTED)


signal.signal(signal.SIGINT, _interrupted_early)

if TYPE_CHECKING:
    from orchestration.runner import Orchestrator, RunReport
    from shared.output_target import OutputTarget

# The pure modules whose every line and branch the tests must cover.
FULLY_COVERED = (
    "shared/naming.py",
    "shared/settings.py",
    "shared/topology.py",
    "orchestration/state/declaration.py",
)

# How a warning from coverage (while pytest --cov reports, or coverage report) starts.
COVERAGE_WARNING = "CoverageWarning:"

ENV_HELP = "environment: a file in shared/environments/ (development, production)"
PROJECT_HELP = "only this project (security, storage or compute); default: every project"
ENDPOINT_HELP = "AWS emulator URL (e.g. http://localhost:4566): test credentials, no AWS check"
NO_POLICY_HELP = "skip the security baseline policy pack (a warning says so)"
ACCOUNT_HELP = (
    "the 12-digit AWS account id the ARNs name (default: `*` in resources, `<account>` in "
    "principals; bootstrap uses the caller's)"
)
ADMIN_TRUST_HELP = "also let the account's administrators assume the roles (from a shell)"
YES_HELP = "do not prompt; required without a terminal (production destroy needs --confirm)"
# Read-only work (preview, drift, refresh, outputs) handles this many stacks at once by default.
CPUS = os.cpu_count() or 1
PARALLEL_HELP = (
    f"how many stacks to work on at once (default: one per CPU, {CPUS} here); 1 takes them "
    "one after another in deploy order"
)


def _orchestrate(
    env: str, action: Callable[[Orchestrator], RunReport | int], **options: Any
) -> None:
    """Run one orchestration command; refusals and failures become invoke.Exit."""
    # Imported here so `invoke --list` stays fast.
    from orchestration import commands  # noqa: PLC0415
    from orchestration.engine.interface import OrchestrationError  # noqa: PLC0415
    from shared.output_target import OutputTargetError  # noqa: PLC0415

    try:
        _run_command(
            lambda: commands.run(
                env,
                action,
                paths=commands.Paths.for_repo(REPO_ROOT),
                ask=commands.terminal_ask(),
                **options,
            ),
            OrchestrationError,
            # --json's file refusing the write only when it comes (a /proc file).
            OutputTargetError,
        )
    except KeyboardInterrupt:
        raise Exit(INTERRUPTED_EARLY, EXIT_INTERRUPTED) from None


def _output_target(text: str | None, what: str) -> OutputTarget | None:
    """`--json PATH|-` checked before any work (shared.output_target); a refusal is one line."""
    from shared.output_target import OutputTargetError, parse_optional  # noqa: PLC0415

    try:
        return parse_optional(text, what)
    except OutputTargetError as error:
        raise Exit(str(error), code=1) from None


def _run_command(run: Callable[[], int | None], *refusals: type[Exception]) -> None:
    """Run a command; its refusals (`refusals`) and a non-zero exit code become invoke.Exit."""
    try:
        code = run()
    except refusals as error:
        raise Exit(str(error), code=1) from None
    if code:
        raise Exit(code=code)


@task(
    help={
        "env": ENV_HELP,
        "project": PROJECT_HELP + " (its upstream stacks must be deployed)",
        "yes": YES_HELP,
        "endpoint": ENDPOINT_HELP,
        "no_policy": NO_POLICY_HELP,
        "refresh": (
            "read every resource from the cloud first, so drift is repaired (default); "
            "--no-refresh is faster but neither sees nor repairs a deleted bucket or a "
            "changed setting"
        ),
        "allow_delete": (
            "let the update delete or replace KMS keys and S3 buckets, or delete every "
            "resource of a stack (refused otherwise, naming what would go)"
        ),
        "recreate_missing_state": (
            "create a stack whose state is missing although its consumers reference it "
            "(its old resources stay in the cloud, unmanaged; restoring the state is better)"
        ),
        "allow_http": (
            "deploy production although it would serve plain HTTP (no compute:certificateArn; "
            "refused otherwise); a warning line says so"
        ),
    }
)
def deploy(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    yes: bool = False,
    endpoint: str | None = None,
    no_policy: bool = False,
    refresh: bool = True,
    allow_delete: bool = False,
    recreate_missing_state: bool = False,
    allow_http: bool = False,
) -> None:
    """Converge the stacks to their programs in dependency order (refresh, preview, up)."""
    _orchestrate(
        env,
        lambda orchestrator: orchestrator.deploy(
            project,
            yes=yes,
            refresh=refresh,
            allow_delete=allow_delete,
            recreate_missing_state=recreate_missing_state,
        ),
        project=project,
        endpoint=endpoint,
        policy=not no_policy,
        check_project_knobs=True,
        allow_http=allow_http,
    )


@task(
    help={
        "env": ENV_HELP,
        "project": PROJECT_HELP,
        "endpoint": ENDPOINT_HELP,
        "no_policy": NO_POLICY_HELP,
        "parallel": PARALLEL_HELP,
    }
)
def preview(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    endpoint: str | None = None,
    no_policy: bool = False,
    parallel: int = CPUS,
) -> None:
    """Preview every stack's changes (pulumi preview), all stacks at once."""
    _orchestrate(
        env,
        lambda orchestrator: orchestrator.preview(project),
        project=project,
        endpoint=endpoint,
        policy=not no_policy,
        parallel=parallel,
        check_project_knobs=True,
    )


@task(
    help={
        "env": ENV_HELP,
        "project": PROJECT_HELP + "; refused while projects that read it still have resources",
        "cascade": "with --project: destroy its consumers first, then the project",
        "yes": YES_HELP,
        "confirm": "the environment name again; the confirmation production requires",
        "endpoint": ENDPOINT_HELP,
    }
)
def destroy(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    cascade: bool = False,
    yes: bool = False,
    confirm: str | None = None,
    endpoint: str | None = None,
) -> None:
    """Destroy the stacks' resources in reverse dependency order."""
    _orchestrate(
        env,
        lambda orchestrator: orchestrator.destroy(
            project, cascade=cascade, yes=yes, confirm=confirm
        ),
        project=project,
        endpoint=endpoint,
    )


@task(
    help={
        "env": ENV_HELP,
        "project": PROJECT_HELP,
        "json_": "write JSON keyed by project to this path, or - for stdout",
        "endpoint": ENDPOINT_HELP,
        "parallel": PARALLEL_HELP,
    }
)
def outputs(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    json_: str | None = None,
    endpoint: str | None = None,
    parallel: int = CPUS,
) -> None:
    """Show the stacks' outputs (read-only: writes nothing but --json's file)."""
    json_target = _output_target(json_, "outputs' JSON")
    _orchestrate(
        env,
        lambda orchestrator: orchestrator.show_outputs(project, json_target=json_target),
        project=project,
        endpoint=endpoint,
        aws=False,
        parallel=parallel,
        read_only=True,
    )


def _stack_by_stack_task(
    name: str, doc: str, action: Callable[[Orchestrator, str | None], RunReport | int]
) -> Task[Any]:
    """A task that runs `action` on every stack (or --project), several at once.

    refresh and drift take the same flags and differ only in the orchestrator's method.
    """

    def body(
        c: Context,
        *,
        env: str,
        project: str | None = None,
        endpoint: str | None = None,
        parallel: int = CPUS,
    ) -> None:
        _orchestrate(
            env,
            lambda orchestrator: action(orchestrator, project),
            project=project,
            endpoint=endpoint,
            parallel=parallel,
        )

    body.__doc__ = doc
    read_help = {
        "env": ENV_HELP,
        "project": PROJECT_HELP,
        "endpoint": ENDPOINT_HELP,
        "parallel": PARALLEL_HELP,
    }
    return RepoTask(body, name=name, help=read_help)


refresh = _stack_by_stack_task(
    "refresh",
    "Adopt the cloud's state into each stack's state, settling creates left pending.",
    lambda orchestrator, project: orchestrator.refresh(project),
)
drift = _stack_by_stack_task(
    "drift",
    "Report drift per stack, all stacks at once (exit 0 clean, 2 drift, 1 error).",
    lambda orchestrator, project: orchestrator.drift(project),
)


def _state_command(run: Callable[[], int]) -> None:
    """Run a state command; refusals become invoke.Exit."""
    from orchestration.engine.interface import OrchestrationError  # noqa: PLC0415

    _run_command(run, OrchestrationError)


@task(
    help={
        "env": ENV_HELP,
        "endpoint": ENDPOINT_HELP,
        "check": "only report what exists and what would change; changes nothing (1: not ready)",
        "admin_trust": ADMIN_TRUST_HELP,
    }
)
def bootstrap(
    c: Context,
    *,
    env: str,
    endpoint: str | None = None,
    check: bool = False,
    admin_trust: bool = False,
) -> None:
    """Create the declared state bucket and key, and the IAM roles deploys need (idempotent)."""
    from orchestration import state_commands  # noqa: PLC0415

    _state_command(
        lambda: state_commands.bootstrap(env, endpoint=endpoint, check=check, admins=admin_trust)
    )


@task(
    positional=["action"],
    help={
        "action": "migrate (to the declared backend), history (checkpoint versions) or restore",
        "env": ENV_HELP,
        "project": "migrate: only this project; history, restore: the project (required)",
        "to": "migrate: `declared` (the environment file's state_backend) or a backend (s3, ...)",
        "version": "restore: the checkpoint version id `invoke state history` lists",
        "endpoint": ENDPOINT_HELP,
        "abandon": "migrate: remove from the target what an interrupted migration created",
    },
)
def state(
    c: Context,
    action: str,
    *,
    env: str,
    project: str | None = None,
    to: str | None = None,
    version: str | None = None,
    endpoint: str | None = None,
    abandon: bool = False,
) -> None:
    """Move stacks to the declared backend, or list and restore checkpoint versions."""
    from orchestration import state_commands  # noqa: PLC0415

    _state_command(
        lambda: state_commands.state(
            action,
            env,
            project=project,
            to=to,
            version=version,
            endpoint=endpoint,
            abandon=abandon,
        )
    )


@task(
    help={
        "env": ENV_HELP,
        "project": "only the team owning this project; default: every team",
        "json_": "write the roles as JSON keyed by team to this path, or - for only the JSON",
        "account": ACCOUNT_HELP,
        "admin_trust": ADMIN_TRUST_HELP,
    }
)
def roles(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    json_: str | None = None,
    account: str | None = None,
    admin_trust: bool = False,
) -> None:
    """Each team's deploy role: name, trust and least-privilege policy, from the offline plan."""
    from orchestration.roles.cli import RolesRefused, run_roles  # noqa: PLC0415

    _run_command(
        lambda: run_roles(
            env, project=project, json_path=json_, account=account, admins=admin_trust
        ),
        RolesRefused,
    )


@task(help={"check": "only compare: exit 1 when a generated file is out of date"})
def generate(c: Context, *, check: bool = False) -> None:
    """Write CODEOWNERS and the deploy workflow from shared/topology.py and the environments."""
    from tooling.generated import main  # noqa: PLC0415

    _check_project_folders()
    _run_command(lambda: main(["--check"] if check else []))


@task(
    iterable=["reads"],
    help={
        "name": "the project's name: its folder, stacks and tags (lowercase letters, digits)",
        "team": "the GitHub team that owns it (its slug, as CODEOWNERS names it)",
        "reads": "an output it reads, as PROJECT.OUTPUT (e.g. security.kms_key_arn); repeat it",
        "description": "one line on what the project holds",
    },
)
def new_project(
    c: Context, name: str, *, team: str, reads: list[str], description: str | None = None
) -> None:
    """Add a project: its folder, its topology entry, and the regenerated files."""
    from tooling.new_project import NewProjectError, main  # noqa: PLC0415

    _check_project_folders()
    _run_command(lambda: main(name, team, reads, description, REPO_ROOT), NewProjectError)


@task
def setup(c: Context) -> None:
    """Install the Pulumi CLI matching the pinned SDK into .tools/ (idempotent, cached)."""
    from orchestration import commands  # noqa: PLC0415
    from orchestration.engine.interface import OrchestrationError  # noqa: PLC0415

    paths = commands.Paths.for_repo(REPO_ROOT)
    try:
        bin_dir = commands.ensure_cli(paths.tools_dir, lambda line: print(line, flush=True))
    except OrchestrationError as error:
        raise Exit(str(error), code=1) from None
    print(f"Pulumi CLI ready: {bin_dir / 'pulumi'} (the tasks put {bin_dir} first on PATH)")


@task
def lint_workflows(c: Context) -> None:
    """Lint .github/workflows: actionlint (built with Go on first use) and zizmor (offline)."""
    from orchestration import commands  # noqa: PLC0415
    from tooling import workflow_lint  # noqa: PLC0415

    try:
        actionlint = workflow_lint.ensure_actionlint(
            commands.Paths.for_repo(REPO_ROOT).tools_dir, lambda line: print(line, flush=True)
        )
    except workflow_lint.WorkflowLintUnavailable as error:
        raise Exit(str(error), code=1) from None
    with c.cd(str(REPO_ROOT)):
        for command in workflow_lint.lint_commands(REPO_ROOT, actionlint):
            result = c.run(shlex.join(command), warn=True, pty=False)
            if result is None or result.failed:
                code = result.exited if result is not None else 1
                raise Exit(f"failed: {Path(command[0]).name} (see above)", code=code or 1)
    print("Workflows: actionlint and zizmor found nothing.")


@task
def test(c: Context) -> None:
    """Lint, format, types, architecture contract, workflows, every test suite (engine too)."""
    # Ctrl-C goes to the test processes; no stack operation is involved.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    python = shlex.quote(sys.executable)
    steps = (
        f"{python} -m ruff check .",
        f"{python} -m ruff format --check .",
        f"{python} -m mypy",
        # The architecture contract in pyproject.toml: which side may import which.
        shlex.quote(str(Path(sys.executable).with_name("lint-imports"))) + " --no-logo",
        # The GitHub Actions workflows: actionlint and zizmor.
        f"{python} -m invoke lint-workflows",
        # The engine tests need the real CLI: build it first, visibly, not inside a fixture.
        f"{python} -m invoke setup",
        # One worker per CPU (pytest-xdist); a module's tests stay on one worker, so a module
        # that deploys an environment once for its tests still deploys it once. Modules go out
        # in collection order, the slow engine modules (tests/engine) first: xdist's default
        # reorder by test count sent them last, and one worker ran them alone at the end.
        f"{python} -m pytest --cov --cov-branch --numprocesses auto --dist loadscope"
        " --no-loadscope-reorder",
        f"{python} -m coverage report --include={','.join(FULLY_COVERED)} --fail-under=100",
        # Checkov's second opinion on both environments' plans (one Checkov run).
        f"{python} -m invoke scan --env development --env production",
    )
    with c.cd(str(REPO_ROOT)):
        for command in steps:
            result = c.run(command, warn=True, pty=False)
            if result is None or result.failed:
                code = result.exited if result is not None else 1
                raise Exit(f"failed: {command}", code=code or 1)
            # Coverage warns through Python's warnings at report time, outside the tests that
            # pytest's filterwarnings turns into errors, and has no setting to make them errors.
            if COVERAGE_WARNING in result.stdout + result.stderr:
                raise Exit(f"failed: {command} (coverage warned, see above)", code=1)


@task(
    help={
        "env": ENV_HELP,
        "project": "plan this project and the projects it reads from; default: every project",
        "json_": (
            "also write the machine-readable plan (resources, outputs, violations) to this "
            "path, or - for stdout (the report then goes to stderr); with --base, the JSON diff"
        ),
        "format_": (
            "text (default); markdown: per stack resources, references, findings, diagram; "
            "terraform-plan-json: the plan as Terraform plan JSON, for Checkov (invoke scan); "
            "with --base: text or markdown"
        ),
        "base": (
            "show the plan as a diff against this git revision (planned by its own code): "
            "what a deploy would create, update, replace or delete"
        ),
        "fail_on_changes": f"with --base: exit {EXIT_CHANGES} when anything changes",
        "output": "write the report to this path instead of printing it ($GITHUB_STEP_SUMMARY)",
        "annotate": "also print each finding as a GitHub Actions annotation (::error/::warning)",
        "timing": "instead of planning, time the plan against importing its pulumi_aws modules",
        "runs": "with --timing: fresh-interpreter runs of each measurement (default 5)",
    }
)
def plan(
    c: Context,
    *,
    env: str,
    project: str | None = None,
    json_: str | None = None,
    format_: str = "text",
    output: str | None = None,
    annotate: bool = False,
    timing: bool = False,
    runs: int = 5,
    base: str | None = None,
    fail_on_changes: bool = False,
) -> None:
    """Offline plan with the security rules: no cloud, credentials, Pulumi CLI or state."""
    from orchestration.plan.cli import PlanError, run_diff, run_plan  # noqa: PLC0415
    from tooling.plan_timing import run_timing  # noqa: PLC0415

    def run() -> int:
        if timing:
            if runs < 1:
                raise PlanError(f"--runs {runs}: give at least 1 (runs of each measurement)")
            return run_timing(env, runs=runs)
        if base:
            return run_diff(
                env,
                base,
                project=project,
                json_path=json_,
                fmt=format_,
                output=output,
                annotate=annotate,
                fail_on_changes=fail_on_changes,
            )
        if fail_on_changes:
            raise PlanError("--fail-on-changes needs --base: changes against what?")
        return run_plan(
            env, project=project, json_path=json_, fmt=format_, output=output, annotate=annotate
        )

    _run_command(run, PlanError)


@task(
    help={
        "env": ENV_HELP,
        "format_": "mermaid (default; GitHub renders it) or dot (Graphviz, one diagram)",
        "project": "draw this project and the projects it reads from; default: every project",
        "view": "print only this picture, bare Mermaid: overview or a project's name",
        "pictures": "render every picture to <dir>/<env>-<view>.png at GitHub's width "
        "(needs chromium and `npm ci --prefix docs/tooling`)",
        "base": "mark what the change since this git revision creates, updates, replaces or "
        "deletes (as `invoke plan --base` reports it)",
    }
)
def graph(
    c: Context,
    *,
    env: str,
    format_: str = "mermaid",
    project: str | None = None,
    view: str | None = None,
    pictures: str | None = None,
    base: str | None = None,
) -> None:
    """The environment's pictures from its offline plan: an overview, then one per stack (its
    network, the traffic path, what it reads), with a legend; --base marks a change."""
    from orchestration.plan.cli import PlanError, run_graph  # noqa: PLC0415

    if pictures is not None:
        from tooling.diagram_pictures import PictureError, write_pictures  # noqa: PLC0415

        def render() -> int:
            write_pictures(env, Path(pictures))
            return 0

        _run_command(render, PictureError, PlanError)
        return
    _run_command(
        lambda: run_graph(env, fmt=format_, project=project, view=view, base=base), PlanError
    )


@task(
    help={
        "base": "the branch or commit the change is compared with (from where head left it)",
        "head": "the commit holding the change (default HEAD; uncommitted files do not count)",
        "all_": "instead of --base: every project in every environment (a first deploy)",
        "json_": (
            "also write JSON (projects, environments each in deploy order, reasons) to this "
            "path, or - to print only the JSON"
        ),
    }
)
def affected(
    c: Context,
    *,
    base: str | None = None,
    head: str = "HEAD",
    all_: bool = False,
    json_: str | None = None,
) -> None:
    """Which projects (per environment, in deploy order) a change touches, from the code."""
    from orchestration.affected import AffectedError  # noqa: PLC0415
    from orchestration.affected.report import run_affected  # noqa: PLC0415
    from shared.output_target import OutputTargetError  # noqa: PLC0415

    _check_project_folders()
    _run_command(
        lambda: run_affected(base, head, everything=all_, json_path=json_, repo_root=REPO_ROOT),
        AffectedError,
        OutputTargetError,
    )


@task(help={"env": ENV_HELP, "endpoint": ENDPOINT_HELP})
def verify(c: Context, *, env: str, endpoint: str | None = None) -> None:
    """Check the deployed environment against the security baseline (read-only, boto3)."""
    from orchestration.verify.cli import credentials_hint, verify_action  # noqa: PLC0415

    _orchestrate(
        env, verify_action(endpoint), endpoint=endpoint, credentials_hint=credentials_hint(env)
    )


@task(
    iterable=["env"],
    help={
        "env": ENV_HELP + "; repeat it to scan several in one Checkov run",
        "verbose": "also list each suppressed finding with its reason (default: their count)",
    },
)
def scan(c: Context, *, env: list[str], verbose: bool = False) -> None:
    """Checkov on the offline plan (as Terraform plan JSON), with the reasoned suppressions."""
    from orchestration.scan.cli import ScanError, run_scan  # noqa: PLC0415

    _run_command(lambda: run_scan(env, verbose=verbose), ScanError)


def _check_project_folders() -> None:
    """Exit with one message when projects/ and shared/topology.py disagree."""
    from shared.paths import PROJECTS_DIR  # noqa: PLC0415
    from shared.topology import TOPOLOGY, ContractError  # noqa: PLC0415

    _run_command(lambda: TOPOLOGY.check_folders(PROJECTS_DIR), ContractError)
