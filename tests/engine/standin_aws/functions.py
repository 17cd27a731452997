"""TEST-ONLY stand-in AWS provider: the functions (invokes) it answers.

`FUNCTIONS` holds them by token; an unknown function token is an error that names it, so a
missing one shows up at once. Everything is deterministic, as in the rest of the stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from shared import aws_types as t
from shared.aws_facts import (
    ELB_LOG_ACCOUNTS,
    zone_id,
    zone_names,
)
from tests.engine.standin_aws.account import (
    ProviderConfig,
    default_route_table_id,
    default_subnet_cidr,
    default_subnet_id,
    default_vpc_id,
    digest,
)
from tests.engine.standin_aws.wire import (
    Props,
    plain,
    secret,
)

# -- functions (invokes) ---------------------------------------------------------------------


class FunctionError(ValueError):
    """An invoke the stand-in cannot answer (unknown token, missing parameter...)."""


Function = Callable[[Props, ProviderConfig, Mapping[str, Any]], Props]


def _region(args: Props, config: ProviderConfig) -> str:
    return str(args.get("region") or args.get("name") or config.region)


def _caller_identity(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    return {
        "accountId": config.account,
        "arn": f"arn:{config.partition}:iam::{config.account}:user/standin-test-user",
        "id": config.account,
        "userId": "AIDA" + digest(config.account, "user")[:17].upper(),
    }


def _availability_zones(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    excluded = set(args.get("excludeNames") or [])
    names = [name for name in zone_names(region) if name not in excluded]
    ids = [zone_id(name) for name in names]
    return {
        **args,
        "id": region,
        "region": region,
        "names": names,
        "zoneIds": ids,
        "groupNames": [region] * len(names),
        "state": args.get("state") or "available",
    }


_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
}


def _get_region(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    return {
        "id": region,
        "name": region,
        "region": region,
        "description": _REGION_NAMES.get(region, region),
        "endpoint": f"ec2.{region}.{config.dns_suffix}",
    }


def _partition(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    suffix = config.dns_suffix
    return {
        "id": config.partition,
        "partition": config.partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
    }


def public_ami_id(region: str, parameter: str) -> str:
    """The AMI id a public `/aws/service/ami-...` parameter resolves to in `region`."""
    return "ami-" + digest(region, parameter)[:17]


def _ssm_parameter(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    name = str(args.get("name", ""))
    region = _region({"region": args.get("region")}, config)
    owned = [
        record["outputs"]
        for record in cloud.get("resources", {}).values()
        if record["type"] == t.SSM_PARAMETER and plain(record["outputs"]).get("name") == name
    ]
    if owned:
        value = plain(owned[0].get("value"))
        kind = plain(owned[0].get("type")) or "String"
        arn = plain(owned[0].get("arn"))
        version = plain(owned[0].get("version")) or 1
    elif name.startswith("/aws/service/ami-"):
        value, kind, version = public_ami_id(region, name), "String", 1
        arn = f"arn:{config.partition}:ssm:{region}::parameter{name}"
    else:
        raise FunctionError(
            f"ParameterNotFound: SSM parameter {name!r} does not exist in the stand-in cloud "
            "(public /aws/service/ami-* parameters and aws.ssm.Parameter resources do)"
        )
    return {
        "arn": arn,
        "id": name,
        "name": name,
        "region": region,
        "type": kind,
        "version": version,
        "withDecryption": args.get("withDecryption", True),
        # The real provider marks `value` secret; `insecureValue` is the same value in clear.
        "value": secret(value),
        "insecureValue": value,
    }


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _policy_statement(statement: Props) -> Props:
    rendered: Props = {
        "Sid": statement.get("sid", ""),
        "Effect": statement.get("effect") or "Allow",
    }
    for key, label in (("actions", "Action"), ("notActions", "NotAction")):
        if statement.get(key):
            rendered[label] = _one_or_list(list(statement[key]))
    for key, label in (("resources", "Resource"), ("notResources", "NotResource")):
        if statement.get(key):
            rendered[label] = _one_or_list(list(statement[key]))
    for key, label in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        principals = statement.get(key) or []
        if principals:
            block: dict[str, list[Any]] = {}
            for principal in principals:
                block.setdefault(principal["type"], []).extend(principal["identifiers"])
            if list(block) == ["*"] and block["*"] == ["*"]:
                rendered[label] = "*"
            else:
                rendered[label] = {kind: _one_or_list(ids) for kind, ids in block.items()}
    conditions = statement.get("conditions") or []
    if conditions:
        block_conditions: dict[str, dict[str, Any]] = {}
        for condition in conditions:
            tests = block_conditions.setdefault(condition["test"], {})
            tests[condition["variable"]] = _one_or_list(list(condition["values"]))
        rendered["Condition"] = block_conditions
    return rendered


def _merge_statements(base: list[Props], extra: list[Props]) -> list[Props]:
    """Later statements replace earlier ones with the same non-empty Sid, as in the provider."""
    merged = list(base)
    for statement in extra:
        sid = statement.get("Sid")
        index = next((i for i, old in enumerate(merged) if sid and old.get("Sid") == sid), None)
        if index is None:
            merged.append(statement)
        else:
            merged[index] = statement
    return merged


def _policy_document(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    statements: list[Props] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements = _merge_statements(statements, json.loads(source).get("Statement", []))
    own = [_policy_statement(statement) for statement in args.get("statements") or []]
    statements = _merge_statements(statements, own)
    for override in args.get("overridePolicyDocuments") or []:
        statements = _merge_statements(statements, json.loads(override).get("Statement", []))
    document: Props = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    text = json.dumps(document, indent=2)
    return {
        **args,
        "id": str(int(digest(text)[:8], 16)),
        "json": text,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


def _vpc(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    vpc_id = default_vpc_id(config)
    if args.get("id") not in (None, vpc_id) or args.get("default") is False:
        raise FunctionError("the stand-in only knows the default VPC; ask for it with default=True")
    return {
        **args,
        "id": vpc_id,
        "arn": f"arn:{config.partition}:ec2:{config.region}:{config.account}:vpc/{vpc_id}",
        "cidrBlock": "172.31.0.0/16",
        "default": True,
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "mainRouteTableId": default_route_table_id(config),
        "ownerId": config.account,
        "state": "available",
        "region": config.region,
    }


def _subnets(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    ids = [default_subnet_id(config, zone) for zone in zone_names(config.region)]
    return {**args, "id": config.region, "ids": ids, "region": config.region}


def _subnet(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    zones = zone_names(config.region)
    by_id = {default_subnet_id(config, zone): zone for zone in zones}
    zone = by_id.get(str(args.get("id"))) or args.get("availabilityZone") or zones[0]
    subnet_id = default_subnet_id(config, str(zone))
    return {
        **args,
        "id": subnet_id,
        "arn": f"arn:{config.partition}:ec2:{config.region}:{config.account}:subnet/{subnet_id}",
        "availabilityZone": zone,
        "vpcId": default_vpc_id(config),
        "cidrBlock": default_subnet_cidr(str(zone)),
        "defaultForAz": True,
        "ownerId": config.account,
        "region": config.region,
    }


def _ami(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    key = json.dumps(plain(args), sort_keys=True)
    image = "ami-" + digest(config.region, key)[:17]
    return {
        **args,
        "id": image,
        "imageId": image,
        "arn": f"arn:{config.partition}:ec2:{config.region}::image/{image}",
        "architecture": "x86_64",
        "name": "al2023-ami-standin-x86_64",
        "ownerId": "137112412989",
        "rootDeviceName": "/dev/xvda",
        "state": "available",
    }


def _elb_service_account(args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    region = _region(args, config)
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is None:
        # The provider's data source knows only the regions AWS published an account for.
        raise FunctionError(f"unknown region ({region}): no Elastic Load Balancing account")
    return {"id": account, "arn": f"arn:{config.partition}:iam::{account}:root", "region": region}


FUNCTIONS: dict[str, Function] = {
    t.GET_CALLER_IDENTITY: _caller_identity,
    t.GET_AVAILABILITY_ZONES: _availability_zones,
    t.GET_REGION: _get_region,
    t.GET_PARTITION: _partition,
    t.GET_SSM_PARAMETER: _ssm_parameter,
    t.GET_POLICY_DOCUMENT: _policy_document,
    t.GET_VPC: _vpc,
    t.GET_SUBNETS: _subnets,
    t.GET_SUBNET: _subnet,
    t.GET_AMI: _ami,
    t.GET_ELB_SERVICE_ACCOUNT: _elb_service_account,
}


def invoke(token: str, args: Props, config: ProviderConfig, cloud: Mapping[str, Any]) -> Props:
    function = FUNCTIONS.get(token)
    if function is None:
        raise FunctionError(
            f"function {token!r} is not implemented by the stand-in; add it to "
            "FUNCTIONS in tests/engine/standin_aws/functions.py"
        )
    return function(plain(args), config, cloud)
