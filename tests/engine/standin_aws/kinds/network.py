"""TEST-ONLY stand-in: VPCs, subnets, internet gateways, route tables, VPC endpoints and flow
logs in the emulated account (EC2's API, as the real provider calls it).

Every EC2 resource is created with its tags (TagSpecifications) and retagged with CreateTags
and DeleteTags (`ec2_retag`, shared with security_groups.py). What AWS refuses and moto
accepts is checked first, in refusals/network.py.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.errors import AwsError, ProviderError
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first, gone_if_missing
from tests.engine.standin_aws.refusals import network as refuse
from tests.engine.standin_aws.wire import Props

# -- shared EC2 helpers ----------------------------------------------------------------------


def ec2(op: Op, action: str, operation: str, **arguments: Any) -> Any:
    return op.call(action, "ec2", operation, **arguments)


def tagging(op: Op, resource_type: str) -> list[dict[str, Any]]:
    """TagSpecifications of a create call (none when there are no tags: EC2 refuses empty)."""
    tags = op.tag_list()
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def ec2_retag(op: Op, resource_id: str) -> None:
    """Make the resource's tags exactly `tags_all`."""
    action = f"updating tags of EC2 resource ({resource_id})"
    filters = [{"Name": "resource-id", "Values": [resource_id]}]
    current = ec2(op, action, "DescribeTags", Filters=filters)["Tags"]
    stale = [{"Key": tag["Key"]} for tag in current if tag["Key"] not in op.tags_all]
    if stale:
        ec2(op, action, "DeleteTags", Resources=[resource_id], Tags=stale)
    if op.tags_all:
        ec2(op, action, "CreateTags", Resources=[resource_id], Tags=op.tag_list())


def ec2_arn(op: Op, kind: str, resource_id: str) -> str:
    return op.arn("ec2", f"{kind}/{resource_id}")


def described(
    op: Op, what: str, operation: str, key: str, resource_id: str, **arguments: Any
) -> Callable[[], Any]:
    """A reader of the one item `operation` describes (an error when there is none)."""

    def read() -> Any:
        item = first(ec2(op, f"reading {what} ({resource_id})", operation, **arguments)[key])
        if item is None:
            raise AwsError(
                f"reading {what} ({resource_id})",
                "EC2",
                operation,
                "NotFound",
                f"{resource_id} not found",
            )
        return item

    return read


def default_group(op: Op, vpc_id: str) -> str:
    """The id of the VPC's default security group."""
    filters = [
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "group-name", "Values": ["default"]},
    ]
    groups = ec2(
        op, f"reading EC2 VPC ({vpc_id}) default group", "DescribeSecurityGroups", Filters=filters
    )
    return str((first(groups["SecurityGroups"]) or {}).get("GroupId", ""))


# -- VPC -------------------------------------------------------------------------------------

_DNS = {
    "enableDnsSupport": ("EnableDnsSupport", True),
    "enableDnsHostnames": ("EnableDnsHostnames", False),
}


def _put_dns(op: Op, vpc_id: str, *, only_changed: bool) -> None:
    for key, (attribute, default) in _DNS.items():
        if not only_changed or op.changed(key):
            value = bool(op.get(key, default))
            ec2(
                op,
                f"modifying EC2 VPC ({vpc_id}) attribute",
                "ModifyVpcAttribute",
                VpcId=vpc_id,
                **{attribute: {"Value": value}},
            )


def _create_vpc(op: Op) -> Made:
    vpc = ec2(
        op,
        "creating EC2 VPC",
        "CreateVpc",
        CidrBlock=op.get("cidrBlock"),
        InstanceTenancy=op.get("instanceTenancy", "default"),
        TagSpecifications=tagging(op, "vpc"),
    )["Vpc"]
    _put_dns(op, vpc["VpcId"], only_changed=False)
    return vpc["VpcId"], _vpc_outputs(op, vpc["VpcId"])


