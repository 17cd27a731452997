"""Read the deployed environment with boto3 and describe it in the security rules' input shape.

Nothing here writes: only Get*/Describe* calls. Each reader turns what AWS reports into the
same `Resource`s a Pulumi program registers (camelCase properties), so `invoke verify` judges
the live environment with the very rule functions the plan and the policy pack use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from program.policy import Resource
from shared import aws_types as t

# Error codes that mean "this setting was never configured", not "the read failed".
_NOT_CONFIGURED = {
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchBucketPolicy",
}


class LiveReadError(Exception):
    """A read of the live environment failed (missing resource, access denied, ...)."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def aws_call(what: str, method: Any, **kwargs: Any) -> dict[str, Any] | None:
    """`method(**kwargs)`; None when the setting is not configured; LiveReadError otherwise."""
    try:
        return dict(method(**kwargs))
    except ClientError as error:
        if _code(error) in _NOT_CONFIGURED:
            return None
        raise LiveReadError(f"cannot read {what}: {_code(error)}: {error}") from error


def all_pages(what: str, client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
    """Every page of a paginated Describe call, merged (`aws_call`'s errors)."""
    paginator = client.get_paginator(operation)
    return (
        aws_call(what, lambda **args: paginator.paginate(**args).build_full_result(), **kwargs)
        or {}
    )


def key_arn(kms: Any, key: str | None) -> str | None:
    """The ARN of `key` (an id, alias or ARN) as KMS reports it."""
    if not key:
        return key
    metadata = aws_call(f"KMS key {key}", kms.describe_key, KeyId=key)
    return str(metadata["KeyMetadata"]["Arn"]) if metadata else key


def bucket_resources(s3: Any, kms: Any, bucket: str) -> list[Resource]:
    """The bucket and its configuration, as the resources that would have created them."""
    aws_call(f"bucket {bucket}", s3.head_bucket, Bucket=bucket)
    resources = [Resource(t.BUCKET, bucket, {"bucket": bucket}, urn=f"s3://{bucket}", id=bucket)]

    def side(type_: str, props: dict[str, Any]) -> None:
        name = f"{bucket}/{type_.rsplit(':', 1)[-1]}"
        resources.append(Resource(type_, name, {"bucket": bucket, **props}, urn=name))

    encryption = aws_call(f"encryption of {bucket}", s3.get_bucket_encryption, Bucket=bucket)
    if encryption:
        rules = []
        for rule in encryption["ServerSideEncryptionConfiguration"]["Rules"]:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            rules.append(
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": default.get("SSEAlgorithm"),
                        "kmsMasterKeyId": key_arn(kms, default.get("KMSMasterKeyID")),
                    },
                    "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                }
            )
        side(t.BUCKET_ENCRYPTION, {"rules": rules})
    block = aws_call(f"public access block of {bucket}", s3.get_public_access_block, Bucket=bucket)
    if block:
        flags = block["PublicAccessBlockConfiguration"]
        side(
            t.BUCKET_PUBLIC_ACCESS_BLOCK,
            {key[0].lower() + key[1:]: bool(value) for key, value in flags.items()},
        )
    ownership = aws_call(
        f"ownership controls of {bucket}", s3.get_bucket_ownership_controls, Bucket=bucket
    )
    if ownership:
        for rule in ownership["OwnershipControls"]["Rules"]:
            side(t.BUCKET_OWNERSHIP, {"rule": {"objectOwnership": rule.get("ObjectOwnership")}})
    policy = aws_call(f"policy of {bucket}", s3.get_bucket_policy, Bucket=bucket)
    if policy:
        side(t.BUCKET_POLICY, {"policy": policy["Policy"]})
    versioning = aws_call(f"versioning of {bucket}", s3.get_bucket_versioning, Bucket=bucket)
    if versioning and versioning.get("Status"):
        side(t.BUCKET_VERSIONING, {"versioningConfiguration": {"status": versioning["Status"]}})
    return resources


def storage_resources(s3: Any, kms: Any, bucket: str) -> list[Resource]:
    """The bucket, its server access logging, and the bucket its logs go to.

    The log target is read too: the rules judge it as one (SSE-S3, the only default encryption
    S3 delivers server access logs into), and a logging configuration AWS accepted tells
    nothing about whether logs arrive.
    """
    resources = bucket_resources(s3, kms, bucket)
    found = aws_call(f"logging of {bucket}", s3.get_bucket_logging, Bucket=bucket) or {}
    enabled = found.get("LoggingEnabled")
    if not enabled:
        return resources
    target = str(enabled["TargetBucket"])
    name = f"{bucket}/BucketLogging"
    props = {"bucket": bucket, "targetBucket": target, "targetPrefix": enabled.get("TargetPrefix")}
    resources.append(Resource(t.BUCKET_LOGGING, name, props, urn=name))
    if target != bucket:
        resources.extend(bucket_resources(s3, kms, target))
    return resources


def key_resource(kms: Any, key: str) -> Resource:
    """The KMS key, with its rotation setting and its key policy."""
    arn = key_arn(kms, key) or key
    status = aws_call(f"rotation of KMS key {arn}", kms.get_key_rotation_status, KeyId=arn)
    enabled = bool(status and status.get("KeyRotationEnabled"))
    # Every key has exactly one key policy, named "default".
    policy = aws_call(
        f"policy of KMS key {arn}", kms.get_key_policy, KeyId=arn, PolicyName="default"
    )
    props = {"enableKeyRotation": enabled, "policy": (policy or {}).get("Policy")}
    return Resource(t.KMS_KEY, arn, props, urn=arn, id=arn)


