"""TEST-ONLY stand-in AWS provider: which route table a subnet uses and where its routes lead.

A subnet uses the route table explicitly associated with it (`RouteTableAssociation`), else its
VPC's main route table (a `MainRouteTableAssociation`, else the one AWS created with the VPC).
A table's routes are its inline `routes`, `Route` resources and, for a VPC's default table, a
`DefaultRouteTable`'s `routes`; every table also has the implicit local route of its VPC, so
anything in the VPC is always reachable. The default VPC's main table routes 0.0.0.0/0 to the
default VPC's gateway. Gateway endpoints add
their prefix-list route to the tables in their `routeTableIds` (see reachability.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import lookups
from tests.engine.standin_aws.account import ProviderConfig, default_route_table_id, default_vpc_id
from tests.engine.standin_aws.wire import plain

ANYWHERE = "0.0.0.0/0"
# The default VPC's gateway: always attached, never a resource of any stack.
DEFAULT_VPC_GATEWAY = "igw-of-the-default-vpc"


@dataclass(frozen=True)
class Route:
    destination: str
    target: str  # igw-..., nat-..., vpce-..., eni-...


def route_table_vpc(data: Mapping[str, Any], config: ProviderConfig, table_id: str) -> str | None:
    """The VPC a route table belongs to; None if AWS has no such table."""
    table = lookups.by_id(data, (t.ROUTE_TABLE,), table_id)
    if table is not None:
        return str(lookups.out(table, "vpcId"))
    if table_id == default_route_table_id(config):
        return default_vpc_id(config)
    for vpc in lookups.records(data, t.VPC):
        if table_id in (
            lookups.out(vpc, "mainRouteTableId"),
            lookups.out(vpc, "defaultRouteTableId"),
        ):
            return str(vpc["id"])
    return None


def main_route_table(data: Mapping[str, Any], config: ProviderConfig, vpc_id: str) -> str:
    for association in lookups.records(data, t.MAIN_ROUTE_TABLE_ASSOCIATION):
        if lookups.out(association, "vpcId") == vpc_id:
            return str(lookups.out(association, "routeTableId"))
    if vpc_id == default_vpc_id(config):
        return default_route_table_id(config)
    vpc = lookups.by_id(data, (t.VPC,), vpc_id)
    return str(lookups.out(vpc, "mainRouteTableId")) if vpc else ""


def subnet_route_table(
    data: Mapping[str, Any], config: ProviderConfig, subnet: lookups.Subnet
) -> str:
    for association in lookups.records(data, t.ROUTE_TABLE_ASSOCIATION):
        if lookups.out(association, "subnetId") == subnet.id:
            return str(lookups.out(association, "routeTableId"))
    return main_route_table(data, config, subnet.vpc_id)


def _target(route: Mapping[str, Any]) -> str:
    for key in ("gatewayId", "natGatewayId", "vpcEndpointId", "networkInterfaceId"):
        if route.get(key):
            return str(route[key])
    return "other"


def routes(data: Mapping[str, Any], config: ProviderConfig, table_id: str) -> Iterator[Route]:
    """The IPv4 routes of a table, but for the local route every table has (so traffic to an
    interface endpoint in the VPC always has a route)."""
    if table_id == default_route_table_id(config):
        yield Route(ANYWHERE, DEFAULT_VPC_GATEWAY)
    inline = [
        route
        for record in lookups.records(data, t.ROUTE_TABLE, t.DEFAULT_ROUTE_TABLE)
        if table_id in (record["id"], lookups.out(record, "defaultRouteTableId"))
        for route in lookups.out(record, "routes") or []
    ]
    for route in inline:
        if route.get("cidrBlock"):
            yield Route(str(route["cidrBlock"]), _target(route))
    for record in lookups.records(data, t.ROUTE):
        if lookups.out(record, "routeTableId") == table_id:
            destination = lookups.out(record, "destinationCidrBlock")
            if destination:
                yield Route(str(destination), _target(plain(record["outputs"])))


def _gateway_attached(data: Mapping[str, Any], gateway_id: str, vpc_id: str) -> bool:
    """Whether internet gateway `gateway_id` is attached (available) to the VPC right now."""
    for record in lookups.records(data, t.INTERNET_GATEWAY, t.INTERNET_GATEWAY_ATTACHMENT):
        attachment = record.get("facts", {}).get("attachment") or {}
        gateway = lookups.out(record, "internetGatewayId") or record["id"]
        if (
            gateway == gateway_id
            and attachment.get("vpcId") == vpc_id
            and attachment.get("state") == lookups.ATTACHED
        ):
            return True
    return False


def internet_route(
    data: Mapping[str, Any],
    config: ProviderConfig,
    table_id: str,
    vpc_id: str,
    *,
    public_ip: bool,
) -> str | None:
    """The target of the table's 0.0.0.0/0 route if it takes an instance to the internet now.

    An internet gateway does while it is attached to the VPC, for instances with a public IP
    only; a public NAT gateway does for any instance, if its own subnet's table leads to an
    attached internet gateway.
    """
    for route in routes(data, config, table_id):
        if route.destination != ANYWHERE:
            continue
        if route.target == DEFAULT_VPC_GATEWAY or _gateway_attached(data, route.target, vpc_id):
            return route.target if public_ip else None
        gateway = lookups.by_id(data, (t.NAT_GATEWAY,), route.target)
        if gateway is None or lookups.out(gateway, "connectivityType") == "private":
            continue
        subnet = lookups.subnet(data, config, str(lookups.out(gateway, "subnetId")))
        if subnet is not None:
            home = subnet_route_table(data, config, subnet)
            if internet_route(data, config, home, vpc_id, public_ip=True):
                return route.target
    return None