def _vpc_outputs(op: Op, vpc_id: str) -> Props:
    vpc = described(op, "EC2 VPC", "DescribeVpcs", "Vpcs", vpc_id, VpcIds=[vpc_id])()
    action = f"reading EC2 VPC ({vpc_id})"
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    tables = ec2(
        op,
        action,
        "DescribeRouteTables",
        Filters=[*in_vpc, {"Name": "association.main", "Values": ["true"]}],
    )
    acls = ec2(
        op,
        action,
        "DescribeNetworkAcls",
        Filters=[*in_vpc, {"Name": "default", "Values": ["true"]}],
    )
    main = first(tables["RouteTables"]) or {}
    outputs = {
        "arn": ec2_arn(op, "vpc", vpc_id),
        "cidrBlock": vpc["CidrBlock"],
        "instanceTenancy": vpc.get("InstanceTenancy", "default"),
        "ownerId": vpc["OwnerId"],
        "mainRouteTableId": main.get("RouteTableId", ""),
        "defaultRouteTableId": main.get("RouteTableId", ""),
        "defaultSecurityGroupId": default_group(op, vpc_id),
        "defaultNetworkAclId": (first(acls["NetworkAcls"]) or {}).get("NetworkAclId", ""),
        "dhcpOptionsId": vpc.get("DhcpOptionsId", ""),
    }
    for key, (attribute, _) in _DNS.items():
        answer = ec2(op, action, "DescribeVpcAttribute", VpcId=vpc_id, Attribute=key)
        outputs[key] = answer[attribute]["Value"]
    return outputs


def _update_vpc(op: Op, vpc_id: str) -> Props:
    _put_dns(op, vpc_id, only_changed=True)
    return _vpc_outputs(op, vpc_id)


def _delete_vpc(op: Op, vpc_id: str) -> None:
    ec2(op, f"deleting EC2 VPC ({vpc_id})", "DeleteVpc", VpcId=vpc_id)


# -- subnets ---------------------------------------------------------------------------------


def _create_subnet(op: Op) -> Made:
    arguments: dict[str, Any] = {"VpcId": op.get("vpcId"), "CidrBlock": op.get("cidrBlock")}
    if op.get("availabilityZone"):
        arguments["AvailabilityZone"] = op.get("availabilityZone")
    elif op.get("availabilityZoneId"):
        arguments["AvailabilityZoneId"] = op.get("availabilityZoneId")
    subnet = ec2(
        op,
        "creating EC2 Subnet",
        "CreateSubnet",
        TagSpecifications=tagging(op, "subnet"),
        **arguments,
    )["Subnet"]
    subnet_id = subnet["SubnetId"]
    if op.get("mapPublicIpOnLaunch"):
        _map_public_ip(op, subnet_id)
    return subnet_id, _subnet_outputs(op, subnet_id)


def _map_public_ip(op: Op, subnet_id: str) -> None:
    value = {"Value": bool(op.get("mapPublicIpOnLaunch"))}
    ec2(
        op,
        f"modifying EC2 Subnet ({subnet_id}) attribute",
        "ModifySubnetAttribute",
        SubnetId=subnet_id,
        MapPublicIpOnLaunch=value,
    )


def _subnet_outputs(op: Op, subnet_id: str) -> Props:
    subnet = described(
        op, "EC2 Subnet", "DescribeSubnets", "Subnets", subnet_id, SubnetIds=[subnet_id]
    )()
    return {
        "arn": subnet.get("SubnetArn") or ec2_arn(op, "subnet", subnet_id),
        "availabilityZone": subnet["AvailabilityZone"],
        "availabilityZoneId": subnet["AvailabilityZoneId"],
        "cidrBlock": subnet["CidrBlock"],
        "vpcId": subnet["VpcId"],
        "ownerId": subnet["OwnerId"],
        "mapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch", False),
    }


def _update_subnet(op: Op, subnet_id: str) -> Props:
    if op.changed("mapPublicIpOnLaunch"):
        _map_public_ip(op, subnet_id)
    return _subnet_outputs(op, subnet_id)


def _delete_subnet(op: Op, subnet_id: str) -> None:
    action = f"deleting EC2 Subnet ({subnet_id})"
    refuse.subnet_unused(op, subnet_id, action)
    ec2(op, action, "DeleteSubnet", SubnetId=subnet_id)


# -- internet gateways -----------------------------------------------------------------------


def _gateway(op: Op, gateway_id: str) -> Any:
    return described(
        op,
        "EC2 Internet Gateway",
        "DescribeInternetGateways",
        "InternetGateways",
        gateway_id,
        InternetGatewayIds=[gateway_id],
    )()


