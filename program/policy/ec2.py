"""EC2 rules: IMDSv2, encrypted root volumes with the customer key, closed ingress, and no
public IP address on production's web servers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from program.policy.values import as_bool, as_int, as_list, customer_key_problem
from shared import aws_types as t
from shared.limits import ADMIN_PORTS, PUBLIC_WEB_PORTS

ANYWHERE = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = ("-1", "all")
TCP = ("tcp", "6")
MAX_PORT = 65535


def _imds_problems(resource: Resource, _: StackView) -> Iterator[str]:
    options = resource.get("metadataOptions")
    if is_unknown(options):
        return
    if resource.type == t.INSTANCE and options is None and resource.get("launchTemplate"):
        return  # the launch template carries the metadata options and is checked itself
    if not isinstance(options, Mapping):
        yield "sets no metadata_options, so IMDSv1 stays available"
        return
    if options.get("httpEndpoint") == "disabled":
        return
    tokens = options.get("httpTokens")
    if not is_unknown(tokens) and tokens != "required":
        yield f"metadata http_tokens is {tokens!r}, not 'required' (IMDSv1 allowed)"
    hops = options.get("httpPutResponseHopLimit")
    if hops is not None and not is_unknown(hops) and as_int(hops) != 1:
        yield f"metadata hop limit is {hops!r}; 1 keeps the token on the instance"


def _root_volume_problems(resource: Resource, view: StackView) -> Iterator[str]:
    if resource.type == t.LAUNCH_TEMPLATE:
        mappings = resource.get("blockDeviceMappings")
        if is_unknown(mappings):
            return
        volumes = [(m.get("ebs"), "blockDeviceMappings") for m in as_list(mappings) if m]
        if not volumes:
            yield "defines no block device mappings, so the root volume is not encrypted"
            return
    else:
        if resource.get("launchTemplate") and resource.get("rootBlockDevice") is None:
            return  # the launch template defines the volume and is checked itself
        volumes = [(resource.get("rootBlockDevice"), "rootBlockDevice")]
    for volume, prop in volumes:
        if is_unknown(volume):
            continue
        if not isinstance(volume, Mapping):
            yield "defines no root block device, so the root volume is not encrypted"
            continue
        encrypted = volume.get("encrypted")
        if not is_unknown(encrypted) and as_bool(encrypted) is not True:
            yield "root volume is not encrypted"
        problem = customer_key_problem(
            resource, view, volume.get("kmsKeyId"), prop=prop, what="root volume kms_key_id"
        )
        if problem:
            yield problem


def _public_ip_problems(resource: Resource, view: StackView) -> Iterator[str]:
    # Development is one instance served directly on its public IP, without a load balancer.
    if not view.settings.production:
        return
    if resource.type == t.LAUNCH_TEMPLATE:
        interfaces = resource.get("networkInterfaces")
        if is_unknown(interfaces):
            return
        if not as_list(interfaces):
            yield (
                "defines no network interface with associate_public_ip_address=false, so the "
                "subnet's map_public_ip_on_launch decides whether instances get a public IP"
            )
            return
        for index, interface in enumerate(as_list(interfaces)):
            if is_unknown(interface):
                continue
            value = (
                interface.get("associatePublicIpAddress")
                if isinstance(interface, Mapping)
                else None
            )
            yield from _public_ip_value(value, f"network interface {index}")
        return
    value = resource.get("associatePublicIpAddress")
    if value is None and resource.get("launchTemplate"):
        return  # the launch template carries the network settings and is checked itself
    yield from _public_ip_value(value, "the instance")


def _public_ip_value(value: Any, where: str) -> Iterator[str]:
    if is_unknown(value):
        return
    associate = as_bool(value)
    if associate is True:
        yield f"{where} associates a public IP address"
    elif associate is None:
        yield (
            f"{where} leaves associate_public_ip_address unset, so the subnet's "
            "map_public_ip_on_launch decides whether it gets a public IP"
        )


@dataclass(frozen=True)
class _Ingress:
    protocol: str
    from_port: int | None
    to_port: int | None
    sources: tuple[str, ...]

    def covers(self, port: int) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        if self.protocol not in (*TCP, "udp", "17"):
            return False
        low = 0 if self.from_port is None else self.from_port
        high = MAX_PORT if self.to_port is None else self.to_port
        return low <= port <= high

    @property
    def describe(self) -> str:
        ports = (
            "all ports" if self.protocol in ALL_PROTOCOLS else f"{self.from_port}-{self.to_port}"
        )
        return f"{self.protocol} {ports} from {', '.join(self.sources) or 'a security group'}"

    @property
    def web_only(self) -> bool:
        return (
            self.protocol in TCP
            and self.from_port == self.to_port
            and self.to_port in PUBLIC_WEB_PORTS
        )


def _ingress_rules(resource: Resource) -> Iterator[_Ingress]:
    if resource.type in (t.SECURITY_GROUP, t.DEFAULT_SECURITY_GROUP):
        for entry in as_list(resource.get("ingress")):
            if isinstance(entry, Mapping):
                yield _ingress(entry, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource.type == t.SECURITY_GROUP_RULE:
        if resource.get("type") == "ingress":
            yield _ingress(resource.props, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource.type == t.SECURITY_GROUP_INGRESS_RULE:
        yield _ingress(resource.props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))


def _ingress(entry: Mapping[str, Any], protocol_key: str, cidr_keys: tuple[str, ...]) -> _Ingress:
    sources = tuple(
        str(cidr) for key in cidr_keys for cidr in as_list(entry.get(key)) if isinstance(cidr, str)
    )
    return _Ingress(
        protocol=str(entry.get(protocol_key, "")).lower(),
        from_port=as_int(entry.get("fromPort")),
        to_port=as_int(entry.get("toPort")),
        sources=sources,
    )


def _admin_ingress_problems(resource: Resource, _: StackView) -> Iterator[str]:
    for rule in _ingress_rules(resource):
        for port, service in ADMIN_PORTS.items():
            if rule.covers(port):
                yield f"ingress {rule.describe} opens {service} (port {port})"


def _public_ingress_problems(resource: Resource, _: StackView) -> Iterator[str]:
    for rule in _ingress_rules(resource):
        if set(rule.sources) & set(ANYWHERE) and not rule.web_only:
            yield f"ingress {rule.describe} is open to the internet on a non-web port"


_INGRESS_TYPES = (
    t.SECURITY_GROUP,
    t.DEFAULT_SECURITY_GROUP,
    t.SECURITY_GROUP_RULE,
    t.SECURITY_GROUP_INGRESS_RULE,
)

RULES = (
    Rule(
        id="ec2-imdsv2-required",
        description="Instances require IMDSv2 session tokens (hop limit 1).",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.INSTANCE, t.LAUNCH_TEMPLATE),
        check=_imds_problems,
        fix="set metadata_options http_tokens='required' and http_put_response_hop_limit=1",
        references=("CKV_AWS_79", "AVD-AWS-0028"),
    ),
    Rule(
        id="ec2-root-volume-customer-key",
        description="Instance root volumes are encrypted with the customer-managed key.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.INSTANCE, t.LAUNCH_TEMPLATE),
        check=_root_volume_problems,
        fix="set root_block_device encrypted=True and kms_key_id=<security stack's kms_key_arn>",
        scope=Scope.STACK,
        references=("CKV_AWS_8", "AVD-AWS-0131", "AWSGuard encrypted-volumes"),
    ),
    Rule(
        id="ec2-production-private",
        description=(
            "In production, instances and launch templates associate no public IP address "
            "(the web servers sit in private subnets behind the load balancer)."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.INSTANCE, t.LAUNCH_TEMPLATE),
        check=_public_ip_problems,
        fix=(
            "set associate_public_ip_address=False (a launch template: on network_interfaces[0]) "
            "and launch into the private subnets; the load balancer is the way in"
        ),
        references=("CKV_AWS_88", "AWS Config ec2-instance-no-public-ip"),
    ),
    Rule(
        id="ec2-no-ssh-rdp-ingress",
        description="No security group admits SSH or RDP; administration goes through SSM.",
        enforcement=Enforcement.MANDATORY,
        resource_types=_INGRESS_TYPES,
        check=_admin_ingress_problems,
        fix=(
            "remove the ingress rule and use SSM Session Manager "
            "(AmazonSSMManagedInstanceCore on the instance role)"
        ),
        references=("CKV_AWS_24", "CKV_AWS_25"),
    ),
    Rule(
        id="ec2-public-ingress-web-only",
        description="Ingress from anywhere (0.0.0.0/0, ::/0) is limited to TCP 80 and 443.",
        enforcement=Enforcement.MANDATORY,
        resource_types=_INGRESS_TYPES,
        check=_public_ingress_problems,
        fix=(
            "restrict the source to a known CIDR or security group, or open only TCP 80/443 "
            "from anywhere"
        ),
        references=("AVD-AWS-0107",),
    ),
)
