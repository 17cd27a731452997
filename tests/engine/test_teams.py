"""Three teams, three clones: shared state on S3 and secrets in KMS, with the real CLI and tasks.

One account of the session's moto server is the teams' AWS: S3 and KMS for state and secrets,
and what the TEST-ONLY stand-in deploys. Each team
works in its own `git clone` with its own PULUMI_HOME and runs `python -m invoke ...` there
(teams_support.py); nothing local is shared, no passphrase exists anywhere. The module deploys
once (the fixture) and the tests read what happened, the destructive one last:

1. `invoke bootstrap` from the security team's clone;
2. security deploys `--project security` (its key creation held by the stand-in until the
   other try is over) while a fourth machine tries to deploy the same stack: the lock on S3
   refuses it;
3. the data team deploys storage, the web team compute, each reading upstream state from S3;
4. a fourth clone shows every output, then redeploys security (a second checkpoint version).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import aws_types as t
from tests.engine.emulated_account import Operator, new_account
from tests.engine.engine_support import SECRET, SECRET_EXPORT, SECRET_READ
from tests.engine.standin_aws.faults import Faults
from tests.engine.teams_support import (
    ENVIRONMENT,
    Machine,
    clone,
    drop_tls_policy_for_moto,
    make_origin,
)

pytestmark = pytest.mark.engine

ENV = ENVIRONMENT
KEY = t.KMS_KEY
BUCKET = t.BUCKET
LOCK_PREFIX = f".pulumi/locks/organization/security/{ENV}/"
WAIT_SECONDS = 120
# Long enough for the second machine's deploy to reach the lock: it starts, checks the state
# bucket and previews the stack (a deploy previews a stack that has resources) before its `up`.


def checkpoint(project: str) -> str:
    return f".pulumi/stacks/{project}/{ENV}.json"


@dataclass
class Teams:
    security: Machine
    data: Machine
    web: Machine
    viewer: Machine
    operator: Operator
    # What the account held once bootstrapped: all a cascade destroy may leave.
    bootstrapped: list[str]
    runs: dict[str, subprocess.CompletedProcess[str]]
    seconds: float

    def machines(self) -> tuple[Machine, ...]:
        return (self.security, self.data, self.web, self.viewer)

    @property
    def s3(self) -> Any:
        return self.operator.client("s3")

    @property
    def account(self) -> str:
        return self.operator.keys.account_id

    @property
    def state_bucket(self) -> str:
        return f"webapp-{ENV}-state-{self.account}-us-west-2"

    def key_arn(self) -> str:
        """The security project's key, found by its alias as an operator would."""
        kms = self.operator.client("kms")
        aliases = [
            a
            for a in kms.list_aliases()["Aliases"]
            if a["AliasName"].startswith(f"alias/webapp-{ENV}-")
        ]
        [alias] = [a for a in aliases if not a["AliasName"].endswith("-state")]
        return str(kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"])


def deploy(machine: Machine, project: str) -> subprocess.CompletedProcess[str]:
    return machine.invoke("deploy", "--env", ENV, "--project", project, "--yes")


def outputs(machine: Machine) -> subprocess.CompletedProcess[str]:
    return machine.invoke("outputs", "--env", ENV, "--json", "-")


def locked_out(
    holder: subprocess.Popen[str], other: Machine, s3: Any, state_bucket: str
) -> subprocess.CompletedProcess[str]:
    """Once `holder` holds the stack's lock on S3, `other` tries to deploy the same stack."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and holder.poll() is None:
        if s3.list_objects_v2(Bucket=state_bucket, Prefix=LOCK_PREFIX).get("KeyCount"):
            return deploy(other, "security")
        time.sleep(0.2)
    out, err = holder.communicate(timeout=WAIT_SECONDS)
    pytest.fail(f"the first deploy never took the stack's lock on S3:\n{out}\n{err}")


@pytest.fixture(scope="module")
def teams(
    pulumi_bin_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
    standin_providers: Path,
) -> Teams:
    root = tmp_path_factory.mktemp("teams")
    started = time.monotonic()
    keys = new_account(moto_url)
    faults = Faults(root / "standin-faults.json")
    origin = make_origin(root / "origin")
    security, data, web, viewer = (
        clone(
            origin,
            root / name,
            name=name,
            bin_dir=pulumi_bin_dir,
            endpoint=moto_url,
            keys=keys,
            faults_file=faults.path,
            providers=standin_providers,
        )
        for name in ("security-team", "data-team", "web-team", "fourth-machine")
    )
    # The teams' own program changes: a secret output, and a consumer that reads it.
    security.append("projects/security/__main__.py", SECRET_EXPORT)
    data.append("projects/storage/__main__.py", SECRET_READ)
    operator = Operator(moto_url, keys)
    state_bucket = f"webapp-{ENV}-state-{keys.account_id}-us-west-2"
    runs = {"bootstrap": security.invoke("bootstrap", "--env", ENV)}
    assert runs["bootstrap"].returncode == 0, runs["bootstrap"].stderr
    drop_tls_policy_for_moto(operator.client("s3"), state_bucket)
    bootstrapped = operator.inventory()
    faults.hold(KEY)
    holder = security.start("deploy", "--env", ENV, "--project", "security", "--yes")
    try:
        runs["locked-out"] = locked_out(holder, viewer, operator.client("s3"), state_bucket)
    finally:
        faults.clear()  # the key's create goes on: the holder's deploy completes
    out, err = holder.communicate(timeout=WAIT_SECONDS)
    runs["security"] = subprocess.CompletedProcess(holder.args, holder.returncode, out, err)
    runs["storage"] = deploy(data, "storage")
    runs["compute"] = deploy(web, "compute")
    runs["outputs"] = outputs(viewer)
    seconds = time.monotonic() - started
    runs["redeploy"] = deploy(viewer, "security")
    return Teams(security, data, web, viewer, operator, bootstrapped, runs, seconds)


def test_three_teams_deploy_their_projects_from_their_own_clones(teams: Teams) -> None:
    for project in ("security", "storage", "compute"):
        run = teams.runs[project]
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"organization/{project}/{ENV}" in run.stdout
        assert "succeeded" in run.stdout
    stored = {
        item["Key"]
        for item in teams.s3.list_objects_v2(Bucket=teams.state_bucket, Prefix=".pulumi/stacks/")[
            "Contents"
        ]
    }
    assert {checkpoint(p) for p in ("security", "storage", "compute")} <= stored
    # Nothing local was shared or needed: no passphrase, no file backend on any machine.
    for machine in teams.machines():
        assert "PULUMI_CONFIG_PASSPHRASE" not in machine.env
        assert not (machine.root / ".pulumi-state" / "passphrase").exists()
        assert not (machine.root / ".pulumi-state" / ".pulumi").exists()
    print(f"three clones: bootstrap and three team deploys took {teams.seconds:.1f} s")


def test_compute_reads_the_other_teams_outputs_from_s3(teams: Teams) -> None:
    key_arn = teams.key_arn()
    bucket_arn = f"arn:aws:s3:::webapp-{ENV}-data-{teams.account}-us-west-2"
    resources = {str(s["Resource"]) for s in teams.operator.inline_policy_statements()}
    assert f"{bucket_arn}/*" in resources
    assert key_arn in resources


def test_a_secret_crosses_stacks_with_kms_and_no_passphrase(teams: Teams) -> None:
    shown = json.loads(teams.runs["outputs"].stdout)
    assert shown["security"]["probe_secret"] == "[secret]"
    assert shown["storage"]["probe_secret_seen"] == SECRET
    body = teams.s3.get_object(Bucket=teams.state_bucket, Key=checkpoint("security"))["Body"].read()
    assert SECRET.encode() not in body
    state = json.loads(body)["checkpoint"]["latest"]["secrets_providers"]
    assert state["type"] == "cloud"
    assert state["state"]["url"].startswith(f"awskms://alias/webapp-{ENV}-state?region=us-west-2")


def test_outputs_from_a_fourth_clone_show_all_three_stacks(teams: Teams) -> None:
    run = teams.runs["outputs"]
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["security"]["kms_key_arn"] == teams.key_arn()
    assert shown["storage"]["bucket_name"] == f"webapp-{ENV}-data-{teams.account}-us-west-2"
    assert shown["compute"]["url"].startswith("http://")


def test_a_second_machine_deploying_a_locked_stack_is_refused_naming_the_holder(
    teams: Teams,
) -> None:
    refused = teams.runs["locked-out"]
    assert refused.returncode == 1
    message = refused.stdout + refused.stderr
    assert f"stack organization/security/{ENV} is locked" in message
    assert "lock held by" in message
    assert "@" in message.split("lock held by", 1)[1]  # user@host of the holder
    assert "pid" in message
    first = teams.runs["security"]
    assert first.returncode == 0, first.stdout + first.stderr
    # The state stayed valid: the fourth machine's later deploy of it changes nothing.
    again = teams.runs["redeploy"]
    assert again.returncode == 0, again.stdout + again.stderr
    assert "same" in again.stdout
    assert not teams.s3.list_objects_v2(Bucket=teams.state_bucket, Prefix=LOCK_PREFIX).get(
        "KeyCount"
    )


def test_a_damaged_checkpoint_is_restored_from_the_bucket_history(teams: Teams) -> None:
    versions = teams.s3.list_object_versions(
        Bucket=teams.state_bucket, Prefix=checkpoint("storage")
    )
    assert len(versions["Versions"]) >= 1
    history = teams.s3.list_object_versions(
        Bucket=teams.state_bucket, Prefix=checkpoint("security")
    )
    assert len(history["Versions"]) >= 2, "two deploys leave two versions of the checkpoint"
    before = json.loads(outputs(teams.viewer).stdout)
    teams.s3.put_object(
        Bucket=teams.state_bucket, Key=checkpoint("security"), Body=b'{"version": 3,'
    )

    damaged = outputs(teams.viewer)
    assert damaged.returncode != 0
    listed = teams.security.invoke("state", "history", "--env", ENV, "--project", "security")
    assert listed.returncode == 0, listed.stderr
    lines = [line.split() for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert "DAMAGED:" in lines[0]
    good = next(line[0] for line in lines[1:] if "resources" in line)
    restored = teams.security.invoke(
        "state", "restore", "--env", ENV, "--project", "security", "--version", good
    )

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"Restored organization/security/{ENV} to version {good}" in restored.stdout
    assert json.loads(outputs(teams.viewer).stdout) == before
    redeployed = deploy(teams.security, "security")
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert "same" in redeployed.stdout


def test_guards_hold_across_machines_and_cascade_tears_down_in_reverse(teams: Teams) -> None:
    before = teams.operator.inventory()
    refused = teams.security.invoke("destroy", "--env", ENV, "--project", "security", "--yes")
    assert refused.returncode == 1
    assert f"refusing to destroy security in {ENV}" in refused.stderr
    assert f"compute (organization/compute/{ENV}, team web" in refused.stderr
    assert f"storage (organization/storage/{ENV}, team data" in refused.stderr
    assert teams.operator.inventory() == before

    cascade = teams.security.invoke(
        "destroy", "--env", ENV, "--project", "security", "--cascade", "--yes"
    )

    assert cascade.returncode == 0, cascade.stdout + cascade.stderr
    order = [
        name
        for line in cascade.stdout.splitlines()
        for name in ("compute", "storage", "security")
        if line.startswith(f"[{name}/{ENV}]")
    ]
    assert list(dict.fromkeys(order)) == ["compute", "storage", "security"]
    assert teams.operator.inventory() == teams.bootstrapped
