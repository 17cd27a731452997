"""Production on the real engine, in one emulated account: S3 state, KMS secrets, the stand-in's
resources, all in the session's moto server (issue 20), deployed once for the whole module.

One clone of the repository (teams_support) declares the account the test got and deploys
production as a user would: `invoke bootstrap`, then `invoke deploy --env production --yes
--endpoint URL`, with a certificate so the load balancer serves HTTPS. The tests then look at
what AWS holds with boto3, in order: the first deploy (private servers behind an internet-facing
load balancer, every instance serving), log delivery, HTTPS, `invoke verify`, a control removed
behind Pulumi's back and repaired, a log level change that rolls the fleet, a security group
replaced cleanly, and, last, a cascade destroy after unprotecting that leaves only what
bootstrap made.
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import aws_types as t
from shared.limits import TLS_POLICY
from tests.engine.emulated_account import Operator, new_account
from tests.engine.standin_aws.refusals.delivery import log_deliveries
from tests.engine.teams_support import Machine, clone, drop_tls_policy_for_moto, make_origin

pytestmark = pytest.mark.engine

ENV = "production"
COMPUTE_STACK_FILE = "projects/compute/Pulumi.production.yaml"
ENVIRONMENT_FILE = "shared/environments/production.yaml"
# The web servers' security group description, as program/components/web_service.py has it.
WEB_GROUP_DESCRIPTION = "Web servers: the web port only (no SSH/RDP; SSM Session Manager instead)"
DOMAIN = "www.example.com"


@dataclass
class Production:
    machine: Machine
    operator: Operator
    first: subprocess.CompletedProcess[str]
    # What the account held once bootstrapped: all a cascade destroy may leave.
    bootstrapped: list[str]

    def invoke(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return self.machine.invoke(*arguments)

    def deploy(self) -> subprocess.CompletedProcess[str]:
        return self.invoke("deploy", "--env", ENV, "--yes")

    def verify(self) -> subprocess.CompletedProcess[str]:
        return self.invoke("verify", "--env", ENV)

    def client(self, service: str) -> Any:
        return self.operator.client(service)

    def group(self) -> dict[str, Any]:
        [group] = self.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        return dict(group)

    def instance_ids(self) -> set[str]:
        return {i["InstanceId"] for i in self.group()["Instances"]}

    def served(self) -> set[str]:
        elbv2 = self.client("elbv2")
        return {
            target["Target"]["Id"]
            for arn in self.group()["TargetGroupARNs"]
            for target in elbv2.describe_target_health(TargetGroupArn=arn)[
                "TargetHealthDescriptions"
            ]
        }

    def user_data(self) -> str:
        """What the fleet boots with: the launch template's latest version's user data."""
        template = self.group()["LaunchTemplate"]["LaunchTemplateId"]
        versions = self.client("ec2").describe_launch_template_versions(
            LaunchTemplateId=template, Versions=["$Latest"]
        )["LaunchTemplateVersions"]
        return base64.b64decode(versions[0]["LaunchTemplateData"]["UserData"]).decode()

    def web_groups(self) -> list[dict[str, Any]]:
        groups = self.client("ec2").describe_security_groups()["SecurityGroups"]
        return [g for g in groups if g["Description"].startswith(WEB_GROUP_DESCRIPTION)]


def empty_bucket(s3: Any, bucket: str) -> None:
    """Delete every version and delete marker of `bucket`, as an operator would first."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])


def _emulated_image(operator: Operator) -> str:
    """The newest AL2023 x86_64 image the emulator's catalogue has (production pins one)."""
    images = operator.client("ec2").describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}]
    )["Images"]
    return str(max(images, key=lambda image: image.get("CreationDate", ""))["Name"])


