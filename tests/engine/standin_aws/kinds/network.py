"""TEST-ONLY stand-in: VPCs, subnets, internet gateways, route tables, routes, VPC endpoints
and flow logs, through EC2's API as the real provider calls it; what EC2 refuses and moto
accepts is refused first (refusals/network.py)."""

from __future__ import annotations

import zlib
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.ec2 import by, call, describe, one
from tests.engine.standin_aws.errors import ProviderError
from tests.engine.standin_aws.kinds.base import Ec2Kind, Made, Op, Untagged, first
from tests.engine.standin_aws.refusals import network as refuse
from tests.engine.standin_aws.wire import Props

_DNS = {"enableDnsSupport": True, "enableDnsHostnames": False}  # AWS's defaults


def _upper(key: str) -> str:
    return key[0].upper() + key[1:]


class _Vpc(Ec2Kind):
    noun, what, tag_type = "Vpc", "EC2 VPC", "vpc"

    def create(self, op: Op) -> Made:
        vpc_id = self.make(op, CidrBlock=op.get("cidrBlock"), InstanceTenancy="default")
        self._put_dns(op, vpc_id, list(_DNS))
        return vpc_id, self.outputs(op, vpc_id)

    def _put_dns(self, op: Op, vpc_id: str, keys: list[str]) -> None:
        for key in keys:
            value = {_upper(key): {"Value": bool(op.get(key, _DNS[key]))}}
            call(op, f"modifying EC2 VPC ({vpc_id})", "ModifyVpcAttribute", VpcId=vpc_id, **value)

    def outputs(self, op: Op, vpc_id: str) -> Props:
        vpc = self.describe(op, vpc_id)
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
            answer = call(
                op, "reading EC2 VPC", "DescribeVpcAttribute", VpcId=vpc_id, Attribute=key
            )
            outputs[key] = answer[_upper(key)]["Value"]
        return outputs

    def update(self, op: Op, vpc_id: str) -> Props:
        self._put_dns(op, vpc_id, [key for key in _DNS if op.changed(key)])
        return self.outputs(op, vpc_id)


class _Subnet(Ec2Kind):
    noun, what, tag_type = "Subnet", "EC2 Subnet", "subnet"

    def create(self, op: Op) -> Made:
        zone = op.given({"availabilityZone": "AvailabilityZone"}) or {
            "AvailabilityZoneId": op.get("availabilityZoneId")
        }
        subnet_id = self.make(op, VpcId=op.get("vpcId"), CidrBlock=op.get("cidrBlock"), **zone)
        if op.get("mapPublicIpOnLaunch"):
            self.update(op, subnet_id)
        return subnet_id, self.outputs(op, subnet_id)

    def outputs(self, op: Op, subnet_id: str) -> Props:
        subnet = self.describe(op, subnet_id)
        keys = ("availabilityZone", "availabilityZoneId", "ownerId", "mapPublicIpOnLaunch")
        return {"arn": subnet["SubnetArn"], **{key: subnet[_upper(key)] for key in keys}}

    def update(self, op: Op, subnet_id: str) -> Props:
        mapped = {"Value": bool(op.get("mapPublicIpOnLaunch"))}
        action = f"modifying EC2 Subnet ({subnet_id})"
        call(op, action, "ModifySubnetAttribute", SubnetId=subnet_id, MapPublicIpOnLaunch=mapped)
        return self.outputs(op, subnet_id)

    def delete(self, op: Op, subnet_id: str) -> None:
        refuse.subnet_unused(op, subnet_id, f"deleting EC2 Subnet ({subnet_id})")
        super().delete(op, subnet_id)


class _Gateway(Ec2Kind):
    noun, what, tag_type = "InternetGateway", "EC2 Internet Gateway", "internet-gateway"

    def create(self, op: Op) -> Made:
        gateway_id = self.make(op)
        return gateway_id, self.update(op, gateway_id)

    def _attach(self, op: Op, gateway_id: str, vpc_id: str | None) -> None:
        """Attach to `vpc_id` alone (None: detach). moto attaches at once: nothing to wait for."""
        action = f"attaching EC2 Internet Gateway ({gateway_id})"
        attached = {item["VpcId"] for item in self.describe(op, gateway_id)["Attachments"]}
        for old in attached - {vpc_id}:
            call(op, action, "DetachInternetGateway", InternetGatewayId=gateway_id, VpcId=old)
        if vpc_id and vpc_id not in attached:
            call(op, action, "AttachInternetGateway", InternetGatewayId=gateway_id, VpcId=vpc_id)

    def outputs(self, op: Op, gateway_id: str) -> Props:
        gateway = self.describe(op, gateway_id)
        attachment = first(gateway["Attachments"]) or {}
        arn = ec2.arn(op, "internet-gateway", gateway_id)
        return {"arn": arn, "ownerId": gateway["OwnerId"], "vpcId": attachment.get("VpcId")}

    def update(self, op: Op, gateway_id: str) -> Props:
        self._attach(op, gateway_id, op.get("vpcId"))
        return self.outputs(op, gateway_id)

    def delete(self, op: Op, gateway_id: str) -> None:
        self._attach(op, gateway_id, None)
        super().delete(op, gateway_id)


