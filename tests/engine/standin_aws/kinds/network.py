"""TEST-ONLY stand-in: VPCs, subnets, internet gateways, route tables, routes, VPC endpoints
and flow logs, through EC2's API as the real provider calls it; what EC2 refuses and moto
accepts is refused first (refusals/network.py)."""

from __future__ import annotations

import zlib
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.ec2 import by, call, describe, one, tagging
from tests.engine.standin_aws.errors import ProviderError
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, Read, first, reader
from tests.engine.standin_aws.refusals import network as refuse
from tests.engine.standin_aws.wire import Props


def _kind(create: Any, outputs: Read, delete: Any, update: Any = None) -> Kind:
    """A tagged EC2 kind read back through `outputs` and its live tags."""
    return Kind(create, reader(outputs, ec2.live_tags), delete, update, ec2.retag)


# -- VPCs and subnets ----------------------------------------------------------------------------

_DNS = {"enableDnsSupport": True, "enableDnsHostnames": False}  # AWS's defaults


def _put_dns(op: Op, vpc_id: str, keys: list[str]) -> None:
    for key in keys:
        value = {key[0].upper() + key[1:]: {"Value": bool(op.get(key, _DNS[key]))}}
        call(op, f"modifying EC2 VPC ({vpc_id})", "ModifyVpcAttribute", VpcId=vpc_id, **value)


def _create_vpc(op: Op) -> Made:
    tenancy = op.get("instanceTenancy", "default")
    arguments = {"CidrBlock": op.get("cidrBlock"), "InstanceTenancy": tenancy}
    made = call(
        op, "creating EC2 VPC", "CreateVpc", **arguments, TagSpecifications=tagging(op, "vpc")
    )
    _put_dns(op, made["Vpc"]["VpcId"], list(_DNS))
    return made["Vpc"]["VpcId"], _vpc_outputs(op, made["Vpc"]["VpcId"])


def _vpc_outputs(op: Op, vpc_id: str) -> Props:
    vpc = one(op, "DescribeVpcs", "Vpcs", vpc_id, VpcIds=[vpc_id])
    main_filter = by(vpc_id=vpc_id, association__main="true")
    main = one(op, "DescribeRouteTables", "RouteTables", vpc_id, Filters=main_filter)
    outputs = {
        "arn": ec2.arn(op, "vpc", vpc_id),
        "ownerId": vpc["OwnerId"],
        "mainRouteTableId": main["RouteTableId"],
        "defaultRouteTableId": main["RouteTableId"],
        "defaultSecurityGroupId": ec2.default_group(op, vpc_id),
    }
    for key in _DNS:
        answer = call(op, "reading EC2 VPC", "DescribeVpcAttribute", VpcId=vpc_id, Attribute=key)
        outputs[key] = answer[key[0].upper() + key[1:]]["Value"]
    return outputs


def _update_vpc(op: Op, vpc_id: str) -> Props:
    _put_dns(op, vpc_id, [key for key in _DNS if op.changed(key)])
    return _vpc_outputs(op, vpc_id)


def _create_subnet(op: Op) -> Made:
    zone = op.given({"availabilityZone": "AvailabilityZone"}) or {
        "AvailabilityZoneId": op.get("availabilityZoneId")
    }
    arguments = {"VpcId": op.get("vpcId"), "CidrBlock": op.get("cidrBlock"), **zone}
    made = call(
        op,
        "creating EC2 Subnet",
        "CreateSubnet",
        **arguments,
        TagSpecifications=tagging(op, "subnet"),
    )
    subnet_id = made["Subnet"]["SubnetId"]
    if op.get("mapPublicIpOnLaunch"):
        _update_subnet(op, subnet_id)
    return subnet_id, _subnet_outputs(op, subnet_id)


def _subnet_outputs(op: Op, subnet_id: str) -> Props:
    subnet = one(op, "DescribeSubnets", "Subnets", subnet_id, SubnetIds=[subnet_id])
    keys = ("availabilityZone", "availabilityZoneId", "ownerId", "mapPublicIpOnLaunch")
    return {"arn": subnet["SubnetArn"], **{key: subnet[key[0].upper() + key[1:]] for key in keys}}


def _update_subnet(op: Op, subnet_id: str) -> Props:
    mapped = {"Value": bool(op.get("mapPublicIpOnLaunch"))}
    action = f"modifying EC2 Subnet ({subnet_id})"
    call(op, action, "ModifySubnetAttribute", SubnetId=subnet_id, MapPublicIpOnLaunch=mapped)
    return _subnet_outputs(op, subnet_id)


