"""Fast tests of the TEST-ONLY AWS stand-in plugin, talking gRPC to it the way the engine does.

The plugin is started through the very wrapper the engine would launch from the temporary
PULUMI_HOME, so these tests also cover discovery layout, port printing and start-up. It works
in one account of the session's moto server, configured as `--endpoint` configures the real
provider; what it made is looked at with boto3, as an operator would.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi.runtime.rpc as sdk_rpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from shared import aws_types as t
from tests.engine.emulated_account import Operator, new_account
from tests.engine.standin_aws import PLUGIN_VERSION, wire
from tests.engine.standin_aws.faults import FAULTS_FILE_ENV, Faults
from tests.engine.standin_aws.install import EXECUTABLE, install, plugin_dir
from tests.engine.standin_client import Standin, serve_in_process, urn

REGION = "us-west-2"
DEFAULT_TAGS = {"app": "webapp", "environment": "development"}
KEY = t.KMS_KEY
BUCKET = t.BUCKET
ROLE = t.IAM_ROLE
INSTANCE = t.INSTANCE
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
Diff = provider_pb2.PropertyDiff
Response = provider_pb2.DiffResponse


@pytest.fixture(scope="module")
def plugin_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Faults]]:
    """The installed wrapper, started as the engine starts it; yields (address, its faults)."""
    home = tmp_path_factory.mktemp("standin-home")
    wrapper = install(home)
    faults = Faults(home / "faults.json")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_REGION", "AWS_DEFAULT_REGION"}
    }
    env.update(PULUMI_HOME=str(home), **{FAULTS_FILE_ENV: str(faults.path)})
    process = subprocess.Popen(
        [str(wrapper), "127.0.0.1:1"], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        yield f"127.0.0.1:{port}", faults
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def operator(moto_url: str) -> Operator:
    """The module's account, which the plugin process works in."""
    return Operator(moto_url, new_account(moto_url))


@pytest.fixture(scope="module")
def configured_stub(plugin_process: tuple[str, Faults], operator: Operator) -> Iterator[Any]:
    address, _ = plugin_process
    channel = grpc.insecure_channel(address)
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    config = {
        **operator.provider_config(),
        # As the pulumi-aws SDK sends them: JSON text.
        "defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
        "endpoints": json.dumps([{"kms": operator.endpoint, "s3": operator.endpoint}]),
        "version": PLUGIN_VERSION,
    }
    stub.Configure(provider_pb2.ConfigureRequest(args=wire.to_struct(config), acceptSecrets=True))
    yield stub
    channel.close()


@pytest.fixture
def standin(
    configured_stub: Any, plugin_process: tuple[str, Faults], operator: Operator
) -> Iterator[Standin]:
    """The module's plugin and account, with no fault injected."""
    plugin_process[1].clear()
    yield Standin(stub=configured_stub, operator=operator)
    plugin_process[1].clear()


@pytest.fixture
def in_process(moto_url: str) -> Iterator[Standin]:
    """A fresh, unconfigured stand-in served in this process (for per-process state)."""
    with serve_in_process(moto_url, configure=False) as standin:
        yield standin


def unique(stem: str) -> str:
    """A bucket name no other test (or account: the namespace is global) has taken."""
    return f"{stem}-{uuid.uuid4().hex[:12]}"


# -- plugin contract ----------------------------------------------------------------------


def test_installed_where_the_engine_looks(tmp_path: Path) -> None:
    wrapper = install(tmp_path)
    assert wrapper == tmp_path / "plugins" / "resource-aws-v7.51.1" / "pulumi-resource-aws"
    assert wrapper.parent == plugin_dir(tmp_path)
    assert wrapper.name == EXECUTABLE
    assert os.access(wrapper, os.X_OK)
    assert not (tmp_path / "plugins" / "resource-aws-v7.51.1.partial").exists()
    assert "TEST-ONLY" in wrapper.read_text().splitlines()[1]


def test_wire_constants_match_the_sdk() -> None:
    assert wire.UNKNOWN == sdk_rpc.UNKNOWN
    assert sdk_rpc._special_sig_key == wire.SIG_KEY
    assert sdk_rpc._special_secret_sig == wire.SECRET_SIG


def test_plugin_info_and_handshake(configured_stub: Any) -> None:
    assert configured_stub.GetPluginInfo(empty_pb2.Empty()).version == PLUGIN_VERSION
    handshake = configured_stub.Handshake(
        provider_pb2.ProviderHandshakeRequest(engine_address="127.0.0.1:1")
    )
    assert handshake.accept_secrets
    assert not handshake.accept_resources
    schema = json.loads(configured_stub.GetSchema(provider_pb2.GetSchemaRequest()).schema)
    assert schema["name"] == "aws"


