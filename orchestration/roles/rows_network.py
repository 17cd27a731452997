"""Table rows: the network (see `actions.py`)."""

from __future__ import annotations

from orchestration.roles.model import PIKE, TypeActions
from shared import aws_types as t

EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")
_VPC_DESCRIBES = ("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeAccountAttributes")
NETWORK: dict[str, TypeActions] = {
    t.VPC: TypeActions(
        read=(
            *_VPC_DESCRIBES,
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
        ),
        write=("ec2:CreateVpc", "ec2:ModifyVpcAttribute"),
        delete=("ec2:DeleteVpc",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_vpc.json",
        creates=("ec2:vpc",),
    ),
    t.SUBNET: TypeActions(
        read=("ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces"),
        write=("ec2:CreateSubnet", "ec2:ModifySubnetAttribute"),
        delete=("ec2:DeleteSubnet",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_subnet.json",
        creates=("ec2:subnet",),
    ),
    t.INTERNET_GATEWAY: TypeActions(
        read=("ec2:DescribeInternetGateways",),
        write=("ec2:CreateInternetGateway", "ec2:AttachInternetGateway"),
        delete=("ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_internet_gateway.json",
        creates=("ec2:internet-gateway",),
    ),
    t.ROUTE_TABLE: TypeActions(
        read=("ec2:DescribeRouteTables",),
        write=("ec2:CreateRouteTable",),
        delete=("ec2:DeleteRouteTable",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_route_table.json",
        creates=("ec2:route-table",),
    ),
    t.ROUTE: TypeActions(
        read=("ec2:DescribeRouteTables",),
        write=("ec2:CreateRoute", "ec2:ReplaceRoute"),
        delete=("ec2:DeleteRoute",),
        tag=(),
        source=PIKE + "resource/ec2/aws_route.json",
    ),
    t.ROUTE_TABLE_ASSOCIATION: TypeActions(
        read=("ec2:DescribeRouteTables",),
        write=("ec2:AssociateRouteTable", "ec2:ReplaceRouteTableAssociation"),
        delete=("ec2:DisassociateRouteTable",),
        tag=(),
        source=PIKE + "resource/ec2/aws_route_table_association.json",
    ),
    t.VPC_ENDPOINT: TypeActions(
        read=(
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribePrefixLists",
            "ec2:DescribeVpcEndpointServices",
        ),
        write=("ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint"),
        delete=("ec2:DeleteVpcEndpoints",),
        tag=EC2_TAGS,
        # Pike's vpc-lattice and vpce:AllowMultiRegion actions are for options not used here.
        source=PIKE + "resource/ec2/aws_vpc_endpoint.json",
        creates=("ec2:vpc-endpoint",),
    ),
    t.FLOW_LOG: TypeActions(
        read=("ec2:DescribeFlowLogs",),
        # The role is passed to the service (iam:PassRole, granted per role by `policy.py`).
        write=("ec2:CreateFlowLogs", "logs:CreateLogDelivery"),
        delete=("ec2:DeleteFlowLogs", "logs:DeleteLogDelivery"),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_flow_log.json",
        creates=("ec2:vpc-flow-log",),
    ),
    t.SECURITY_GROUP: TypeActions(
        read=(
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSecurityGroupRules",
            "ec2:DescribeNetworkInterfaces",
        ),
        # A new group's default allow-all egress rule is revoked by the provider.
        write=("ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress"),
        delete=("ec2:DeleteSecurityGroup",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_security_group.json",
        creates=("ec2:security-group",),
    ),
    t.DEFAULT_SECURITY_GROUP: TypeActions(
        read=("ec2:DescribeSecurityGroups",),
        write=(
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
        ),
        delete=(),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_default_security_group.json",
    ),
    t.SECURITY_GROUP_INGRESS_RULE: TypeActions(
        read=("ec2:DescribeSecurityGroupRules",),
        write=("ec2:AuthorizeSecurityGroupIngress", "ec2:ModifySecurityGroupRules"),
        delete=("ec2:RevokeSecurityGroupIngress",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_vpc_security_group_ingress_rule.json",
        creates=("ec2:security-group-rule",),
    ),
    t.SECURITY_GROUP_EGRESS_RULE: TypeActions(
        read=("ec2:DescribeSecurityGroupRules",),
        write=("ec2:AuthorizeSecurityGroupEgress", "ec2:ModifySecurityGroupRules"),
        delete=("ec2:RevokeSecurityGroupEgress",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_vpc_security_group_egress_rule.json",
        creates=("ec2:security-group-rule",),
    ),
}
