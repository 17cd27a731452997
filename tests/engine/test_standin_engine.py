"""The TEST-ONLY AWS stand-in inside the real Pulumi engine: discovery, deploy, drift, destroy.

A tiny program of its own (not our projects: those are exercised through the invoke tasks by
the other engine tests) so that a failure here points at the stand-in or the fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.engine_support import EngineEnv

pytestmark = pytest.mark.engine

SECRET = "standin-engine-secret"

PULUMI_YAML = """\
name: standinproof
runtime: python
config:
  pulumi:disable-default-providers:
    value: ["aws"]
"""

PROGRAM = f"""\
import os

import pulumi
import pulumi_aws as aws

# Aimed at the test's emulated account, as `invoke --endpoint` aims our projects' providers.
endpoint = os.environ["WEBAPP_AWS_ENDPOINT"]
provider = aws.Provider(
    "aws",
    region="us-west-2",
    access_key=os.environ["AWS_ACCESS_KEY_ID"],
    secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    token=os.environ["AWS_SESSION_TOKEN"],
    skip_credentials_validation=True,
    endpoints=[aws.ProviderEndpointArgs(kms=endpoint, s3=endpoint, sts=endpoint)],
    default_tags=aws.ProviderDefaultTagsArgs(tags={{"app": "proof"}}),
)
opts = pulumi.ResourceOptions(provider=provider)
identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=provider))
key = aws.kms.Key("data-key", enable_key_rotation=True, opts=opts)
bucket = aws.s3.Bucket(
    "data",
    bucket=identity.account_id.apply(lambda account: f"standin-proof-{{account}}"),
    tags={{"Name": "data"}},
    opts=opts,
)
aws.s3.BucketVersioning(
    "data",
    bucket=bucket.id,
    versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
    opts=opts,
)
pulumi.export("account", identity.account_id)
pulumi.export("key_arn", key.arn)
pulumi.export("key_id", key.key_id)
pulumi.export("bucket_arn", bucket.arn)
pulumi.export("tags_all", bucket.tags_all)
pulumi.export("secret", pulumi.Output.secret("{SECRET}"))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(PULUMI_YAML)
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


def test_deploy_drift_and_destroy_with_the_standin(engine_env: EngineEnv, project: Path) -> None:
    account = engine_env.keys.account_id
    name = f"standin-proof-{account}"
    engine_env.run_pulumi(["stack", "init", "dev"], project)
    engine_env.run_pulumi(["up", "--yes", "--skip-preview"], project)

    # Loaded from the temporary PULUMI_HOME's plugin cache (the engine marks what it used).
    assert (engine_env.home / "plugins" / "resource-aws-v7.51.1.lastused").exists()
    shown = engine_env.run_pulumi(["stack", "output", "--json", "--show-secrets"], project)
    outputs = json.loads(shown.stdout)
    assert outputs["account"] == account
    assert outputs["key_arn"] == f"arn:aws:kms:us-west-2:{account}:key/{outputs['key_id']}"
    assert outputs["bucket_arn"] == f"arn:aws:s3:::{name}"
    assert outputs["tags_all"] == {"Name": "data", "app": "proof"}
    assert outputs["secret"] == SECRET
    state_text = "".join(p.read_text() for p in engine_env.backend_dir.rglob("*.json"))
    assert SECRET not in state_text

    engine_env.run_pulumi(["preview", "--expect-no-changes"], project)

    s3 = engine_env.operator.client("s3")
    console_tags = [{"Key": k, "Value": v} for k, v in {"Name": "data", "owner": "console"}.items()]
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": console_tags})
    drifted = engine_env.run_pulumi(
        ["preview", "--refresh", "--diff", "--expect-no-changes"], project, check=False
    )
    assert drifted.returncode != 0
    assert "owner" in drifted.stdout

    engine_env.run_pulumi(["up", "--yes", "--refresh", "--skip-preview"], project)
    restored = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    assert {tag["Key"]: tag["Value"] for tag in restored} == {"Name": "data", "app": "proof"}

    engine_env.run_pulumi(["destroy", "--yes", "--skip-preview"], project)
    # Nothing tagged for the program is left: the key waits out its deletion window.
    left = engine_env.operator.tagged("app", "proof")
    assert [arn for arn in left if ":key/" not in arn] == []
    key = engine_env.operator.client("kms").describe_key(KeyId=outputs["key_id"])
    assert key["KeyMetadata"]["KeyState"] == "PendingDeletion"