def test_check_config_requires_a_region(configured_stub: Any) -> None:
    missing = configured_stub.CheckConfig(provider_pb2.CheckRequest(news=wire.to_struct({})))
    assert [failure.property for failure in missing.failures] == ["region"]
    given = configured_stub.CheckConfig(
        provider_pb2.CheckRequest(news=wire.to_struct({"region": REGION}))
    )
    assert not given.failures
    assert wire.to_props(given.inputs) == {"region": REGION}


@pytest.mark.parametrize(
    ("olds", "news", "replaces", "diffs"),
    [
        ({"region": REGION, "version": "7.51.0"}, {"region": REGION, "version": "7.51.1"}, [], []),
        ({"region": REGION}, {"region": "eu-west-1"}, ["region"], ["region"]),
        ({"region": REGION, "defaultTags": "{}"}, {"region": REGION}, [], ["defaultTags"]),
    ],
)
def test_diff_config(
    configured_stub: Any,
    olds: dict[str, str],
    news: dict[str, str],
    replaces: list[str],
    diffs: list[str],
) -> None:
    response = configured_stub.DiffConfig(
        provider_pb2.DiffRequest(
            urn="urn:pulumi:dev::p::pulumi:providers:aws::aws",
            olds=wire.to_struct(olds),
            old_inputs=wire.to_struct(olds),
            news=wire.to_struct(news),
        )
    )
    assert list(response.replaces) == replaces
    assert list(response.diffs) == diffs


def test_configure_from_legacy_variables(in_process: Standin) -> None:
    config = in_process.operator.provider_config()
    in_process.stub.Configure(
        provider_pb2.ConfigureRequest(
            variables={
                "aws:config:region": "eu-west-1",
                "aws:config:defaultTags": json.dumps({"tags": {"team": "t"}}),
                "aws:config:accessKey": config["accessKey"],
                "aws:config:secretKey": config["secretKey"],
                "aws:config:token": config["token"],
                "aws:config:endpoints": json.dumps(config["endpoints"]),
            }
        )
    )
    response = in_process.stub.Create(
        provider_pb2.CreateRequest(
            urn=urn(KEY, "k"), type=KEY, name="k", properties=wire.to_struct({})
        )
    )
    outputs = wire.to_props(response.properties)
    account = in_process.operator.keys.account_id
    assert outputs["arn"].startswith(f"arn:aws:kms:eu-west-1:{account}:key/")
    assert outputs["tagsAll"] == {"team": "t"}


def test_a_provider_without_an_emulator_endpoint_is_refused(in_process: Standin) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        in_process.stub.Configure(
            provider_pb2.ConfigureRequest(args=wire.to_struct({"region": REGION}))
        )
    assert "only talks to an AWS emulator" in raised.value.details()
    assert "--endpoint" in raised.value.details()


def test_allowed_account_ids_are_checked_against_the_callers_account(in_process: Standin) -> None:
    config = in_process.operator.provider_config()
    with pytest.raises(grpc.RpcError) as raised:
        in_process.stub.Configure(
            provider_pb2.ConfigureRequest(
                args=wire.to_struct({**config, "allowedAccountIds": json.dumps(["111111111111"])})
            )
        )
    account = in_process.operator.keys.account_id
    assert f"AWS account ID not allowed: {account}" in raised.value.details()
    allowed = {**config, "allowedAccountIds": json.dumps([account])}
    in_process.stub.Configure(provider_pb2.ConfigureRequest(args=wire.to_struct(allowed)))


def test_resources_need_a_configured_provider(in_process: Standin) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        in_process.stub.Create(provider_pb2.CreateRequest(urn=urn(KEY, "k"), type=KEY, name="k"))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_cancel_stops_an_injected_delay(
    standin: Standin, plugin_process: tuple[str, Faults]
) -> None:
    plugin_process[1].hold(KEY)
    before = standin.operator.live_keys()
    errors: list[grpc.RpcError] = []

    def create() -> None:
        try:
            standin.create(KEY, "k", {})
        except grpc.RpcError as error:
            errors.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=create)
    worker.start()
    time.sleep(0.3)
    assert worker.is_alive()
    standin.stub.Cancel(empty_pb2.Empty())
    worker.join(timeout=10)
    assert time.monotonic() - started < 10
    assert [error.code() for error in errors] == [grpc.StatusCode.CANCELLED]
    assert standin.operator.live_keys() == before


