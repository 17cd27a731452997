"""Nothing lost, nothing orphaned, on the real engine (issue 11): each test reproduces a case
that lost or orphaned resources before, through the orchestration entry points.

- a program that exits early cannot delete its stack;
- a deploy repairs drift (a key setting changed, a bucket deleted behind Pulumi's back);
- a key scheduled for deletion behind Pulumi's back is not replaced: the deploy refuses, naming
  the commands that save it and the consumer stacks;
- a leaf stack whose state is lost is refused by the cloud census, and drift names a resource
  tagged for a stack that its state does not hold;
- a stack whose state is lost is not recreated beside its live resources, and the printed
  restore works;
- after the CLI is killed mid-create, the recovery hint is printed and `invoke refresh` adopts
  the resource the cloud did create.

The first five share one deployed development (a module fixture; each test puts back what it
changed, which the fixture checks); the last needs a stack that was never deployed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import aws_types as t
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.settings import load_settings
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, TaskRun, Tasks, engine_paths, make_engine_env

pytestmark = pytest.mark.engine

ENV = "development"
BUCKET = t.BUCKET
TASK_PROCESS = Path(__file__).with_name("task_process.py")
WAIT_SECONDS = 120
# The project that exports the key, and the consumers that read it (from the topology).
HOLDER = next(
    name for name in TOPOLOGY.names if set(TOPOLOGY.project(name).exports) & KMS_KEY_ARN_EXPORTS
)
READERS = [
    name
    for name in TOPOLOGY.consumers(HOLDER)
    if set(TOPOLOGY.project(name).requires[HOLDER]) & KMS_KEY_ARN_EXPORTS
]


def refusal_or_failure(run: TaskRun) -> str:
    """What a run that must not have changed anything said (refused, or failed per stack)."""
    assert run.code != 0, run.text
    return run.text


def summary_rows(out: str) -> dict[str, str]:
    table = out.rsplit("\nSummary: ", 1)[1].splitlines()
    return {line.split()[0]: line for line in table if line.startswith("organization/")}


def state_file(engine_env: EngineEnv, project: str) -> Path:
    return engine_env.backend_dir / ".pulumi" / "stacks" / project / f"{ENV}.json"


@pytest.fixture(scope="module")
def development(
    standin_home: Path,
    pulumi_bin_dir: Path,
    tools_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
) -> Tasks:
    """Development deployed once, for the tests below that put back what they change."""
    world = tmp_path_factory.mktemp("safety")
    engine_env = make_engine_env(standin_home, pulumi_bin_dir, tools_dir, world, moto_url)
    tasks = Tasks(engine_env, engine_paths(engine_env, world / "state"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        engine_env.apply(monkeypatch)
        deployed = tasks.deploy(ENV)
    assert deployed.code == 0, deployed.text
    return tasks


@pytest.fixture
def deployed(development: Tasks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tasks]:
    """The deployed development, applied to os.environ; each test leaves it as it found it."""
    development.engine_env.apply(monkeypatch)
    before = development.engine_env.operator.inventory()
    yield development
    assert development.engine_env.operator.inventory() == before, "a test left a change behind"


def test_a_program_that_exits_early_cannot_delete_its_stack(
    deployed: Tasks, project_copy: Path
) -> None:
    engine_env = deployed.engine_env
    on_copy = deployed.on_projects(project_copy)
    before = engine_env.operator.inventory()
    program = project_copy / "storage" / "__main__.py"
    program.write_text("import sys\n\nsys.exit(0)\n" + program.read_text())

    for project in ("storage", None):  # one team's deploy, and the whole environment's
        text = refusal_or_failure(on_copy.deploy(ENV, project))
        assert "it would delete every resource of the stack" in text
        assert f"delete {BUCKET} webapp-development-data" in text
        assert (
            "would no longer export bucket_name, bucket_arn, log_bucket_name, which compute reads"
            in text
        )
        assert "--allow-delete" in text
        assert "nothing was changed in this stack" in text
        assert engine_env.operator.inventory() == before


def test_deploy_repairs_a_changed_key_and_a_deleted_bucket(deployed: Tasks) -> None:
    tasks, engine_env = deployed, deployed.engine_env
    kms, s3 = engine_env.operator.client("kms"), engine_env.operator.client("s3")
    [key] = engine_env.operator.live_keys()
    kms.disable_key_rotation(KeyId=key)
    bucket = bucket_name(engine_env)
    versions = s3.list_object_versions(Bucket=bucket)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    s3.delete_bucket(Bucket=bucket)

    drifted = tasks.run(ENV, lambda o: o.drift())
    assert drifted.code == 2, drifted.text

    repaired = tasks.deploy(ENV)
    assert repaired.code == 0, repaired.text
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    s3.head_bucket(Bucket=bucket)
    clean = tasks.run(ENV, lambda o: o.drift())
    assert clean.code == 0, clean.text


def test_a_key_pending_deletion_is_refused_then_saved_with_the_printed_commands(
    deployed: Tasks,
) -> None:
    # Issue 21, items 11 and 12: the provider reads a key pending deletion as gone, and a
    # deploy used to create a second key and re-point its consumers.
    tasks, engine_env = deployed, deployed.engine_env
    operator = engine_env.operator
    kms = operator.client("kms")
    [key] = operator.live_keys()
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    before = operator.inventory()

    refused = tasks.deploy(ENV)

    assert refused.code != 0, refused.text
    text = refused.text
    assert "is pending deletion until" in text
    at = f"--region {load_settings(ENV).region} --endpoint-url {engine_env.endpoint}"
    assert f"`aws kms cancel-key-deletion --key-id {key} {at}`" in text
    assert f"`aws kms enable-key --key-id {key} {at}`" in text
    assert f"{', '.join(READERS)} read" in text
    assert f"--project {HOLDER} --allow-delete" in text
    # Nothing was created: no second key, no stack that was not there.
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"]] == [key]
    assert operator.inventory() == before

    kms.cancel_key_deletion(KeyId=key)
    kms.enable_key(KeyId=key)
    again = tasks.deploy(ENV)
    assert again.code == 0, again.text
    assert operator.live_keys() == [key]
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"]] == [key]


def test_a_lost_leaf_state_is_refused_by_the_census_and_drift_finds_unmanaged(
    deployed: Tasks, tmp_path: Path
) -> None:
    # Issue 21's census: the leaf stack (the topology's last in deploy order) has no consumer
    # whose state could say it existed; only the cloud can.
    tasks, engine_env = deployed, deployed.engine_env
    leaf = TOPOLOGY.names[-1]
    before = engine_env.operator.inventory()
    ec2 = engine_env.operator.client("ec2")
    kept, stray = tmp_path / "leaf-state.json", None
    shutil.move(state_file(engine_env, leaf), kept)
    try:
        refused = tasks.deploy(ENV, leaf)
        assert refused.code != 0, refused.text
        stack = f"organization/{leaf}/{ENV}"
        assert f"the state of {stack} is missing or empty, but the cloud holds" in refused.text
        assert "tagged for it" in refused.text
        assert f"invoke state history --env {ENV} --project {leaf}" in refused.text
        assert "--recreate-missing-state" in refused.text
        assert engine_env.operator.inventory() == before

        # A resource tagged for a deployed producer that its state does not hold.
        producer = TOPOLOGY.names[0]
        stray = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        tags = {"Project": "webapp", "Environment": ENV, "Component": producer}
        ec2.create_tags(Resources=[stray], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        drift = tasks.run(ENV, lambda o: o.drift())
        assert drift.code != 0, drift.text
        assert "unmanaged: 1 resource (1 ec2:vpc)" in drift.out
        assert stray in drift.out
        assert f"the state of {stack} is missing or empty" in drift.out
    finally:
        shutil.move(kept, state_file(engine_env, leaf))
        if stray is not None:
            ec2.delete_vpc(VpcId=stray)


def test_a_lost_state_is_named_and_restored_not_recreated(deployed: Tasks, tmp_path: Path) -> None:
    tasks, engine_env = deployed, deployed.engine_env
    before = engine_env.operator.inventory()
    shutil.move(state_file(engine_env, "security").parent, tmp_path / "moved-away")

    drift = tasks.run(ENV, lambda o: o.drift())
    assert drift.code == 2, drift.text
    row = summary_rows(drift.out)[f"organization/security/{ENV}"]
    assert "state lost" in row
    assert "not deployed" not in drift.out
    assert "state of organization/security/development is missing" in drift.out

    deploy = refusal_or_failure(tasks.deploy(ENV))
    assert "state of organization/security/development is missing" in deploy
    assert "storage, compute still read it" in deploy
    assert "--recreate-missing-state" in deploy
    destroy = refusal_or_failure(tasks.run(ENV, lambda o: o.destroy(None, yes=True)))
    assert "restore its state first" in destroy
    assert engine_env.operator.inventory() == before
    assert len(engine_env.operator.live_keys()) == 1

    # The printed way back: the backend's newest backup of the checkpoint, put in place.
    restore = re.search(r"put the backend's newest backup of it back: (.+?); or adopt", deploy)
    assert restore is not None, deploy
    subprocess.run(restore.group(1), shell=True, check=True)  # noqa: S602 - the printed hint
    again = tasks.deploy(ENV)
    assert again.code == 0, again.text
    rows = summary_rows(again.out).values()
    assert all("same" in row and "create" not in row for row in rows), again.out
    assert engine_env.operator.inventory() == before


def _children(pid: int) -> list[int]:
    """The direct children of `pid` (from /proc; Linux, like the engine tests)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the parent pid follows the closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _kill_the_cli(task_pid: int) -> None:
    for child in _children(task_pid):
        command = (Path("/proc") / str(child) / "cmdline").read_bytes().split(b"\0")
        if command and command[0].endswith(b"/pulumi") and b"up" in command:
            os.kill(child, signal.SIGKILL)
            return
    raise AssertionError("no running `pulumi up` under the task process")


