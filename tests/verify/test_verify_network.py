"""`invoke verify` judges the network controls live: the VPC's flow logs, their log groups,
production's private web servers and its load balancer's access logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestration.verify.live import LiveReadError, instance_resources
from orchestration.verify.live_network import load_balancer_resources, log_group_name
from shared.settings import EnvironmentSettings
from tests.verify.moto_environment import (
    Deployed,
    assert_fails_exactly,
    launch_template_data,
    passed,
    run_report,
)
from tests.verify.moto_network import (
    Network,
    encrypted_log_group,
    flow_log,
    load_balancer,
    log_group_arn,
    set_access_logs,
)

# The environment -> the fixture that deploys it compliant into moto.
ENVIRONMENTS = {"development": "deployed", "production": "production_deployed"}


def test_development_judges_its_network_and_exempts_its_public_instance(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    code, report = run_report(development, deployed)

    assert code == 0, report
    assert passed(report, "vpc-flow-logs", deployed.network.vpc_id)
    assert passed(report, "cloudwatch-log-group-encrypted", deployed.network.log_group)
    assert passed(report, "ec2-production-private", deployed.instance_id)
    (instance,) = instance_resources(
        deployed.session.client("ec2"), deployed.session.client("kms"), [deployed.instance_id]
    )
    # The reader reports the public address it has: only the development exemption passes it.
    assert instance.get("associatePublicIpAddress") is True


def _replace_the_flow_log(deployed: Deployed, traffic: str) -> None:
    ec2, logs = deployed.session.client("ec2"), deployed.session.client("logs")
    ec2.delete_flow_logs(FlowLogIds=[deployed.network.flow_log_id])
    flow_log(ec2, deployed.network.vpc_id, log_group_arn(logs, deployed.network.log_group), traffic)


def _recreate_the_log_group(deployed: Deployed, key: str | None, days: int | None) -> None:
    logs = deployed.session.client("logs")
    logs.delete_log_group(logGroupName=deployed.network.log_group)
    encrypted_log_group(logs, deployed.network.log_group, key, days)


def _drop_the_flow_log(deployed: Deployed) -> None:
    deployed.session.client("ec2").delete_flow_logs(FlowLogIds=[deployed.network.flow_log_id])


def _record_rejects_only(deployed: Deployed) -> None:
    _replace_the_flow_log(deployed, "REJECT")


def _log_group_without_a_key(deployed: Deployed) -> None:
    _recreate_the_log_group(deployed, None, 14)


def _log_group_kept_forever(deployed: Deployed) -> None:
    _recreate_the_log_group(deployed, deployed.key_arn, None)


def _log_group_deleted(deployed: Deployed) -> None:
    deployed.session.client("logs").delete_log_group(logGroupName=deployed.network.log_group)


def _point_at_a_missing_vpc(deployed: Deployed) -> None:
    deployed.outputs["compute"]["vpc_id"] = "vpc-0123456789abcdef0"


def _new_template_version(deployed: Deployed, public_ip: bool | None) -> None:
    ec2 = deployed.session.client("ec2")
    data = launch_template_data(
        deployed.key_arn, "required", deployed.group_id, public_ip=public_ip
    )
    ec2.create_launch_template_version(
        LaunchTemplateId=deployed.launch_template_id, LaunchTemplateData=data
    )
    ec2.modify_launch_template(LaunchTemplateId=deployed.launch_template_id, DefaultVersion="2")


def _template_with_a_public_ip(deployed: Deployed) -> None:
    _new_template_version(deployed, True)


def _template_leaving_the_ip_to_the_subnet(deployed: Deployed) -> None:
    _new_template_version(deployed, None)


def _access_logs_off(deployed: Deployed) -> None:
    set_access_logs(
        deployed.session, deployed.load_balancer_arn, enabled=False, bucket=deployed.log_bucket
    )


def _access_logs_into_another_bucket(deployed: Deployed) -> None:
    set_access_logs(
        deployed.session, deployed.load_balancer_arn, enabled=True, bucket="someone-elses-bucket"
    )


def _flow_logs_kept_a_month(deployed: Deployed) -> None:
    deployed.session.client("logs").put_retention_policy(
        logGroupName=deployed.network.log_group, retentionInDays=30
    )


def _load_balancer_deleted(deployed: Deployed) -> None:
    elbv2 = deployed.session.client("elbv2")
    elbv2.delete_load_balancer(LoadBalancerArn=deployed.load_balancer_arn)


@pytest.mark.parametrize(
    ("environment", "apply", "failed", "phrase"),
    [
        pytest.param(
            "development",
            _drop_the_flow_log,
            {"vpc-flow-logs"},
            "has no flow log (FlowLog with vpc_id = this VPC)",
            id="vpc-without-flow-log",
        ),
        pytest.param(
            "development",
            _record_rejects_only,
            {"vpc-flow-logs"},
            "its flow logs record 'REJECT' traffic only, not 'ALL'",
            id="flow-log-of-rejects-only",
        ),
        pytest.param(
            "development",
            _log_group_without_a_key,
            {"cloudwatch-log-group-encrypted"},
            "kms_key_id names no KMS key",
            id="log-group-without-key",
        ),
        pytest.param(
            "development",
            _log_group_kept_forever,
            {"cloudwatch-log-group-encrypted"},
            "sets no retention_in_days, so its logs are kept forever",
            id="log-group-without-retention",
        ),
        pytest.param(
            "development",
            _log_group_deleted,
            {"logs-read"},
            "not found, though flow log",
            id="flow-log-into-a-missing-log-group",
        ),
        pytest.param(
            "development",
            _point_at_a_missing_vpc,
            {"ec2-read"},
            "cannot read VPC vpc-0123456789abcdef0",
            id="missing-vpc-fails-its-read-only",
        ),
        pytest.param(
            "production",
            _template_with_a_public_ip,
            {"ec2-production-private"},
            "network interface 0 associates a public IP address",
            id="launch-template-with-public-ip",
        ),
        pytest.param(
            "production",
            _template_leaving_the_ip_to_the_subnet,
            {"ec2-production-private"},
            "network interface 0 leaves associate_public_ip_address unset",
            id="launch-template-leaves-the-ip-to-the-subnet",
        ),
        pytest.param(
            "production",
            _access_logs_off,
            {"elb-access-logs"},
            "leaves access_logs.enabled off",
            id="access-logs-switched-off",
        ),
        pytest.param(
            "production",
            _access_logs_into_another_bucket,
            {"elb-access-logs"},
            "writes its access logs into 'someone-elses-bucket', not the storage stack's log "
            "bucket",
            id="access-logs-into-another-bucket",
        ),
        pytest.param(
            "production",
            _flow_logs_kept_a_month,
            {"cloudwatch-log-group-encrypted"},
            "keeps its logs 30 days; production keeps them at least 365",
            id="production-flow-logs-kept-a-month",
        ),
        pytest.param(
            "production",
            _load_balancer_deleted,
            {"elbv2-read"},
            "no load balancer found in VPC",
            id="production-without-load-balancer",
        ),
    ],
)
def test_a_network_finding_fails_exactly_its_check(
    request: pytest.FixtureRequest,
    environment: str,
    apply: Callable[[Deployed], None],
    failed: set[str],
    phrase: str,
) -> None:
    settings: EnvironmentSettings = request.getfixturevalue(environment)
    deployed: Deployed = request.getfixturevalue(ENVIRONMENTS[environment])
    apply(deployed)

    assert_fails_exactly(settings, deployed, failed, phrase)


def test_the_balancer_the_url_names_is_found_outside_the_vpc_and_others_are_not(
    deployed: Deployed,
) -> None:
    # Development's VPC has no balancer; one elsewhere serves the URL, another serves nothing.
    other = deployed.session.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        deployed.session.client("ec2").create_subnet(
            VpcId=other, CidrBlock=f"10.1.{index}.0/24", AvailabilityZone=zone
        )["Subnet"]["SubnetId"]
        for index, zone in enumerate(("us-west-2a", "us-west-2b"))
    ]
    network = Network(other, tuple(subnets), log_group="", flow_log_id="")
    arn = load_balancer(deployed.session, network, deployed.group_id, "logs-bucket")
    elbv2 = deployed.session.client("elbv2")
    (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]

    found = load_balancer_resources(
        elbv2, deployed.network.vpc_id, f"http://{described['DNSName']}/"
    )

    assert [resource.id for resource in found] == [arn]
    assert found[0].get("accessLogs") == {
        "enabled": True,
        "bucket": "logs-bucket",
        "prefix": "load-balancer",
    }
    assert found[0].get("internal") is False
    with pytest.raises(LiveReadError) as caught:
        load_balancer_resources(elbv2, deployed.network.vpc_id, "https://app.example.com")
    assert str(caught.value) == (
        f"no load balancer found in VPC {deployed.network.vpc_id} or at 'app.example.com'; "
        "production's web servers are reached through one"
    )


@pytest.mark.parametrize(
    ("described", "name"),
    [
        pytest.param(
            {"LogDestinationType": "cloud-watch-logs", "LogGroupName": "/webapp/dev/flow"},
            "/webapp/dev/flow",
            id="by-name",
        ),
        pytest.param(
            {
                "LogDestinationType": "cloud-watch-logs",
                "LogDestination": "arn:aws:logs:us-west-2:1:log-group:/webapp/dev/flow:*",
            },
            "/webapp/dev/flow",
            id="by-arn",
        ),
        pytest.param(
            {"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::flow-logs"},
            None,
            id="into-s3",
        ),
    ],
)
def test_a_flow_logs_log_group_is_named_by_name_or_arn(
    described: dict[str, Any], name: str | None
) -> None:
    assert log_group_name(described) == name