# -- resources ----------------------------------------------------------------------------


def test_create_kms_key_fills_arn_key_id_and_tags_all(standin: Standin) -> None:
    response = standin.create(KEY, "data-key", {"enableKeyRotation": True, "tags": {"Name": "k"}})
    outputs = wire.to_props(response.properties)
    account = standin.operator.keys.account_id
    assert str(uuid.UUID(response.id)) == response.id
    assert outputs["arn"] == f"arn:aws:kms:{REGION}:{account}:key/{response.id}"
    assert outputs["keyId"] == response.id
    assert outputs["enableKeyRotation"] is True
    assert outputs["tagsAll"] == {**DEFAULT_TAGS, "Name": "k"}
    kms = standin.operator.client("kms")
    assert kms.describe_key(KeyId=response.id)["KeyMetadata"]["Arn"] == outputs["arn"]
    tags = kms.list_resource_tags(KeyId=response.id)["Tags"]
    assert {tag["TagKey"]: tag["TagValue"] for tag in tags} == outputs["tagsAll"]


def test_tags_override_default_tags_in_tags_all(standin: Standin) -> None:
    response = standin.create(KEY, "k", {"tags": {"environment": "override"}})
    assert wire.to_props(response.properties)["tagsAll"]["environment"] == "override"


def test_bucket_outputs_and_unique_names(standin: Standin) -> None:
    name = unique("webapp-dev-data")
    response = standin.create(BUCKET, "data", {"bucket": name})
    outputs = wire.to_props(response.properties)
    assert response.id == name
    assert outputs["arn"] == f"arn:aws:s3:::{name}"
    assert outputs["bucketRegionalDomainName"] == f"{name}.s3.{REGION}.amazonaws.com"
    with pytest.raises(grpc.RpcError) as raised:
        standin.create(BUCKET, "other", {"bucket": name})
    # An AWS refusal, as the real provider reports one (see test_kinds_elb.py).
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert f"creating S3 Bucket ({name})" in raised.value.details()
    assert "BucketAlreadyOwnedByYou" in raised.value.details()


