"""The Automation API adapter without a Pulumi CLI: arguments, environment, results, errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml
from pulumi.automation import PulumiCommand
from pulumi_command_double import ScriptedPulumiCommand

from orchestration.automation import AutomationEngine, pulumi_command_at
from orchestration.automation_errors import failure_summary, map_error, protected_urns
from orchestration.backend import (
    BACKEND_URL_VAR,
    Backend,
    resolve_backend,
)
from orchestration.engine import (
    EngineFailure,
    EngineUnavailable,
    ProtectedResources,
    StackLocked,
    StackNotFound,
)
from orchestration.passphrase import PASSPHRASE_FILE_VAR
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY

DEV = "development"
SECURITY_STACK = "organization/security/development"
NO_STACK = "error: no stack named 'organization/security/development' found"
HISTORY = [
    {
        "kind": "update",
        "startTime": "2026-01-01T00:00:00.000Z",
        "endTime": "2026-01-01T00:01:00.000Z",
        "message": "",
        "environment": {},
        "config": {},
        "result": "succeeded",
        "resourceChanges": {"create": 4, "same": 1},
    }
]
COMMITTED = '# The project\'s knobs.\nconfig:\n  knob: "7"\n  cidrs:\n    - 10.0.0.0/8\n'
SALT = "v1:c2FsdA==:v1:abc:def"
PROTECTED_FAILURE = (
    "Updating (organization/storage/development)\n"
    '    error: resource "urn:pulumi:development::storage::aws:s3/bucket:Bucket::data" cannot be '
    "deleted\n    because it is protected. To unprotect the resource, either remove the `protect`"
    " flag from the resource in your Pulumi program and run `pulumi up`, or use the command:\n"
    "    `pulumi state unprotect 'urn:pulumi:development::storage::aws:s3/bucket:Bucket::data'`\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in TOPOLOGY.names:
        project = tmp_path / "projects" / name
        project.mkdir(parents=True)
        (project / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
        (project / f"Pulumi.{DEV}.yaml").write_text(COMMITTED)
    (tmp_path / "policy-pack").mkdir()
    return tmp_path


@pytest.fixture
def backend(repo: Path, development: EnvironmentSettings) -> Backend:
    return resolve_backend(development, environ={}, state_dir=repo / ".pulumi-state")


@pytest.fixture
def cli() -> ScriptedPulumiCommand:
    return ScriptedPulumiCommand()


def make_engine(
    repo: Path, backend: Backend, cli: ScriptedPulumiCommand, **options: object
) -> AutomationEngine:
    return AutomationEngine(
        projects_dir=repo / "projects",
        config_dir=repo / ".pulumi-state" / "stack-config",
        backend=backend,
        pulumi_command=cli,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def engine(repo: Path, backend: Backend, cli: ScriptedPulumiCommand) -> AutomationEngine:
    return make_engine(repo, backend, cli, policy_packs=[repo / "policy-pack"])


def script_outputs(cli: ScriptedPulumiCommand, masked: dict, plain: dict) -> None:
    cli.on("stack", "output", "--json", "--show-secrets", stdout=json.dumps(plain))
    cli.on("stack", "output", "--json", "--stack", stdout=json.dumps(masked))


# ---- up: arguments, environment, result -----------------------------------------------------


def test_up_runs_the_project_directory_as_a_local_program(engine, cli, repo, backend) -> None:
    cli.on("stack", "select")
    up = cli.on("up", lines=["+ aws:kms:Key key creating", "+ aws:kms:Key key created"])
    script_outputs(
        cli, {"kms_key_arn": "arn:k", "token": "[secret]"}, {"kms_key_arn": "arn:k", "token": "t"}
    )
    cli.on("stack", "history", stdout=json.dumps(HISTORY))
    seen: list[str] = []

    result = engine.up("security", seen.append)

    assert seen == ["+ aws:kms:Key key creating", "+ aws:kms:Key key created"]
    assert dict(result.changes) == {"create": 4, "same": 1}
    assert dict(result.outputs) == {"kms_key_arn": "arn:k", "token": "[secret]"}
    call = up.calls[0]
    assert call.cwd == str(repo / "projects" / "security")
    assert call.args[:3] == ("up", "--yes", "--skip-preview")
    assert call.has("--policy-pack", str(repo / "policy-pack"))
    assert call.has("--color", "never")
    assert call.has("--suppress-progress")
    assert call.has("--message", "invoke (up, development)")
    assert call.has("--exec-kind", "auto.local")
    generated = repo / ".pulumi-state" / "stack-config" / "security" / "Pulumi.development.yaml"
    assert call.has("--config-file", str(generated))
    assert call.args[-2:] == ("--stack", SECURITY_STACK)
    # The salt-writing variant of `stack history` is never used.
    assert cli.calls_to("stack", "history")
    assert all("--show-secrets" not in c.args for c in cli.calls_to("stack", "history"))
    assert call.env[BACKEND_URL_VAR] == backend.url
    assert call.env[PASSPHRASE_FILE_VAR] == str(repo / ".pulumi-state" / "passphrase")
    assert call.env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    # No --endpoint: a value left in the user's shell must not aim the provider elsewhere.
    assert call.env["WEBAPP_AWS_ENDPOINT"] == ""
    assert "PULUMI_HOME" not in call.env


def test_a_new_stack_is_initialised_beside_the_generated_stack_file(engine, cli, repo) -> None:
    cli.on("stack", "select")
    cli.on("stack", "select", stderr=NO_STACK, code=255, times=1)
    init = cli.on("stack", "init")
    cli.on("up")
    script_outputs(cli, {}, {})
    cli.on("stack", "history", stdout=json.dumps(HISTORY))

    engine.up("security", lambda _: None)

    config_dir = repo / ".pulumi-state" / "stack-config" / "security"
    (call,) = init.calls
    assert len(cli.calls_to("stack", "select")) == 2
    assert call.args[:5] == ("stack", "init", SECURITY_STACK, "--secrets-provider", "passphrase")
    # Same project (a copy of Pulumi.yaml), but the salt goes to the generated file.
    assert call.cwd == str(config_dir)
    assert (config_dir / "Pulumi.yaml").read_text() == "name: security\nruntime: python\n"


def test_a_new_stack_on_a_kms_backend_is_created_with_the_kms_provider(
    cli, repo, production: EnvironmentSettings
) -> None:
    kms = resolve_backend(
        production,
        environ={},
        state_dir=repo / ".pulumi-state",
        lookup_account=lambda region, endpoint: "123456789012",
    )
    engine = make_engine(repo, kms, cli)
    cli.on("stack", "select")
    cli.on("stack", "select", stderr=NO_STACK, code=255, times=1)
    init = cli.on("stack", "init")
    cli.on("up")
    script_outputs(cli, {}, {})
    cli.on("stack", "history", stdout=json.dumps(HISTORY))

    engine.up("security", lambda _: None)

    (call,) = init.calls
    assert call.args[3:5] == (
        "--secrets-provider",
        "awskms://alias/webapp-production-state?region=us-west-2",
    )
    # A clone that never created the stack reads its secrets settings from the state.
    assert call.env["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in call.env


def test_the_committed_stack_file_is_only_read(engine, cli, repo) -> None:
    committed = repo / "projects" / "security" / f"Pulumi.{DEV}.yaml"
    generated = engine.stack_config_file("security")
    cli.on("stack", "select")
    preview = cli.on("preview", events=_summary({"same": 1}))

    engine.preview("security", lambda _: None)
    # Pulumi stores the salt in the file it was given; the next run keeps it.
    generated.write_text(generated.read_text() + f"encryptionsalt: {SALT}\n")
    committed.write_text(COMMITTED.replace('"7"', '"8"'))
    engine.preview("security", lambda _: None)

    assert committed.read_text() == COMMITTED.replace('"7"', '"8"')
    text = generated.read_text()
    assert text.startswith(f"# Generated by the invoke tasks from {committed}")
    assert yaml.safe_load(text) == {
        "config": {"knob": "8", "cidrs": ["10.0.0.0/8"]},
        "encryptionsalt": SALT,
    }
    assert all(call.has("--config-file", str(generated)) for call in preview.calls)


def _committed_and_generated_salts(engine, cli, repo) -> str:
    committed = repo / "projects" / "security" / f"Pulumi.{DEV}.yaml"
    committed.write_text(COMMITTED + "encryptionsalt: v1:team\n")
    generated = engine.stack_config_file("security")
    generated.parent.mkdir(parents=True)
    generated.write_text(f"encryptionsalt: {SALT}\n")
    cli.on("stack", "select")
    cli.on("preview", events=_summary({"same": 1}))

    engine.preview("security", lambda _: None)

    return yaml.safe_load(generated.read_text())["encryptionsalt"]


def test_on_a_shared_backend_a_salt_committed_by_the_team_wins(repo, cli, development) -> None:
    backend = resolve_backend(
        development,
        environ={BACKEND_URL_VAR: "s3://team-state", "PULUMI_CONFIG_PASSPHRASE": "team"},
        state_dir=repo / ".pulumi-state",
    )
    engine = make_engine(repo, backend, cli)

    assert _committed_and_generated_salts(engine, cli, repo) == "v1:team"


def test_on_the_local_backend_this_machines_salt_wins(engine, cli, repo) -> None:
    assert _committed_and_generated_salts(engine, cli, repo) == SALT


def test_on_the_local_backend_a_committed_salt_is_never_used(engine, cli, repo) -> None:
    committed = repo / "projects" / "security" / f"Pulumi.{DEV}.yaml"
    committed.write_text(COMMITTED + "encryptionsalt: v1:someone-elses\n")
    cli.on("stack", "select")
    cli.on("preview", events=_summary({"same": 1}))

    engine.preview("security", lambda _: None)

    assert "encryptionsalt" not in yaml.safe_load(engine.stack_config_file("security").read_text())


@pytest.mark.parametrize(
    ("content", "problem"), [("config: [\n", "not valid YAML"), ("- a\n", "must hold a mapping")]
)
def test_a_broken_committed_stack_file_is_named(engine, cli, repo, content, problem) -> None:
    (repo / "projects" / "security" / f"Pulumi.{DEV}.yaml").write_text(content)

    with pytest.raises(EngineFailure, match=problem):
        engine.preview("security", lambda _: None)
    assert cli.calls == []


@pytest.mark.parametrize("empty", [True, False])
def test_a_project_without_a_stack_file_gets_an_empty_one(engine, cli, repo, empty) -> None:
    committed = repo / "projects" / "security" / f"Pulumi.{DEV}.yaml"
    if empty:
        committed.write_text("# nothing yet\n")
    else:
        committed.unlink()
    cli.on("stack", "select")
    cli.on("preview", events=_summary({"same": 1}))

    engine.preview("security", lambda _: None)

    assert yaml.safe_load(engine.stack_config_file("security").read_text()) == {}


def test_the_endpoint_and_pulumi_home_reach_every_call(repo, backend, cli, tmp_path) -> None:
    engine = make_engine(
        repo, backend, cli, endpoint="http://localhost:4566", pulumi_home=tmp_path / "home"
    )
    cli.on("stack", "ls", stdout="[]")

    engine.stack_exists("security")

    env = cli.calls[0].env
    assert env["WEBAPP_AWS_ENDPOINT"] == "http://localhost:4566"
    assert env["PULUMI_HOME"] == str(tmp_path / "home")
    manual = engine.manual_command("security", "refresh --yes")
    assert " WEBAPP_AWS_ENDPOINT=http://localhost:4566 " in manual
    assert f" PULUMI_HOME={tmp_path / 'home'} " in manual


def test_operation_options(engine, repo) -> None:
    def sink(_: str) -> None:
        return None

    pack = [str(repo / "policy-pack")]
    assert engine.options("up", sink)["policy_packs"] == pack
    assert engine.options("preview", sink)["policy_packs"] == pack
    assert "policy_packs" not in engine.options("destroy", sink)
    assert "policy_packs" not in engine.options("drift", sink)
    assert engine.options("drift", sink)["refresh"] is True
    assert "refresh" not in engine.options("preview", sink)
    assert engine.options("destroy", sink)["message"] == "invoke (destroy, development)"
    assert engine.options("refresh", sink)["on_error"] is sink
    assert engine.options("up", sink)["show_secrets"] is False
    assert "show_secrets" not in engine.options("preview", sink)
    assert engine.options("up", sink, Path("x.yaml"))["config_file"] == "x.yaml"
    assert "config_file" not in engine.options("up", sink)


def test_without_policy_packs_no_pack_is_passed(repo, backend, cli) -> None:
    engine = make_engine(repo, backend, cli)
    assert "policy_packs" not in engine.options("up", lambda _: None)


# ---- preview, drift, refresh, destroy -------------------------------------------------------


def _summary(changes: dict[str, int]) -> list[dict]:
    return [{"sequence": 1, "timestamp": 1, "summaryEvent": {"resourceChanges": changes}}]


def test_preview_reports_the_planned_changes(engine, cli, repo) -> None:
    cli.on("stack", "select")
    preview = cli.on("preview", events=_summary({"create": 2, "same": 3}))

    result = engine.preview("security", lambda _: None)

    assert dict(result.changes) == {"create": 2, "same": 3}
    assert result.changed == 2
    assert preview.calls[0].has("--policy-pack", str(repo / "policy-pack"))


def test_drift_preview_refreshes_first_and_needs_an_existing_stack(engine, cli) -> None:
    cli.on("stack", "select")
    preview = cli.on("preview", events=_summary({"update": 1, "same": 4}))

    result = engine.drift_preview("security", lambda _: None)

    assert result.changed == 1
    assert preview.calls[0].has("--refresh")
    assert "--policy-pack" not in preview.calls[0].args
    assert not cli.calls_to("stack", "init")


def test_refresh_and_destroy_of_a_missing_stack_raise_stack_not_found(engine, cli) -> None:
    cli.on("stack", "select", stderr=NO_STACK, code=255)

    with pytest.raises(StackNotFound, match=f"stack {SECURITY_STACK} does not exist"):
        engine.destroy("security", lambda _: None)
    with pytest.raises(StackNotFound):
        engine.refresh("security", lambda _: None)
    assert not cli.calls_to("stack", "init")
    assert not cli.calls_to("destroy")


def test_refresh_reports_what_it_adopted(engine, cli) -> None:
    cli.on("stack", "select")
    refresh = cli.on("refresh")
    history = [{**HISTORY[0], "kind": "refresh", "resourceChanges": {"update": 1, "same": 4}}]
    cli.on("stack", "history", stdout=json.dumps(history))

    result = engine.refresh("security", lambda _: None)

    assert dict(result.changes) == {"update": 1, "same": 4}
    assert refresh.calls[0].args[:3] == ("refresh", "--skip-preview", "--yes")


def test_destroy_reports_deletions(engine, cli) -> None:
    cli.on("stack", "select")
    destroy = cli.on("destroy")
    history = [{**HISTORY[0], "kind": "destroy", "resourceChanges": {"delete": 5}}]
    cli.on("stack", "history", stdout=json.dumps(history))

    result = engine.destroy("security", lambda _: None)

    assert dict(result.changes) == {"delete": 5}
    assert destroy.calls[0].args[:3] == ("destroy", "--skip-preview", "--yes")


def test_protected_resources_become_their_own_error(engine, cli) -> None:
    cli.on("stack", "select")
    cli.on("destroy", stdout=PROTECTED_FAILURE, stderr="error: update failed", code=255)

    with pytest.raises(ProtectedResources) as caught:
        engine.destroy("storage", lambda _: None)

    assert caught.value.urns == ("urn:pulumi:development::storage::aws:s3/bucket:Bucket::data",)


def test_a_locked_stack_says_how_to_release_it(engine, cli) -> None:
    cli.on("stack", "select")
    cli.on(
        "up",
        stderr="error: the stack is currently locked by 1 lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`.",
        code=255,
    )

    with pytest.raises(StackLocked) as caught:
        engine.up("security", lambda _: None)

    message = str(caught.value)
    assert f"stack {SECURITY_STACK} is locked" in message
    assert f"cancel --yes --stack {SECURITY_STACK}" in message
    assert "refresh --yes --config-file " in message
    assert "lock held by" not in message


def test_a_locked_stack_names_who_holds_the_lock(engine, cli) -> None:
    cli.on("stack", "select")
    cli.on(
        "up",
        stderr="error: the stack is currently locked by 1 lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`.\n"
        "  s3://state/.pulumi/locks/organization/security/development/1f.json: created by "
        "alice@laptop-7 (pid 4242) at 2026-11-30T03:21:53Z",
        code=255,
    )

    with pytest.raises(StackLocked) as caught:
        engine.up("security", lambda _: None)

    assert "(lock held by alice@laptop-7, pid 4242, since 2026-11-30T03:21:53Z)" in str(
        caught.value
    )


def test_a_failure_keeps_the_engine_error_lines_and_adds_a_hint(engine, cli) -> None:
    cli.on("stack", "select")
    cli.on(
        "up",
        stdout="Updating\n    error: getting secrets manager: incorrect passphrase\n",
        stderr="error: getting secrets manager: incorrect passphrase",
        code=255,
    )

    with pytest.raises(EngineFailure) as caught:
        engine.up("security", lambda _: None)

    message = str(caught.value)
    assert message.startswith("getting secrets manager: incorrect passphrase (hint: ")
    assert message.count("incorrect passphrase") == 1
    assert ".pulumi-state/passphrase" in message


# ---- reads ----------------------------------------------------------------------------------


def test_outputs_mask_secrets_and_missing_stacks_raise(engine, cli) -> None:
    script_outputs(cli, {"a": "1", "s": "[secret]"}, {"a": "1", "s": "hidden"})
    assert engine.outputs("security") == {"a": "1", "s": "[secret]"}
    assert not cli.calls_to("stack", "select")

    cli.on("stack", "output", stderr=NO_STACK, code=255)
    with pytest.raises(StackNotFound):
        engine.outputs("security")


def test_resource_count_and_protection_come_from_the_state(engine, cli) -> None:
    state = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": "urn:a", "protect": True},
                {"urn": "urn:b"},
                {"urn": "urn:c", "protect": False},
            ]
        },
    }
    cli.on("stack", "export", stdout=json.dumps(state))

    assert engine.resource_count("security") == 3
    assert engine.protected_resources("security") == ("urn:a",)

    cli.on("stack", "export", stderr=NO_STACK, code=255)
    assert engine.resource_count("security") == 0
    assert engine.protected_resources("security") == ()


def test_an_empty_state_has_no_resources(engine, cli) -> None:
    cli.on("stack", "export", stdout=json.dumps({"version": 3, "deployment": {}}))
    assert engine.resource_count("security") == 0


@pytest.mark.parametrize(
    ("listed", "exists"),
    [
        ("development", True),
        (SECURITY_STACK, True),
        ("organization/development", True),
        ("production", False),
        ("other-org/development-2", False),
    ],
)
def test_stack_exists_matches_the_names_the_cli_lists(engine, cli, listed, exists) -> None:
    cli.on("stack", "ls", stdout=json.dumps([{"name": listed, "current": False}]))
    assert engine.stack_exists("security") is exists


def test_cancel_releases_the_lock(engine, cli) -> None:
    cli.on("stack", "select")
    cli.on("cancel")

    engine.cancel("security")

    assert cli.calls[-1].args[:1] == ("cancel",)


# ---- names, manual commands, guards ---------------------------------------------------------


def test_manual_commands_carry_what_plain_pulumi_needs(engine, repo, backend) -> None:
    command = engine.manual_command("storage", "refresh --yes")

    passphrase = repo / ".pulumi-state" / "passphrase"
    generated = repo / ".pulumi-state" / "stack-config" / "storage" / "Pulumi.development.yaml"
    assert command == (
        f"{BACKEND_URL_VAR}={backend.url} {PASSPHRASE_FILE_VAR}={passphrase} "
        f"/opt/pulumi/bin/pulumi --cwd {repo / 'projects' / 'storage'} refresh --yes "
        f"--config-file {generated} --stack organization/storage/development"
    )
    cancel = engine.manual_command("storage", "cancel --yes")
    assert "--config-file" not in cancel


def test_manual_commands_use_paths_relative_to_the_working_directory(
    engine, repo, monkeypatch
) -> None:
    monkeypatch.chdir(repo)
    assert " --cwd projects/compute cancel --yes " in engine.manual_command(
        "compute", "cancel --yes"
    )


def test_the_engine_serves_its_backends_environment(engine, repo, cli, production) -> None:
    assert engine.environment == DEV
    assert engine.stack_name("security") == SECURITY_STACK
    assert engine.stack_config_file("security").name == "Pulumi.development.yaml"
    backend = resolve_backend(
        production,
        environ={"PULUMI_CONFIG_PASSPHRASE": "p"},
        state_dir=repo / ".pulumi-state",
        lookup_account=lambda region, endpoint: "123456789012",
    )
    assert make_engine(repo, backend, cli).stack_name("security") == (
        "organization/security/production"
    )


def test_a_directory_without_pulumi_yaml_is_refused_before_any_call(engine, cli, repo) -> None:
    (repo / "projects" / "compute" / "Pulumi.yaml").unlink()

    with pytest.raises(EngineFailure, match=r"projects/compute is not a Pulumi project"):
        engine.up("compute", lambda _: None)
    assert cli.calls == []


def test_operations_on_one_project_never_overlap(engine, cli) -> None:
    cli.on("stack", "ls", stdout="[]", delay=0.05)
    threads = [threading.Thread(target=engine.stack_exists, args=("security",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(cli.calls) == 4
    assert cli.max_active == 1


def test_different_projects_may_run_at_once(engine, cli) -> None:
    cli.on("stack", "ls", stdout="[]", delay=0.2)
    threads = [
        threading.Thread(target=engine.stack_exists, args=(name,)) for name in TOPOLOGY.names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert cli.max_active > 1


# ---- error mapping and the CLI --------------------------------------------------------------


def _manual(arguments: str) -> str:
    return f"pulumi {arguments}"


def test_map_error_for_non_cli_failures() -> None:
    missing = map_error(FileNotFoundError("pulumi"), stack="s", manual=_manual)
    assert isinstance(missing, EngineUnavailable)
    assert "run `invoke setup`" in str(missing)

    odd = map_error(RuntimeError("summary event never found"), stack="s", manual=_manual)
    assert isinstance(odd, EngineFailure)
    assert str(odd) == "RuntimeError: summary event never found"


def test_protected_urns_are_found_once_each_in_order() -> None:
    text = PROTECTED_FAILURE + PROTECTED_FAILURE.replace("::data", "::logs")
    assert protected_urns(text) == (
        "urn:pulumi:development::storage::aws:s3/bucket:Bucket::data",
        "urn:pulumi:development::storage::aws:s3/bucket:Bucket::logs",
    )
    assert protected_urns("error: nothing protected here") == ()


def test_failure_summary_without_error_lines_keeps_the_last_lines() -> None:
    assert failure_summary("a\nb\n\nc\nd\n") == "b; c; d"
    assert failure_summary("") == "the Pulumi CLI failed without a message"
    assert "pulumi plugin install resource aws" in failure_summary(
        "error: no resource plugin 'pulumi-resource-aws' found in the workspace"
    )
    assert "AWS_PROFILE" in failure_summary("error: No valid credential sources found")


def _fake_cli(tmp_path: Path, version: str) -> Path:
    bin_dir = tmp_path / "root" / "bin"
    bin_dir.mkdir(parents=True)
    binary = bin_dir / "pulumi"
    binary.write_text(f"#!/bin/sh\necho {version}\n")
    binary.chmod(0o755)
    return bin_dir


def test_pulumi_command_at_accepts_the_sdks_version(tmp_path: Path) -> None:
    command = pulumi_command_at(_fake_cli(tmp_path, "v3.260.0"))

    assert isinstance(command, PulumiCommand)
    assert command.command == str(tmp_path / "root" / "bin" / "pulumi")
    assert str(command.version) == "3.260.0"


def test_pulumi_command_at_refuses_an_older_cli(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"does not match the SDK 3\.260\.0"):
        pulumi_command_at(_fake_cli(tmp_path, "v3.100.0"))


def test_pulumi_command_at_refuses_a_missing_or_broken_cli(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"no Pulumi CLI at .*: run `invoke setup`"):
        pulumi_command_at(tmp_path / "bin")

    bin_dir = _fake_cli(tmp_path, "v3.260.0")
    (bin_dir / "pulumi").write_text("#!/bin/sh\nexit 3\n")
    with pytest.raises(EngineUnavailable, match="does not run"):
        pulumi_command_at(bin_dir)
