"""Pulumi type tokens as Terraform resource types, and Pulumi's property names as Terraform's.

pulumi-aws is generated from the Terraform AWS provider, so every `aws:` resource is a
Terraform resource under another name. The name is not derivable: `aws:ec2/instance:Instance`
is `aws_instance` and `aws:lb/loadBalancer:LoadBalancer` is `aws_lb`, so the table says it
once per type. It covers every type the programs use (a test evaluates both environments and
reads `program/components` to keep it so) and the types the web tier's launch template and
Auto Scaling group, HTTPS, VPC endpoints, flow logs, a WAF and an SQS queue bring, so those
changes need no edit here. A type the table lacks is refused with a message saying where to add
it: a scan that silently skipped a resource would pass for the wrong reason.

Property names are Terraform's in snake_case, except where the bridge renamed a repeatable
block to a plural (`rule` -> `rules`, `default_action` -> `defaultActions`):
`RENAMED_ATTRIBUTES` turns those back, because Checkov's checks read Terraform's names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from shared import aws_types as t


class UnmappedType(Exception):
    """A resource type the translation does not know; the message says where to add it."""


TERRAFORM_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        # security: the customer key
        t.KMS_KEY: "aws_kms_key",
        t.KMS_ALIAS: "aws_kms_alias",
        "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
        "aws:kms/grant:Grant": "aws_kms_grant",
        # storage: buckets and their side resources
        t.BUCKET: "aws_s3_bucket",
        t.BUCKET_ENCRYPTION: "aws_s3_bucket_server_side_encryption_configuration",
        t.BUCKET_PUBLIC_ACCESS_BLOCK: "aws_s3_bucket_public_access_block",
        t.BUCKET_OWNERSHIP: "aws_s3_bucket_ownership_controls",
        t.BUCKET_POLICY: "aws_s3_bucket_policy",
        t.BUCKET_VERSIONING: "aws_s3_bucket_versioning",
        t.BUCKET_LIFECYCLE: "aws_s3_bucket_lifecycle_configuration",
        t.BUCKET_LOGGING: "aws_s3_bucket_logging",
        "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
            "aws_s3_bucket_replication_configuration"
        ),
        # network
        t.VPC: "aws_vpc",
        t.SUBNET: "aws_subnet",
        t.INTERNET_GATEWAY: "aws_internet_gateway",
        "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": (
            "aws_internet_gateway_attachment"
        ),
        t.ROUTE_TABLE: "aws_route_table",
        t.ROUTE_TABLE_ASSOCIATION: "aws_route_table_association",
        t.ROUTE: "aws_route",
        "aws:ec2/defaultRouteTable:DefaultRouteTable": "aws_default_route_table",
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": (
            "aws_main_route_table_association"
        ),
        "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
        "aws:ec2/eip:Eip": "aws_eip",
        "aws:ec2/eipAssociation:EipAssociation": "aws_eip_association",
        "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
        "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": "aws_vpc_endpoint_policy",
        "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation": (
            "aws_vpc_endpoint_route_table_association"
        ),
        "aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation": (
            "aws_vpc_endpoint_subnet_association"
        ),
        "aws:ec2/flowLog:FlowLog": "aws_flow_log",
        "aws:ec2/networkAcl:NetworkAcl": "aws_network_acl",
        "aws:ec2/networkAclRule:NetworkAclRule": "aws_network_acl_rule",
        "aws:ec2/networkAclAssociation:NetworkAclAssociation": "aws_network_acl_association",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "aws_default_network_acl",
        t.SECURITY_GROUP: "aws_security_group",
        t.DEFAULT_SECURITY_GROUP: "aws_default_security_group",
        t.SECURITY_GROUP_RULE: "aws_security_group_rule",
        t.SECURITY_GROUP_INGRESS_RULE: "aws_vpc_security_group_ingress_rule",
        t.SECURITY_GROUP_EGRESS_RULE: "aws_vpc_security_group_egress_rule",
        # compute: instances, or a launch template and an Auto Scaling group
        t.INSTANCE: "aws_instance",
        t.LAUNCH_TEMPLATE: "aws_launch_template",
        "aws:autoscaling/group:Group": "aws_autoscaling_group",
        "aws:autoscaling/attachment:Attachment": "aws_autoscaling_attachment",
        "aws:autoscaling/policy:Policy": "aws_autoscaling_policy",
        "aws:autoscaling/lifecycleHook:LifecycleHook": "aws_autoscaling_lifecycle_hook",
        # identity
        t.IAM_ROLE: "aws_iam_role",
        t.IAM_ROLE_POLICY: "aws_iam_role_policy",
        t.IAM_ROLE_POLICY_ATTACHMENT: "aws_iam_role_policy_attachment",
        t.IAM_INSTANCE_PROFILE: "aws_iam_instance_profile",
        t.IAM_POLICY: "aws_iam_policy",
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": "aws_iam_service_linked_role",
        # load balancing (`aws:alb/...` are the provider's aliases of `aws:lb/...`)
        t.LOAD_BALANCER: "aws_lb",
        t.TARGET_GROUP: "aws_lb_target_group",
        t.TARGET_GROUP_ATTACHMENT: "aws_lb_target_group_attachment",
        t.LISTENER: "aws_lb_listener",
        "aws:lb/listenerRule:ListenerRule": "aws_lb_listener_rule",
        "aws:lb/listenerCertificate:ListenerCertificate": "aws_lb_listener_certificate",
        "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
        "aws:alb/targetGroup:TargetGroup": "aws_alb_target_group",
        "aws:alb/targetGroupAttachment:TargetGroupAttachment": "aws_alb_target_group_attachment",
        "aws:alb/listener:Listener": "aws_alb_listener",
        "aws:alb/listenerRule:ListenerRule": "aws_alb_listener_rule",
        "aws:acm/certificate:Certificate": "aws_acm_certificate",
        "aws:acm/certificateValidation:CertificateValidation": "aws_acm_certificate_validation",
        "aws:route53/record:Record": "aws_route53_record",
        # logs, alarms, firewall
        "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
        "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
        "aws:sns/topic:Topic": "aws_sns_topic",
        "aws:sqs/queue:Queue": "aws_sqs_queue",
        "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
        "aws:wafv2/webAcl:WebAcl": "aws_wafv2_web_acl",
        "aws:wafv2/webAclAssociation:WebAclAssociation": "aws_wafv2_web_acl_association",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
            "aws_wafv2_web_acl_logging_configuration"
        ),
    }
)

# Where pulumi-aws's name is not Terraform's in snake_case: the bridge pluralises repeatable
# blocks (and a few lists). Per Terraform type, Pulumi's camelCase name -> Terraform's name, at
# any depth of the resource's properties.
_LB_LISTENER = {"defaultActions": "default_action", "targetGroups": "target_group"}
_LB_LISTENER_RULE = {"actions": "action", "conditions": "condition", "targetGroups": "target_group"}
_LIFECYCLE = {
    "rules": "rule",
    "transitions": "transition",
    "noncurrentVersionTransitions": "noncurrent_version_transition",
}
RENAMED_ATTRIBUTES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
        "aws_s3_bucket_lifecycle_configuration": _LIFECYCLE,
        "aws_s3_bucket_logging": {"targetGrants": "target_grant"},
        "aws_s3_bucket_replication_configuration": {"rules": "rule"},
        "aws_s3_bucket_notification": {
            "lambdaFunctions": "lambda_function",
            "queues": "queue",
            "topics": "topic",
        },
        "aws_route_table": {"routes": "route"},
        "aws_default_route_table": {"routes": "route"},
        "aws_instance": {
            "ebsBlockDevices": "ebs_block_device",
            "ephemeralBlockDevices": "ephemeral_block_device",
            "networkInterfaces": "network_interface",
        },
        "aws_autoscaling_group": {
            "tags": "tag",
            "vpcZoneIdentifiers": "vpc_zone_identifier",
            "initialLifecycleHooks": "initial_lifecycle_hook",
            "trafficSources": "traffic_source",
        },
        "aws_lb": {"subnetMappings": "subnet_mapping"},
        "aws_alb": {"subnetMappings": "subnet_mapping"},
        "aws_lb_listener": _LB_LISTENER,
        "aws_alb_listener": _LB_LISTENER,
        "aws_lb_listener_rule": _LB_LISTENER_RULE,
        "aws_alb_listener_rule": _LB_LISTENER_RULE,
        "aws_iam_role": {"inlinePolicies": "inline_policy"},
        "aws_acm_certificate": {"validationOptions": "validation_option"},
        "aws_vpc_endpoint": {"subnetConfigurations": "subnet_configuration"},
        "aws_wafv2_web_acl": {"rules": "rule", "customResponseBodies": "custom_response_body"},
    }
)

# Properties that are Terraform maps (string -> string), not nested blocks: they stay objects.
# Every other object-valued property is a block, which Terraform writes as a list of objects.
MAP_ATTRIBUTES: Final = frozenset({"tags", "tagsAll", "volumeTags"})

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def terraform_type(token: str) -> str:
    """The Terraform resource type of a pulumi-aws type token; UnmappedType if unknown."""
    try:
        return TERRAFORM_TYPES[token]
    except KeyError:
        raise UnmappedType(
            f"the scan does not know the Pulumi type {token!r}: add it with its Terraform "
            f"resource type (the provider's documentation names it) to TERRAFORM_TYPES in "
            f"orchestration/scan/terraform_types.py"
        ) from None


def snake_case(name: str) -> str:
    """`kmsMasterKeyId` -> `kms_master_key_id`, `enableHttp2` -> `enable_http2`."""
    return _WORD_START.sub("_", name).lower()


def attribute_name(terraform_resource: str, pulumi_name: str) -> str:
    """Terraform's name of a property (at any depth) of a resource of that Terraform type."""
    renamed = RENAMED_ATTRIBUTES.get(terraform_resource, {}).get(pulumi_name)
    return renamed or snake_case(pulumi_name)
