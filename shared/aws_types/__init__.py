"""The AWS resource types the project knows: one row per Pulumi type token, with its facts.

The one home of the pulumi-aws v7 tokens the rules, the offline plan, the scan, the guards, the
live checks and the tests' stand-in look for. Each row (an `AwsType`, all in `TYPES`) says:

- its Terraform resource type: the scan hands Checkov Terraform's names, which the token does
  not give (`aws:ec2/instance:Instance` is `aws_instance`, `aws:lb/loadBalancer:...` `aws_lb`);
- whether it holds data or keys (`stateful`): a deploy that would delete or replace one is
  refused unless the user says so (`--allow-delete`), and production protects it; a type
  without a row counts as holding data (`holds_data`) until its row says otherwise;
- the input the provider names when the program does not (`autoname`), as the offline plan's
  placeholders and the stand-in provider both do;
- the inputs whose change replaces the resource (`replace_on_change`, `replace_when`);
- its import id (`import_id`): the id `pulumi import` takes for a resource whose id AWS does not
  choose (a bucket is its name, a role its name ...), from the inputs of a create an interrupted
  update left pending; other ids (a key's UUID, an instance's `i-...`) exist once AWS answered.

Whether a type takes tags (`tag_support`) is read from pulumi-aws itself. The outputs AWS
computes are values: the offline plan's placeholders and the stand-in each make their own.
"""

from __future__ import annotations

from typing import Final

from shared.aws_types.model import ALWAYS_REPLACE as ALWAYS_REPLACE
from shared.aws_types.model import TYPES as TYPES
from shared.aws_types.model import AutoName as AutoName
from shared.aws_types.model import AwsType as AwsType
from shared.aws_types.model import by_input, define, define_alias, role_policy_id
from shared.aws_types.model import holds_data as holds_data
from shared.aws_types.model import import_id as import_id
from shared.aws_types.model import is_aws_resource as is_aws_resource
from shared.aws_types.model import tag_support as tag_support
from shared.aws_types.model import with_aliases as with_aliases

# The engine's own types.
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
PROVIDER_PREFIX = "pulumi:providers:"
AWS_PROVIDER = f"{PROVIDER_PREFIX}aws"

# Import ids are pulumi-aws's documented ones.
_BY_BUCKET = by_input("bucket")
_BY_NAME = by_input("name")

# -- security: the customer key ------------------------------------------------------------
# Deleting a key makes everything it encrypted unreadable.
KMS_KEY = define(
    "aws:kms/key:Key",
    "aws_kms_key",
    stateful=True,
    replace={"keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion"},
)
KMS_ALIAS = define(
    "aws:kms/alias:Alias", "aws_kms_alias", autoname=AutoName("name", 64), import_id=_BY_NAME
)
KMS_KEY_POLICY = define("aws:kms/keyPolicy:KeyPolicy", "aws_kms_key_policy", replace={"keyId"})
KMS_GRANT = define(
    "aws:kms/grant:Grant",
    "aws_kms_grant",
    replace={"keyId", "granteePrincipal", "operations", "constraints", "name"}
    | {"retiringPrincipal", "grantCreationTokens"},
)

# -- storage: buckets and their side resources ----------------------------------------------
# Deleting a bucket loses its objects.
BUCKET = define(
    "aws:s3/bucket:Bucket",
    "aws_s3_bucket",
    stateful=True,
    autoname=AutoName("bucket", 63, lower=True),
    replace={"objectLockEnabled"},
    import_id=_BY_BUCKET,
)


