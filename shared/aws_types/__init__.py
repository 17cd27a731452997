"""The AWS resource types the project knows: one row per Pulumi type token, with its facts.

The one home of the tokens the rules, the offline plan, the scan, the orchestrator's guards, the
live checks and the tests' stand-in provider look for. Tokens are pulumi-aws v7's (`aws.s3.Bucket`
is the former BucketV2). Each row (an `AwsType`, all of them in `TYPES`) says:

- its Terraform resource type: the scan hands Checkov Terraform's names, which the token does
  not give (`aws:ec2/instance:Instance` is `aws_instance`, `aws:lb/loadBalancer:...` `aws_lb`);
- whether it holds data or keys (`stateful`): a deploy that would delete or replace one is
  refused unless the user says so (`--allow-delete`), and production protects it;
- the input the provider names when the program does not (`autoname`), as the offline plan's
  placeholders and the stand-in provider both do;
- the inputs whose change replaces the resource (`replace_on_change`, `replace_when`);
- its import id (`import_id`): the id `pulumi import` takes for a resource whose id AWS does not
  choose (a bucket is its name, a role its name ...), from the inputs of a create an interrupted
  update left pending; other ids (a key's UUID, an instance's `i-...`) exist once AWS answered.

Whether a type takes tags (`tag_support`) is read from pulumi-aws itself. The outputs AWS
computes are values, not facts: the offline plan (`orchestration/plan/placeholders.py`) and the
stand-in (`tests/engine/standin_aws/catalog.py`) each make their own, keyed by these tokens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from shared.aws_types.row import ALWAYS_REPLACE as ALWAYS_REPLACE
from shared.aws_types.row import AutoName as AutoName
from shared.aws_types.row import AwsType as AwsType
from shared.aws_types.row import ImportId as ImportId
from shared.aws_types.row import by_input, role_policy_id
from shared.aws_types.row import is_aws_resource as is_aws_resource
from shared.aws_types.row import tag_support as tag_support

# The engine's own types.
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
PROVIDER_PREFIX = "pulumi:providers:"
AWS_PROVIDER = f"{PROVIDER_PREFIX}aws"

_TYPES: dict[str, AwsType] = {}
TYPES: Final[Mapping[str, AwsType]] = MappingProxyType(_TYPES)


def _type(
    token: str,
    terraform: str,
    *,
    stateful: bool = False,
    autoname: AutoName | None = None,
    replace: Iterable[str] = (),
    replace_when: Mapping[str, str] | None = None,
    import_id: ImportId | None = None,
) -> str:
    """Adds a row to `TYPES`; returns the token, the name the code refers to the type by."""
    _TYPES[token] = AwsType(
        token,
        terraform,
        stateful=stateful,
        autoname=autoname,
        replace_on_change=frozenset(replace),
        replace_when=MappingProxyType(dict(replace_when or {})),
        import_id=import_id,
    )
    return token


def _alias(token: str, terraform: str, of: str) -> str:
    """`aws:alb/...` tokens are the provider's aliases of `aws:lb/...`: the same facts."""
    _TYPES[token] = dataclasses.replace(_TYPES[of], token=token, terraform=terraform)
    return token


_NAME = AutoName("name")
# Import ids are pulumi-aws's documented ones.
_BY_BUCKET = by_input("bucket")
_BY_NAME = by_input("name")

# -- security: the customer key ------------------------------------------------------------
# Deleting a key makes everything it encrypted unreadable.
KMS_KEY = _type(
    "aws:kms/key:Key",
    "aws_kms_key",
    stateful=True,
    replace={"keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion"},
)
KMS_ALIAS = _type(
    "aws:kms/alias:Alias", "aws_kms_alias", autoname=AutoName("name", 64), import_id=_BY_NAME
)
KMS_KEY_POLICY = _type("aws:kms/keyPolicy:KeyPolicy", "aws_kms_key_policy", replace={"keyId"})
KMS_GRANT = _type(
    "aws:kms/grant:Grant",
    "aws_kms_grant",
    replace={"keyId", "granteePrincipal", "operations", "constraints", "name"}
    | {"retiringPrincipal", "grantCreationTokens"},
)

# -- storage: buckets and their side resources ----------------------------------------------
# Deleting a bucket loses its objects.
BUCKET = _type(
    "aws:s3/bucket:Bucket",
    "aws_s3_bucket",
    stateful=True,
    autoname=AutoName("bucket", 63, lower=True),
    replace={"objectLockEnabled"},
    import_id=_BY_BUCKET,
)