def test_side_resource_id_is_the_bucket(standin: Standin) -> None:
    name = unique("webapp-dev-data")
    standin.create(BUCKET, "data", {"bucket": name})
    response = standin.create(
        t.BUCKET_VERSIONING,
        "data-versioning",
        {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
    )
    assert response.id == name
    versioning = standin.operator.client("s3").get_bucket_versioning(Bucket=name)
    assert versioning["Status"] == "Enabled"


def test_autonamed_key_alias_and_a_replacement_get_new_names(standin: Standin) -> None:
    key = standin.create(KEY, "k", {})
    check = standin.stub.Check(
        provider_pb2.CheckRequest(
            urn=urn(t.IAM_ROLE, "web-role"),
            type=t.IAM_ROLE,
            news=wire.to_struct({"assumeRolePolicy": "{}"}),
            randomSeed=b"seed-1",
        )
    )
    name = wire.to_props(check.inputs)["name"]
    assert name.startswith("web-role-")
    assert len(name) == len("web-role-") + 7
    kept = standin.stub.Check(
        provider_pb2.CheckRequest(
            urn=urn(t.IAM_ROLE, "web-role"),
            type=t.IAM_ROLE,
            olds=check.inputs,
            news=wire.to_struct({"assumeRolePolicy": "{ }"}),
            randomSeed=b"seed-2",
        )
    )
    assert wire.to_props(kept.inputs)["name"] == name
    # A replacement is checked without the old inputs, and a new seed gives a new name.
    fresh = standin.stub.Check(
        provider_pb2.CheckRequest(
            urn=urn(t.IAM_ROLE, "web-role"),
            type=t.IAM_ROLE,
            news=wire.to_struct({"assumeRolePolicy": "{}"}),
            randomSeed=b"seed-2",
        )
    )
    assert wire.to_props(fresh.inputs)["name"] != name
    assert key.id


def test_a_type_the_stand_in_does_not_serve_is_refused_by_name(standin: Standin) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        standin.create(t.SNS_TOPIC, "alerts", {"tags": {"a": "b"}})
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert t.SNS_TOPIC in raised.value.details()
    assert "tests/engine/standin_aws/kinds" in raised.value.details()


def test_preview_create_leaves_computed_outputs_unknown_and_the_cloud_alone(
    standin: Standin,
) -> None:
    before = standin.operator.live_keys()
    response = standin.create(KEY, "k", {"description": "d"}, preview=True)
    outputs = wire.to_props(response.properties)
    assert response.id == ""
    # Not returned: the SDK reads a missing output of a preview as unknown.
    assert "arn" not in outputs
    assert outputs["description"] == "d"
    assert outputs["tagsAll"] == DEFAULT_TAGS
    assert standin.operator.live_keys() == before


def test_secrets_stay_secret(standin: Standin) -> None:
    response = standin.create(KEY, "k", {"description": wire.secret("hunter2")})
    outputs = wire.to_props(response.properties)
    assert wire.is_secret(outputs["description"])
    assert "hunter2" not in json.dumps(outputs["arn"])
    read = wire.to_props(standin.read(KEY, "k", response.id, outputs).properties)
    assert wire.is_secret(read["description"])
    assert wire.plain(read["description"]) == "hunter2"


def test_read_reports_drift_and_deletion(standin: Standin) -> None:
    name = unique("drifty")
    inputs = {"bucket": name, "tags": {"owner": "a"}}
    created = standin.create(BUCKET, "data", inputs)
    state = wire.to_props(created.properties)
    s3 = standin.operator.client("s3")
    tagging = {"TagSet": [{"Key": "owner", "Value": "mallory"}]}
    s3.put_bucket_tagging(Bucket=name, Tagging=tagging)
    read = standin.read(BUCKET, "data", created.id, state, inputs)
    assert read.id == created.id
    assert wire.to_props(read.properties)["tags"] == {"owner": "mallory"}
    assert wire.to_props(read.inputs) == {"bucket": name, "tags": {"owner": "mallory"}}
    s3.delete_bucket(Bucket=name)
    assert standin.read(BUCKET, "data", created.id, state, inputs).id == ""


def test_update_of_a_resource_deleted_behind_pulumis_back_fails_clearly(standin: Standin) -> None:
    created = standin.create(KEY, "k", {})
    standin.operator.client("kms").schedule_key_deletion(KeyId=created.id, PendingWindowInDays=7)
    with pytest.raises(grpc.RpcError) as raised:
        standin.update(KEY, "k", created.id, {}, {"description": "new"})
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert f"updating KMS Key ({created.id})" in raised.value.details()
    assert "pending deletion" in raised.value.details()


def test_delete_schedules_the_key_for_deletion(standin: Standin) -> None:
    created = standin.create(KEY, "k", {})
    standin.delete(KEY, "k", created.id, {"deletionWindowInDays": 7})
    state = standin.operator.client("kms").describe_key(KeyId=created.id)["KeyMetadata"]
    assert state["KeyState"] == "PendingDeletion"
    assert created.id not in standin.operator.live_keys()


def test_recreating_the_same_urn_gets_a_new_id(standin: Standin) -> None:
    first = standin.create(KEY, "k", {})
    second = standin.create(KEY, "k", {})
    assert first.id != second.id


def test_injected_failure(standin: Standin, plugin_process: tuple[str, Faults]) -> None:
    before = standin.operator.live_keys()
    plugin_process[1].set_failure(KEY, "throttled")
    with pytest.raises(grpc.RpcError) as raised:
        standin.create(KEY, "k", {})
    assert "throttled" in raised.value.details()
    assert standin.operator.live_keys() == before


# -- diff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        (
            BUCKET,
            {"bucket": "a", "tags": {"x": "1"}},
            {"bucket": "a", "tags": {"x": "1"}},
            Response.DIFF_NONE,
            [],
        ),
        (
            BUCKET,
            {"bucket": "a", "tags": {"x": "1"}},
            {"bucket": "a", "tags": {"x": "2"}},
            Response.DIFF_SOME,
            [],
        ),
        (BUCKET, {"bucket": "a"}, {"bucket": "b"}, Response.DIFF_SOME, ["bucket"]),
        (INSTANCE, {"ami": "ami-1"}, {"ami": "ami-2"}, Response.DIFF_SOME, ["ami"]),
        (INSTANCE, {"userData": "a"}, {"userData": "b"}, Response.DIFF_SOME, []),
        (
            INSTANCE,
            {"userData": "a", "userDataReplaceOnChange": True},
            {"userData": "b", "userDataReplaceOnChange": True},
            Response.DIFF_SOME,
            ["userData"],
        ),
        (t.SUBNET, {"vpcId": "v1"}, {"vpcId": "v2"}, Response.DIFF_SOME, ["vpcId"]),
        (KEY, {"description": "d"}, {"description": wire.secret("d")}, Response.DIFF_NONE, []),
        (KEY, {"description": "d"}, {"description": wire.UNKNOWN}, Response.DIFF_SOME, []),
        (KEY, {}, {"region": "eu-west-1"}, Response.DIFF_SOME, ["region"]),
    ],
)
def test_diff(
    standin: Standin, case: tuple[str, dict[str, Any], dict[str, Any], int, list[str]]
) -> None:
    type_, olds, news, changes, replaces = case
    response = standin.diff(type_, olds, news)
    assert response.changes == changes
    assert list(response.replaces) == replaces
    assert response.hasDetailedDiff
    for key in replaces:
        assert response.detailedDiff[key].kind in (Diff.UPDATE_REPLACE, Diff.ADD_REPLACE)