@pytest.fixture(scope="module")
def production(
    pulumi_bin_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
    standin_providers: Path,
) -> Production:
    root = tmp_path_factory.mktemp("production")
    keys = new_account(moto_url)
    operator = Operator(moto_url, keys)
    # Production declares its state and secrets (S3, KMS) itself: no declaration to add.
    origin = make_origin(root / "origin", declare=False)
    machine = clone(
        origin,
        root / "platform-team",
        name="platform-team",
        bin_dir=pulumi_bin_dir,
        endpoint=moto_url,
        keys=keys,
        faults_file=root / "standin-faults.json",
        providers=standin_providers,
    )
    # The team's own account, and an image the emulator's catalogue has.
    machine.edit(ENVIRONMENT_FILE, 'account_id: "123456789012"', f'account_id: "{keys.account_id}"')
    stack_file = (machine.root / COMPUTE_STACK_FILE).read_text()
    pinned = stack_file.split("compute:image: ", 1)[1].splitlines()[0]
    machine.edit(COMPUTE_STACK_FILE, pinned, _emulated_image(operator))
    certificate = operator.client("acm").request_certificate(DomainName=DOMAIN)["CertificateArn"]
    machine.edit(
        COMPUTE_STACK_FILE,
        "  compute:vpcCidr: 10.20.0.0/16\n",
        f"  compute:vpcCidr: 10.20.0.0/16\n  compute:certificateArn: {certificate}\n"
        f"  compute:domainName: {DOMAIN}\n",
    )
    bootstrap = machine.invoke("bootstrap", "--env", ENV)
    assert bootstrap.returncode == 0, bootstrap.stdout + bootstrap.stderr
    drop_tls_policy_for_moto(
        operator.client("s3"), f"webapp-{ENV}-state-{keys.account_id}-us-west-2"
    )
    bootstrapped = operator.inventory()
    first = machine.invoke("deploy", "--env", ENV, "--yes")
    return Production(machine, operator, first, bootstrapped)


def test_a_first_production_deploy_succeeds(production: Production) -> None:
    assert production.first.returncode == 0, production.first.stdout + production.first.stderr
    [balancer] = production.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert balancer["Scheme"] == "internet-facing"
    instances = production.instance_ids()
    assert len(instances) >= 2
    assert production.served() == instances
    # The servers are private: no public address on any of them.
    described = production.client("ec2").describe_instances(InstanceIds=sorted(instances))
    for reservation in described["Reservations"]:
        for instance in reservation["Instances"]:
            assert not instance.get("PublicIpAddress"), instance["InstanceId"]


def test_production_access_and_flow_logs_are_delivered(production: Production) -> None:
    deliveries = log_deliveries(production.operator)
    assert deliveries
    assert [d for d in deliveries if not d["delivering"]] == []


def test_a_configured_certificate_serves_https_and_http_only_redirects(
    production: Production,
) -> None:
    [balancer] = production.client("elbv2").describe_load_balancers()["LoadBalancers"]
    listeners = production.client("elbv2").describe_listeners(
        LoadBalancerArn=balancer["LoadBalancerArn"]
    )["Listeners"]
    by_protocol = {listener["Protocol"]: listener for listener in listeners}
    assert set(by_protocol) == {"HTTP", "HTTPS"}
    https = by_protocol["HTTPS"]
    assert https["Port"] == 443
    assert https["SslPolicy"] == TLS_POLICY
    [redirect] = by_protocol["HTTP"]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"


def test_verify_passes_against_the_endpoint(production: Production) -> None:
    verified = production.verify()
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 failed" in verified.stdout


def test_a_control_removed_behind_pulumis_back_fails_verify_and_deploy_repairs_it(
    production: Production,
) -> None:
    bucket = f"webapp-{ENV}-data-{production.operator.keys.account_id}-us-west-2"
    production.client("s3").delete_public_access_block(Bucket=bucket)
    broken = production.verify()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    failed = [line for line in broken.stdout.splitlines() if line.startswith("FAIL")]
    assert failed
    assert all("s3-bucket-public-access-block" in line for line in failed), failed
    repaired = production.deploy()
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert production.verify().returncode == 0


