"""Fast tests of the TEST-ONLY AWS stand-in plugin, talking gRPC to it the way the engine does.

The plugin is started through the very wrapper the engine would launch from the temporary
PULUMI_HOME, so these tests also cover discovery layout, port printing and start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
from tests.engine.standin_aws import ACCOUNT_ID, PLUGIN_VERSION, account, rendering, wire
from tests.engine.standin_aws.cloud import Cloud, CloudError
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
def plugin_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The installed wrapper, started as the engine starts it; yields (address, cloud file)."""
    home = tmp_path_factory.mktemp("standin-home")
    wrapper = install(home)
    cloud_file = home / "cloud.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_REGION", "AWS_DEFAULT_REGION"}
    }
    env.update(PULUMI_HOME=str(home), STANDIN_AWS_CLOUD_FILE=str(cloud_file))
    process = subprocess.Popen(
        [str(wrapper), "127.0.0.1:1"], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        yield f"127.0.0.1:{port}", cloud_file
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def configured_stub(plugin_process: tuple[str, Path]) -> Iterator[Any]:
    address, _ = plugin_process
    channel = grpc.insecure_channel(address)
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    stub.Configure(
        provider_pb2.ConfigureRequest(
            args=wire.to_struct(
                {
                    "region": REGION,
                    # As the pulumi-aws SDK sends it: JSON text.
                    "defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
                    "version": PLUGIN_VERSION,
                }
            ),
            acceptSecrets=True,
        )
    )
    yield stub
    channel.close()


@pytest.fixture
def standin(configured_stub: Any, plugin_process: tuple[str, Path]) -> Standin:
    """The module's stand-in with an empty cloud."""
    cloud = Cloud(plugin_process[1])
    with cloud.transaction() as data:
        data.clear()
    return Standin(stub=configured_stub, cloud=cloud)


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[tuple[Any, Cloud]]:
    """A fresh, unconfigured stand-in served in this process (for per-process state)."""
    with serve_in_process(tmp_path / "cloud.json") as standin:
        yield standin.stub, standin.cloud


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


def test_configure_from_legacy_variables(in_process: tuple[Any, Cloud]) -> None:
    stub, _ = in_process
    stub.Configure(
        provider_pb2.ConfigureRequest(
            variables={
                "aws:config:region": "eu-west-1",
                "aws:config:defaultTags": json.dumps({"tags": {"team": "t"}}),
            }
        )
    )
    response = stub.Create(
        provider_pb2.CreateRequest(
            urn=urn(KEY, "k"), type=KEY, name="k", properties=wire.to_struct({})
        )
    )
    outputs = wire.to_props(response.properties)
    assert outputs["arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert outputs["tagsAll"] == {"team": "t"}


def test_resources_need_a_configured_provider(in_process: tuple[Any, Cloud]) -> None:
    stub, _ = in_process
    with pytest.raises(grpc.RpcError) as raised:
        stub.Create(provider_pb2.CreateRequest(urn=urn(KEY, "k"), type=KEY, name="k"))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_cancel_stops_an_injected_delay(in_process: tuple[Any, Cloud]) -> None:
    stub, cloud = in_process
    stub.Configure(provider_pb2.ConfigureRequest(args=wire.to_struct({"region": REGION})))
    cloud.set_delay(KEY, 60)
    errors: list[grpc.RpcError] = []

    def create() -> None:
        try:
            stub.Create(provider_pb2.CreateRequest(urn=urn(KEY, "k"), type=KEY, name="k"))
        except grpc.RpcError as error:
            errors.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=create)
    worker.start()
    time.sleep(0.3)
    assert worker.is_alive()
    stub.Cancel(empty_pb2.Empty())
    worker.join(timeout=10)
    assert time.monotonic() - started < 10
    assert [error.code() for error in errors] == [grpc.StatusCode.CANCELLED]
    assert cloud.resources() == []


# -- resources ----------------------------------------------------------------------------


def test_create_kms_key_fills_arn_key_id_and_tags_all(standin: Standin) -> None:
    response = standin.create(KEY, "data-key", {"enableKeyRotation": True, "tags": {"Name": "k"}})
    outputs = wire.to_props(response.properties)
    assert str(uuid.UUID(response.id)) == response.id
    assert outputs["arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{response.id}"
    assert outputs["keyId"] == response.id
    assert outputs["enableKeyRotation"] is True
    assert outputs["tagsAll"] == {**DEFAULT_TAGS, "Name": "k"}
    stored = standin.cloud.find(KEY, "data-key")
    assert stored.id == response.id
    assert stored.output("arn") == outputs["arn"]


def test_tags_override_default_tags_in_tags_all(standin: Standin) -> None:
    response = standin.create(KEY, "k", {"tags": {"environment": "override"}})
    assert wire.to_props(response.properties)["tagsAll"]["environment"] == "override"


def test_bucket_outputs_and_unique_names(standin: Standin) -> None:
    response = standin.create(BUCKET, "data", {"bucket": "webapp-dev-data"})
    outputs = wire.to_props(response.properties)
    assert response.id == "webapp-dev-data"
    assert outputs["arn"] == "arn:aws:s3:::webapp-dev-data"
    assert outputs["bucketRegionalDomainName"] == f"webapp-dev-data.s3.{REGION}.amazonaws.com"
    with pytest.raises(grpc.RpcError) as raised:
        standin.create(BUCKET, "other", {"bucket": "webapp-dev-data"})
    # An AWS refusal, as the real provider reports one (see test_standin_invariants.py).
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert "creating S3 Bucket (webapp-dev-data)" in raised.value.details()
    assert "BucketAlreadyOwnedByYou" in raised.value.details()


def test_side_resource_id_is_the_bucket(standin: Standin) -> None:
    response = standin.create(
        t.BUCKET_VERSIONING,
        "data-versioning",
        {"bucket": "webapp-dev-data", "versioningConfiguration": {"status": "Enabled"}},
    )
    assert response.id == "webapp-dev-data"


def test_autonamed_role_keeps_its_name_on_update(standin: Standin) -> None:
    created = standin.create(ROLE, "web-role", {"assumeRolePolicy": "{}"})
    outputs = wire.to_props(created.properties)
    assert outputs["name"].startswith("web-role-")
    assert len(outputs["name"]) == len("web-role-") + 7
    assert created.id == outputs["name"]
    assert outputs["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{outputs['name']}"
    updated = standin.update(ROLE, "web-role", created.id, outputs, {"assumeRolePolicy": "{ }"})
    after = wire.to_props(updated.properties)
    assert after["name"] == outputs["name"]
    assert after["assumeRolePolicy"] == "{ }"
    assert standin.cloud.get(ROLE, created.id).outputs["assumeRolePolicy"] == "{ }"  # type: ignore[union-attr]


def test_unknown_type_is_echoed_with_an_id(standin: Standin) -> None:
    response = standin.create(t.SNS_TOPIC, "alerts", {"tags": {"a": "b"}, "x": 1})
    outputs = wire.to_props(response.properties)
    assert response.id.startswith("topic-")
    assert outputs["x"] == 1
    assert outputs["tagsAll"] == {**DEFAULT_TAGS, "a": "b"}


def test_preview_create_leaves_computed_outputs_unknown_and_the_cloud_alone(
    standin: Standin,
) -> None:
    response = standin.create(KEY, "k", {"description": "d"}, preview=True)
    outputs = wire.to_props(response.properties)
    assert response.id == ""
    assert outputs["arn"] == wire.UNKNOWN
    assert outputs["description"] == "d"
    assert outputs["tagsAll"] == DEFAULT_TAGS
    assert standin.cloud.resources() == []


def test_secrets_stay_secret(standin: Standin) -> None:
    response = standin.create(
        t.SSM_PARAMETER,
        "db-password",
        {"name": "/webapp/db", "type": "SecureString", "value": wire.secret("hunter2")},
    )
    outputs = wire.to_props(response.properties)
    assert outputs["value"] == wire.secret("hunter2")
    assert "hunter2" not in json.dumps(wire.to_props(response.properties)["arn"])
    read = wire.to_props(standin.read(t.SSM_PARAMETER, "db-password", response.id).properties)
    assert wire.is_secret(read["value"])
    fetched = standin.invoke(t.GET_SSM_PARAMETER, {"name": "/webapp/db"})
    assert fetched["value"] == wire.secret("hunter2")


def test_read_reports_drift_and_deletion(standin: Standin) -> None:
    created = standin.create(BUCKET, "data", {"bucket": "drifty", "tags": {"owner": "a"}})
    standin.cloud.change_outputs(BUCKET, created.id, tags={"owner": "mallory"})
    read = standin.read(BUCKET, "data", created.id)
    assert read.id == created.id
    assert wire.to_props(read.properties)["tags"] == {"owner": "mallory"}
    assert wire.to_props(read.inputs) == {"bucket": "drifty", "tags": {"owner": "mallory"}}
    standin.cloud.remove(BUCKET, created.id)
    assert standin.read(BUCKET, "data", created.id).id == ""


def test_update_of_a_resource_deleted_behind_pulumis_back_fails_clearly(standin: Standin) -> None:
    created = standin.create(KEY, "k", {})
    standin.cloud.remove(KEY, created.id)
    with pytest.raises(grpc.RpcError) as raised:
        standin.update(KEY, "k", created.id, {}, {"description": "new"})
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert "refresh" in raised.value.details()


def test_delete_removes_from_the_cloud(standin: Standin) -> None:
    created = standin.create(KEY, "k", {})
    standin.stub.Delete(
        provider_pb2.DeleteRequest(id=created.id, urn=urn(KEY, "k"), name="k", type=KEY)
    )
    assert standin.cloud.resources(KEY) == []


def test_recreating_the_same_urn_gets_a_new_id(standin: Standin) -> None:
    first = standin.create(KEY, "k", {})
    second = standin.create(KEY, "k", {})
    assert first.id != second.id


def test_injected_failure(standin: Standin) -> None:
    standin.cloud.set_failure(KEY, "throttled")
    with pytest.raises(grpc.RpcError) as raised:
        standin.create(KEY, "k", {})
    assert "throttled" in raised.value.details()
    assert standin.cloud.resources() == []


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
    assert identity["accountId"] == ACCOUNT_ID
    assert len(identity["accountId"]) == 12
    assert standin.invoke(t.GET_REGION, {})["region"] == REGION
    assert standin.invoke(t.GET_PARTITION, {})["partition"] == "aws"
    zones = standin.invoke(t.GET_AVAILABILITY_ZONES, {"state": "available"})
    assert zones["names"] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    assert zones["zoneIds"][0] == "usw2-az1"


def test_al2023_ami_parameter(standin: Standin) -> None:
    result = standin.invoke(t.GET_SSM_PARAMETER, {"name": AL2023})
    assert result["insecureValue"].startswith("ami-")
    assert result["value"] == wire.secret(result["insecureValue"])


def test_missing_parameter_and_unknown_function_fail_by_name(standin: Standin) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        standin.invoke(t.GET_SSM_PARAMETER, {"name": "/nope"})
    assert "ParameterNotFound" in missing.value.details()
    with pytest.raises(grpc.RpcError) as unknown:
        standin.invoke("aws:rds/getEngineVersion:getEngineVersion", {})
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "aws:rds/getEngineVersion:getEngineVersion" in unknown.value.details()


def test_policy_document_rendering(standin: Standin) -> None:
    result = standin.invoke(
        t.GET_POLICY_DOCUMENT,
        {
            "statements": [
                {
                    "sid": "DenyInsecureTransport",
                    "effect": "Deny",
                    "actions": ["s3:*"],
                    "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "principals": [{"type": "*", "identifiers": ["*"]}],
                    "conditions": [
                        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
                    ],
                },
                {
                    "actions": ["kms:Decrypt"],
                    "resources": ["*"],
                    "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::1:root"]}],
                },
            ]
        },
    )
    document = json.loads(result["json"])
    assert document["Version"] == "2012-10-17"
    deny, allow = document["Statement"]
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Principal": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"AWS": "arn:aws:iam::1:root"}
    assert json.loads(result["minifiedJson"]) == document