def _delete_subnet(op: Op, subnet_id: str) -> None:
    action = f"deleting EC2 Subnet ({subnet_id})"
    refuse.subnet_unused(op, subnet_id, action)
    call(op, action, "DeleteSubnet", SubnetId=subnet_id)


# -- internet gateways ---------------------------------------------------------------------------


def _gateway(op: Op, gateway_id: str) -> Any:
    found = "InternetGateways"
    return one(op, f"Describe{found}", found, gateway_id, InternetGatewayIds=[gateway_id])


def _attach(op: Op, gateway_id: str, vpc_id: str | None) -> None:
    """Attach to `vpc_id` alone (None: detach). moto attaches at once: nothing to wait for."""
    action = f"attaching EC2 Internet Gateway ({gateway_id})"
    attached = {item["VpcId"] for item in _gateway(op, gateway_id)["Attachments"]}
    for old in attached - {vpc_id}:
        call(op, action, "DetachInternetGateway", InternetGatewayId=gateway_id, VpcId=old)
    if vpc_id and vpc_id not in attached:
        call(op, action, "AttachInternetGateway", InternetGatewayId=gateway_id, VpcId=vpc_id)


def _gateway_outputs(op: Op, gateway_id: str) -> Props:
    gateway = _gateway(op, gateway_id)
    attachment = first(gateway["Attachments"]) or {}
    arn = ec2.arn(op, "internet-gateway", gateway_id)
    return {"arn": arn, "ownerId": gateway["OwnerId"], "vpcId": attachment.get("VpcId")}


def _create_gateway(op: Op) -> Made:
    tags = tagging(op, "internet-gateway")
    made = call(
        op, "creating EC2 Internet Gateway", "CreateInternetGateway", TagSpecifications=tags
    )
    gateway_id = made["InternetGateway"]["InternetGatewayId"]
    return gateway_id, _update_gateway(op, gateway_id)


def _update_gateway(op: Op, gateway_id: str) -> Props:
    _attach(op, gateway_id, op.get("vpcId"))
    return _gateway_outputs(op, gateway_id)


def _delete_gateway(op: Op, gateway_id: str) -> None:
    _attach(op, gateway_id, None)
    action = f"deleting EC2 Internet Gateway ({gateway_id})"
    call(op, action, "DeleteInternetGateway", InternetGatewayId=gateway_id)


# -- route tables, routes, associations ----------------------------------------------------------


def _create_table(op: Op) -> Made:
    if op.get("routes"):
        raise ProviderError("the stand-in serves no inline routes: use aws.ec2.Route resources")
    tags = tagging(op, "route-table")
    made = call(
        op,
        "creating Route Table",
        "CreateRouteTable",
        VpcId=op.get("vpcId"),
        TagSpecifications=tags,
    )
    return made["RouteTable"]["RouteTableId"], _table_outputs(
        op, made["RouteTable"]["RouteTableId"]
    )


def _table_outputs(op: Op, table_id: str) -> Props:
    table = one(op, "DescribeRouteTables", "RouteTables", table_id, RouteTableIds=[table_id])
    return {"arn": ec2.arn(op, "route-table", table_id), "ownerId": table["OwnerId"]}


# A route's target input -> its CreateRoute argument (and field in DescribeRouteTables).
_TARGETS = {
    "gatewayId": "GatewayId",
    "natGatewayId": "NatGatewayId",
    "vpcEndpointId": "VpcEndpointId",
    "networkInterfaceId": "NetworkInterfaceId",
}


def _route(op: Op, operation: str) -> Props:
    table, destination = op.get("routeTableId"), op.get("destinationCidrBlock")
    route = {"RouteTableId": table, "DestinationCidrBlock": destination}
    action = (
        f"{'deleting' if operation == 'DeleteRoute' else 'creating'} Route in Route Table ({table})"
    )
    call(
        op, action, operation, **route, **({} if operation == "DeleteRoute" else op.given(_TARGETS))
    )
    return {"state": "active", "origin": "CreateRoute"}


def _delete_route(op: Op, route_id: str) -> None:
    _route(op, "DeleteRoute")


def _create_route(op: Op) -> Made:
    # The provider's id: "r-" + the table + a hash of the destination.
    hashed = zlib.crc32(str(op.get("destinationCidrBlock")).encode())
    return f"r-{op.get('routeTableId')}{hashed}", _route(op, "CreateRoute")