def _bucket_side(token: str, terraform: str) -> str:
    """A bucket's configuration resource: one per bucket, imported by the bucket's name."""
    return _type(token, terraform, replace={"bucket", "expectedBucketOwner"}, import_id=_BY_BUCKET)


BUCKET_ENCRYPTION = _bucket_side(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws_s3_bucket_server_side_encryption_configuration",
)
BUCKET_PUBLIC_ACCESS_BLOCK = _bucket_side(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"
)
BUCKET_OWNERSHIP = _bucket_side(
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws_s3_bucket_ownership_controls"
)
BUCKET_POLICY = _bucket_side("aws:s3/bucketPolicy:BucketPolicy", "aws_s3_bucket_policy")
BUCKET_VERSIONING = _bucket_side(
    "aws:s3/bucketVersioning:BucketVersioning", "aws_s3_bucket_versioning"
)
BUCKET_LIFECYCLE = _bucket_side(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws_s3_bucket_lifecycle_configuration",
)
BUCKET_LOGGING = _bucket_side("aws:s3/bucketLogging:BucketLogging", "aws_s3_bucket_logging")
BUCKET_ACL = _bucket_side("aws:s3/bucketAcl:BucketAcl", "aws_s3_bucket_acl")
BUCKET_CORS = _bucket_side(
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "aws_s3_bucket_cors_configuration"
)
BUCKET_NOTIFICATION = _bucket_side(
    "aws:s3/bucketNotification:BucketNotification", "aws_s3_bucket_notification"
)
BUCKET_REPLICATION = _type(
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws_s3_bucket_replication_configuration",
)
# The bucket's own configuration resources the programs create.
BUCKET_SIDE_RESOURCES = (
    BUCKET_VERSIONING,
    BUCKET_ENCRYPTION,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKET_OWNERSHIP,
    BUCKET_POLICY,
    BUCKET_LIFECYCLE,
    BUCKET_LOGGING,
)

# -- network --------------------------------------------------------------------------------
VPC = _type("aws:ec2/vpc:Vpc", "aws_vpc", replace={"cidrBlock", "instanceTenancy"})
SUBNET = _type(
    "aws:ec2/subnet:Subnet",
    "aws_subnet",
    replace={"vpcId", "availabilityZone", "availabilityZoneId", "cidrBlock", "outpostArn"}
    | {"ipv6Native"},
)
INTERNET_GATEWAY = _type("aws:ec2/internetGateway:InternetGateway", "aws_internet_gateway")
INTERNET_GATEWAY_ATTACHMENT = _type(
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    "aws_internet_gateway_attachment",
    replace={"internetGatewayId", "vpcId"},
)
ROUTE_TABLE = _type("aws:ec2/routeTable:RouteTable", "aws_route_table", replace={"vpcId"})
ROUTE_TABLE_ASSOCIATION = _type(
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws_route_table_association",
    replace={"subnetId", "gatewayId"},
)
ROUTE = _type("aws:ec2/route:Route", "aws_route", replace={"routeTableId", "destinationCidrBlock"})
DEFAULT_ROUTE_TABLE = _type(
    "aws:ec2/defaultRouteTable:DefaultRouteTable", "aws_default_route_table"
)
MAIN_ROUTE_TABLE_ASSOCIATION = _type(
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
    "aws_main_route_table_association",
)
NAT_GATEWAY = _type("aws:ec2/natGateway:NatGateway", "aws_nat_gateway")
EIP = _type("aws:ec2/eip:Eip", "aws_eip")
EIP_ASSOCIATION = _type("aws:ec2/eipAssociation:EipAssociation", "aws_eip_association")
VPC_ENDPOINT = _type(
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws_vpc_endpoint",
    replace={"vpcId", "serviceName", "vpcEndpointType"},
)
VPC_ENDPOINT_POLICY = _type(
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", "aws_vpc_endpoint_policy"
)
VPC_ENDPOINT_ROUTE_TABLE_ASSOCIATION = _type(
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
    "aws_vpc_endpoint_route_table_association",
)
VPC_ENDPOINT_SUBNET_ASSOCIATION = _type(
    "aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation",
    "aws_vpc_endpoint_subnet_association",
)
VPC_ENDPOINT_SECURITY_GROUP_ASSOCIATION = _type(
    "aws:ec2/securityGroupAssociation:SecurityGroupAssociation",
    "aws_vpc_endpoint_security_group_association",
)
FLOW_LOG = _type(
    "aws:ec2/flowLog:FlowLog",
    "aws_flow_log",
    # CreateFlowLogs has no update call: every setting is fixed at creation.
    replace={"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId"}
    | {"logDestination", "logDestinationType", "iamRoleArn", "deliverCrossAccountRole"}
    | {"logFormat", "maxAggregationInterval", "trafficType", "destinationOptions"},
)
NETWORK_ACL = _type("aws:ec2/networkAcl:NetworkAcl", "aws_network_acl")
NETWORK_ACL_RULE = _type("aws:ec2/networkAclRule:NetworkAclRule", "aws_network_acl_rule")
NETWORK_ACL_ASSOCIATION = _type(
    "aws:ec2/networkAclAssociation:NetworkAclAssociation", "aws_network_acl_association"
)
DEFAULT_NETWORK_ACL = _type(
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "aws_default_network_acl"
)
SECURITY_GROUP = _type(
    "aws:ec2/securityGroup:SecurityGroup",
    "aws_security_group",
    autoname=_NAME,
    replace={"vpcId", "description"},
)
DEFAULT_SECURITY_GROUP = _type(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws_default_security_group",
    replace={"vpcId"},
)
SECURITY_GROUP_RULE = _type(
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws_security_group_rule",
    replace={"securityGroupId", "type", "fromPort", "toPort", "protocol", "cidrBlocks"}
    | {"sourceSecurityGroupId", "self", "prefixListIds"},
)
SECURITY_GROUP_INGRESS_RULE = _type(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws_vpc_security_group_ingress_rule",
    replace={"securityGroupId"},
)
SECURITY_GROUP_EGRESS_RULE = _type(
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws_vpc_security_group_egress_rule",
    replace={"securityGroupId"},
)

