"""Emulated AWS accounts for tests: moto's server, one fresh account per test, operator helpers.

moto's server starts once per test session (`moto_endpoint` in conftest.py); each test that
needs an empty account gets a new one (`new_account`): moto keeps accounts apart by the
credentials STS AssumeRole hands out, and keeps bucket names global, as AWS does.

What a test does behind Pulumi's back it does as an operator would with the AWS CLI, through
an `Operator`: `operator.client("s3").delete_public_access_block(Bucket=...)`. Two helpers
cover what most tests ask: `census(environment)` lists what the Resource Groups Tagging API
finds tagged for an environment, and `tagged(key, value)` the same for any tag.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3

from tests.engine.standin_aws.emulator import Account, Credentials

REGION = "us-west-2"
# The first account number handed out; each test's account is the next one.
_FIRST_ACCOUNT = 200_000_000_000
_accounts = itertools.count(_FIRST_ACCOUNT)


@dataclass(frozen=True)
class AccountKeys:
    account_id: str
    access_key: str
    secret_key: str
    token: str


def new_account(endpoint: str) -> AccountKeys:
    """Credentials of an account nobody used yet in this session's emulator."""
    account_id = str(next(_accounts))
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/test-operator", RoleSessionName="tests"
    )["Credentials"]
    return AccountKeys(
        account_id,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


@dataclass
class Operator:
    """An operator's boto3 view of one emulated account (the AWS CLI of the tests)."""

    endpoint: str
    keys: AccountKeys
    region: str = REGION

    @cached_property
    def _account(self) -> Account:
        credentials = Credentials(self.keys.access_key, self.keys.secret_key, self.keys.token)
        return Account(self.endpoint, self.region, credentials)

    def client(self, service: str) -> Any:
        """A boto3 client of the account (made once per service, like the stand-in's)."""
        return self._account.client(service)

    def tagged(self, key: str, value: str) -> list[str]:
        """ARNs of every resource the Resource Groups Tagging API finds with tag key=value."""
        pages = self.client("resourcegroupstaggingapi").get_paginator("get_resources")
        return [
            mapping["ResourceARN"]
            for page in pages.paginate(TagFilters=[{"Key": key, "Values": [value]}])
            for mapping in page["ResourceTagMappingList"]
        ]

    def inventory(self) -> list[str]:
        """ARNs of every live resource in the account, sorted: what the tagging API finds
        (less KMS keys pending deletion and terminated instances, which AWS lists there for a
        while), plus the IAM roles and instance profiles it does not cover."""
        pages = self.client("resourcegroupstaggingapi").get_paginator("get_resources")
        arns = [
            m["ResourceARN"] for page in pages.paginate() for m in page["ResourceTagMappingList"]
        ]
        live = [arn for arn in arns if self.live(arn)]
        iam = self.client("iam")
        live += [role["Arn"] for role in iam.list_roles()["Roles"]]
        live += [profile["Arn"] for profile in iam.list_instance_profiles()["InstanceProfiles"]]
        return sorted(live)

    def live(self, arn: str) -> bool:
        """False for a key pending deletion or a terminated instance (AWS still lists them)."""
        if ":key/" in arn:
            key = self.client("kms").describe_key(KeyId=arn)["KeyMetadata"]
            return bool(key["KeyState"] != "PendingDeletion")
        if ":instance/" in arn:
            found = self.client("ec2").describe_instances(InstanceIds=[arn.rsplit("/", 1)[1]])
            states = [i["State"]["Name"] for r in found["Reservations"] for i in r["Instances"]]
            return "terminated" not in states
        return True

    def live_keys(self) -> list[str]:
        """Ids of the account's KMS keys not pending deletion."""
        kms = self.client("kms")
        ids = [key["KeyId"] for key in kms.list_keys()["Keys"]]
        return [i for i in ids if kms.describe_key(KeyId=i)["KeyMetadata"]["KeyState"] == "Enabled"]

    def key_arn(self, key_id: str) -> str:
        return str(self.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])

    def inline_policy_statements(self) -> list[dict[str, Any]]:
        """Every statement of every IAM role's inline policies in the account."""
        iam = self.client("iam")
        statements = []
        for role in iam.list_roles()["Roles"]:
            name = role["RoleName"]
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
                parsed = json.loads(document) if isinstance(document, str) else document
                statements.extend(parsed["Statement"])
        return statements

    def census(self, environment: str) -> list[str]:
        """ARNs of what is tagged for `environment` (every resource carries the tag)."""
        return self.tagged("Environment", environment)

    def provider_config(self) -> dict[str, Any]:
        """The provider inputs that aim the stand-in (or the real provider) at this account."""
        return {
            "region": self.region,
            "accessKey": self.keys.access_key,
            "secretKey": self.keys.secret_key,
            "token": self.keys.token,
            "endpoints": [{"ec2": self.endpoint}],
        }