def _read_route(op: Op, route_id: str) -> Props | None:
    """The route of the table the state names, by destination (none once the table is gone)."""
    filters = by(route_table_id=str(op.get("routeTableId")))
    tables = describe(op, "DescribeRouteTables", "RouteTables", Filters=filters)
    wanted = op.get("destinationCidrBlock")
    for route in (r for table in tables for r in table["Routes"]):
        if route.get("DestinationCidrBlock") == wanted:
            return {key: route[aws] for key, aws in _TARGETS.items() if route.get(aws)}
    return None


def _association(op: Op) -> Any:
    """The subnet's explicit association: found by subnet, as a new routeTableId
    (ReplaceRouteTableAssociation) gives it a new association id."""
    subnet = str(op.get("subnetId"))
    filters = by(association__subnet_id=subnet)
    tables = describe(op, "DescribeRouteTables", "RouteTables", Filters=filters)
    return first([a for t_ in tables for a in t_["Associations"] if a.get("SubnetId") == subnet])


def _create_association(op: Op) -> Made:
    arguments = {"RouteTableId": op.get("routeTableId"), "SubnetId": op.get("subnetId")}
    made = call(op, "creating Route Table Association", "AssociateRouteTable", **arguments)
    return made["AssociationId"], {}


def _read_association(op: Op, association_id: str) -> Props | None:
    association = _association(op)
    return None if association is None else {"routeTableId": association["RouteTableId"]}


def _update_association(op: Op, association_id: str) -> Props:
    current = _association(op)["RouteTableAssociationId"]
    action = f"updating Route Table Association ({association_id})"
    table = op.get("routeTableId")
    call(op, action, "ReplaceRouteTableAssociation", AssociationId=current, RouteTableId=table)
    return {}


def _delete_association(op: Op, association_id: str) -> None:
    current = _association(op)
    if current is not None:
        action = f"deleting Route Table Association ({association_id})"
        association = current["RouteTableAssociationId"]
        call(op, action, "DisassociateRouteTable", AssociationId=association)


# -- VPC endpoints -------------------------------------------------------------------------------

_MEMBERS = {
    "routeTableIds": "RouteTableIds",
    "subnetIds": "SubnetIds",
    "securityGroupIds": "SecurityGroupIds",
}


def _create_endpoint(op: Op) -> Made:
    action = f"creating EC2 VPC Endpoint ({op.get('serviceName')})"
    refuse.vpc_endpoint(op, action, "CreateVpcEndpoint", None)
    kind = op.get("vpcEndpointType", "Gateway")
    arguments = {**op.given(_MEMBERS), **op.given({"policy": "PolicyDocument"})}
    if kind == "Interface":
        arguments["PrivateDnsEnabled"] = bool(op.get("privateDnsEnabled", False))
    arguments.update(VpcId=op.get("vpcId"), ServiceName=op.get("serviceName"), VpcEndpointType=kind)
    made = call(
        op, action, "CreateVpcEndpoint", **arguments, TagSpecifications=tagging(op, "vpc-endpoint")
    )
    endpoint_id = made["VpcEndpoint"]["VpcEndpointId"]
    return endpoint_id, _endpoint_outputs(op, endpoint_id)


def _endpoint_outputs(op: Op, endpoint_id: str) -> Props:
    endpoint = one(
        op, "DescribeVpcEndpoints", "VpcEndpoints", endpoint_id, VpcEndpointIds=[endpoint_id]
    )
    kind = endpoint["VpcEndpointType"]
    groups = [group["GroupId"] for group in endpoint.get("Groups") or []]
    if kind == "Interface" and not groups:
        # AWS gives an Interface endpoint without groups its VPC's default group; moto none.
        groups = [ec2.default_group(op, endpoint["VpcId"])]
    filters = by(prefix_list_name=endpoint["ServiceName"])
    lists = describe(op, "DescribePrefixLists", "PrefixLists", Filters=filters)
    entries = endpoint.get("DnsEntries") or []
    return {
        "arn": ec2.arn(op, "vpc-endpoint", endpoint_id),
        "ownerId": endpoint["OwnerId"],
        "state": endpoint["State"],
        "prefixListId": lists[0]["PrefixListId"] if kind == "Gateway" and lists else "",
        "dnsEntries": [
            {"dnsName": e["DnsName"], "hostedZoneId": e["HostedZoneId"]} for e in entries
        ],
        "networkInterfaceIds": endpoint.get("NetworkInterfaceIds") or [],
        "securityGroupIds": groups,
        "privateDnsEnabled": kind == "Interface" and bool(op.get("privateDnsEnabled", False)),
    }