# -- compute: instances, or a launch template and an Auto Scaling group ----------------------
INSTANCE = _type(
    "aws:ec2/instance:Instance",
    "aws_instance",
    replace={"ami", "availabilityZone", "subnetId", "keyName", "associatePublicIpAddress"}
    | {"launchTemplate", "placementGroup", "hostId", "ebsOptimized", "hibernation"},
    replace_when={
        "userData": "userDataReplaceOnChange",
        "userDataBase64": "userDataReplaceOnChange",
    },
)
LAUNCH_TEMPLATE = _type(
    "aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template", autoname=AutoName("name", 128)
)
AUTOSCALING_GROUP = _type("aws:autoscaling/group:Group", "aws_autoscaling_group", autoname=_NAME)
AUTOSCALING_ATTACHMENT = _type(
    "aws:autoscaling/attachment:Attachment", "aws_autoscaling_attachment"
)
AUTOSCALING_POLICY = _type("aws:autoscaling/policy:Policy", "aws_autoscaling_policy")
AUTOSCALING_LIFECYCLE_HOOK = _type(
    "aws:autoscaling/lifecycleHook:LifecycleHook", "aws_autoscaling_lifecycle_hook"
)

# -- identity -------------------------------------------------------------------------------
IAM_ROLE = _type(
    "aws:iam/role:Role", "aws_iam_role", autoname=AutoName("name", 64), import_id=_BY_NAME
)
IAM_ROLE_POLICY = _type(
    "aws:iam/rolePolicy:RolePolicy",
    "aws_iam_role_policy",
    autoname=AutoName("name", 128),
    replace={"role"},
    import_id=role_policy_id,
)
IAM_ROLE_POLICY_ATTACHMENT = _type(
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws_iam_role_policy_attachment",
    replace={"role", "policyArn"},
)
IAM_INSTANCE_PROFILE = _type(
    "aws:iam/instanceProfile:InstanceProfile",
    "aws_iam_instance_profile",
    autoname=AutoName("name", 128),
    import_id=_BY_NAME,
)
IAM_POLICY = _type(
    "aws:iam/policy:Policy",
    "aws_iam_policy",
    autoname=AutoName("name", 128),
    replace={"path", "description"},
)
IAM_SERVICE_LINKED_ROLE = _type(
    "aws:iam/serviceLinkedRole:ServiceLinkedRole", "aws_iam_service_linked_role"
)

