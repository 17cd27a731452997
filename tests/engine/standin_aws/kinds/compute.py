"""TEST-ONLY stand-in: EC2 instances and launch templates.

moto ignores RunInstances' DisableApiTermination but keeps the attribute when it is modified,
and then refuses TerminateInstances itself; so a protected instance is launched and then
protected, as two calls. A changed template adds a version (the provider's behaviour); tags,
names and the default-version settings are not part of a version.
"""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.kinds.base import Ec2Kind, Made, Op, first
from tests.engine.standin_aws.wire import Props


class _Instance(Ec2Kind):
    what = "EC2 Instance"

    def _modify(self, op: Op, instance: str, **attribute: Any) -> None:
        action = f"modifying EC2 Instance ({instance})"
        ec2.call(op, action, "ModifyInstanceAttribute", InstanceId=instance, **attribute)

    def _root_device(self, op: Op) -> list[dict[str, Any]]:
        root = op.get("rootBlockDevice")
        if not root:
            return []
        # The provider puts the root volume on the image's root device.
        image = ec2.call(op, "creating EC2 Instance", "DescribeImages", ImageIds=[op.get("ami")])
        return [{"DeviceName": image["Images"][0]["RootDeviceName"], "Ebs": _pascal(root)}]

    def create(self, op: Op) -> Made:
        arguments: dict[str, Any] = {
            "ImageId": op.get("ami"),
            "InstanceType": op.get("instanceType", "t3.micro"),
            "MinCount": 1,
            "MaxCount": 1,
            "Monitoring": {"Enabled": bool(op.get("monitoring", False))},
            "BlockDeviceMappings": self._root_device(op),
            "TagSpecifications": ec2.tagging(op, "instance"),
            **op.given({"userData": "UserData", "privateIp": "PrivateIpAddress"}),
        }
        placed = {
            "Groups": op.get("vpcSecurityGroupIds") or [],
            **op.given({"subnetId": "SubnetId"}),
        }
        if op.get("associatePublicIpAddress") is not None:
            # The provider asks for a public address through the primary interface.
            public = bool(op.get("associatePublicIpAddress"))
            interface = {"DeviceIndex": 0, "AssociatePublicIpAddress": public, **placed}
            arguments["NetworkInterfaces"] = [interface]
        else:
            arguments.update(SecurityGroupIds=placed.pop("Groups"), **placed)
        if op.get("iamInstanceProfile"):
            arguments["IamInstanceProfile"] = {"Name": op.get("iamInstanceProfile")}
        if op.get("metadataOptions"):
            arguments["MetadataOptions"] = _pascal(op.get("metadataOptions"))
        launched = ec2.call(op, "creating EC2 Instance", "RunInstances", **arguments)
        instance = launched["Instances"][0]["InstanceId"]
        if op.get("disableApiTermination"):
            self._modify(op, instance, DisableApiTermination={"Value": True})
        return instance, self.read(op, instance) or {}

    def read(self, op: Op, instance: str) -> Props | None:
        live = first(ec2.instances(op, Filters=ec2.by(instance_id=instance)))
        if live is None or live["State"]["Name"] in ("terminated", "shutting-down"):
            return None
        interfaces = live.get("NetworkInterfaces") or [{}]
        # moto keeps the groups of an instance launched through its interface on the interface.
        groups = live.get("SecurityGroups") or interfaces[0].get("Groups") or []
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
            "vpcSecurityGroupIds": [group["GroupId"] for group in groups],
        }

    def update(self, op: Op, instance: str) -> Props:
        if op.changed("disableApiTermination"):
            protect = {"Value": bool(op.get("disableApiTermination"))}
            self._modify(op, instance, DisableApiTermination=protect)
        if op.changed("vpcSecurityGroupIds"):
            self._modify(op, instance, Groups=op.get("vpcSecurityGroupIds") or [])
        return self.read(op, instance) or {}

    def delete(self, op: Op, instance: str) -> None:
        if op.old("forceDestroy") and op.old("disableApiTermination"):
            # forceDestroy in the state the provider holds: it lifts the protection first.
            self._modify(op, instance, DisableApiTermination={"Value": False})
        action = f"terminating EC2 Instance ({instance})"
        ec2.call(op, action, "TerminateInstances", InstanceIds=[instance])


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


class _LaunchTemplate(Ec2Kind):
    noun, what, tag_type = "LaunchTemplate", "EC2 Launch Template", "launch-template"
    recomputed = frozenset({"latestVersion"})

    def _data(self, op: Op) -> Any:
        return _pascal({key: op.get(key) for key in _versioned(op.inputs)})

    def create(self, op: Op) -> Made:
        name = str(op.get("name"))
        action = f"creating EC2 Launch Template ({name})"
        template = self.make(op, action, LaunchTemplateName=name, LaunchTemplateData=self._data(op))
        return template, self.read(op, template) or {}

    def outputs(self, op: Op, template: str) -> Props:
        live = self.describe(op, template)
        return {
            "arn": op.arn("ec2", f"launch-template/{template}"),
            "name": live["LaunchTemplateName"],
            "latestVersion": live["LatestVersionNumber"],
            "defaultVersion": live["DefaultVersionNumber"],
        }

    def read(self, op: Op, template: str) -> Props | None:
        return super(Ec2Kind, self).read(op, template)  # the template's tags are not read

    def update(self, op: Op, template: str) -> Props:
        if op.changed(*_versioned(set(op.inputs) | set(op.olds))):
            version = {"LaunchTemplateId": template, "LaunchTemplateData": self._data(op)}
            action = f"creating version of EC2 Launch Template ({template})"
            ec2.call(op, action, "CreateLaunchTemplateVersion", **version)
        live = self.outputs(op, template)
        default = live.get("defaultVersion")
        if op.get("updateDefaultVersion"):
            default = live.get("latestVersion")
        elif op.get("defaultVersion"):
            default = int(op.get("defaultVersion"))
        if default != live.get("defaultVersion"):
            change = {"LaunchTemplateId": template, "DefaultVersion": str(default)}
            action = f"updating EC2 Launch Template ({template})"
            ec2.call(op, action, "ModifyLaunchTemplate", **change)
        return self.outputs(op, template)


KINDS = {t.INSTANCE: _Instance(), t.LAUNCH_TEMPLATE: _LaunchTemplate()}