def instance_resources(ec2: Any, kms: Any, instance_ids: Sequence[str]) -> list[Resource]:
    """The instances, with their metadata options, root volume encryption and public address."""
    if not instance_ids:
        return []
    found = aws_call("instances", ec2.describe_instances, InstanceIds=list(instance_ids)) or {}
    instances = [i for r in found.get("Reservations", []) for i in r.get("Instances", [])]
    missing = sorted(set(instance_ids) - {i["InstanceId"] for i in instances})
    if missing:
        raise LiveReadError(f"instances not found: {', '.join(missing)}")
    root_volumes = {
        instance["InstanceId"]: mapping["Ebs"]["VolumeId"]
        for instance in instances
        for mapping in instance.get("BlockDeviceMappings", [])
        if mapping.get("DeviceName") == instance.get("RootDeviceName") and "Ebs" in mapping
    }
    volumes: dict[str, Mapping[str, Any]] = {}
    if root_volumes:
        described = aws_call(
            "root volumes", ec2.describe_volumes, VolumeIds=sorted(root_volumes.values())
        )
        volumes = {v["VolumeId"]: v for v in (described or {}).get("Volumes", [])}
    resources = []
    for instance in instances:
        props: dict[str, Any] = {
            "metadataOptions": _metadata(instance),
            # What the instance has, whether its launch or its subnet's map_public_ip_on_launch
            # gave it the address.
            "associatePublicIpAddress": "PublicIpAddress" in instance,
        }
        volume = volumes.get(root_volumes.get(instance["InstanceId"], ""))
        if volume is not None:
            props["rootBlockDevice"] = {
                "encrypted": bool(volume.get("Encrypted")),
                "kmsKeyId": key_arn(kms, volume.get("KmsKeyId")),
            }
        instance_id = instance["InstanceId"]
        resources.append(Resource(t.INSTANCE, instance_id, props, urn=instance_id, id=instance_id))
    return resources


def launch_template_resource(ec2: Any, kms: Any, template_id: str) -> Resource:
    """The launch template's default version (what the Auto Scaling group launches new instances
    from): its metadata options, block device encryption and network interfaces."""
    found = aws_call(
        f"launch template {template_id}",
        ec2.describe_launch_template_versions,
        LaunchTemplateId=template_id,
        Versions=["$Default"],
    )
    versions = (found or {}).get("LaunchTemplateVersions", [])
    if not versions:
        raise LiveReadError(f"launch template {template_id} has no default version")
    data = versions[0].get("LaunchTemplateData", {})
    props: dict[str, Any] = {
        "metadataOptions": _metadata(data),
        "blockDeviceMappings": [
            {
                "deviceName": mapping.get("DeviceName"),
                "ebs": {
                    "encrypted": bool(mapping["Ebs"].get("Encrypted")),
                    "kmsKeyId": key_arn(kms, mapping["Ebs"].get("KmsKeyId")),
                },
            }
            for mapping in data.get("BlockDeviceMappings", [])
            if "Ebs" in mapping
        ],
        "networkInterfaces": [
            _interface(interface) for interface in data.get("NetworkInterfaces", [])
        ],
    }
    if "UserData" in data:
        props["userData"] = data["UserData"]
    return Resource(t.LAUNCH_TEMPLATE, template_id, props, urn=template_id, id=template_id)


def _interface(described: Mapping[str, Any]) -> dict[str, Any]:
    """A launch template's network interface in the provider's shape, where the public address
    setting is the text "true"/"false" (absent: the subnet decides)."""
    associate = described.get("AssociatePublicIpAddress")
    return {
        "deviceIndex": described.get("DeviceIndex"),
        "associatePublicIpAddress": None if associate is None else str(associate).lower(),
        "securityGroups": list(described.get("Groups", [])),
    }


def _metadata(described: Mapping[str, Any]) -> dict[str, Any]:
    """An instance's or launch template's MetadataOptions in the provider's shape."""
    options = described.get("MetadataOptions", {})
    return {
        "httpTokens": options.get("HttpTokens"),
        "httpPutResponseHopLimit": options.get("HttpPutResponseHopLimit"),
        "httpEndpoint": options.get("HttpEndpoint"),
    }


def security_group_resource(ec2: Any, group_id: str) -> Resource:
    """The security group with its ingress rules in the `ingress` shape of the provider."""
    found = aws_call(
        f"security group {group_id}", ec2.describe_security_groups, GroupIds=[group_id]
    )
    groups = (found or {}).get("SecurityGroups", [])
    if not groups:
        raise LiveReadError(f"security group {group_id} not found")
    ingress = [
        {
            "protocol": permission.get("IpProtocol"),
            "fromPort": permission.get("FromPort"),
            "toPort": permission.get("ToPort"),
            "cidrBlocks": [r["CidrIp"] for r in permission.get("IpRanges", [])],
            "ipv6CidrBlocks": [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])],
        }
        for permission in groups[0].get("IpPermissions", [])
    ]
    return Resource(t.SECURITY_GROUP, group_id, {"ingress": ingress}, urn=group_id, id=group_id)
