"""The CLI engine without a Pulumi CLI: arguments, environment, results, errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml

from orchestration.engine.cli_engine import AutomationEngine, pulumi_command_at
from orchestration.engine.cli_errors import failure_summary, map_error, protected_urns
from orchestration.engine.interface import (
    DamagedCheckpoints,
    EngineFailure,
    EngineKilled,
    EngineUnavailable,
    PendingCreate,
    ProtectedResources,
    StackLocked,
    StackNotFound,
)
from orchestration.engine.pulumi_process import PulumiCli
from orchestration.engine.stack_export import parse_state
from orchestration.state.backend import (
    BACKEND_URL_VAR,
    Backend,
    resolve_backend,
)
from orchestration.state.passphrase import PASSPHRASE_FILE_VAR
from shared import aws_types as t
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.orchestration.pulumi_command_double import ScriptedPulumiCommand
from tests.topology_roles import LEAF

DEV = "development"
SECURITY_STACK = "organization/security/development"
NO_STACK = "error: no stack named 'organization/security/development' found"
COMMITTED = '# The project\'s knobs.\nconfig:\n  knob: "7"\n  cidrs:\n    - 10.0.0.0/8\n'
SALT = "v1:c2FsdA==:v1:abc:def"
ROOT = "urn:pulumi:development::security::pulumi:pulumi:Stack::security-development"
KEY_URN = "urn:pulumi:development::security::aws:kms/key:Key::key"
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


def events(changes: dict[str, int], *steps: tuple[str, str], outputs=None, old=None) -> list:
    """An event log: the steps (op, URN), the root stack's outputs, the summary."""
    log: list[dict] = []
    for op, urn in steps:
        meta = {"op": op, "urn": urn, "type": urn.split("::")[2].split("$")[-1]}
        log.append({"sequence": len(log), "resourcePreEvent": {"metadata": meta}})
    if outputs is not None:
        root = {
            "op": "same",
            "urn": ROOT,
            "type": "pulumi:pulumi:Stack",
            "old": None if old is None else {"outputs": old},
            "new": {"outputs": outputs},
        }
        log.append({"sequence": len(log), "resOutputsEvent": {"metadata": root}})
    log.append({"sequence": len(log), "summaryEvent": {"resourceChanges": changes}})
    return log


# ---- up: arguments, environment, result -----------------------------------------------------


def test_up_is_one_call_with_its_results_from_the_event_log(engine, cli, repo, backend) -> None:
    up = cli.on(
        "up",
        lines=["+ aws:kms:Key key creating", "+ aws:kms:Key key created"],
        events=events(
            {"create": 4, "same": 1}, ("create", KEY_URN), outputs={"kms_key_arn": "arn:k"}
        ),
    )
    seen: list[str] = []

    result = engine.up("security", seen.append, refresh=True)

    assert seen == ["+ aws:kms:Key key creating", "+ aws:kms:Key key created"]
    assert dict(result.changes) == {"create": 4, "same": 1}
    assert dict(result.outputs) == {"kms_key_arn": "arn:k"}
    assert [(step.op, step.name) for step in result.steps] == [("create", "key")]
    assert len(cli.calls) == 1
    call = up.calls[0]
    assert call.cwd == str(repo / "projects" / "security")
    generated = repo / ".pulumi-state" / "stack-config" / "security" / "Pulumi.development.yaml"
    log = call.args[call.args.index("--event-log") + 1]
    assert list(call.args) == [
        "up", "--yes", "--skip-preview", "--refresh",
        "--message", "invoke (up, development)",
        "--policy-pack", str(repo / "policy-pack"),
        "--color", "never", "--suppress-progress",
        "--config-file", str(generated),
        "--event-log", log,
        "--stack", SECURITY_STACK,
    ]  # fmt: skip
    assert not Path(log).exists()  # a temporary file, gone after the call
    assert call.env[BACKEND_URL_VAR] == backend.url
    assert call.env[PASSPHRASE_FILE_VAR] == str(repo / ".pulumi-state" / "passphrase")
    assert call.env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    # The CLI takes --event-log only with its debug commands on.
    assert call.env["PULUMI_DEBUG_COMMANDS"] == "true"
    # No --endpoint: a value left in the user's shell must not aim the provider elsewhere.
    assert call.env["WEBAPP_AWS_ENDPOINT"] == ""
    assert "PULUMI_HOME" not in call.env