def bucket_name(engine_env: EngineEnv) -> str:
    """The data bucket's name in the test's account (shared.naming derives it)."""
    return f"webapp-development-data-{engine_env.keys.account_id}-us-west-2"


def test_a_cli_killed_mid_create_is_recovered_and_the_created_bucket_adopted(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    assert tasks.deploy(ENV, "security").code == 0
    engine_env.faults.hold(BUCKET)
    state_dir = tasks.paths.state_dir
    process = subprocess.Popen(
        [sys.executable, str(TASK_PROCESS), str(state_dir), ENV, "deploy", "storage"],
        env=dict(engine_env.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "aws:s3:Bucket webapp-development-data creating" in line:
                break
        time.sleep(1)  # the bucket's Create is in flight (the stand-in holds it)
        _kill_the_cli(process.pid)
        lines.extend(process.stdout)
        process.wait(WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    output = "".join(lines)
    assert process.returncode == 1, output
    assert "killed (SIGKILL)" in output
    assert "stderr:" not in output
    assert f"invoke refresh --env {ENV} --project storage" in output
    assert "cancel --yes" in output

    engine_env.faults.clear()
    checkpoint = json.loads(state_file(engine_env, "storage").read_text())["checkpoint"]
    [pending] = checkpoint["latest"]["pending_operations"]
    assert pending["type"] == "creating"
    # What AWS did before the CLI died: the bucket exists, under the name the program asked.
    s3 = engine_env.operator.client("s3")
    location = {"LocationConstraint": "us-west-2"}
    s3.create_bucket(Bucket=bucket_name(engine_env), CreateBucketConfiguration=location)

    def recover(orchestrator: object) -> object:
        # The printed recovery: release the lock, then `invoke refresh`.
        orchestrator.engine.cancel("storage")  # type: ignore[attr-defined]
        return orchestrator.refresh("storage")  # type: ignore[attr-defined]

    recovered = tasks.run(ENV, recover, project="storage")
    assert recovered.code == 0, recovered.text
    assert f"pending create of {BUCKET} webapp-development-data: it exists" in recovered.out
    checkpoint = json.loads(state_file(engine_env, "storage").read_text())["checkpoint"]
    assert not checkpoint["latest"].get("pending_operations")

    redeployed = tasks.deploy(ENV, "storage")
    assert redeployed.code == 0, redeployed.text
    assert "pending operations" not in redeployed.out
    names = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    assert names.count(bucket_name(engine_env)) == 1