def _attach(op: Op, gateway_id: str, vpc_id: str | None) -> None:
    """Attach to `vpc_id` (None: detach). moto attaches at once: no waiting for "available"."""
    for attachment in _gateway(op, gateway_id).get("Attachments", []):
        if attachment["VpcId"] != vpc_id:
            ec2(
                op,
                f"detaching EC2 Internet Gateway ({gateway_id})",
                "DetachInternetGateway",
                InternetGatewayId=gateway_id,
                VpcId=attachment["VpcId"],
            )
    attached = {item["VpcId"] for item in _gateway(op, gateway_id).get("Attachments", [])}
    if vpc_id and vpc_id not in attached:
        ec2(
            op,
            f"attaching EC2 Internet Gateway ({gateway_id})",
            "AttachInternetGateway",
            InternetGatewayId=gateway_id,
            VpcId=vpc_id,
        )


def _gateway_outputs(op: Op, gateway_id: str) -> Props:
    gateway = _gateway(op, gateway_id)
    attachment = first(gateway.get("Attachments", [])) or {}
    return {
        "arn": ec2_arn(op, "internet-gateway", gateway_id),
        "ownerId": gateway["OwnerId"],
        "vpcId": attachment.get("VpcId"),
    }


def _create_gateway(op: Op) -> Made:
    gateway = ec2(
        op,
        "creating EC2 Internet Gateway",
        "CreateInternetGateway",
        TagSpecifications=tagging(op, "internet-gateway"),
    )
    gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
    _attach(op, gateway_id, op.get("vpcId"))
    return gateway_id, _gateway_outputs(op, gateway_id)


def _update_gateway(op: Op, gateway_id: str) -> Props:
    if op.changed("vpcId"):
        _attach(op, gateway_id, op.get("vpcId"))
    return _gateway_outputs(op, gateway_id)


def _delete_gateway(op: Op, gateway_id: str) -> None:
    _attach(op, gateway_id, None)
    ec2(
        op,
        f"deleting EC2 Internet Gateway ({gateway_id})",
        "DeleteInternetGateway",
        InternetGatewayId=gateway_id,
    )


# -- route tables, routes, associations ------------------------------------------------------

# A route's target input -> CreateRoute's argument.
_TARGETS = {
    "gatewayId": "GatewayId",
    "natGatewayId": "NatGatewayId",
    "vpcEndpointId": "VpcEndpointId",
    "networkInterfaceId": "NetworkInterfaceId",
}


def _table(op: Op, table_id: str) -> Any:
    return described(
        op, "Route Table", "DescribeRouteTables", "RouteTables", table_id, RouteTableIds=[table_id]
    )()


def _put_route(
    op: Op, table_id: str, destination: str, route: Props, operation: str = "CreateRoute"
) -> None:
    targets = {aws: route[key] for key, aws in _TARGETS.items() if route.get(key)}
    ec2(
        op,
        f"creating Route in Route Table ({table_id}) with destination ({destination})",
        operation,
        RouteTableId=table_id,
        DestinationCidrBlock=destination,
        **targets,
    )


def _put_inline_routes(op: Op, table_id: str) -> None:
    """The table's inline `routes`: remove the ones dropped, create (or replace) the others."""
    wanted = {
        route["cidrBlock"]: route for route in op.get("routes") or [] if route.get("cidrBlock")
    }
    for route in op.old("routes") or []:
        if route.get("cidrBlock") and route["cidrBlock"] not in wanted:
            ec2(
                op,
                f"deleting Route in Route Table ({table_id})",
                "DeleteRoute",
                RouteTableId=table_id,
                DestinationCidrBlock=route["cidrBlock"],
            )
    had = {route.get("cidrBlock") for route in op.old("routes") or []}
    for destination, route in wanted.items():
        _put_route(
            op,
            table_id,
            destination,
            route,
            "ReplaceRoute" if destination in had else "CreateRoute",
        )


