"""The tasks and the checks before an engine runs: through invoke's Program and MockContext."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from invoke import Collection, Program
from invoke.context import MockContext
from invoke.exceptions import Exit
from invoke.runners import Result

import tasks
from orchestration import commands
from orchestration.engine.cli_engine import AutomationEngine
from orchestration.engine.interface import EngineUnavailable, OrchestrationError
from orchestration.preflight import CredentialsError
from orchestration.runner import Orchestrator
from orchestration.state.passphrase import PASSPHRASE_VAR
from orchestration.verify.cli import credentials_hint
from orchestration.verify.runner import needed_outputs
from shared.paths import REPO_ROOT
from shared.settings import EnvironmentSettings, load_settings
from shared.topology import COMPUTE, TOPOLOGY
from tests.orchestration.engine_double import InMemoryEngine
from tests.topology_roles import (
    ALL,
    DEPLOY_LEVELS,
    LEAF,
    MIDDLE,
    ROOT,
    TEARDOWN_LEVELS,
    levels,
    stack,
    teardown_order,
)

ORCHESTRATION_TASKS = (
    "deploy",
    "preview",
    "destroy",
    "outputs",
    "refresh",
    "drift",
    "test",
    "bootstrap",
    "state",
    "generate",
)
KNOWN_ENVS = "known environments: development, production"


class Opener:
    """Stands in for commands.open_orchestrator: an orchestrator over an InMemoryEngine."""

    def __init__(self) -> None:
        self.engines = {
            env: InMemoryEngine(environment=env) for env in ("development", "production")
        }
        self.calls: list[dict[str, Any]] = []
        self.out = io.StringIO()

    @property
    def engine(self) -> InMemoryEngine:
        """The development engine (most tests)."""
        return self.engines["development"]

    def __call__(self, settings: EnvironmentSettings, **options: Any) -> Orchestrator:
        self.calls.append(options)
        engine = self.engines[settings.environment]
        return Orchestrator(engine, settings, out=self.out, ask=options["ask"])


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> Opener:
    double = Opener()
    monkeypatch.setattr(commands, "open_orchestrator", double)
    # The tests run without a terminal, like CI.
    monkeypatch.setattr(commands, "terminal_ask", lambda: None)
    return double


def invoke_cli(*argv: str) -> int:
    """Run `invoke <argv>` in-process against tasks.py; the exit code."""
    program = Program(namespace=Collection.from_module(tasks), version="test")
    with pytest.raises(SystemExit) as exited:
        program.run(["invoke", *argv])
    return int(exited.value.code or 0)


# ---- the task surface -----------------------------------------------------------------------


def test_invoke_list_shows_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    program = Program(namespace=Collection.from_module(tasks), version="test")
    program.run(["invoke", "--list"], exit=False)

    listed = capsys.readouterr().out
    for name in ORCHESTRATION_TASKS:
        assert re.search(rf"^\s+{name}\s+\S", listed, re.MULTILINE), name


@pytest.mark.parametrize("name", ORCHESTRATION_TASKS)
def test_every_flag_is_documented_and_the_docstring_is_one_line(name: str) -> None:
    # invoke consumes a task's help dict when it builds the parser: use fresh task objects.
    task = getattr(importlib.reload(tasks), name)
    parameters = [p for p in inspect.signature(task.body).parameters if p != "c"]

    arguments = task.get_arguments()

    assert sorted(arg.attr_name or arg.name for arg in arguments) == sorted(parameters)
    assert all(argument.help and argument.help.strip() for argument in arguments)
    assert len(task.__doc__.strip().splitlines()) == 1


def test_a_short_flag_means_one_long_flag_in_every_task(
    capsys: pytest.CaptureFixture[str],
) -> None:
    collection = Collection.from_module(importlib.reload(tasks))
    meaning: dict[str, set[str]] = {}
    longs: set[str] = set()
    for context in collection.to_contexts():
        for argument in context.args.values():
            long_name, *shorts = argument.names
            longs.add(long_name)
            for short in shorts:
                meaning.setdefault(short, set()).add(long_name)

    assert {short: sorted(names) for short, names in meaning.items()} == {
        "e": ["env"],
        "p": ["project"],
        "y": ["yes"],
    }
    assert {"env", "project", "yes"} <= longs
    # invoke --help shows them the same way in every task that has them.
    for name in ("deploy", "destroy", "plan", "outputs", "state"):
        invoke_cli("--help", name)
        shown = capsys.readouterr().out
        assert "-e STRING, --env=STRING" in shown, name
        assert "-p STRING, --project=STRING" in shown, name
        assert not re.search(r"^\s+-[a-z]\b(?! STRING, --(env|project))(?!, --yes)", shown, re.M)


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["plna"], "No idea what 'plna' is! Did you mean 'plan'?"),
        (["plan", "--evn", "development"], "No idea what '--evn' is! Did you mean '--env'?"),
        (["deploy", "--no-refrsh"], "Did you mean '--no-refresh'?"),
        (["new-projct", "x"], "Did you mean 'new-project'?"),
    ],
)
def test_a_misspelt_task_or_flag_suggests_the_nearest(
    capsys: pytest.CaptureFixture[str], argv: list[str], suggestion: str
) -> None:
    code = invoke_cli(*argv)

    error = capsys.readouterr().err
    assert code == 1
    assert suggestion in error
    assert error.count("\n") == 1


def test_an_unknown_word_far_from_any_suggests_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke_cli("plan", "--wat") == 1
    assert capsys.readouterr().err == "No idea what '--wat' is!\n"


@pytest.mark.parametrize("name", ["plan", "deploy", "verify", "new-project"])
def test_a_missing_required_flag_is_named_as_a_flag(
    opener: Opener, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    argv = [name, "x"] if name == "new-project" else [name]
    flag = "--team TEAM" if name == "new-project" else "--env development"

    code = invoke_cli(*argv)

    assert code == 1
    assert (
        capsys.readouterr().err
        == f"invoke {name} needs the flag {flag.split(maxsplit=1)[0]}: e.g. {flag}\n"
    )
    assert opener.calls == []


def test_a_misspelt_environment_suggests_the_nearest(
    opener: Opener, capsys: pytest.CaptureFixture[str]
) -> None:
    code = invoke_cli("preview", "-e", "developmnt")

    assert code == 1
    assert "did you mean 'development'?" in capsys.readouterr().err
    assert opener.calls == []


def test_an_unknown_environment_is_one_line_listing_the_known_ones(
    opener: Opener, capsys: pytest.CaptureFixture[str]
) -> None:
    code = invoke_cli("deploy", "--env", "staging")

    error = capsys.readouterr().err
    assert code == 1
    assert error.count("\n") == 1
    assert error.startswith("unknown environment 'staging'; " + KNOWN_ENVS)
    assert opener.calls == []
    assert opener.engine.calls == []


@pytest.mark.parametrize("name", ["deploy", "preview", "destroy", "outputs", "refresh", "drift"])
def test_every_task_checks_the_environment_before_anything_else(opener: Opener, name: str) -> None:
    with pytest.raises(Exit) as exited:
        getattr(tasks, name)(MockContext(), env="staging")

    assert exited.value.code == 1
    assert KNOWN_ENVS in str(exited.value.message)
    assert opener.calls == []


def test_the_state_tasks_check_the_environment_before_anything_else() -> None:
    with pytest.raises(Exit, match="unknown environment 'staging'") as exited:
        tasks.bootstrap(MockContext(), env="staging")
    assert exited.value.code == 1
    with pytest.raises(Exit, match="unknown environment 'staging'"):
        tasks.state(MockContext(), "history", env="staging", project=ROOT)


@pytest.mark.parametrize(
    "variable_breaks",
    [
        ("PULUMI_SKIP_CHECKPOINTS", "a killed run would leave resources that no state"),
        ("PULUMI_DISABLE_CHECKPOINT_BACKUPS", "keep no backup of each checkpoint"),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [
        ("deploy", "--env", "development", "--yes"),
        ("preview", "--env", "development"),
        ("destroy", "--env", "development", "--yes"),
        ("refresh", "--env", "development"),
        ("drift", "--env", "development"),
        ("outputs", "--env", "development"),
        ("verify", "--env", "development"),
        ("state", "migrate", "--env", "development", "--to", "declared"),
    ],
)
def test_a_variable_that_weakens_the_state_stops_every_stack_task(
    opener: Opener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable_breaks: tuple[str, str],
    argv: tuple[str, ...],
) -> None:
    variable, breaks = variable_breaks
    monkeypatch.setenv(variable, "true")

    code = invoke_cli(*argv)

    error = capsys.readouterr().err
    assert code == 1
    assert error.count("\n") == 1
    assert error.startswith(f"{variable}=true is set: ")
    assert breaks in error
    assert "Unset it; nothing was run." in error
    assert opener.calls == []


@pytest.mark.parametrize(
    ("value", "refused"), [("1", True), ("TRUE", True), ("false", False), ("0", False), ("", False)]
)
def test_skip_checkpoints_is_refused_when_pulumi_reads_it_as_true(
    opener: Opener, value: str, refused: bool
) -> None:
    def run() -> int:
        return commands.run(
            "development",
            lambda orchestrator: 0,
            environ={"PULUMI_SKIP_CHECKPOINTS": value},
        )

    if refused:
        with pytest.raises(OrchestrationError, match="PULUMI_SKIP_CHECKPOINTS"):
            run()
        assert opener.calls == []
    else:
        assert run() == 0
        assert len(opener.calls) == 1


def test_skip_confirmations_is_left_alone(opener: Opener) -> None:
    # The tasks confirm themselves (--yes, --confirm) and pass the CLI its own --yes.
    environ = {"PULUMI_SKIP_CONFIRMATIONS": "true", "PULUMI_RETAIN_CHECKPOINTS": "true"}
    assert commands.run("development", lambda orchestrator: 0, environ=environ) == 0
    assert len(opener.calls) == 1


# A closed local port: should a refusal be missing, nothing leaves the machine.
NOWHERE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "variable",
    ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_KMS"],
)
@pytest.mark.parametrize(
    "argv",
    [
        ("bootstrap", "--env", "production"),
        ("state", "history", "--env", "production", "--project", ROOT),
        ("state", "migrate", "--env", "development", "--to", "declared"),
        ("deploy", "--env", "development", "--yes"),
        ("outputs", "--env", "development"),
        ("verify", "--env", "development"),
    ],
)
def test_an_aws_endpoint_variable_without_endpoint_is_refused(
    opener: Opener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    argv: tuple[str, ...],
) -> None:
    monkeypatch.setenv(variable, NOWHERE)

    code = invoke_cli(*argv)

    error = capsys.readouterr().err
    assert code == 1
    assert error.count("\n") == 1
    assert error.startswith(f"{variable}={NOWHERE} is set: ")
    assert "Unset it, or pass --endpoint URL explicitly" in error
    assert "Traceback" not in error
    assert opener.calls == []


def test_an_aws_endpoint_variable_with_endpoint_is_the_users_choice(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", NOWHERE)

    tasks.deploy(MockContext(), env="development", yes=True, endpoint=NOWHERE)

    assert opener.calls[0]["endpoint"] == NOWHERE


def test_the_orchestrators_aws_clients_ignore_endpoint_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.state.aws import aws_client  # noqa: PLC0415

    monkeypatch.setenv("AWS_ENDPOINT_URL", NOWHERE)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", NOWHERE)

    assert aws_client("s3", "us-west-2", None).meta.endpoint_url.startswith("https://s3.")
    assert aws_client("sts", "us-west-2", None).meta.endpoint_url.startswith("https://sts.")
    assert aws_client("s3", "us-west-2", "http://localhost:4566").meta.endpoint_url == (
        "http://localhost:4566"
    )


def test_an_unknown_project_is_refused_before_anything_else(opener: Opener) -> None:
    known = re.escape(", ".join(ALL))
    with pytest.raises(Exit, match=f"unknown project 'network'; known projects: {known}"):
        tasks.deploy(MockContext(), env="development", project="network", yes=True)
    assert opener.calls == []


# ---- what the tasks hand to the orchestrator ------------------------------------------------


def test_deploy_runs_the_whole_environment(opener: Opener) -> None:
    tasks.deploy(MockContext(), env="development", yes=True)

    assert levels(opener.engine.ops("up")) == DEPLOY_LEVELS
    (call,) = opener.calls
    assert call["policy"] is True
    assert call["aws"] is True
    assert call["endpoint"] is None
    assert call["paths"] == commands.Paths.for_repo(Path(tasks.__file__).parent)
    assert "Summary: deploy development" in opener.out.getvalue()


def test_deploy_without_a_terminal_or_yes_is_refused(opener: Opener) -> None:
    with pytest.raises(Exit, match="no terminal to confirm on: add --yes") as exited:
        tasks.deploy(MockContext(), env="development")
    assert exited.value.code == 1
    assert opener.engine.mutating_calls == []


def test_no_policy_and_endpoint_are_passed_on_with_a_warning(
    opener: Opener, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks.deploy(
        MockContext(),
        env="development",
        yes=True,
        endpoint="http://localhost:4566",
        no_policy=True,
    )

    (call,) = opener.calls
    assert call["policy"] is False
    assert call["endpoint"] == "http://localhost:4566"
    assert "WARNING: --no-policy" in capsys.readouterr().err


CERTIFICATE_ELSEWHERE = (
    "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"
)


@pytest.mark.parametrize(
    "case",
    [
        (
            task,
            f"  compute:certificateArn: {CERTIFICATE_ELSEWHERE}\n",
            "stack 'production': compute:certificateArn is a certificate of eu-west-1, but the "
            "load balancer is in us-west-2: ACM certificates are regional, use one of "
            "us-west-2. Nothing was run.",
        )
        for task in ("deploy", "preview")
    ]
    + [
        (
            "deploy",
            "  compute:instanceCont: 3\n",
            "stack 'production': compute:instanceCont is not a setting of the compute project; "
            "did you mean compute:instanceCount?",
        ),
        # Issue 21: keys of another namespace were ignored by plan and preview alike.
        (
            "preview",
            "  comptue:webPort: 8080\n",
            "stack 'production': comptue:webPort is not read by the compute project: its stack "
            "files hold only compute:<setting> keys; did you mean compute:webPort?",
        ),
        (
            "deploy",
            "  storage:accessLogRetentionDays: 30\n",
            "stack 'production': storage:accessLogRetentionDays is not read by the compute "
            "project: its stack files hold only compute:<setting> keys.",
        ),
        (
            "preview",
            "  aws:region: eu-west-1\n",
            "stack 'production': aws:region is refused: the region lives in "
            "shared/config/common.yaml only",
        ),
    ],
)
def test_a_bad_knob_of_any_selected_project_is_refused_before_any_stack_runs(
    opener: Opener, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: tuple[str, str, str]
) -> None:
    task, line, refusal = case
    # Compute's program would refuse these itself, but only after its producers were deployed:
    # the tasks check every selected project's knobs first.
    projects = tmp_path / "projects"
    shutil.copytree(Path(tasks.__file__).parent / "projects", projects)
    stack_file = projects / COMPUTE / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text() + line)
    repo_paths = commands.Paths.for_repo(Path(tasks.__file__).parent)
    monkeypatch.setattr(
        commands.Paths,
        "for_repo",
        classmethod(lambda cls, root=None: dataclasses.replace(repo_paths, projects_dir=projects)),
    )

    options = {"yes": True} if task == "deploy" else {}
    with pytest.raises(Exit) as exited:
        getattr(tasks, task)(MockContext(), env="production", **options)

    message = str(exited.value.message)
    assert message.startswith(refusal)
    assert message.endswith("Nothing was run.")
    assert opener.calls == []
    assert opener.engines["production"].calls == []


@pytest.mark.parametrize("task", ["deploy", "preview", "outputs", "destroy"])
def test_a_project_folder_the_topology_does_not_know_stops_every_task(
    opener: Opener, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, task: str
) -> None:
    projects = tmp_path / "projects"
    shutil.copytree(Path(tasks.__file__).parent / "projects", projects)
    unknown = "unregistered"
    assert unknown not in TOPOLOGY.names
    (projects / unknown).mkdir()
    repo_paths = commands.Paths.for_repo(Path(tasks.__file__).parent)
    monkeypatch.setattr(
        commands.Paths,
        "for_repo",
        classmethod(lambda cls, root=None: dataclasses.replace(repo_paths, projects_dir=projects)),
    )

    with pytest.raises(Exit) as exited:
        getattr(tasks, task)(MockContext(), env="development")

    assert exited.value.code == 1
    assert str(exited.value.message).startswith(
        f"projects/{unknown}/ is not a project of shared/topology.py"
    )
    assert opener.calls == []


def test_a_failed_stack_makes_the_task_exit_1(opener: Opener) -> None:
    from orchestration.engine.interface import EngineFailure  # noqa: PLC0415

    opener.engine.failures[("up", MIDDLE)] = EngineFailure("no")

    with pytest.raises(Exit) as exited:
        tasks.deploy(MockContext(), env="development", yes=True)
    assert exited.value.code == 1


def test_drift_exits_2_when_a_stack_drifted(opener: Opener) -> None:
    opener.engine.deploy_all()
    opener.engine.drift[LEAF] = {"update": 2}

    with pytest.raises(Exit) as exited:
        tasks.drift(MockContext(), env="development")
    assert exited.value.code == 2


def test_production_destroy_with_yes_only_is_refused(opener: Opener) -> None:
    production = opener.engines["production"]
    production.deploy_all()

    with pytest.raises(Exit, match="--confirm production"):
        tasks.destroy(MockContext(), env="production", yes=True)
    assert production.ops("destroy") == []

    tasks.destroy(MockContext(), env="production", confirm="production")
    assert levels(production.ops("destroy")) == TEARDOWN_LEVELS


def test_destroy_passes_cascade(opener: Opener) -> None:
    opener.engine.deploy_all()

    tasks.destroy(MockContext(), env="development", project=MIDDLE, cascade=True, yes=True)

    cascade = teardown_order([MIDDLE, *TOPOLOGY.all_consumers(MIDDLE)])
    assert cascade[0] == LEAF
    assert levels(opener.engine.ops("destroy")) == levels(cascade)
    assert opener.calls[0]["policy"] is None


def test_outputs_need_no_aws_credentials(opener: Opener) -> None:
    opener.engine.deploy_now(ROOT)

    tasks.outputs(MockContext(), env="development", json_="-")

    assert opener.calls[0]["aws"] is False
    assert f'"{ROOT}": {{' in opener.out.getvalue()


def test_refresh_and_preview_reach_the_engine(opener: Opener) -> None:
    opener.engine.deploy_all()

    tasks.refresh(MockContext(), env="development")
    tasks.preview(MockContext(), env="development", project=MIDDLE)

    assert opener.engine.ops("refresh") == list(ALL)
    assert opener.engine.ops("preview") == [MIDDLE]


def test_verify_leaves_the_credential_check_and_stack_names_to_the_orchestrator(
    opener: Opener,
) -> None:
    with pytest.raises(Exit) as exited:
        tasks.verify(MockContext(), env="development")

    (call,) = opener.calls
    assert call["aws"] is True  # commands.open_orchestrator checks the AWS credentials
    assert call["endpoint"] is None
    assert exited.value.code == 1
    # Verify reads the stacks it checks (needed_outputs), one after another.
    read = list(needed_outputs(load_settings("development")))
    assert f"stack {stack(read[0])} does not exist" in str(exited.value.message)
    assert opener.engine.ops("outputs") == read


def test_ctrl_c_before_any_stack_runs_exits_130(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "terminal_ask", lambda: interrupted)

    with pytest.raises(Exit) as exited:
        tasks.deploy(MockContext(), env="development")
    assert exited.value.code == 130
    assert opener.engine.mutating_calls == []


# ---- the checks before an engine runs (commands.open_orchestrator) --------------------------


def _no_cli(tools: Path, progress: Any) -> Path:
    raise AssertionError("the CLI must not be looked for")


@pytest.fixture
def paths(tmp_path: Path) -> commands.Paths:
    (tmp_path / "policy-pack").mkdir()
    (tmp_path / "policy-pack" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    return commands.Paths.for_repo(tmp_path, pulumi_home=tmp_path / "home")


def _unavailable(tools: Path, progress: Any) -> Path:
    raise EngineUnavailable("no Pulumi CLI: run `invoke setup`")


@pytest.mark.parametrize(
    ("environment", "options", "error", "match"),
    [
        pytest.param(
            "production",
            {
                "policy": True,
                # Production's secrets under a passphrase on a shared bucket: it must be given.
                "environ": {
                    "PULUMI_BACKEND_URL": "s3://team-state?region=us-west-2",
                    "WEBAPP_SECRETS_PROVIDER": "passphrase",
                },
                # The caller is in production's declared account.
                "checks": commands.Checks(
                    locate_cli=_no_cli,
                    resolve_credentials=lambda _: True,
                    lookup_account=lambda region, endpoint: "123456789012",
                ),
            },
            OrchestrationError,
            "set PULUMI_CONFIG_PASSPHRASE",
            id="production-without-a-passphrase",
        ),
        pytest.param(
            "development",
            {"checks": commands.Checks(locate_cli=_no_cli, resolve_credentials=lambda _: False)},
            CredentialsError,
            "`invoke plan --env development`",
            id="no-credentials-before-the-cli-is-looked-for",
        ),
        pytest.param(
            "development",
            {
                "checks": commands.Checks(
                    locate_cli=_unavailable, resolve_credentials=lambda _: True
                )
            },
            EngineUnavailable,
            "invoke setup",
            id="no-cli",
        ),
        pytest.param(
            "development",
            {"endpoint": "localhost:4566"},
            OrchestrationError,
            "'localhost:4566' is not a URL",
            id="endpoint-not-a-url",
        ),
    ],
)
def test_a_refused_run_stops_before_anything_is_written(
    paths: commands.Paths, environment: str, options: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        commands.open_orchestrator(
            load_settings(environment),
            paths=paths,
            **{"environ": {}, "checks": commands.Checks(locate_cli=_no_cli), **options},
        )
    assert not paths.state_dir.exists()


def test_a_missing_policy_pack_is_named(development: EnvironmentSettings, tmp_path: Path) -> None:
    elsewhere = commands.Paths.for_repo(tmp_path / "empty")
    with pytest.raises(OrchestrationError, match=r"policy pack is missing .* pass --no-policy"):
        commands.open_orchestrator(
            development, paths=elsewhere, policy=True, checks=commands.Checks(locate_cli=_no_cli)
        )


def _fake_cli_dir(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "tools" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").write_text("#!/bin/sh\necho v3.260.0\n")
    (bin_dir / "pulumi").chmod(0o755)
    return bin_dir


def test_an_emulator_run_skips_the_credential_check_and_builds_the_engine(
    development: EnvironmentSettings, paths: commands.Paths, tmp_path: Path
) -> None:
    bin_dir = _fake_cli_dir(tmp_path)
    progress = io.StringIO()

    def locate(tools: Path, report: Any) -> Path:
        assert tools == paths.tools_dir
        report("CLI ready")
        return bin_dir

    def no_credentials_check(_: str) -> bool:
        raise AssertionError("an emulator run must not check AWS credentials")

    orchestrator = commands.open_orchestrator(
        development,
        paths=paths,
        endpoint="http://localhost:4566",
        policy=True,
        environ={},
        err=progress,
        checks=commands.Checks(locate_cli=locate, resolve_credentials=no_credentials_check),
    )

    engine = orchestrator.engine
    assert isinstance(engine, AutomationEngine)
    assert progress.getvalue() == "CLI ready\n"
    assert engine.arguments("up", ROOT)[5:7] == ["--policy-pack", str(paths.policy_pack)]
    assert engine.env_vars()["WEBAPP_AWS_ENDPOINT"] == "http://localhost:4566"
    assert engine.stack_name(ROOT) == stack(ROOT)
    assert (paths.state_dir / "passphrase").is_file()


def test_the_user_passphrase_and_credentials_lead_to_the_cli(
    development: EnvironmentSettings, paths: commands.Paths, tmp_path: Path
) -> None:
    bin_dir = _fake_cli_dir(tmp_path)

    orchestrator = commands.open_orchestrator(
        development,
        paths=paths,
        environ={PASSPHRASE_VAR: "mine"},
        checks=commands.Checks(
            locate_cli=lambda tools, report: bin_dir,
            resolve_credentials=lambda region: region == "us-west-2",
        ),
    )

    assert "--policy-pack" not in orchestrator.engine.arguments("up", ROOT)  # type: ignore[attr-defined]
    assert not (paths.state_dir / "passphrase").exists()


def test_the_installers_failure_becomes_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.engine import pulumi_install as pulumi_cli  # noqa: PLC0415

    def unavailable(tools: Path, progress: Any) -> Path:
        raise pulumi_cli.PulumiCliUnavailable("install it by hand: ...")

    monkeypatch.setattr(pulumi_cli, "ensure_pulumi_cli", unavailable)

    with pytest.raises(EngineUnavailable, match="install it by hand"):
        commands.ensure_cli(Path("/nowhere"), print)


def test_run_returns_an_actions_exit_code(opener: Opener) -> None:
    opener.engine.deploy_now(ROOT)

    code = commands.run("development", lambda o: o.show_outputs(ROOT), aws=False)

    assert code == 0
    export = TOPOLOGY.project(ROOT).exports[0]
    assert opener.engine.exports[ROOT][export] in opener.out.getvalue()


def test_terminal_ask_is_none_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO())
    assert commands.terminal_ask() is None


# ---- invoke test ----------------------------------------------------------------------------


def test_the_test_task_stops_at_the_first_failing_step() -> None:
    context = MockContext(
        run={
            # MockContext matches from the start of the command.
            re.compile(r".* -m ruff check"): Result(exited=0),
            re.compile(r".* -m ruff format --check"): Result(exited=0),
            re.compile(r".* -m mypy"): Result(exited=3),
            re.compile(r".* -m (pytest|coverage)"): Result(exited=0),
        }
    )

    with pytest.raises(Exit) as exited:
        tasks.test(context)

    commands_run = [call.args[0] for call in context.run.call_args_list]  # type: ignore[attr-defined]
    assert exited.value.code == 3
    assert "-m mypy" in str(exited.value.message)
    assert len(commands_run) == 3
    assert not any("pytest" in command for command in commands_run)


def test_the_test_task_runs_the_coverage_gate_last() -> None:
    context = MockContext(run={re.compile(r".*"): Result(exited=0)})

    tasks.test(context)

    commands_run = [call.args[0] for call in context.run.call_args_list]  # type: ignore[attr-defined]
    assert commands_run[3].endswith("lint-imports --no-logo")
    assert commands_run[4].endswith("-m invoke lint-workflows")
    assert commands_run[5].endswith("-m invoke setup")
    assert "-m pytest --cov --cov-branch" in commands_run[6]
    assert commands_run[7].endswith(
        "-m coverage report --include=shared/naming.py,shared/settings.py,shared/topology.py,"
        "orchestration/state/declaration.py --fail-under=100"
    )


def test_the_test_task_fails_when_coverage_warns() -> None:
    warned = "coverage/report_core.py:122: CoverageWarning: Couldn't parse 'x.py' (couldnt-parse)"
    context = MockContext(
        run={
            re.compile(r".* -m pytest"): Result(exited=0, stderr=warned),
            re.compile(r".*"): Result(exited=0),
        }
    )

    with pytest.raises(Exit) as exited:
        tasks.test(context)

    commands_run = [call.args[0] for call in context.run.call_args_list]  # type: ignore[attr-defined]
    assert exited.value.code == 1
    assert "coverage warned" in str(exited.value.message)
    assert "-m pytest" in commands_run[-1]


# ---- Ctrl-C before the run takes over SIGINT ------------------------------------------------

EARLY_CTRL_C = """
import os, signal
from invoke import Collection, Program
import tasks