def test_a_log_level_change_rolls_the_web_tier_and_leaves_no_stray_instance(
    production: Production,
) -> None:
    before = production.instance_ids()
    assert "LOG_LEVEL=WARNING" in production.user_data()
    production.machine.edit(ENVIRONMENT_FILE, "log_level: warning", "log_level: info")
    rolled = production.deploy()
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    after = production.instance_ids()
    assert len(after) == len(before)
    assert before.isdisjoint(after), "some instances were not rolled"
    assert "LOG_LEVEL=INFO" in production.user_data()
    assert production.served() == after


def test_a_security_group_description_change_replaces_the_group_cleanly(
    production: Production,
) -> None:
    [old] = production.web_groups()
    changed = f"{WEB_GROUP_DESCRIPTION} (reviewed)"
    production.machine.edit("program/components/web_service.py", WEB_GROUP_DESCRIPTION, changed)
    replaced = production.deploy()
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    [new] = production.web_groups()
    assert new["Description"] == changed
    assert new["GroupId"] != old["GroupId"]
    described = production.client("ec2").describe_instances(
        InstanceIds=sorted(production.instance_ids())
    )
    for reservation in described["Reservations"]:
        for instance in reservation["Instances"]:
            groups = {group["GroupId"] for group in instance["SecurityGroups"]}
            assert new["GroupId"] in groups
            assert old["GroupId"] not in groups


def test_a_cascade_destroy_of_production_completes_after_unprotecting(
    production: Production,
) -> None:
    """Last in this module: it takes production down."""
    destroy = ("destroy", "--env", ENV, "--project", "security", "--cascade")
    before = production.operator.inventory()
    # compute holds nothing protected, so only the confirmation stands in the way.
    unconfirmed = production.invoke("destroy", "--env", ENV, "--project", "compute", "--yes")
    assert unconfirmed.returncode == 1
    assert "--confirm production" in unconfirmed.stderr
    assert "nothing was destroyed" in unconfirmed.stderr
    assert production.operator.inventory() == before

    blocked = production.invoke(*destroy, "--confirm", ENV)
    assert blocked.returncode == 1
    assert "protected resources cannot be deleted (nothing was destroyed)" in blocked.stderr
    for stack, resource in (
        ("security", f"{t.KMS_KEY}::webapp-production-key"),
        ("storage", f"{t.BUCKET}::webapp-production-data"),
        ("storage", f"{t.BUCKET}::webapp-production-logs"),
    ):
        assert f"organization/{stack}/production" in blocked.stderr
        assert resource in blocked.stderr
    assert production.operator.inventory() == before
    commands = [line.strip() for line in blocked.stderr.splitlines() if "state unprotect" in line]
    assert commands, blocked.stderr
    for command in commands:  # as a user would paste them
        unprotected = subprocess.run(
            ["sh", "-c", command],
            env=dict(production.machine.env),
            cwd=production.machine.root,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert unprotected.returncode == 0, f"{command}:\n{unprotected.stdout}{unprotected.stderr}"
    # Production's buckets are not force-destroyed, and the logs bucket holds the access logs
    # delivered meanwhile (S3 refuses to delete a bucket with objects): emptied on purpose.
    s3, account = production.client("s3"), production.operator.keys.account_id
    data, logs = (f"webapp-{ENV}-{name}-{account}-us-west-2" for name in ("data", "logs"))
    for bucket in (data, logs):
        # moto applies the TLS-only Deny without its condition (teams_support explains).
        drop_tls_policy_for_moto(s3, bucket)
        empty_bucket(s3, bucket)
    destroyed = production.invoke(*destroy, "--confirm", ENV)
    if destroyed.returncode != 0:
        # The teardown's own requests to the data bucket were logged into the logs bucket (AWS
        # delivers them minutes later, moto at once): empty it again and go on, as an operator.
        assert "BucketNotEmpty" in destroyed.stdout + destroyed.stderr, destroyed.stderr
        empty_bucket(s3, logs)
        destroyed = production.invoke(*destroy, "--confirm", ENV)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert production.operator.inventory() == production.bootstrapped
