"""The IAM actions each pulumi-aws type needs, per lifecycle: one table, every row cited.

pulumi-aws types are Terraform's resources one to one (`shared.aws_types` names each row's
Terraform type), so the facts of Pike (JamesWoolfenden/pike, the per-Terraform-resource
permission mappings under `src/mapping/aws/resource/`) carry over; every row cites its file at
the commit read. Pike's wildcards (`ec2:Describe*`, `ssm:Get*` in its Auto Scaling group row)
are spelled out to the actions the provider calls, and rows say where they add to Pike.

Lifecycles: `read` (refresh and plan: the provider reads before every update), `write`
(create and update), `delete`, `tag` (tags at creation and on update). Which resources an
action may be scoped to, and with which condition keys, is not kept here: it is AWS's Service
Authorization Reference (`authorization.py`), so the table cannot drift from AWS on it.

Besides the resource types: the provider functions the programs call (`INVOKES`, by function
token), what the provider itself calls (`PROVIDER_ACTIONS`), and the customer key used through
a service on the deployer's behalf (`KeyUse`).
"""

from __future__ import annotations

from orchestration.roles.model import PIKE, SAR, TypeActions
from orchestration.roles.rows_compute import COMPUTE, IAM
from orchestration.roles.rows_network import NETWORK
from orchestration.roles.rows_storage import STORAGE

TYPE_ACTIONS: dict[str, TypeActions] = {**STORAGE, **NETWORK, **COMPUTE, **IAM}

# The provider functions the programs call, by function token: (actions, source). An empty
# tuple: answered by the provider without a call (its partition and region, ELB's account table).
INVOKES: dict[str, tuple[tuple[str, ...], str]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": (
        ("sts:GetCallerIdentity",),
        PIKE + "data/misc/aws_caller_identity.json; " + SAR + "list_awssecuritytokenservice.html",
    ),
    "aws:index/getPartition:getPartition": ((), PIKE + "data/misc/aws_partition.json"),
    "aws:index/getRegion:getRegion": ((), PIKE + "data/misc/aws_region.json"),
    "aws:elb/getServiceAccount:getServiceAccount": (
        (),
        PIKE + "data/elasticloadbalancing/aws_elb_service_account.json",
    ),
    "aws:index/getAvailabilityZones:getAvailabilityZones": (
        ("ec2:DescribeAvailabilityZones",),
        PIKE + "data/ec2/aws_availability_zones.json",
    ),
    "aws:ec2/getAmi:getAmi": (("ec2:DescribeImages",), PIKE + "data/ec2/aws_ami.json"),
    "aws:ssm/getParameter:getParameter": (
        ("ssm:GetParameter",),
        PIKE + "data/ssm/aws_ssm_parameter.json",
    ),
}

# The provider checks its credentials (skipCredentialsValidation is false) before any call.
PROVIDER_ACTIONS = ("sts:GetCallerIdentity",)
# The orchestrator's cloud census before a deploy creates a stack, in drift and after a destroy
# (`orchestration.state.census`): one tagging API GetResources call (no resource type: `*`),
# and GetRole for the roles a program creates, which the compute rows already read by name.
CENSUS_ACTIONS = ("tag:GetResources",)
CENSUS_SOURCE = SAR + "list_amazonresourcegrouptaggingapi.html"