class _RouteTable(Ec2Kind):
    noun, what, tag_type = "RouteTable", "Route Table", "route-table"

    def create(self, op: Op) -> Made:
        if op.get("routes"):
            raise ProviderError("the stand-in serves no inline routes: use aws.ec2.Route resources")
        table_id = self.make(op, VpcId=op.get("vpcId"))
        return table_id, self.outputs(op, table_id)

    def outputs(self, op: Op, table_id: str) -> Props:
        owner = self.describe(op, table_id)["OwnerId"]
        return {"arn": ec2.arn(op, "route-table", table_id), "ownerId": owner}


# A route's target input -> its CreateRoute argument (and field in DescribeRouteTables).
_TARGETS = {"gatewayId": "GatewayId", "vpcEndpointId": "VpcEndpointId"}
_TARGETS |= {"networkInterfaceId": "NetworkInterfaceId"}


class _Route(Untagged):
    def create(self, op: Op) -> Made:
        # The provider's id: "r-" + the table + a hash of the destination.
        hashed = zlib.crc32(str(op.get("destinationCidrBlock")).encode())
        return f"r-{op.get('routeTableId')}{hashed}", self.update(op, "", "CreateRoute")

    def update(self, op: Op, route_id: str, operation: str = "ReplaceRoute") -> Props:
        table = op.get("routeTableId")
        doing = "deleting" if operation == "DeleteRoute" else "creating"
        targets = {} if operation == "DeleteRoute" else op.given(_TARGETS)
        route = {"RouteTableId": table, "DestinationCidrBlock": op.get("destinationCidrBlock")}
        call(op, f"{doing} Route in Route Table ({table})", operation, **route, **targets)
        return {"state": "active", "origin": "CreateRoute"}

    def read(self, op: Op, route_id: str) -> Props | None:
        """The route of the table the state names, by destination (none once the table is
        gone)."""
        filters = by(route_table_id=str(op.get("routeTableId")))
        tables = describe(op, "DescribeRouteTables", "RouteTables", Filters=filters)
        wanted = op.get("destinationCidrBlock")
        for route in (r for table in tables for r in table["Routes"]):
            if route.get("DestinationCidrBlock") == wanted:
                return {key: route[aws] for key, aws in _TARGETS.items() if route.get(aws)}
        return None

    def delete(self, op: Op, route_id: str) -> None:
        self.update(op, route_id, "DeleteRoute")


class _Association(Untagged):
    def create(self, op: Op) -> Made:
        arguments = {"RouteTableId": op.get("routeTableId"), "SubnetId": op.get("subnetId")}
        made = call(op, "creating Route Table Association", "AssociateRouteTable", **arguments)
        return made["AssociationId"], {}

    def _current(self, op: Op) -> Any:
        """The subnet's explicit association: found by subnet, as a new routeTableId
        (ReplaceRouteTableAssociation) gives it a new association id."""
        subnet = str(op.get("subnetId"))
        filters = by(association__subnet_id=subnet)
        tables = describe(op, "DescribeRouteTables", "RouteTables", Filters=filters)
        found = [a for t_ in tables for a in t_["Associations"] if a.get("SubnetId") == subnet]
        return first(found)

    def read(self, op: Op, association_id: str) -> Props | None:
        association = self._current(op)
        return None if association is None else {"routeTableId": association["RouteTableId"]}

    def update(self, op: Op, association_id: str) -> Props:
        current = self._current(op)["RouteTableAssociationId"]
        action = f"updating Route Table Association ({association_id})"
        table = op.get("routeTableId")
        call(op, action, "ReplaceRouteTableAssociation", AssociationId=current, RouteTableId=table)
        return {}

    def delete(self, op: Op, association_id: str) -> None:
        current = self._current(op)
        if current is not None:
            action = f"deleting Route Table Association ({association_id})"
            association = current["RouteTableAssociationId"]
            call(op, action, "DisassociateRouteTable", AssociationId=association)


_MEMBERS = {"routeTableIds": "RouteTableIds", "subnetIds": "SubnetIds"}
_MEMBERS |= {"securityGroupIds": "SecurityGroupIds"}