def test_a_new_stack_is_initialised_beside_the_generated_stack_file(engine, cli, repo) -> None:
    cli.on("up", events=events({"create": 1}))
    cli.on("up", stderr=NO_STACK, code=255, times=1)
    init = cli.on("stack", "init")

    engine.up("security", lambda _: None)

    config_dir = repo / ".pulumi-state" / "stack-config" / "security"
    (call,) = init.calls
    assert [c.args[0] for c in cli.calls] == ["up", "stack", "up"]
    assert call.args == ("stack", "init", SECURITY_STACK, "--secrets-provider", "passphrase")
    # Same project (a copy of Pulumi.yaml), but the salt goes to the generated file.
    assert call.cwd == str(config_dir)
    assert (config_dir / "Pulumi.yaml").read_text() == "name: security\nruntime: python\n"


def test_a_first_deploy_does_not_show_the_missing_stack_complaint(engine, cli) -> None:
    cli.on("up", events=events({"create": 1}), lines=["Updating (organization/security/dev)"])
    cli.on("up", stderr=NO_STACK, code=255, times=1, error_lines=[NO_STACK])
    cli.on("stack", "init")
    shown: list[str] = []

    engine.up("security", shown.append)

    assert shown == ["Updating (organization/security/dev)"]


def test_a_missing_stack_is_shown_where_it_is_not_created(engine, cli) -> None:
    cli.on("refresh", stderr=NO_STACK, code=255, error_lines=[NO_STACK])
    shown: list[str] = []

    with pytest.raises(StackNotFound):
        engine.refresh("security", shown.append)

    assert shown == [NO_STACK]


PLUGIN_ERROR = "error: could not download plugin aws 6.80.0: 403 Forbidden"


def test_an_error_the_cli_repeats_is_streamed_and_summarised_once(engine, cli) -> None:
    repeated = [
        "    pulumi:providers:aws default_6_80_0  " + PLUGIN_ERROR,
        "    " + PLUGIN_ERROR,
        "Diagnostics:",
        "  pulumi:providers:aws (default_6_80_0):",
        "    " + PLUGIN_ERROR,
        "    error: " + PLUGIN_ERROR,
    ]
    cli.on(
        "up",
        stdout="\n".join(repeated),
        stderr=f"{PLUGIN_ERROR}\nerror: update failed: {PLUGIN_ERROR.removeprefix('error: ')}",
        code=255,
        lines=repeated,
        error_lines=[PLUGIN_ERROR],
    )
    shown: list[str] = []

    with pytest.raises(EngineFailure) as caught:
        engine.up("security", shown.append)

    assert sum("could not download plugin" in line for line in shown) == 2
    assert [line for line in shown if line.lstrip().startswith("error:")] == ["    " + PLUGIN_ERROR]
    assert str(caught.value) == "update failed: could not download plugin aws 6.80.0: 403 Forbidden"


def test_a_stack_another_run_created_meanwhile_is_used(engine, cli) -> None:
    cli.on("preview", events=events({"same": 1}))
    cli.on("preview", stderr=NO_STACK, code=255, times=1)
    cli.on("stack", "init", stderr=f"error: stack '{SECURITY_STACK}' already exists", code=255)

    result = engine.preview("security", lambda _: None)

    assert dict(result.changes) == {"same": 1}
    assert [c.args[0] for c in cli.calls] == ["preview", "stack", "preview"]


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
    cli.on("up", events=events({"create": 1}))
    cli.on("up", stderr=NO_STACK, code=255, times=1)
    init = cli.on("stack", "init")

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
    preview = cli.on("preview", events=events({"same": 1}))

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
    cli.on("preview", events=events({"same": 1}))

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
    cli.on("preview", events=events({"same": 1}))

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
    cli.on("preview", events=events({"same": 1}))

    engine.preview("security", lambda _: None)

    assert yaml.safe_load(engine.stack_config_file("security").read_text()) == {}


