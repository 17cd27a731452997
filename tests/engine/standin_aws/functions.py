"""TEST-ONLY stand-in AWS provider: the functions (invokes) it answers, by token (`FUNCTIONS`).

What the account holds (caller, zones, images, parameters) comes from the emulator; what the
provider computes itself (partition, region, the ELB log accounts table) is computed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import aws_types as t
from shared.aws_facts import ELB_LOG_ACCOUNTS, dns_suffix, partition_of
from tests.engine.standin_aws.configuration import ProviderConfig
from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.wire import Props, plain, secret


class FunctionError(ValueError):
    """An invoke the stand-in cannot answer (unknown token, missing parameter...)."""


def _region(args: Props, config: ProviderConfig) -> str:
    return str(args.get("region") or args.get("name") or config.region)


def _call(config: ProviderConfig, what: str, service: str, operation: str, **arguments: Any) -> Any:
    try:
        return config.account.call(f"reading {what}", service, operation, **arguments)
    except AwsError as error:
        raise FunctionError(str(error)) from None


def _caller_identity(args: Props, config: ProviderConfig) -> Props:
    identity = _call(config, "caller identity", "sts", "GetCallerIdentity")
    account = identity["Account"]
    return {
        "accountId": account,
        "arn": identity["Arn"],
        "id": account,
        "userId": identity["UserId"],
    }


def _availability_zones(args: Props, config: ProviderConfig) -> Props:
    region = _region(args, config)
    zones = _call(config, "availability zones", "ec2", "DescribeAvailabilityZones")
    excluded = set(args.get("excludeNames") or [])
    chosen = [zone for zone in zones["AvailabilityZones"] if zone["ZoneName"] not in excluded]
    return {
        **args,
        "id": region,
        "region": region,
        "names": [zone["ZoneName"] for zone in chosen],
        "zoneIds": [zone["ZoneId"] for zone in chosen],
        "groupNames": [region] * len(chosen),
        "state": args.get("state") or "available",
    }


def _get_region(args: Props, config: ProviderConfig) -> Props:
    region = _region(args, config)
    endpoint = f"ec2.{region}.{dns_suffix(partition_of(region))}"
    return {"id": region, "name": region, "region": region, "endpoint": endpoint}


def _partition(args: Props, config: ProviderConfig) -> Props:
    partition = partition_of(config.region)
    suffix = dns_suffix(partition)
    reverse = ".".join(reversed(suffix.split(".")))
    return {
        "id": partition,
        "partition": partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": reverse,
    }


def _ssm_parameter(args: Props, config: ProviderConfig) -> Props:
    name = str(args.get("name", ""))
    found = _call(
        config, f"SSM Parameter ({name})", "ssm", "GetParameter", Name=name, WithDecryption=True
    )
    parameter = found["Parameter"]
    return {
        "arn": parameter["ARN"],
        "id": name,
        "name": name,
        "region": _region({"region": args.get("region")}, config),
        "type": parameter["Type"],
        "version": parameter["Version"],
        "withDecryption": args.get("withDecryption", True),
        # The real provider marks `value` secret; `insecureValue` is the same value in clear.
        "value": secret(parameter["Value"]),
        "insecureValue": parameter["Value"],
    }


def _ami(args: Props, config: ProviderConfig) -> Props:
    filters = [{"Name": f["name"], "Values": list(f["values"])} for f in args.get("filters") or []]
    owners = list(args.get("owners") or [])
    found = _call(config, "EC2 AMIs", "ec2", "DescribeImages", Owners=owners, Filters=filters)
    images = sorted(found["Images"], key=lambda image: image.get("CreationDate", ""))
    if not images:
        raise FunctionError(
            "Your query returned no results. Please change your search criteria and try again."
        )
    if len(images) > 1 and not args.get("mostRecent"):
        raise FunctionError(
            "Your query returned more than one result. Please try a more specific search "
            "criteria, or set `most_recent` attribute to true."
        )
    image = images[-1]
    return {
        **args,
        "id": image["ImageId"],
        "imageId": image["ImageId"],
        "arn": f"arn:{partition_of(config.region)}:ec2:{config.region}::image/{image['ImageId']}",
        "architecture": image.get("Architecture", "x86_64"),
        "name": image.get("Name", ""),
        "ownerId": image.get("OwnerId", ""),
        "rootDeviceName": image.get("RootDeviceName", "/dev/xvda"),
        "state": image.get("State", "available"),
    }


def _elb_service_account(args: Props, config: ProviderConfig) -> Props:
    region = _region(args, config)
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is None:
        # The provider's data source knows only the regions AWS published an account for.
        raise FunctionError(f"unknown region ({region}): no Elastic Load Balancing account")
    return {
        "id": account,
        "arn": f"arn:{partition_of(region)}:iam::{account}:root",
        "region": region,
    }


FUNCTIONS: dict[str, Callable[[Props, ProviderConfig], Props]] = {
    t.GET_CALLER_IDENTITY: _caller_identity,
    t.GET_AVAILABILITY_ZONES: _availability_zones,
    t.GET_REGION: _get_region,
    t.GET_PARTITION: _partition,
    t.GET_SSM_PARAMETER: _ssm_parameter,
    t.GET_AMI: _ami,
    t.GET_ELB_SERVICE_ACCOUNT: _elb_service_account,
}


def invoke(token: str, args: Props, config: ProviderConfig) -> Props:
    function = FUNCTIONS.get(token)
    if function is None:
        raise FunctionError(
            f"function {token!r} is not implemented by the stand-in; add it to "
            "FUNCTIONS in tests/engine/standin_aws/functions.py"
        )
    return function(plain(args), config)