original = Program.parse_tasks

def parse_tasks_then_ctrl_c(self):
    # The user presses Ctrl-C while invoke is still parsing, before any task body runs.
    os.kill(os.getpid(), signal.SIGINT)
    original(self)

Program.parse_tasks = parse_tasks_then_ctrl_c
Program(namespace=Collection.from_module(tasks), version="test").run(
    ["invoke", "outputs", "--env", "development"]
)
"""


def test_ctrl_c_while_invoke_parses_exits_130_with_the_line() -> None:
    # A process of its own: the signal and the exit are the real ones.
    done = subprocess.run(
        [sys.executable, "-c", EARLY_CTRL_C],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "Interrupted before any stack operation started."


def test_outputs_with_no_stack_yet_write_nothing_and_say_so(
    paths: commands.Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(orchestrator: Orchestrator) -> int:
        raise AssertionError("there is nothing to read")

    code = commands.run(
        "development",
        never,
        paths=dataclasses.replace(paths, projects_dir=REPO_ROOT / "projects"),
        environ={},
        aws=False,
        read_only=True,
        checks=commands.Checks(locate_cli=_no_cli),
    )

    assert code == 0
    error = capsys.readouterr().err
    assert error == (
        f"Nothing to show: no stack of development exists yet in {paths.state_dir} "
        "(`invoke deploy --env development` creates them).\n"
    )
    # Neither the state folder nor the generated passphrase: a read-only task writes nothing.
    assert not paths.state_dir.exists()


def test_outputs_of_one_project_with_no_stack_yet_is_refused(paths: commands.Paths) -> None:
    with pytest.raises(commands.NothingDeployed, match="Nothing to show"):
        commands.run(
            "development",
            lambda orchestrator: 0,
            project=ROOT,
            paths=dataclasses.replace(paths, projects_dir=REPO_ROOT / "projects"),
            environ={},
            aws=False,
            read_only=True,
            checks=commands.Checks(locate_cli=_no_cli),
        )
    assert not paths.state_dir.exists()


def test_outputs_read_the_stacks_once_one_exists(paths: commands.Paths) -> None:
    checkpoint = paths.state_dir / ".pulumi" / "stacks" / ROOT / "development.json"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_text("{}", encoding="utf-8")
    passphrase = paths.state_dir / "passphrase"
    passphrase.write_text("secret\n", encoding="utf-8")
    passphrase.chmod(0o600)

    with pytest.raises(EngineUnavailable):
        commands.open_orchestrator(
            load_settings("development"),
            paths=paths,
            environ={},
            aws=False,
            read_only=True,
            checks=commands.Checks(locate_cli=_unavailable),
        )


def test_the_verify_task_passes_its_credentials_hint(opener: Opener) -> None:
    with pytest.raises(Exit, match="cannot verify 'development'"):
        tasks.verify(MockContext(), env="development")

    assert opener.calls[0]["credentials_hint"] == credentials_hint("development")


def test_verify_without_credentials_says_what_verifies_a_live_environment(
    paths: commands.Paths,
) -> None:
    hint = credentials_hint("development")

    with pytest.raises(CredentialsError) as caught:
        commands.open_orchestrator(
            load_settings("development"),
            paths=paths,
            environ={},
            credentials_hint=hint,
            checks=commands.Checks(locate_cli=_no_cli, resolve_credentials=lambda _: False),
        )

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("no AWS credentials found for development (us-west-2): set ")
    assert "AWS_PROFILE" in message
    assert "pass --endpoint URL to verify one deployed to a local AWS emulator" in message