def test_the_endpoint_and_pulumi_home_reach_every_call(repo, backend, cli, tmp_path) -> None:
    engine = make_engine(
        repo, backend, cli, endpoint="http://localhost:4566", pulumi_home=tmp_path / "home"
    )
    cli.on("stack", "ls", stdout="[]")

    engine.inventory(["security"])

    env = cli.calls[0].env
    assert env["WEBAPP_AWS_ENDPOINT"] == "http://localhost:4566"
    assert env["PULUMI_HOME"] == str(tmp_path / "home")
    manual = engine.manual_command("security", "refresh --yes")
    assert " WEBAPP_AWS_ENDPOINT=http://localhost:4566 " in manual
    assert f" PULUMI_HOME={tmp_path / 'home'} " in manual


def test_operation_arguments(engine, repo) -> None:
    pack = ["--policy-pack", str(repo / "policy-pack")]

    def args(operation: str, **flags: object) -> list[str]:
        return engine.arguments(operation, "security", **flags)

    assert args("preview") == ["preview", *pack, "--color", "never", "--suppress-progress"]
    assert args("preview", refresh=True)[:2] == ["preview", "--refresh"]
    assert args("drift")[:2] == ["preview", "--refresh"]
    assert "--policy-pack" not in args("drift")
    assert "--policy-pack" not in args("destroy")
    assert "--refresh" not in args("up")
    assert args("refresh", clear_pending_creates=True)[:4] == [
        "refresh",
        "--yes",
        "--skip-preview",
        "--clear-pending-creates",
    ]
    assert "--clear-pending-creates" not in args("refresh")
    assert args("destroy")[3:5] == ["--message", "invoke (destroy, development)"]
    assert "--message" not in args("preview")
    assert args("up", config_file=Path("x.yaml"))[-2:] == ["--config-file", "x.yaml"]


def test_without_policy_packs_no_pack_is_passed(repo, backend, cli) -> None:
    engine = make_engine(repo, backend, cli)
    assert "--policy-pack" not in engine.arguments("up", "security")


# ---- preview, drift, refresh, destroy, import -----------------------------------------------


def test_preview_reports_the_planned_steps_and_outputs(engine, cli, repo) -> None:
    preview = cli.on(
        "preview",
        events=events(
            {"delete": 1, "same": 1},
            ("refresh", KEY_URN),
            ("delete", KEY_URN),
            outputs={},
            old={"kms_key_arn": "arn:k"},
        ),
    )

    result = engine.preview("security", lambda _: None)

    assert dict(result.changes) == {"delete": 1, "same": 1}
    # Refresh steps only read the cloud: the planned steps are the update's.
    assert [(step.op, step.type, step.name) for step in result.steps] == [
        ("delete", t.KMS_KEY, "key")
    ]
    assert dict(result.outputs) == {}
    assert result.previous_outputs == {"kms_key_arn": "arn:k"}
    assert result.needs_update
    assert preview.calls[0].has("--policy-pack", str(repo / "policy-pack"))


def test_drift_preview_refreshes_first_and_needs_an_existing_stack(engine, cli) -> None:
    preview = cli.on("preview", events=events({"update": 1, "same": 4}))

    result = engine.drift_preview("security", lambda _: None)

    assert result.changed == 1
    assert preview.calls[0].has("--refresh")
    assert "--policy-pack" not in preview.calls[0].args

    cli.on("preview", stderr=NO_STACK, code=255)
    with pytest.raises(StackNotFound):
        engine.drift_preview("security", lambda _: None)
    assert not cli.calls_to("stack", "init")


def test_refresh_and_destroy_of_a_missing_stack_raise_stack_not_found(engine, cli) -> None:
    cli.on("destroy", stderr=NO_STACK, code=255)
    cli.on("refresh", stderr=NO_STACK, code=255)

    with pytest.raises(StackNotFound, match=f"stack {SECURITY_STACK} does not exist"):
        engine.destroy("security", lambda _: None)
    with pytest.raises(StackNotFound):
        engine.refresh("security", lambda _: None)
    assert not cli.calls_to("stack", "init")


def test_refresh_reports_what_it_adopted_and_can_clear_pending_creates(engine, cli) -> None:
    refresh = cli.on("refresh", events=events({"update": 1, "same": 4}))

    result = engine.refresh("security", lambda _: None, clear_pending_creates=True)

    assert dict(result.changes) == {"update": 1, "same": 4}
    assert refresh.calls[0].args[:4] == (
        "refresh",
        "--yes",
        "--skip-preview",
        "--clear-pending-creates",
    )