def _update_endpoint(op: Op, endpoint_id: str) -> Props:
    action = f"modifying EC2 VPC Endpoint ({endpoint_id})"
    refuse.vpc_endpoint(op, action, "ModifyVpcEndpoint", endpoint_id)
    changes: dict[str, Any] = {}
    for key, aws in _MEMBERS.items():
        new, old = set(op.get(key) or []), set(op.old(key) or [])
        changes.update({f"Add{aws}": sorted(new - old)} if new - old else {})
        changes.update({f"Remove{aws}": sorted(old - new)} if old - new else {})
    if op.changed("privateDnsEnabled"):
        changes["PrivateDnsEnabled"] = bool(op.get("privateDnsEnabled"))
    if op.changed("policy") and op.get("policy"):
        changes["PolicyDocument"] = op.get("policy")
    call(op, action, "ModifyVpcEndpoint", VpcEndpointId=endpoint_id, **changes)
    return _endpoint_outputs(op, endpoint_id)


# -- flow logs -----------------------------------------------------------------------------------

# Where a flow log attaches: its input -> CreateFlowLogs' ResourceType.
_FLOW_SOURCES = {"vpcId": "VPC", "subnetId": "Subnet", "eniId": "NetworkInterface"}
_FLOW_OPTIONS = {
    "logDestination": "LogDestination",
    "iamRoleArn": "DeliverLogsPermissionArn",
    "logFormat": "LogFormat",
}


def _create_flow_log(op: Op) -> Made:
    key = next((key for key in _FLOW_SOURCES if op.get(key)), "vpcId")
    action = f"creating Flow Log ({op.get(key)})"
    refuse.flow_log(op, action)
    destination = op.get("logDestinationType", "cloud-watch-logs")
    interval = int(op.get("maxAggregationInterval", 600))
    arguments = {
        "ResourceIds": [op.get(key)],
        "ResourceType": _FLOW_SOURCES[key],
        "TrafficType": op.get("trafficType", "ALL"),
        "LogDestinationType": destination,
        "MaxAggregationInterval": interval,
        "TagSpecifications": tagging(op, "vpc-flow-log"),
        **op.given(_FLOW_OPTIONS),
    }
    made = call(op, action, "CreateFlowLogs", **arguments)
    for failed in made.get("Unsuccessful") or []:
        # CreateFlowLogs answers 200 with an unsuccessful item; the provider reports it so.
        error = failed["Error"]
        detail = f"{failed['ResourceId']}: api error {error['Code']}: {error['Message']}"
        raise ProviderError(f"{action}: {detail}")
    flow_id = made["FlowLogIds"][0]
    arn = ec2.arn(op, "vpc-flow-log", flow_id)
    return flow_id, {
        "arn": arn,
        "logDestinationType": destination,
        "maxAggregationInterval": interval,
    }


def _flow_log_outputs(op: Op, flow_id: str) -> Props:
    found = one(op, "DescribeFlowLogs", "FlowLogs", flow_id, FlowLogIds=[flow_id])
    return {"trafficType": found["TrafficType"]}


def _deleter(what: str, operation: str, key: str, listed: bool = False) -> Any:
    def delete(op: Op, resource_id: str) -> None:
        call(
            op,
            f"deleting {what} ({resource_id})",
            operation,
            **{key: [resource_id] if listed else resource_id},
        )

    return delete


KINDS = {
    t.VPC: _kind(_create_vpc, _vpc_outputs, _deleter("EC2 VPC", "DeleteVpc", "VpcId"), _update_vpc),
    t.SUBNET: _kind(_create_subnet, _subnet_outputs, _delete_subnet, _update_subnet),
    t.INTERNET_GATEWAY: _kind(_create_gateway, _gateway_outputs, _delete_gateway, _update_gateway),
    t.ROUTE_TABLE: _kind(
        _create_table, _table_outputs, _deleter("Route Table", "DeleteRouteTable", "RouteTableId")
    ),
    t.ROUTE: Kind(
        _create_route,
        _read_route,
        _delete_route,
        lambda op, i: _route(op, "ReplaceRoute"),
        tagged=False,
    ),
    t.ROUTE_TABLE_ASSOCIATION: Kind(
        _create_association,
        _read_association,
        _delete_association,
        _update_association,
        tagged=False,
    ),
    t.VPC_ENDPOINT: _kind(
        _create_endpoint,
        _endpoint_outputs,
        _deleter("EC2 VPC Endpoint", "DeleteVpcEndpoints", "VpcEndpointIds", listed=True),
        _update_endpoint,
    ),
    t.FLOW_LOG: _kind(
        _create_flow_log,
        _flow_log_outputs,
        _deleter("Flow Log", "DeleteFlowLogs", "FlowLogIds", listed=True),
    ),
}
