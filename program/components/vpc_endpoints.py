"""VPC endpoints: how servers in private subnets reach S3 and Systems Manager without the internet.

Private subnets have no route out of the VPC and no NAT gateway. What the web servers need:
- S3, through a gateway endpoint on the private route table: the heartbeat into the app bucket,
  and the Amazon Linux package repositories (S3 buckets of the region) for `dnf` updates;
- Systems Manager, through interface endpoints for ssm, ssmmessages and ec2messages with
  private DNS (the agent registers and Session Manager opens shells through them).
No KMS endpoint: the servers never call KMS themselves (S3 uses the key on their behalf).

The gateway endpoint's policy is a second fence around S3: only the app bucket's objects and
the Amazon Linux and SSM agent buckets are reachable through it, so a compromised server cannot
copy data into a bucket of someone else's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from program.components.instance_role import OBJECT_ACTIONS
from program.components.network import NetworkRefs, Subnets
from program.components.web_security_group import (
    Egress,
    WebSecurityGroup,
    WebSecurityGroupArgs,
)
from shared.aws_facts import SSM_ENDPOINT_SERVICES, amazon_read_buckets

HTTPS_PORT = 443
GATEWAY_SERVICE = "s3"
# Session Manager needs all three (AWS: "Step 6: (Optional) Use AWS PrivateLink to set up a
# VPC endpoint for Session Manager").
INTERFACE_SERVICES = SSM_ENDPOINT_SERVICES
NO_PRIVATE_SUBNETS = "VPC endpoints serve private subnets; the network has none"


@dataclass(frozen=True)
class PrivateEndpointsArgs:
    """The network (its private subnets and their route table), and the bucket the servers
    write to."""

    network: NetworkRefs
    # The endpoints' services are the region's (the network's).
    region: str
    bucket_arn: pulumi.Input[str]
    # `shared.naming.security_group_name_prefix` of the endpoints' security group.
    security_group_name_prefix: str

    def __post_init__(self) -> None:
        if self.network.private is None:
            raise ValueError(NO_PRIVATE_SUBNETS)

    @property
    def private_subnets(self) -> Subnets:
        """The subnets the endpoints serve: one interface network interface per zone, the S3
        gateway on their route table."""
        if self.network.private is None:
            raise ValueError(NO_PRIVATE_SUBNETS)
        return self.network.private


def service_name(region: str, service: str) -> str:
    """The endpoint service name of an AWS service in a region: com.amazonaws.<region>.<svc>."""
    return f"com.amazonaws.{region}.{service}"


def gateway_policy(bucket_arn: str, partition: str, region: str) -> dict[str, Any]:
    """What may pass the S3 gateway endpoint: the app bucket's objects, and reading Amazon's
    package and agent buckets of the region. Everything else is denied by omission."""
    amazon = [f"arn:{partition}:s3:::{bucket}/*" for bucket in amazon_read_buckets(region)]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AppBucketObjects",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(OBJECT_ACTIONS),
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "AmazonLinuxAndAgentPackages",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": amazon,
            },
        ],
    }


class PrivateEndpoints(pulumi.ComponentResource):
    """S3 gateway endpoint, SSM interface endpoints and their security group.

    `server_egress` is what the servers' security group must allow out (HTTPS to the
    interface endpoints in the VPC, HTTPS to S3's prefix list); `ready` is what a server must
    wait for before it boots, or its first boot finds neither S3 nor SSM.
    """

    server_egress: list[Egress]
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: PrivateEndpointsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:PrivateEndpoints", name, None, opts)
        network, private = args.network, args.private_subnets
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self)
        # Replaced endpoints go first: a second S3 gateway endpoint on the same route table, or
        # a second interface endpoint with the same private DNS name, is refused by AWS.
        replace_in_place = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        gateway = aws.ec2.VpcEndpoint(
            f"{name}-{GATEWAY_SERVICE}",
            vpc_id=network.vpc_id,
            service_name=service_name(args.region, GATEWAY_SERVICE),
            vpc_endpoint_type="Gateway",
            route_table_ids=[private.route_table_id],
            policy=pulumi.Output.all(args.bucket_arn, partition.partition).apply(
                lambda values: json.dumps(gateway_policy(values[0], values[1], args.region))
            ),
            tags={"Name": f"{name}-{GATEWAY_SERVICE}"},
            opts=replace_in_place,
        )
        group = WebSecurityGroup(
            name,
            WebSecurityGroupArgs(
                network.vpc_id,
                args.security_group_name_prefix,
                "VPC endpoints: HTTPS from inside the VPC only",
                ports=(HTTPS_PORT,),
                source_cidrs=(network.cidr_block,),
                name_tag=name,
            ),
            child,
        )
        # A server waits for the endpoints and the rule that admits it to them.
        self.ready = [gateway, *group.rules]
        for service in INTERFACE_SERVICES:
            self.ready.append(
                aws.ec2.VpcEndpoint(
                    f"{name}-{service}",
                    vpc_id=network.vpc_id,
                    service_name=service_name(args.region, service),
                    vpc_endpoint_type="Interface",
                    # The agent calls the service's public name, which then resolves here.
                    private_dns_enabled=True,
                    subnet_ids=list(private.ids.values()),
                    security_group_ids=[group.group_id],
                    tags={"Name": f"{name}-{service}"},
                    opts=replace_in_place,
                )
            )
        self.server_egress = [
            Egress(HTTPS_PORT, network.cidr_block, "HTTPS to the VPC endpoints (Systems Manager)"),
            Egress(
                HTTPS_PORT,
                None,
                "HTTPS to S3 through the gateway endpoint",
                prefix_list_id=gateway.prefix_list_id,
                label=GATEWAY_SERVICE,
            ),
        ]
        self.register_outputs({"s3_prefix_list_id": gateway.prefix_list_id})