def _create_table(op: Op) -> Made:
    table = ec2(
        op,
        "creating Route Table",
        "CreateRouteTable",
        VpcId=op.get("vpcId"),
        TagSpecifications=tagging(op, "route-table"),
    )
    table_id = table["RouteTable"]["RouteTableId"]
    _put_inline_routes(op, table_id)
    return table_id, _table_outputs(op, table_id)


def _table_outputs(op: Op, table_id: str) -> Props:
    return {"arn": ec2_arn(op, "route-table", table_id), "ownerId": _table(op, table_id)["OwnerId"]}


def _update_table(op: Op, table_id: str) -> Props:
    if op.changed("routes"):
        _put_inline_routes(op, table_id)
    return _table_outputs(op, table_id)


def _delete_table(op: Op, table_id: str) -> None:
    ec2(op, f"deleting Route Table ({table_id})", "DeleteRouteTable", RouteTableId=table_id)


def _create_route(op: Op) -> Made:
    table_id, destination = str(op.get("routeTableId")), str(op.get("destinationCidrBlock"))
    _put_route(op, table_id, destination, op.inputs)
    # The provider's id: "r-" + the table + a hash of the destination.
    return f"r-{table_id}{zlib.crc32(destination.encode())}", {
        "state": "active",
        "origin": "CreateRoute",
    }


def _read_route(op: Op, route_id: str) -> Props | None:
    table_id, destination = str(op.get("routeTableId")), op.get("destinationCidrBlock")
    table = gone_if_missing(lambda: _table(op, table_id))
    route = first(
        [
            item
            for item in (table or {}).get("Routes", [])
            if item.get("DestinationCidrBlock") == destination
        ]
    )
    if route is None:
        return None
    return {key: route[aws] for key, aws in _TARGETS.items() if route.get(aws)}


def _update_route(op: Op, route_id: str) -> Props:
    _put_route(
        op,
        str(op.get("routeTableId")),
        str(op.get("destinationCidrBlock")),
        op.inputs,
        "ReplaceRoute",
    )
    return {}


def _delete_route(op: Op, route_id: str) -> None:
    table_id = str(op.get("routeTableId"))
    ec2(
        op,
        f"deleting Route in Route Table ({table_id})",
        "DeleteRoute",
        RouteTableId=table_id,
        DestinationCidrBlock=op.get("destinationCidrBlock"),
    )


def _association(op: Op) -> Any:
    """The subnet's (or gateway's) explicit association, found by what it associates: a
    ReplaceRouteTableAssociation (a new routeTableId) gives it a new association id."""
    member = str(op.get("subnetId") or op.get("gatewayId"))
    key = "association.subnet-id" if op.get("subnetId") else "association.gateway-id"
    tables = ec2(
        op,
        f"reading Route Table Association ({member})",
        "DescribeRouteTables",
        Filters=[{"Name": key, "Values": [member]}],
    )
    return first(
        [
            a
            for table in tables["RouteTables"]
            for a in table["Associations"]
            if member in (a.get("SubnetId"), a.get("GatewayId"))
        ]
    )


def _create_association(op: Op) -> Made:
    member = (
        {"SubnetId": op.get("subnetId")}
        if op.get("subnetId")
        else {"GatewayId": op.get("gatewayId")}
    )
    made = ec2(
        op,
        f"creating Route Table ({op.get('routeTableId')}) Association",
        "AssociateRouteTable",
        RouteTableId=op.get("routeTableId"),
        **member,
    )
    return made["AssociationId"], {}


def _read_association(op: Op, association_id: str) -> Props | None:
    association = _association(op)
    return None if association is None else {"routeTableId": association["RouteTableId"]}


def _update_association(op: Op, association_id: str) -> Props:
    current = _association(op)
    if current is not None:
        ec2(
            op,
            f"updating Route Table Association ({association_id})",
            "ReplaceRouteTableAssociation",
            AssociationId=current["RouteTableAssociationId"],
            RouteTableId=op.get("routeTableId"),
        )
    return {}


def _delete_association(op: Op, association_id: str) -> None:
    current = _association(op)
    if current is not None:
        ec2(
            op,
            f"deleting Route Table Association ({association_id})",
            "DisassociateRouteTable",
            AssociationId=current["RouteTableAssociationId"],
        )


# -- VPC endpoints ---------------------------------------------------------------------------

