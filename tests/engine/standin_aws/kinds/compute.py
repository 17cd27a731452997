"""TEST-ONLY stand-in: EC2 instances and launch templates.

moto ignores RunInstances' DisableApiTermination but keeps the attribute when it is modified,
and then refuses TerminateInstances itself; so a protected instance is launched and then
protected, as two calls. A changed template adds a version (the provider's behaviour); tags,
names and the default-version settings are not part of a version.
"""

from __future__ import annotations

import base64
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first, gone_if_missing
from tests.engine.standin_aws.wire import Props


def _root_device(op: Op) -> list[dict[str, Any]]:
    root = op.get("rootBlockDevice")
    if not root:
        return []
    # The provider puts the root volume on the image's root device.
    image = ec2.call(op, "creating EC2 Instance", "DescribeImages", ImageIds=[op.get("ami")])
    return [{"DeviceName": image["Images"][0]["RootDeviceName"], "Ebs": _pascal(root)}]


def _modify(op: Op, instance: str, **attribute: Any) -> None:
    action = f"modifying EC2 Instance ({instance})"
    ec2.call(op, action, "ModifyInstanceAttribute", InstanceId=instance, **attribute)


def _create_instance(op: Op) -> Made:
    arguments: dict[str, Any] = {
        "ImageId": op.get("ami"),
        "InstanceType": op.get("instanceType", "t3.micro"),
        "MinCount": 1,
        "MaxCount": 1,
        "Monitoring": {"Enabled": bool(op.get("monitoring", False))},
        "BlockDeviceMappings": _root_device(op),
        "TagSpecifications": ec2.tagging(op, "instance"),
        **op.given({"userData": "UserData", "privateIp": "PrivateIpAddress"}),
    }
    placed = {"Groups": op.get("vpcSecurityGroupIds") or [], **op.given({"subnetId": "SubnetId"})}
    if op.get("associatePublicIpAddress") is not None:
        # The provider asks for a public address through the primary interface.
        public = bool(op.get("associatePublicIpAddress"))
        arguments["NetworkInterfaces"] = [
            {"DeviceIndex": 0, "AssociatePublicIpAddress": public, **placed}
        ]
    else:
        arguments.update(SecurityGroupIds=placed.pop("Groups"), **placed)
    if op.get("iamInstanceProfile"):
        arguments["IamInstanceProfile"] = {"Name": op.get("iamInstanceProfile")}
    if op.get("metadataOptions"):
        arguments["MetadataOptions"] = _pascal(op.get("metadataOptions"))
    if not op.get("userData") and op.get("userDataBase64"):
        arguments["UserData"] = base64.b64decode(op.get("userDataBase64")).decode()
    launched = ec2.call(op, "creating EC2 Instance", "RunInstances", **arguments)
    instance = launched["Instances"][0]["InstanceId"]
    if op.get("disableApiTermination"):
        _modify(op, instance, DisableApiTermination={"Value": True})
    return instance, _read_instance(op, instance) or {}


def _read_instance(op: Op, instance: str) -> Props | None:
    found = ec2.describe(
        op, "DescribeInstances", "Reservations", Filters=ec2.by(instance_id=instance)
    )
    live = first([item for reservation in found for item in reservation["Instances"]])
    if live is None or live["State"]["Name"] in ("terminated", "shutting-down"):
        return None
    interfaces = live.get("NetworkInterfaces") or [{}]
    return {
        "arn": op.arn("ec2", f"instance/{instance}"),
        "availabilityZone": live["Placement"]["AvailabilityZone"],
        "subnetId": live.get("SubnetId", ""),
        "privateIp": live.get("PrivateIpAddress", ""),
        "privateDns": live.get("PrivateDnsName", ""),
        "publicIp": live.get("PublicIpAddress", ""),
        "publicDns": live.get("PublicDnsName", ""),
        "primaryNetworkInterfaceId": interfaces[0].get("NetworkInterfaceId", ""),
        "instanceState": live["State"]["Name"],
        # moto keeps the groups of an instance launched through its interface on the interface.
        "vpcSecurityGroupIds": [
            group["GroupId"]
            for group in live.get("SecurityGroups") or interfaces[0].get("Groups") or []
        ],
    }


def _update_instance(op: Op, instance: str) -> Props:
    if op.changed("disableApiTermination"):
        _modify(
            op, instance, DisableApiTermination={"Value": bool(op.get("disableApiTermination"))}
        )
    if op.changed("vpcSecurityGroupIds"):
        _modify(op, instance, Groups=op.get("vpcSecurityGroupIds") or [])
    return _read_instance(op, instance) or {}