def test_destroy_reports_deletions(engine, cli) -> None:
    destroy = cli.on("destroy", events=events({"delete": 5}))

    result = engine.destroy("security", lambda _: None)

    assert dict(result.changes) == {"delete": 5}
    assert destroy.calls[0].args[:3] == ("destroy", "--yes", "--skip-preview")


def test_protected_resources_become_their_own_error(engine, cli) -> None:
    cli.on("destroy", stdout=PROTECTED_FAILURE, stderr="error: update failed", code=255)

    with pytest.raises(ProtectedResources) as caught:
        engine.destroy("storage", lambda _: None)

    assert caught.value.urns == ("urn:pulumi:development::storage::aws:s3/bucket:Bucket::data",)


def test_a_locked_stack_says_how_to_release_it(engine, cli) -> None:
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
    assert "the recovery steps after the summary" in message
    assert "lock held by" not in message


def test_a_locked_stack_names_who_holds_the_lock(engine, cli) -> None:
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


def test_a_killed_cli_says_the_stack_may_be_left_half_done(engine, cli) -> None:
    cli.on("up", stdout="+ aws:s3:Bucket data creating", code=-9)

    with pytest.raises(EngineKilled) as caught:
        engine.up("security", lambda _: None)

    assert str(caught.value) == (
        f"the Pulumi CLI was killed (SIGKILL) before it finished with stack {SECURITY_STACK}: "
        "the stack may still be locked and list pending operations"
    )


def test_a_failure_keeps_the_engine_error_lines_and_adds_a_hint(engine, cli) -> None:
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


def test_import_adopts_an_existing_resource_and_reports_a_missing_one(engine, cli, repo) -> None:
    pending = PendingCreate(
        urn="urn:pulumi:development::storage::webapp:storage:EncryptedBucket$aws:s3/bucket:Bucket::data",
        type=t.BUCKET,
        inputs={"bucket": "data-bucket"},
        parent="urn:pulumi:development::storage::webapp:storage:EncryptedBucket::data",
        provider="urn:pulumi:development::storage::pulumi:providers:aws::aws::1234-abcd",
    )
    imported = cli.on("import")

    assert engine.import_resource("storage", pending, "data-bucket", lambda _: None) is True
    call = imported.calls[0]
    assert call.args[:4] == ("import", t.BUCKET, "data", "data-bucket")
    assert call.has("--parent", f"parent={pending.parent}")
    assert call.has(
        "--provider", "provider=urn:pulumi:development::storage::pulumi:providers:aws::aws"
    )
    assert call.has("--generate-code=false", "--yes", "--skip-preview")
    assert call.args[-2:] == ("--stack", "organization/storage/development")

    cli.on("import", stdout="error: resource 'data-bucket' does not exist", code=255)
    assert engine.import_resource("storage", pending, "data-bucket", lambda _: None) is False
    cli.on("import", stdout="error: access denied", code=255)
    with pytest.raises(EngineFailure, match="access denied"):
        engine.import_resource("storage", pending, "data-bucket", lambda _: None)


# ---- reads ----------------------------------------------------------------------------------


def test_outputs_are_one_call_with_secrets_masked_and_missing_stacks_raise(engine, cli) -> None:
    cli.on("stack", "output", stdout=json.dumps({"a": "1", "s": "[secret]"}))
    assert engine.outputs("security") == {"a": "1", "s": "[secret]"}
    assert [call.args for call in cli.calls] == [
        ("stack", "output", "--json", "--stack", SECURITY_STACK)
    ]

    cli.on("stack", "output", stderr=NO_STACK, code=255)
    with pytest.raises(StackNotFound):
        engine.outputs("security")


