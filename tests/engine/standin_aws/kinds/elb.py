"""TEST-ONLY stand-in: ELBv2 load balancers, target groups and listeners (and their `aws:alb`
aliases) in the emulated account; what AWS refuses beyond the emulator is refusals/elb.py's."""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.errors import AwsError, CreatedButFailed, elbv2
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first
from tests.engine.standin_aws.refusals import elb as refuse
from tests.engine.standin_aws.wire import Props


def _elb(op: Op, action: str, operation: str, **arguments: Any) -> Any:
    return op.call(action, "elbv2", operation, **arguments)


def _tags(op: Op) -> dict[str, Any]:
    """The Tags argument of a create (ELBv2 refuses an empty list)."""
    return {"Tags": op.tag_list()} if op.tags_all else {}


def _suffix(arn: str, marker: str) -> str:
    """`arnSuffix`: what CloudWatch metrics name the resource by."""
    return arn.split(":", 5)[5].removeprefix(marker)


class _Elbv2(Kind):
    """An ELBv2 resource by its ARN, read through Describe<noun>s (`shown` gives the outputs
    of one described item) and retagged through AddTags and RemoveTags."""

    noun = ""
    what = ""  # its name in the provider's messages

    def shown(self, item: dict[str, Any]) -> Props:
        raise NotImplementedError

    def outputs(self, op: Op, arn: str) -> Props:
        operation, arns = f"Describe{self.noun}s", {f"{self.noun}Arns": [arn]}
        return self.shown(
            first(_elb(op, f"reading ELBv2 ({arn})", operation, **arns)[f"{self.noun}s"])
        )

    def retag(self, op: Op, arn: str) -> None:
        action = f"tagging ELBv2 resource ({arn})"
        described = _elb(op, action, "DescribeTags", ResourceArns=[arn])["TagDescriptions"][0]
        stale = [tag["Key"] for tag in described["Tags"] if tag["Key"] not in op.tags_all]
        if stale:
            _elb(op, action, "RemoveTags", ResourceArns=[arn], TagKeys=stale)
        if op.tags_all:
            _elb(op, action, "AddTags", ResourceArns=[arn], Tags=op.tag_list())

    def delete(self, op: Op, arn: str) -> None:
        _elb(
            op,
            f"deleting ELBv2 {self.what} ({arn})",
            f"Delete{self.noun}",
            **{f"{self.noun}Arn": arn},
        )


class _Balancer(_Elbv2):
    noun, what = "LoadBalancer", "Load Balancer"

    def shown(self, balancer: dict[str, Any]) -> Props:
        arn = balancer["LoadBalancerArn"]
        return {
            "arn": arn,
            "arnSuffix": _suffix(arn, "loadbalancer/"),
            "dnsName": balancer["DNSName"],
            "zoneId": balancer["CanonicalHostedZoneId"],
            "vpcId": balancer.get("VpcId", ""),
            "name": balancer["LoadBalancerName"],
        }

    def create(self, op: Op) -> Made:
        name, kind = str(op.get("name")), str(op.get("loadBalancerType", "application"))
        action = f"creating ELBv2 {kind} Load Balancer ({name})"
        refuse.name_free(op, name, kind)
        subnets = [str(item) for item in op.get("subnets") or []]
        vpc = refuse.placement(op, action, "CreateLoadBalancer", subnets)
        if vpc and not op.get("internal"):
            refuse.gateway_attached(op, action, vpc)
        arguments = {
            "Name": name,
            "Subnets": subnets,
            "Scheme": "internal" if op.get("internal") else "internet-facing",
            "Type": kind,
            **_tags(op),
            **op.given({"securityGroups": "SecurityGroups"}),
        }
        outputs = self.shown(
            _elb(op, action, "CreateLoadBalancer", **arguments)["LoadBalancers"][0]
        )
        try:
            self._set_attributes(op, outputs["arn"])
        except AwsError as error:
            # The provider sets attributes after CreateLoadBalancer: the balancer exists by then.
            raise CreatedButFailed(str(error), outputs["arn"], outputs) from None
        return outputs["arn"], outputs

    def _set_attributes(self, op: Op, arn: str) -> None:
        logs = op.get("accessLogs") or {}
        if logs.get("enabled"):
            refuse.access_log_bucket(op, arn, str(logs.get("bucket")))
        values = {
            "deletion_protection.enabled": op.get("enableDeletionProtection", False),
            "routing.http.drop_invalid_header_fields.enabled": op.get(
                "dropInvalidHeaderFields", False
            ),
            "access_logs.s3.enabled": bool(logs.get("enabled")),
            "access_logs.s3.bucket": logs.get("bucket", ""),
            "access_logs.s3.prefix": logs.get("prefix", ""),
        }
        attributes = [{"Key": key, "Value": str(value).lower()} for key, value in values.items()]
        action = f"modifying ELBv2 Load Balancer ({arn}) attributes"
        _elb(op, action, "ModifyLoadBalancerAttributes", LoadBalancerArn=arn, Attributes=attributes)

    def update(self, op: Op, arn: str) -> Props:
        if op.changed("subnets"):
            action, subnets = (
                f"setting ELBv2 Load Balancer ({arn}) subnets",
                op.get("subnets") or [],
            )
            refuse.placement(
                op, action, "SetSubnets", subnets, (self.read(op, arn) or {}).get("vpcId")
            )
            _elb(op, action, "SetSubnets", LoadBalancerArn=arn, Subnets=subnets)
        if op.changed("securityGroups"):
            action = f"setting ELBv2 Load Balancer ({arn}) security groups"
            groups = op.get("securityGroups") or []
            _elb(op, action, "SetSecurityGroups", LoadBalancerArn=arn, SecurityGroups=groups)
        if op.changed("accessLogs", "enableDeletionProtection", "dropInvalidHeaderFields"):
            self._set_attributes(op, arn)
        return self.read(op, arn) or {}

    def delete(self, op: Op, arn: str) -> None:
        refuse.deletion_unprotected(op, arn)
        super().delete(op, arn)