_MEMBERS = {
    "routeTableIds": "RouteTableIds",
    "subnetIds": "SubnetIds",
    "securityGroupIds": "SecurityGroupIds",
}


def _create_endpoint(op: Op) -> Made:
    service = str(op.get("serviceName"))
    action = f"creating EC2 VPC Endpoint ({service})"
    refuse.vpc_endpoint(op, action, "CreateVpcEndpoint", None)
    arguments: dict[str, Any] = {aws: op.get(key) for key, aws in _MEMBERS.items() if op.get(key)}
    if op.get("policy"):
        arguments["PolicyDocument"] = op.get("policy")
    if op.get("vpcEndpointType", "Gateway") == "Interface":
        arguments["PrivateDnsEnabled"] = bool(op.get("privateDnsEnabled", False))
    endpoint = ec2(
        op,
        action,
        "CreateVpcEndpoint",
        VpcId=op.get("vpcId"),
        ServiceName=service,
        VpcEndpointType=op.get("vpcEndpointType", "Gateway"),
        TagSpecifications=tagging(op, "vpc-endpoint"),
        **arguments,
    )
    endpoint_id = endpoint["VpcEndpoint"]["VpcEndpointId"]
    return endpoint_id, _endpoint_outputs(op, endpoint_id)


def _endpoint(op: Op, endpoint_id: str) -> Any:
    return described(
        op,
        "EC2 VPC Endpoint",
        "DescribeVpcEndpoints",
        "VpcEndpoints",
        endpoint_id,
        VpcEndpointIds=[endpoint_id],
    )()


def _endpoint_outputs(op: Op, endpoint_id: str) -> Props:
    endpoint = _endpoint(op, endpoint_id)
    kind = endpoint["VpcEndpointType"]
    groups = [group["GroupId"] for group in endpoint.get("Groups") or []]
    if kind == "Interface" and not groups:
        # AWS gives an Interface endpoint without groups its VPC's default group; moto none.
        groups = [default_group(op, endpoint["VpcId"])]
    prefix_list = ""
    if kind == "Gateway":
        found = ec2(
            op,
            f"reading EC2 VPC Endpoint ({endpoint_id})",
            "DescribePrefixLists",
            Filters=[{"Name": "prefix-list-name", "Values": [endpoint["ServiceName"]]}],
        )
        prefix_list = (first(found["PrefixLists"]) or {}).get("PrefixListId", "")
    return {
        "arn": ec2_arn(op, "vpc-endpoint", endpoint_id),
        "vpcEndpointType": kind,
        "state": endpoint["State"],
        "ownerId": endpoint["OwnerId"],
        "prefixListId": prefix_list,
        "dnsEntries": [
            {"dnsName": entry["DnsName"], "hostedZoneId": entry["HostedZoneId"]}
            for entry in endpoint.get("DnsEntries") or []
        ],
        "networkInterfaceIds": endpoint.get("NetworkInterfaceIds") or [],
        "routeTableIds": endpoint.get("RouteTableIds") or [],
        "subnetIds": endpoint.get("SubnetIds") or [],
        "securityGroupIds": groups,
        "privateDnsEnabled": kind == "Interface" and bool(op.get("privateDnsEnabled", False)),
        "policy": endpoint.get("PolicyDocument", ""),
        "requesterManaged": False,
    }


def _update_endpoint(op: Op, endpoint_id: str) -> Props:
    action = f"modifying EC2 VPC Endpoint ({endpoint_id})"
    refuse.vpc_endpoint(op, action, "ModifyVpcEndpoint", endpoint_id)
    changes: dict[str, Any] = {}
    for key, aws in _MEMBERS.items():
        new, old = set(op.get(key) or []), set(op.old(key) or [])
        if new - old:
            changes[f"Add{aws}"] = sorted(new - old)
        if old - new:
            changes[f"Remove{aws}"] = sorted(old - new)
    if op.changed("privateDnsEnabled"):
        changes["PrivateDnsEnabled"] = bool(op.get("privateDnsEnabled"))
    if op.changed("policy") and op.get("policy"):
        changes["PolicyDocument"] = op.get("policy")
    if changes:
        ec2(op, action, "ModifyVpcEndpoint", VpcEndpointId=endpoint_id, **changes)
    return _endpoint_outputs(op, endpoint_id)