# -- load balancing -------------------------------------------------------------------------
LOAD_BALANCER = _type(
    "aws:lb/loadBalancer:LoadBalancer",
    "aws_lb",
    autoname=AutoName("name", 32),
    replace={"internal", "loadBalancerType", "customerOwnedIpv4Pool"},
)
TARGET_GROUP = _type(
    "aws:lb/targetGroup:TargetGroup",
    "aws_lb_target_group",
    autoname=AutoName("name", 32),
    replace={"port", "protocol", "vpcId", "targetType", "protocolVersion", "ipAddressType"},
)
TARGET_GROUP_ATTACHMENT = _type(
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws_lb_target_group_attachment",
    replace={"targetGroupArn", "targetId", "port", "availabilityZone"},
)
LISTENER = _type("aws:lb/listener:Listener", "aws_lb_listener", replace={"loadBalancerArn"})
LISTENER_RULE = _type(
    "aws:lb/listenerRule:ListenerRule", "aws_lb_listener_rule", replace={"listenerArn"}
)
LISTENER_CERTIFICATE = _type(
    "aws:lb/listenerCertificate:ListenerCertificate", "aws_lb_listener_certificate"
)
ALB_LOAD_BALANCER = _alias("aws:alb/loadBalancer:LoadBalancer", "aws_alb", LOAD_BALANCER)
ALB_TARGET_GROUP = _alias("aws:alb/targetGroup:TargetGroup", "aws_alb_target_group", TARGET_GROUP)
ALB_TARGET_GROUP_ATTACHMENT = _alias(
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
    "aws_alb_target_group_attachment",
    TARGET_GROUP_ATTACHMENT,
)
ALB_LISTENER = _alias("aws:alb/listener:Listener", "aws_alb_listener", LISTENER)
ALB_LISTENER_RULE = _alias(
    "aws:alb/listenerRule:ListenerRule", "aws_alb_listener_rule", LISTENER_RULE
)
ACM_CERTIFICATE = _type(
    "aws:acm/certificate:Certificate",
    "aws_acm_certificate",
    replace={"domainName", "privateKey", "certificateBody", "keyAlgorithm"},
)
ACM_CERTIFICATE_VALIDATION = _type(
    "aws:acm/certificateValidation:CertificateValidation", "aws_acm_certificate_validation"
)
ROUTE53_RECORD = _type("aws:route53/record:Record", "aws_route53_record")

# -- logs, alarms, parameters, firewall -----------------------------------------------------
LOG_GROUP = _type(
    "aws:cloudwatch/logGroup:LogGroup",
    "aws_cloudwatch_log_group",
    autoname=AutoName("name", 512),
    replace={"logGroupClass"},
)
LOG_RESOURCE_POLICY = _type(
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws_cloudwatch_log_resource_policy"
)
METRIC_ALARM = _type("aws:cloudwatch/metricAlarm:MetricAlarm", "aws_cloudwatch_metric_alarm")
SNS_TOPIC = _type("aws:sns/topic:Topic", "aws_sns_topic")
SSM_PARAMETER = _type(
    "aws:ssm/parameter:Parameter", "aws_ssm_parameter", autoname=AutoName("name", 2048)
)
WEB_ACL = _type("aws:wafv2/webAcl:WebAcl", "aws_wafv2_web_acl")
WEB_ACL_ASSOCIATION = _type(
    "aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"
)
WEB_ACL_LOGGING = _type(
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws_wafv2_web_acl_logging_configuration",
)

# -- functions (invokes) the programs call ----------------------------------------------------
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_PARTITION = "aws:index/getPartition:getPartition"
GET_REGION = "aws:index/getRegion:getRegion"
GET_AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"
GET_SSM_PARAMETER = "aws:ssm/getParameter:getParameter"
GET_AMI = "aws:ec2/getAmi:getAmi"
GET_VPC = "aws:ec2/getVpc:getVpc"
GET_SUBNET = "aws:ec2/getSubnet:getSubnet"
GET_SUBNETS = "aws:ec2/getSubnets:getSubnets"
GET_POLICY_DOCUMENT = "aws:iam/getPolicyDocument:getPolicyDocument"
GET_ELB_SERVICE_ACCOUNT = "aws:elb/getServiceAccount:getServiceAccount"

STATEFUL_TYPES: Final = frozenset(token for token, row in TYPES.items() if row.stateful)


def import_id(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """The id to import a resource of `type_` by, from its inputs; None when AWS picks it."""
    row = TYPES.get(type_)
    return row.import_id(inputs) if row is not None and row.import_id is not None else None