def test_the_state_gives_resources_protection_pending_creates_and_references(engine, cli) -> None:
    exported = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": "urn:a", "type": t.KMS_KEY, "protect": True},
                {"urn": "urn:b", "type": t.KMS_ALIAS},
                {
                    "urn": "urn:ref",
                    "type": "pulumi:pulumi:StackReference",
                    "inputs": {"name": "organization/security/development"},
                    "outputs": {
                        "name": "organization/security/development",
                        "outputs": {"kms_key_arn": "arn:k"},
                    },
                },
            ],
            "pending_operations": [
                {
                    "type": "creating",
                    "resource": {
                        "urn": "urn:pending",
                        "type": t.BUCKET,
                        "inputs": {"bucket": "b"},
                        "parent": "urn:parent",
                        "provider": "urn:provider::id",
                    },
                },
                {"type": "updating", "resource": {"urn": "urn:updating"}},
            ],
        },
    }
    cli.on("stack", "export", stdout=json.dumps(exported))

    state = engine.state("storage")

    assert state.protected == ("urn:a",)
    assert [resource.type for resource in state.resources][:2] == [
        t.KMS_KEY,
        t.KMS_ALIAS,
    ]
    assert state.references == {"organization/security/development": {"kms_key_arn": "arn:k"}}
    (pending,) = state.pending_creates
    assert (pending.urn, pending.type, dict(pending.inputs)) == (
        "urn:pending",
        t.BUCKET,
        {"bucket": "b"},
    )
    assert (pending.parent, pending.provider) == ("urn:parent", "urn:provider::id")

    cli.on("stack", "export", stderr=NO_STACK, code=255)
    assert engine.state("storage").resources == ()
    assert parse_state({"version": 3, "deployment": {}}).resources == ()


def test_the_inventory_is_one_listing_of_the_backend(engine, cli, repo) -> None:
    listing = [
        {"name": SECURITY_STACK, "resourceCount": 5},
        {"name": "organization/storage/development"},
        {"name": f"organization/{LEAF}/production", "resourceCount": 9},
        {"name": "development", "resourceCount": 3},
    ]
    cli.on("stack", "ls", stdout=json.dumps(listing))

    found = engine.inventory(TOPOLOGY.names)

    assert found == {"security": 5, "storage": 0}
    (call,) = cli.calls
    assert call.args == ("stack", "ls", "--all", "--json")
    assert call.cwd == str(repo / "projects")


def _checkpoint(project: str, resources: int) -> str:
    urns = [f"urn:pulumi:{DEV}::{project}::res::r{i}" for i in range(resources)]
    latest = {"resources": [{"urn": urn} for urn in urns]}
    stack = f"organization/{project}/{DEV}"
    return json.dumps({"version": 3, "checkpoint": {"stack": stack, "latest": latest}})


def test_a_damaged_checkpoint_is_named_with_its_intact_backup_and_spares_the_others(
    engine, cli, backend
) -> None:
    stacks = Path(backend.url.removeprefix("file://")) / ".pulumi" / "stacks"
    intact = {name: index + 2 for index, name in enumerate(TOPOLOGY.names) if name != LEAF}
    for name, count in intact.items():
        (stacks / name).mkdir(parents=True)
        (stacks / name / f"{DEV}.json").write_text(_checkpoint(name, count))
    damaged = stacks / LEAF / f"{DEV}.json"
    damaged.parent.mkdir(parents=True)
    # A full disk cut the file short; the backend's previous copy is intact.
    damaged.write_text(_checkpoint(LEAF, 5)[:100])
    damaged.with_name(f"{DEV}.json.bak").write_text(_checkpoint(LEAF, 5))
    cli.on("stack", "ls", code=1, stderr="error: place 1: unexpected end of JSON input\n")

    with pytest.raises(DamagedCheckpoints) as raised:
        engine.inventory(TOPOLOGY.names)

    assert raised.value.inventory == intact
    message = raised.value.damaged[LEAF]
    assert list(raised.value.damaged) == [LEAF]
    assert message.startswith(
        f"the checkpoint of organization/{LEAF}/{DEV} ({damaged}) is damaged (not JSON"
    )
    assert f"`cp {damaged}.bak {damaged}`" in message
    assert "(5 resources)" in message
    assert f"`invoke refresh --env {DEV} --project {LEAF}`" in message
    assert "place 1" not in message