def test_policy_document_override_replaces_statement_by_sid(standin: Standin) -> None:
    override = json.dumps({"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "*"}]})
    result = standin.invoke(
        t.GET_POLICY_DOCUMENT,
        {
            "statements": [
                {"sid": "A", "actions": ["s3:GetObject"]},
                {"sid": "B", "actions": ["x:y"]},
            ],
            "overridePolicyDocuments": [override],
        },
    )
    statements = json.loads(result["json"])["Statement"]
    assert [(s["Sid"], s["Effect"]) for s in statements] == [("A", "Deny"), ("B", "Allow")]


# -- catalog and cloud, without a process ----------------------------------------------------


CONFIG = account.ProviderConfig(region=REGION, default_tags=DEFAULT_TAGS)


def test_outputs_are_deterministic() -> None:
    seed = rendering.seed_for(urn(INSTANCE, "web"), 1)
    first = rendering.render_outputs(INSTANCE, urn(INSTANCE, "web"), {"ami": "ami-1"}, CONFIG, seed)
    second = rendering.render_outputs(
        INSTANCE, urn(INSTANCE, "web"), {"ami": "ami-1"}, CONFIG, seed
    )
    assert first == second


def test_instance_network_outputs() -> None:
    seed = rendering.seed_for(urn(INSTANCE, "web"), 1)
    id_, public = rendering.render_outputs(INSTANCE, urn(INSTANCE, "web"), {}, CONFIG, seed)
    assert id_.startswith("i-")
    assert public["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/{id_}"
    assert (
        public["publicDns"]
        == f"ec2-{public['publicIp'].replace('.', '-')}.{REGION}.compute.amazonaws.com"
    )
    assert public["availabilityZone"] == "us-west-2a"
    _, private = rendering.render_outputs(
        INSTANCE, urn(INSTANCE, "web"), {"associatePublicIpAddress": False}, CONFIG, seed
    )
    assert private["publicIp"] == ""
    assert private["publicDns"] == ""


def test_load_balancer_listener_and_target_group_arns() -> None:
    lb_urn = urn(t.LOAD_BALANCER, "web")
    lb_id, lb = rendering.render_outputs(
        t.LOAD_BALANCER, lb_urn, {}, CONFIG, rendering.seed_for(lb_urn, 1)
    )
    prefix = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:"
    assert lb_id.startswith(prefix + "loadbalancer/app/web-")
    assert lb["dnsName"].endswith(f".{REGION}.elb.amazonaws.com")
    assert lb["dnsName"].startswith(lb["name"])
    listener_id, _ = rendering.render_outputs(
        t.LISTENER,
        urn(t.LISTENER, "http"),
        {"loadBalancerArn": lb_id},
        CONFIG,
        "f" * 64,
    )
    assert listener_id.startswith(lb_id.replace(":loadbalancer/", ":listener/") + "/")
    tg_id, tg = rendering.render_outputs(
        t.TARGET_GROUP,
        urn(t.TARGET_GROUP, "web"),
        {"name": "web-tg"},
        CONFIG,
        "0" * 64,
    )
    assert tg_id == tg["arn"] == prefix + "targetgroup/web-tg/" + "0" * 16


def test_default_security_group_is_the_vpcs() -> None:
    vpc_id, vpc = rendering.render_outputs(
        t.VPC,
        urn(t.VPC, "net"),
        {"cidrBlock": "10.0.0.0/16"},
        CONFIG,
        "1" * 64,
    )
    group_id, group = rendering.render_outputs(
        t.DEFAULT_SECURITY_GROUP,
        urn(t.DEFAULT_SECURITY_GROUP, "net-default-sg"),
        {"vpcId": vpc_id, "ingress": [], "egress": []},
        CONFIG,
        "2" * 64,
    )
    assert group_id == vpc["defaultSecurityGroupId"]
    assert group["name"] == "default"
    assert group["ingress"] == []


def test_secret_input_makes_derived_output_secret() -> None:
    _, outputs = rendering.render_outputs(
        BUCKET, urn(BUCKET, "b"), {"bucket": wire.secret("hidden")}, CONFIG, "0" * 64
    )
    assert wire.is_secret(outputs["arn"])
    assert wire.plain(outputs["arn"]) == "arn:aws:s3:::hidden"


def test_cloud_transactions_are_atomic_across_processes(tmp_path: Path) -> None:
    cloud_file = tmp_path / "cloud.json"
    script = (
        "import sys\n"
        "from tests.engine.standin_aws.cloud import Cloud\n"
        "cloud = Cloud(sys.argv[1])\n"
        "for _ in range(25):\n"
        "    with cloud.transaction() as data:\n"
        "        data['generations']['n'] = data['generations'].get('n', 0) + 1\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(cloud_file)], env=env) for _ in range(4)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]
    assert Cloud(cloud_file).snapshot()["generations"]["n"] == 100


def test_cloud_find_names_what_is_there(tmp_path: Path) -> None:
    cloud = Cloud(tmp_path / "cloud.json")
    with pytest.raises(CloudError, match="found 0; present: none"):
        cloud.find(KEY, "missing")