def _delete_endpoint(op: Op, endpoint_id: str) -> None:
    ec2(
        op,
        f"deleting EC2 VPC Endpoint ({endpoint_id})",
        "DeleteVpcEndpoints",
        VpcEndpointIds=[endpoint_id],
    )


# -- flow logs -------------------------------------------------------------------------------

# Where a flow log attaches: the input and CreateFlowLogs' ResourceType.
_FLOW_SOURCES = {"vpcId": "VPC", "subnetId": "Subnet", "eniId": "NetworkInterface"}


def _create_flow_log(op: Op) -> Made:
    key = next((key for key in _FLOW_SOURCES if op.get(key)), "vpcId")
    source = str(op.get(key))
    action = f"creating Flow Log ({source})"
    refuse.flow_log(op, action)
    arguments = {
        "LogDestinationType": op.get("logDestinationType", "cloud-watch-logs"),
        "TrafficType": op.get("trafficType", "ALL"),
        "MaxAggregationInterval": int(op.get("maxAggregationInterval", 600)),
        "TagSpecifications": tagging(op, "vpc-flow-log"),
    }
    optional = {
        "LogDestination": "logDestination",
        "DeliverLogsPermissionArn": "iamRoleArn",
        "LogFormat": "logFormat",
    }
    arguments.update({aws: op.get(key) for aws, key in optional.items() if op.get(key)})
    made = ec2(
        op,
        action,
        "CreateFlowLogs",
        ResourceIds=[source],
        ResourceType=_FLOW_SOURCES[key],
        **arguments,
    )
    for failed in made.get("Unsuccessful") or []:
        # CreateFlowLogs answers 200 with an unsuccessful item; the provider reports it so.
        error = failed["Error"]
        raise ProviderError(
            f"{action}: {failed.get('ResourceId')}: api error {error['Code']}: {error['Message']}"
        )
    flow_id = made["FlowLogIds"][0]
    return flow_id, {
        "arn": ec2_arn(op, "vpc-flow-log", flow_id),
        "logDestinationType": arguments["LogDestinationType"],
        "maxAggregationInterval": arguments["MaxAggregationInterval"],
    }


def _read_flow_log(op: Op, flow_id: str) -> Props | None:
    found = ec2(op, f"reading Flow Log ({flow_id})", "DescribeFlowLogs", FlowLogIds=[flow_id])[
        "FlowLogs"
    ]
    return (
        None
        if not found
        else {
            "logDestination": found[0].get("LogDestination"),
            "trafficType": found[0].get("TrafficType"),
        }
    )


def _delete_flow_log(op: Op, flow_id: str) -> None:
    ec2(op, f"deleting Flow Log ({flow_id})", "DeleteFlowLogs", FlowLogIds=[flow_id])


def _reader(outputs: Callable[[Op, str], Props]) -> Callable[[Op, str], Props | None]:
    return lambda op, resource_id: gone_if_missing(lambda: outputs(op, resource_id))


KINDS = {
    t.VPC: Kind(_create_vpc, _reader(_vpc_outputs), _delete_vpc, _update_vpc, ec2_retag),
    t.SUBNET: Kind(
        _create_subnet, _reader(_subnet_outputs), _delete_subnet, _update_subnet, ec2_retag
    ),
    t.INTERNET_GATEWAY: Kind(
        _create_gateway, _reader(_gateway_outputs), _delete_gateway, _update_gateway, ec2_retag
    ),
    t.ROUTE_TABLE: Kind(
        _create_table, _reader(_table_outputs), _delete_table, _update_table, ec2_retag
    ),
    t.ROUTE: Kind(_create_route, _read_route, _delete_route, _update_route, tagged=False),
    t.ROUTE_TABLE_ASSOCIATION: Kind(
        _create_association,
        _read_association,
        _delete_association,
        _update_association,
        tagged=False,
    ),
    t.VPC_ENDPOINT: Kind(
        _create_endpoint, _reader(_endpoint_outputs), _delete_endpoint, _update_endpoint, ec2_retag
    ),
    t.FLOW_LOG: Kind(_create_flow_log, _read_flow_log, _delete_flow_log, retag=ec2_retag),
}
