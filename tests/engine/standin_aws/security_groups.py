"""TEST-ONLY stand-in AWS provider: what security groups let through (IPv4, one TCP port).

A group's rules are its inline `ingress`/`egress` blocks, the `aws:vpc/securityGroupIngressRule`
and `...EgressRule` resources and the `aws:ec2/securityGroupRule` resources of that direction.
The provider removes the allow-all egress AWS gives a new group, so a group a program creates
sends only what a rule allows. A VPC's default group (what an instance or interface endpoint
without groups gets) has AWS's own rules - all traffic out, all traffic in from members of the
group - unless a `DefaultSecurityGroup` adopted it: then it has exactly that resource's rules.

A connection goes through when rules covering its protocol and port name the far end: its
prefix list, one of its groups (a `self` rule names its own group), or CIDRs that together
contain every address the far end may use. The public addresses of AWS services are unknown to
the stand-in, so only 0.0.0.0/0 (or the service's prefix list) covers them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import lookups
from tests.engine.standin_aws.account import default_security_group_of
from tests.engine.standin_aws.wire import plain

SPLIT_RULES = {
    "ingress": t.SECURITY_GROUP_INGRESS_RULE,
    "egress": t.SECURITY_GROUP_EGRESS_RULE,
}
ALL_PROTOCOLS = ("-1", "all")
TCP = ("tcp", "6")
# The far end of a public AWS service: any address at all.
INTERNET = ("0.0.0.0/0",)


@dataclass(frozen=True)
class Rule:
    protocol: str
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def covers_tcp(self, port: int) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        low, high = self.from_port, self.to_port
        return self.protocol in TCP and low is not None and high is not None and low <= port <= high


@dataclass(frozen=True)
class Peer:
    """The far end of a connection: the addresses it may use, its prefix list, its groups."""

    addresses: tuple[str, ...] = ()
    prefix_list: str | None = None
    groups: tuple[str, ...] = ()


def _strings(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(str(item) for item in (value if isinstance(value, list) else [value]))


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def _block(block: Mapping[str, Any], group_id: str) -> Rule:
    """An inline `ingress`/`egress` block, or an `aws:ec2/securityGroupRule`."""
    groups = _strings(block.get("securityGroups")) + _strings(block.get("sourceSecurityGroupId"))
    return Rule(
        str(block.get("protocol", "")).lower(),
        _port(block.get("fromPort")),
        _port(block.get("toPort")),
        _strings(block.get("cidrBlocks")),
        _strings(block.get("prefixListIds")),
        groups + ((group_id,) if block.get("self") else ()),
    )


def _split_rule(record: lookups.Record) -> Rule:
    """An `aws:vpc/securityGroup{Ingress,Egress}Rule`."""
    return Rule(
        str(lookups.out(record, "ipProtocol")).lower(),
        _port(lookups.out(record, "fromPort")),
        _port(lookups.out(record, "toPort")),
        _strings(lookups.out(record, "cidrIpv4")),
        _strings(lookups.out(record, "prefixListId")),
        _strings(lookups.out(record, "referencedSecurityGroupId")),
    )


def rules(data: Mapping[str, Any], group_id: str, direction: str, vpc_id: str) -> list[Rule]:
    """The rules of one direction ("ingress" or "egress") of a group of VPC `vpc_id`."""
    owner = lookups.by_id(data, (t.SECURITY_GROUP, t.DEFAULT_SECURITY_GROUP), group_id)
    if owner is None and default_security_group_of(vpc_id) == group_id:
        # AWS's own default group rules: everything out, everything in from the group itself.
        if direction == "egress":
            return [Rule("-1", None, None, cidrs=INTERNET)]
        return [Rule("-1", None, None, groups=(group_id,))]
    inline = (lookups.out(owner, direction) or []) if owner is not None else []
    found = [_block(block, group_id) for block in inline]
    for record in lookups.records(data, SPLIT_RULES[direction]):
        if lookups.out(record, "securityGroupId") == group_id:
            found.append(_split_rule(record))
    for record in lookups.records(data, t.SECURITY_GROUP_RULE):
        outputs = plain(record["outputs"])
        if outputs.get("securityGroupId") == group_id and outputs.get("type") == direction:
            found.append(_block(outputs, group_id))
    return found


def _covered(address: str, matching: list[Rule]) -> bool:
    wanted = ipaddress.ip_network(address, strict=False)
    return any(
        ipaddress.ip_network(cidr, strict=False).supernet_of(wanted)  # type: ignore[arg-type]
        for rule in matching
        for cidr in rule.cidrs
    )


def allows(
    data: Mapping[str, Any],
    group_ids: Iterable[str],
    *,
    direction: str,
    port: int,
    peer: Peer,
    vpc_id: str,
) -> bool:
    """Whether the groups let a TCP connection on `port` to (egress) or from (ingress) the peer
    through: a rule names its prefix list or a group of it, or rules cover all its addresses."""
    matching = [
        rule
        for group in group_ids
        for rule in rules(data, group, direction, vpc_id)
        if rule.covers_tcp(port)
    ]
    for rule in matching:
        if peer.prefix_list in rule.prefix_lists or set(rule.groups) & set(peer.groups):
            return True
    return bool(peer.addresses) and all(_covered(address, matching) for address in peer.addresses)