class _Endpoint(Ec2Kind):
    noun, what, tag_type, plural = "VpcEndpoint", "EC2 VPC Endpoint", "vpc-endpoint", True

    def create(self, op: Op) -> Made:
        action = f"creating EC2 VPC Endpoint ({op.get('serviceName')})"
        refuse.vpc_endpoint(op, action, "CreateVpcEndpoint", None)
        kind = op.get("vpcEndpointType", "Gateway")
        arguments = {**op.given(_MEMBERS), **op.given({"policy": "PolicyDocument"})}
        if kind == "Interface":
            arguments["PrivateDnsEnabled"] = bool(op.get("privateDnsEnabled", False))
        arguments |= {"VpcId": op.get("vpcId"), "ServiceName": op.get("serviceName")}
        endpoint_id = self.make(op, action, **arguments, VpcEndpointType=kind)
        return endpoint_id, self.outputs(op, endpoint_id)

    def outputs(self, op: Op, endpoint_id: str) -> Props:
        endpoint = self.describe(op, endpoint_id)
        kind = endpoint["VpcEndpointType"]
        groups = [group["GroupId"] for group in endpoint.get("Groups") or []]
        if kind == "Interface" and not groups:
            # AWS gives an Interface endpoint without groups its VPC's default group; moto none.
            groups = [ec2.default_group(op, endpoint["VpcId"])]
        prefix_list = ec2.prefix_list(op, endpoint["ServiceName"]) if kind == "Gateway" else None
        entries = endpoint.get("DnsEntries") or []
        return {
            "arn": ec2.arn(op, "vpc-endpoint", endpoint_id),
            "ownerId": endpoint["OwnerId"],
            "state": endpoint["State"],
            "prefixListId": prefix_list or "",
            "dnsEntries": [
                {"dnsName": e["DnsName"], "hostedZoneId": e["HostedZoneId"]} for e in entries
            ],
            "networkInterfaceIds": endpoint.get("NetworkInterfaceIds") or [],
            "securityGroupIds": groups,
            "privateDnsEnabled": kind == "Interface" and bool(op.get("privateDnsEnabled", False)),
        }

    def update(self, op: Op, endpoint_id: str) -> Props:
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
        return self.outputs(op, endpoint_id)


# Where a flow log attaches: its input -> CreateFlowLogs' ResourceType.
_SOURCES = {"vpcId": "VPC", "subnetId": "Subnet"}
_OPTIONS = {"logDestination": "LogDestination", "iamRoleArn": "DeliverLogsPermissionArn"}


class _FlowLog(Ec2Kind):
    """CreateFlowLogs takes a list of sources and answers with ids and failed items."""

    noun, what, tag_type, plural = "FlowLog", "Flow Log", "vpc-flow-log", True

    def create(self, op: Op) -> Made:
        key = next((key for key in _SOURCES if op.get(key)), "vpcId")
        action = f"creating Flow Log ({op.get(key)})"
        refuse.flow_log(op, action)
        destination = op.get("logDestinationType", "cloud-watch-logs")
        arguments = {
            "ResourceIds": [op.get(key)],
            "ResourceType": _SOURCES[key],
            "TrafficType": op.get("trafficType", "ALL"),
            "LogDestinationType": destination,
            "MaxAggregationInterval": 600,
            "TagSpecifications": ec2.tagging(op, self.tag_type),
            **op.given(_OPTIONS),
        }
        made = call(op, action, "CreateFlowLogs", **arguments)
        for failed in made.get("Unsuccessful") or []:
            # CreateFlowLogs answers 200 with an unsuccessful item; the provider reports it so.
            error = failed["Error"]
            detail = f"{failed['ResourceId']}: api error {error['Code']}: {error['Message']}"
            raise ProviderError(f"{action}: {detail}")
        flow_id = made["FlowLogIds"][0]
        outputs = {"logDestinationType": destination, "maxAggregationInterval": 600}
        return flow_id, {"arn": ec2.arn(op, "vpc-flow-log", flow_id), **outputs}

    def outputs(self, op: Op, flow_id: str) -> Props:
        return {"trafficType": self.describe(op, flow_id)["TrafficType"]}


KINDS = {
    t.VPC: _Vpc(),
    t.SUBNET: _Subnet(),
    t.INTERNET_GATEWAY: _Gateway(),
    t.ROUTE_TABLE: _RouteTable(),
    t.ROUTE: _Route(),
    t.ROUTE_TABLE_ASSOCIATION: _Association(),
    t.VPC_ENDPOINT: _Endpoint(),
    t.FLOW_LOG: _FlowLog(),
}