def _delete_instance(op: Op, instance: str) -> None:
    if op.old("forceDestroy") and op.old("disableApiTermination"):
        # forceDestroy in the state the provider holds: it lifts the protection first.
        _modify(op, instance, DisableApiTermination={"Value": False})
    action = f"terminating EC2 Instance ({instance})"
    ec2.call(op, action, "TerminateInstances", InstanceIds=[instance])


# -- launch templates ---------------------------------------------------------------------------

UNVERSIONED = frozenset(
    {"tags", "tagsAll", "updateDefaultVersion", "defaultVersion", "name", "namePrefix", "id"}
    | {"arn", "latestVersion", "region", "description"}
)
# Launch template inputs whose EC2 name is not their PascalCase.
_RENAMED = {"vpcSecurityGroupIds": "SecurityGroupIds", "securityGroups": "Groups"}


def _pascal(value: Any, key: str = "") -> Any:
    """pulumi-aws's camelCase inputs as EC2's shapes (its "true" strings as booleans, tag maps
    as tag lists)."""
    if isinstance(value, dict):
        if key == "tags":
            return [{"Key": k, "Value": str(v)} for k, v in value.items()]
        items = value.items()
        return {
            _RENAMED.get(k, k[:1].upper() + k[1:]): _pascal(v, k) for k, v in items if v is not None
        }
    if isinstance(value, list):
        return [_pascal(item, key) for item in value]
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # numbers cross the wire as floats
    return value


def _versioned(keys: Any) -> list[str]:
    return [key for key in keys if key not in UNVERSIONED and not key.startswith("__")]


def _template(op: Op, doing: str, operation: str, template: str, **arguments: Any) -> Any:
    action = f"{doing} EC2 Launch Template ({template})"
    return ec2.call(op, action, operation, **arguments)


def _create_template(op: Op) -> Made:
    name = str(op.get("name"))
    data = _pascal({key: op.get(key) for key in _versioned(op.inputs)})
    tags = ec2.tagging(op, "launch-template")
    made = _template(
        op,
        "creating",
        "CreateLaunchTemplate",
        name,
        LaunchTemplateName=name,
        LaunchTemplateData=data,
        TagSpecifications=tags,
    )
    template = made["LaunchTemplate"]["LaunchTemplateId"]
    return template, _read_template(op, template) or {}


def _read_template(op: Op, template: str) -> Props | None:
    def read() -> Props:
        found = _template(
            op, "reading", "DescribeLaunchTemplates", template, LaunchTemplateIds=[template]
        )
        live = found["LaunchTemplates"][0]
        return {
            "arn": op.arn("ec2", f"launch-template/{template}"),
            "name": live["LaunchTemplateName"],
            "latestVersion": live["LatestVersionNumber"],
            "defaultVersion": live["DefaultVersionNumber"],
        }

    return gone_if_missing(read)


def _update_template(op: Op, template: str) -> Props:
    if op.changed(*_versioned(set(op.inputs) | set(op.olds))):
        data = _pascal({key: op.get(key) for key in _versioned(op.inputs)})
        version = {"LaunchTemplateId": template, "LaunchTemplateData": data}
        _template(op, "creating version of", "CreateLaunchTemplateVersion", template, **version)
    live = _read_template(op, template) or {}
    default = live.get("defaultVersion")
    if op.get("updateDefaultVersion"):
        default = live.get("latestVersion")
    elif op.get("defaultVersion"):
        default = int(op.get("defaultVersion"))
    if default != live.get("defaultVersion"):
        change = {"LaunchTemplateId": template, "DefaultVersion": str(default)}
        _template(op, "updating", "ModifyLaunchTemplate", template, **change)
    return _read_template(op, template) or {}


def _delete_template(op: Op, template: str) -> None:
    _template(op, "deleting", "DeleteLaunchTemplate", template, LaunchTemplateId=template)


KINDS = {
    t.INSTANCE: Kind(
        _create_instance, _read_instance, _delete_instance, _update_instance, ec2.retag
    ),
    t.LAUNCH_TEMPLATE: Kind(
        _create_template,
        _read_template,
        _delete_template,
        _update_template,
        ec2.retag,
        recomputed=frozenset({"latestVersion"}),
    ),
}