def test_a_damaged_checkpoint_on_a_shared_backend_points_at_the_history(repo, cli) -> None:
    shared = resolve_backend(
        EnvironmentSettings(DEV, "webapp", "us-west-2", "o", "t", False, True, "DEBUG"),
        environ={BACKEND_URL_VAR: "s3://team-state", "PULUMI_CONFIG_PASSPHRASE": "p"},
        state_dir=repo / ".pulumi-state",
    )
    cli.on("stack", "ls", code=1, stderr="error: place 1: unexpected end of JSON input\n")

    with pytest.raises(EngineFailure) as raised:
        make_engine(repo, shared, cli).inventory(TOPOLOGY.names)

    message = str(raised.value)
    assert "a checkpoint in s3://team-state is damaged" in message
    assert f"`invoke state history --env {DEV} --project P`" in message
    assert "`invoke state restore" in message


def test_cancel_releases_the_lock(engine, cli) -> None:
    cli.on("cancel")

    engine.cancel("security")

    assert cli.calls[-1].args == ("cancel", "--yes", "--stack", SECURITY_STACK)


def test_the_restore_hint_puts_the_newest_backup_in_place(engine, repo, backend, cli) -> None:
    assert engine.restore_hint("security") is None
    root = Path(backend.url.removeprefix("file://")) / ".pulumi"
    backups = root / "backups" / "security" / DEV
    backups.mkdir(parents=True)
    for nanos in (1, 2):
        (backups / f"{DEV}.{nanos}.json").write_text("{}")
    (backups / f"{DEV}.2.json.attrs").write_text("{}")

    hint = engine.restore_hint("security")

    target = root / "stacks" / "security" / f"{DEV}.json"
    assert hint == f"mkdir -p {target.parent} && cp {backups / f'{DEV}.2.json'} {target}"
    shared = resolve_backend(
        EnvironmentSettings(DEV, "webapp", "us-west-2", "o", "t", False, True, "DEBUG"),
        environ={BACKEND_URL_VAR: "s3://team-state", "PULUMI_CONFIG_PASSPHRASE": "p"},
        state_dir=repo / ".pulumi-state",
    )
    assert make_engine(repo, shared, cli).restore_hint("security") is None


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
    assert f" --cwd projects/{LEAF} cancel --yes " in engine.manual_command(LEAF, "cancel --yes")


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
    (repo / "projects" / LEAF / "Pulumi.yaml").unlink()

    with pytest.raises(EngineFailure, match=rf"projects/{LEAF} is not a Pulumi project"):
        engine.up(LEAF, lambda _: None)
    assert cli.calls == []


def test_operations_on_one_project_never_overlap(engine, cli) -> None:
    cli.on("stack", "output", stdout="{}", delay=0.05)
    threads = [threading.Thread(target=engine.outputs, args=("security",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(cli.calls) == 4
    assert cli.max_active == 1


def test_different_projects_may_run_at_once(engine, cli) -> None:
    cli.on("stack", "output", stdout="{}", delay=0.2)
    threads = [threading.Thread(target=engine.outputs, args=(name,)) for name in TOPOLOGY.names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert cli.max_active > 1


# ---- error mapping and the CLI --------------------------------------------------------------


def _manual(arguments: str) -> str:
    return f"pulumi {arguments}"


def test_map_error_for_failures_to_run_the_cli() -> None:
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


def test_failure_summary_keeps_each_error_once_even_when_wrapped() -> None:
    text = "error: a\n  error: error: a\nerror: update failed: a\nerror: b\n"

    assert failure_summary(text) == "update failed: a; b"


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

    assert isinstance(command, PulumiCli)
    assert command.command == str(tmp_path / "root" / "bin" / "pulumi")
    assert command.version == "3.260.0"


def test_pulumi_command_at_refuses_another_version(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"is v3\.100\.0, which does not match the SDK"):
        pulumi_command_at(_fake_cli(tmp_path, "v3.100.0"))


def test_pulumi_command_at_refuses_a_missing_or_broken_cli(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"no Pulumi CLI at .*: run `invoke setup`"):
        pulumi_command_at(tmp_path / "bin")

    bin_dir = _fake_cli(tmp_path, "v3.260.0")
    (bin_dir / "pulumi").write_text("#!/bin/sh\nexit 3\n")
    with pytest.raises(EngineUnavailable, match="does not run"):
        pulumi_command_at(bin_dir)


def test_a_stack_read_fails_on_a_damaged_checkpoint_with_a_hint() -> None:
    summary = failure_summary("error: failed to load checkpoint: place 1: unexpected end of JSON")

    assert "hint: the stack's checkpoint is damaged" in summary