_HEALTH_CHECK = {
    "enabled": "HealthCheckEnabled",
    "protocol": "HealthCheckProtocol",
    "path": "HealthCheckPath",
    "port": "HealthCheckPort",
    "interval": "HealthCheckIntervalSeconds",
    "timeout": "HealthCheckTimeoutSeconds",
    "healthyThreshold": "HealthyThresholdCount",
    "unhealthyThreshold": "UnhealthyThresholdCount",
}


def _health_check(op: Op) -> dict[str, Any]:
    check = op.get("healthCheck") or {}
    arguments = {aws: check[key] for key, aws in _HEALTH_CHECK.items() if key in check}
    if check.get("matcher"):
        arguments["Matcher"] = {"HttpCode": check["matcher"]}
    return arguments


class _TargetGroup(_Elbv2):
    noun, what = "TargetGroup", "Target Group"

    def shown(self, group: dict[str, Any]) -> Props:
        arn = group["TargetGroupArn"]
        return {"arn": arn, "arnSuffix": _suffix(arn, ""), "name": group["TargetGroupName"]}

    def create(self, op: Op) -> Made:
        name = str(op.get("name"))
        action = f"creating ELBv2 Target Group ({name})"
        wanted = {
            "Port": int(op.get("port", 80)),
            "Protocol": op.get("protocol", "HTTP"),
            "VpcId": op.get("vpcId"),
            "TargetType": op.get("targetType", "instance"),
        }
        try:
            arguments = {"Name": name, **_tags(op), **wanted, **_health_check(op)}
            group = _elb(op, action, "CreateTargetGroup", **arguments)["TargetGroups"][0]
        except AwsError as error:
            if error.code != "DuplicateTargetGroupName":
                raise
            # AWS answers a create of the same name and settings with the existing group.
            group = _elb(op, action, "DescribeTargetGroups", Names=[name])["TargetGroups"][0]
            if any(group.get(key) != value for key, value in wanted.items()):
                message = f"A target group with the same name '{name}' exists, but with different"
                message += " settings"
                raise elbv2(
                    action, "CreateTargetGroup", "DuplicateTargetGroupName", message
                ) from None
        self._set_attributes(op, group["TargetGroupArn"])
        return group["TargetGroupArn"], self.shown(group)

    def _set_attributes(self, op: Op, arn: str) -> None:
        delay = op.get("deregistrationDelay")
        if delay is not None:
            action = f"modifying ELBv2 Target Group ({arn}) attributes"
            attributes = [{"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}]
            _elb(
                op, action, "ModifyTargetGroupAttributes", TargetGroupArn=arn, Attributes=attributes
            )

    def update(self, op: Op, arn: str) -> Props:
        if op.changed("healthCheck"):
            action = f"modifying ELBv2 Target Group ({arn})"
            _elb(op, action, "ModifyTargetGroup", TargetGroupArn=arn, **_health_check(op))
        if op.changed("deregistrationDelay"):
            self._set_attributes(op, arn)
        return self.read(op, arn) or {}


class _Listener(_Elbv2):
    noun, what = "Listener", "Listener"

    def shown(self, listener: dict[str, Any]) -> Props:
        outputs: Props = {"arn": listener["ListenerArn"]}
        if listener.get("Protocol") in refuse.TLS_PROTOCOLS and listener.get("SslPolicy"):
            outputs["sslPolicy"] = listener["SslPolicy"]
        return outputs

    def _arguments(self, op: Op) -> dict[str, Any]:
        actions = []
        for order, action in enumerate(op.get("defaultActions") or [], start=1):
            item: dict[str, Any] = {"Type": action["type"], "Order": order}
            if action.get("targetGroupArn"):
                item["TargetGroupArn"] = action["targetGroupArn"]
            if action.get("redirect"):
                # protocol, port, host, path, query, statusCode: the API's names, capitalized.
                redirect = action["redirect"].items()
                item["RedirectConfig"] = {
                    key[0].upper() + key[1:]: value for key, value in redirect
                }
            actions.append(item)
        arguments = {"Port": int(op.get("port", 80)), "Protocol": op.get("protocol", "HTTP")}
        if op.get("certificateArn"):
            arguments["Certificates"] = [{"CertificateArn": op.get("certificateArn")}]
        return arguments | op.given({"sslPolicy": "SslPolicy"}) | {"DefaultActions": actions}

    def create(self, op: Op) -> Made:
        balancer = str(op.get("loadBalancerArn"))
        action = f"creating ELBv2 Listener ({balancer})"
        refuse.listener(op, action, "CreateListener")
        arguments = {"LoadBalancerArn": balancer, **_tags(op), **self._arguments(op)}
        listener = _elb(op, action, "CreateListener", **arguments)["Listeners"][0]
        return listener["ListenerArn"], self.shown(listener)

    def update(self, op: Op, arn: str) -> Props:
        action = f"modifying ELBv2 Listener ({arn})"
        refuse.listener(op, action, "ModifyListener", port_changed=op.changed("port"))
        modified = _elb(op, action, "ModifyListener", ListenerArn=arn, **self._arguments(op))
        return self.shown(modified["Listeners"][0])


KINDS = {
    **dict.fromkeys(t.with_aliases(t.LOAD_BALANCER), _Balancer()),
    **dict.fromkeys(t.with_aliases(t.TARGET_GROUP), _TargetGroup()),
    **dict.fromkeys(t.with_aliases(t.LISTENER), _Listener()),
}