def test_diff_honours_ignore_changes(standin: Standin) -> None:
    response = standin.diff(BUCKET, {"tags": {"a": "1"}}, {"tags": {"a": "2"}}, ignore=("tags.a",))
    assert response.changes == Response.DIFF_NONE


def test_diff_reports_additions_and_deletions(standin: Standin) -> None:
    response = standin.diff(KEY, {"description": "d"}, {"policy": "{}"})
    assert response.detailedDiff["description"].kind == Diff.DELETE
    assert response.detailedDiff["policy"].kind == Diff.ADD


# -- functions ----------------------------------------------------------------------------


def test_caller_identity_region_partition_and_zones(standin: Standin) -> None:
    identity = standin.invoke(t.GET_CALLER_IDENTITY, {})
    assert identity["accountId"] == standin.operator.keys.account_id
    assert standin.invoke(t.GET_REGION, {})["region"] == REGION
    assert standin.invoke(t.GET_PARTITION, {})["partition"] == "aws"
    zones = standin.invoke(t.GET_AVAILABILITY_ZONES, {"state": "available"})
    assert zones["names"][:3] == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert all(zone.startswith("usw2-az") for zone in zones["zoneIds"])


def test_al2023_ami_parameter(standin: Standin) -> None:
    result = standin.invoke(t.GET_SSM_PARAMETER, {"name": AL2023})
    assert result["insecureValue"].startswith("ami-")
    assert result["value"] == wire.secret(result["insecureValue"])
    # The emulator's image behind the public parameter is one instances can launch from.
    images = standin.operator.client("ec2").describe_images(ImageIds=[result["insecureValue"]])
    assert images["Images"]


def test_missing_parameter_and_unknown_function_fail_by_name(standin: Standin) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        standin.invoke(t.GET_SSM_PARAMETER, {"name": "/nope"})
    assert "ParameterNotFound" in missing.value.details()
    with pytest.raises(grpc.RpcError) as unknown:
        standin.invoke("aws:rds/getEngineVersion:getEngineVersion", {})
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "aws:rds/getEngineVersion:getEngineVersion" in unknown.value.details()


def test_an_update_preview_leaves_recomputed_outputs_unknown(standin: Standin) -> None:
    olds = {"name": "lt", "imageId": "ami-1", "latestVersion": 1, "tagsAll": {}}
    preview = standin.update(
        t.LAUNCH_TEMPLATE, "lt", "lt-1", olds, {"name": "lt", "imageId": "ami-2"}, preview=True
    )
    outputs = wire.to_props(preview.properties)
    assert outputs["latestVersion"] == wire.UNKNOWN
    unchanged = standin.update(
        t.LAUNCH_TEMPLATE, "lt", "lt-1", olds, {"name": "lt", "imageId": "ami-1"}, preview=True
    )
    assert wire.to_props(unchanged.properties)["latestVersion"] == 1


def test_a_policy_read_back_reformatted_is_no_drift(standin: Standin) -> None:
    role = unique("reader")
    trust = {"Version": "2012-10-17", "Statement": []}
    standin.operator.client("iam").create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)
    )
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)
    inputs = {"role": role, "name": "read", "policy": policy}
    created = standin.create(t.IAM_ROLE_POLICY, "read", inputs)
    state = wire.to_props(created.properties)
    # IAM hands the document back decoded and reformatted: the same policy, so no drift.
    read = standin.read(t.IAM_ROLE_POLICY, "read", created.id, state, inputs)
    assert wire.to_props(read.inputs)["policy"] == policy
    changed = {"Version": "2012-10-17", "Statement": [{**statement, "Action": "s3:*"}]}
    standin.operator.client("iam").put_role_policy(
        RoleName=role, PolicyName="read", PolicyDocument=json.dumps(changed)
    )
    drifted = wire.to_props(
        standin.read(t.IAM_ROLE_POLICY, "read", created.id, state, inputs).inputs
    )
    assert drifted["policy"] != policy