def _bucket_side(token: str, terraform: str, *, by_bucket: bool = True) -> str:
    """A bucket's configuration resource: one per bucket, imported by the bucket's name."""
    import_by = _BY_BUCKET if by_bucket else None
    return define(token, terraform, replace={"bucket", "expectedBucketOwner"}, import_id=import_by)


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
# Side resources the programs do not create: no import id claimed (an ACL's may add the ACL).
BUCKET_ACL = _bucket_side("aws:s3/bucketAcl:BucketAcl", "aws_s3_bucket_acl", by_bucket=False)
BUCKET_CORS = _bucket_side(
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    "aws_s3_bucket_cors_configuration",
    by_bucket=False,
)
BUCKET_NOTIFICATION = _bucket_side(
    "aws:s3/bucketNotification:BucketNotification", "aws_s3_bucket_notification", by_bucket=False
)
BUCKET_REPLICATION = define(
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
VPC = define("aws:ec2/vpc:Vpc", "aws_vpc", replace={"cidrBlock", "instanceTenancy"})
SUBNET = define(
    "aws:ec2/subnet:Subnet",
    "aws_subnet",
    replace={"vpcId", "availabilityZone", "availabilityZoneId", "cidrBlock", "outpostArn"}
    | {"ipv6Native"},
)
INTERNET_GATEWAY = define("aws:ec2/internetGateway:InternetGateway", "aws_internet_gateway")
INTERNET_GATEWAY_ATTACHMENT = define(
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    "aws_internet_gateway_attachment",
    replace={"internetGatewayId", "vpcId"},
)
ROUTE_TABLE = define("aws:ec2/routeTable:RouteTable", "aws_route_table", replace={"vpcId"})
ROUTE_TABLE_ASSOCIATION = define(
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws_route_table_association",
    replace={"subnetId", "gatewayId"},
)
ROUTE = define("aws:ec2/route:Route", "aws_route", replace={"routeTableId", "destinationCidrBlock"})
DEFAULT_ROUTE_TABLE = define(
    "aws:ec2/defaultRouteTable:DefaultRouteTable", "aws_default_route_table"
)
MAIN_ROUTE_TABLE_ASSOCIATION = define(
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
    "aws_main_route_table_association",
)
NAT_GATEWAY = define("aws:ec2/natGateway:NatGateway", "aws_nat_gateway")
EIP = define("aws:ec2/eip:Eip", "aws_eip")
EIP_ASSOCIATION = define("aws:ec2/eipAssociation:EipAssociation", "aws_eip_association")
VPC_ENDPOINT = define(
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws_vpc_endpoint",
    replace={"vpcId", "serviceName", "vpcEndpointType"},
)
VPC_ENDPOINT_POLICY = define(
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", "aws_vpc_endpoint_policy"
)
VPC_ENDPOINT_ROUTE_TABLE_ASSOCIATION = define(
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
    "aws_vpc_endpoint_route_table_association",
)
VPC_ENDPOINT_SUBNET_ASSOCIATION = define(
    "aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation",
    "aws_vpc_endpoint_subnet_association",
)
VPC_ENDPOINT_SECURITY_GROUP_ASSOCIATION = define(
    "aws:ec2/securityGroupAssociation:SecurityGroupAssociation",
    "aws_vpc_endpoint_security_group_association",
)
FLOW_LOG = define(
    "aws:ec2/flowLog:FlowLog",
    "aws_flow_log",
    # CreateFlowLogs has no update call: every setting is fixed at creation.
    replace={"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId"}
    | {"logDestination", "logDestinationType", "iamRoleArn", "deliverCrossAccountRole"}
    | {"logFormat", "maxAggregationInterval", "trafficType", "destinationOptions"},
)
NETWORK_ACL = define("aws:ec2/networkAcl:NetworkAcl", "aws_network_acl")
NETWORK_ACL_RULE = define("aws:ec2/networkAclRule:NetworkAclRule", "aws_network_acl_rule")
NETWORK_ACL_ASSOCIATION = define(
    "aws:ec2/networkAclAssociation:NetworkAclAssociation", "aws_network_acl_association"
)
DEFAULT_NETWORK_ACL = define(
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "aws_default_network_acl"
)
SECURITY_GROUP = define(
    "aws:ec2/securityGroup:SecurityGroup",
    "aws_security_group",
    autoname=AutoName("name"),
    replace={"vpcId", "description"},
)
DEFAULT_SECURITY_GROUP = define(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws_default_security_group",
    replace={"vpcId"},
)
SECURITY_GROUP_RULE = define(
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws_security_group_rule",
    replace={"securityGroupId", "type", "fromPort", "toPort", "protocol", "cidrBlocks"}
    | {"sourceSecurityGroupId", "self", "prefixListIds"},
)
SECURITY_GROUP_INGRESS_RULE = define(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws_vpc_security_group_ingress_rule",
    replace={"securityGroupId"},
)
SECURITY_GROUP_EGRESS_RULE = define(
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws_vpc_security_group_egress_rule",
    replace={"securityGroupId"},
)

# -- compute: instances, or a launch template and an Auto Scaling group ----------------------
INSTANCE = define(
    "aws:ec2/instance:Instance",
    "aws_instance",
    replace={"ami", "availabilityZone", "subnetId", "keyName", "associatePublicIpAddress"}
    | {"launchTemplate", "placementGroup", "hostId", "ebsOptimized", "hibernation"},
    replace_when={
        "userData": "userDataReplaceOnChange",
        "userDataBase64": "userDataReplaceOnChange",
    },
)
LAUNCH_TEMPLATE = define(
    "aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template", autoname=AutoName("name", 128)
)
AUTOSCALING_GROUP = define(
    "aws:autoscaling/group:Group", "aws_autoscaling_group", autoname=AutoName("name")
)
AUTOSCALING_ATTACHMENT = define(
    "aws:autoscaling/attachment:Attachment", "aws_autoscaling_attachment"
)
AUTOSCALING_POLICY = define("aws:autoscaling/policy:Policy", "aws_autoscaling_policy")
AUTOSCALING_LIFECYCLE_HOOK = define(
    "aws:autoscaling/lifecycleHook:LifecycleHook", "aws_autoscaling_lifecycle_hook"
)

# -- identity -------------------------------------------------------------------------------
IAM_ROLE = define(
    "aws:iam/role:Role", "aws_iam_role", autoname=AutoName("name", 64), import_id=_BY_NAME
)
IAM_ROLE_POLICY = define(
    "aws:iam/rolePolicy:RolePolicy",
    "aws_iam_role_policy",
    autoname=AutoName("name", 128),
    replace={"role"},
    import_id=role_policy_id,
)
IAM_ROLE_POLICY_ATTACHMENT = define(
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws_iam_role_policy_attachment",
    replace={"role", "policyArn"},
)
IAM_INSTANCE_PROFILE = define(
    "aws:iam/instanceProfile:InstanceProfile",
    "aws_iam_instance_profile",
    autoname=AutoName("name", 128),
    import_id=_BY_NAME,
)
IAM_POLICY = define(
    "aws:iam/policy:Policy",
    "aws_iam_policy",
    autoname=AutoName("name", 128),
    replace={"path", "description"},
)
IAM_SERVICE_LINKED_ROLE = define(
    "aws:iam/serviceLinkedRole:ServiceLinkedRole", "aws_iam_service_linked_role"
)

# -- load balancing -------------------------------------------------------------------------
LOAD_BALANCER = define(
    "aws:lb/loadBalancer:LoadBalancer",
    "aws_lb",
    autoname=AutoName("name", 32),
    replace={"internal", "loadBalancerType", "customerOwnedIpv4Pool"},
)
TARGET_GROUP = define(
    "aws:lb/targetGroup:TargetGroup",
    "aws_lb_target_group",
    autoname=AutoName("name", 32),
    replace={"port", "protocol", "vpcId", "targetType", "protocolVersion", "ipAddressType"},
)
TARGET_GROUP_ATTACHMENT = define(
    "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    "aws_lb_target_group_attachment",
    replace={"targetGroupArn", "targetId", "port", "availabilityZone"},
)
LISTENER = define("aws:lb/listener:Listener", "aws_lb_listener", replace={"loadBalancerArn"})
LISTENER_RULE = define(
    "aws:lb/listenerRule:ListenerRule", "aws_lb_listener_rule", replace={"listenerArn"}
)
LISTENER_CERTIFICATE = define(
    "aws:lb/listenerCertificate:ListenerCertificate", "aws_lb_listener_certificate"
)
ALB_LOAD_BALANCER = define_alias("aws:alb/loadBalancer:LoadBalancer", "aws_alb", LOAD_BALANCER)
ALB_TARGET_GROUP = define_alias(
    "aws:alb/targetGroup:TargetGroup", "aws_alb_target_group", TARGET_GROUP
)
ALB_TARGET_GROUP_ATTACHMENT = define_alias(
    "aws:alb/targetGroupAttachment:TargetGroupAttachment",
    "aws_alb_target_group_attachment",
    TARGET_GROUP_ATTACHMENT,
)
ALB_LISTENER = define_alias("aws:alb/listener:Listener", "aws_alb_listener", LISTENER)
ALB_LISTENER_RULE = define_alias(
    "aws:alb/listenerRule:ListenerRule", "aws_alb_listener_rule", LISTENER_RULE
)
ACM_CERTIFICATE = define(
    "aws:acm/certificate:Certificate",
    "aws_acm_certificate",
    replace={"domainName", "privateKey", "certificateBody", "keyAlgorithm"},
)
ACM_CERTIFICATE_VALIDATION = define(
    "aws:acm/certificateValidation:CertificateValidation", "aws_acm_certificate_validation"
)
ROUTE53_RECORD = define("aws:route53/record:Record", "aws_route53_record")

# -- logs, alarms, parameters, firewall -----------------------------------------------------
LOG_GROUP = define(
    "aws:cloudwatch/logGroup:LogGroup",
    "aws_cloudwatch_log_group",
    autoname=AutoName("name", 512),
    replace={"logGroupClass"},
)
LOG_RESOURCE_POLICY = define(
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws_cloudwatch_log_resource_policy"
)
METRIC_ALARM = define("aws:cloudwatch/metricAlarm:MetricAlarm", "aws_cloudwatch_metric_alarm")
SNS_TOPIC = define("aws:sns/topic:Topic", "aws_sns_topic")
# A queue holds the messages not yet received.
SQS_QUEUE = define(
    "aws:sqs/queue:Queue",
    "aws_sqs_queue",
    stateful=True,
    autoname=AutoName("name", 80),
    replace={"fifoQueue"},
)
SSM_PARAMETER = define(
    "aws:ssm/parameter:Parameter", "aws_ssm_parameter", autoname=AutoName("name", 2048)
)
WEB_ACL = define("aws:wafv2/webAcl:WebAcl", "aws_wafv2_web_acl")
WEB_ACL_ASSOCIATION = define(
    "aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"
)
WEB_ACL_LOGGING = define(
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
