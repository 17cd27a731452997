"""Table rows: instances, fleet, load balancer and IAM (see `actions.py`)."""

from __future__ import annotations

from orchestration.roles.model import ASG_TEMPLATE, EBS_KMS, PIKE, KeyUse, TypeActions
from orchestration.roles.rows_network import EC2_TAGS
from shared import aws_types as t

_EBS = KeyUse(
    "ec2",
    (
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ),
    EBS_KMS,
)
_ELB_TAGS = ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")


COMPUTE: dict[str, TypeActions] = {
    t.INSTANCE: TypeActions(
        read=(
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeVolumes",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstanceCreditSpecifications",
            "ec2:DescribeIamInstanceProfileAssociations",
            "ec2:DescribeTags",
        ),
        write=(
            "ec2:RunInstances",
            "ec2:StartInstances",
            "ec2:StopInstances",
            "ec2:ModifyInstanceAttribute",
            "ec2:ModifyInstanceMetadataOptions",
            "ec2:MonitorInstances",
            "ec2:UnmonitorInstances",
            "ec2:AssociateIamInstanceProfile",
            "ec2:ReplaceIamInstanceProfileAssociation",
        ),
        delete=("ec2:TerminateInstances",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_instance.json",
        creates=("ec2:instance", "ec2:volume", "ec2:network-interface"),
        key_use=_EBS,
    ),
    t.LAUNCH_TEMPLATE: TypeActions(
        read=("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"),
        write=(
            "ec2:CreateLaunchTemplate",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
        ),
        delete=("ec2:DeleteLaunchTemplate",),
        tag=EC2_TAGS,
        source=PIKE + "resource/ec2/aws_launch_template.json",
        creates=("ec2:launch-template",),
    ),
    t.AUTOSCALING_GROUP: TypeActions(
        read=(
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeInstanceRefreshes",
            "autoscaling:DescribeLoadBalancerTargetGroups",
            "autoscaling:DescribeTrafficSources",
        ),
        # A group launching from a template needs ec2:RunInstances (ASG_TEMPLATE); its instance
        # refresh rolls the fleet when the template changes.
        write=(
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:AttachLoadBalancerTargetGroups",
            "autoscaling:DetachLoadBalancerTargetGroups",
            "autoscaling:StartInstanceRefresh",
            "autoscaling:CancelInstanceRefresh",
            "autoscaling:SetInstanceProtection",
            "ec2:RunInstances",
        ),
        delete=("autoscaling:DeleteAutoScalingGroup",),
        tag=("autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"),
        source=PIKE + "resource/autoscaling/aws_autoscaling_group.json; " + ASG_TEMPLATE,
        # The instances it launches are the group's: RunInstances creates them, volumes and
        # interfaces, and AWS tags them from the group later.
        creates=(
            "autoscaling:autoScalingGroup",
            "ec2:instance",
            "ec2:volume",
            "ec2:network-interface",
        ),
    ),
    t.LOAD_BALANCER: TypeActions(
        read=(
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        write=(
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetIpAddressType",
        ),
        delete=("elasticloadbalancing:DeleteLoadBalancer",),
        tag=_ELB_TAGS,
        source=PIKE + "resource/elasticloadbalancing/aws_lb.json",
        creates=("elasticloadbalancing:loadbalancer/app/",),
    ),
    t.TARGET_GROUP: TypeActions(
        read=(
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth",
        ),
        write=(
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
        ),
        delete=("elasticloadbalancing:DeleteTargetGroup",),
        tag=_ELB_TAGS,
        source=PIKE + "resource/elasticloadbalancing/aws_lb_target_group.json",
        creates=("elasticloadbalancing:targetgroup",),
    ),
    t.LISTENER: TypeActions(
        read=(
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeListenerCertificates",
        ),
        write=(
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates",
        ),
        delete=("elasticloadbalancing:DeleteListener",),
        tag=_ELB_TAGS,
        source=PIKE + "resource/elasticloadbalancing/aws_lb_listener.json",
        creates=("elasticloadbalancing:listener/app",),
    ),
}

IAM: dict[str, TypeActions] = {
    t.IAM_ROLE: TypeActions(
        # Pike files the reads under "modify"; the provider reads them on every refresh.
        read=(
            "iam:GetRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRoleTags",
        ),
        write=(
            "iam:CreateRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRoleDescription",
        ),
        delete=("iam:DeleteRole",),
        tag=("iam:TagRole", "iam:UntagRole"),
        source=PIKE + "resource/iam/aws_iam_role.json",
        creates=("iam:role",),
        names=(("iam:role", "name"),),
    ),
    t.IAM_ROLE_POLICY: TypeActions(
        read=("iam:GetRolePolicy",),
        write=("iam:PutRolePolicy",),
        delete=("iam:DeleteRolePolicy",),
        tag=(),
        source=PIKE + "resource/iam/aws_iam_role_policy.json",
        creates=("iam:role",),
        names=(("iam:role", "role"),),
    ),
    t.IAM_ROLE_POLICY_ATTACHMENT: TypeActions(
        read=("iam:ListAttachedRolePolicies",),
        write=("iam:AttachRolePolicy",),
        delete=("iam:DetachRolePolicy",),
        tag=(),
        source=PIKE + "resource/iam/aws_iam_role_policy_attachment.json",
        creates=("iam:role",),
        # The managed policy it attaches is AWS's: allowed by its ARN, from the plan.
        names=(("iam:role", "role"), ("iam:policy", "policyArn")),
    ),
    t.IAM_INSTANCE_PROFILE: TypeActions(
        read=("iam:GetInstanceProfile",),
        write=(
            "iam:CreateInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
        ),
        delete=("iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile"),
        tag=("iam:TagInstanceProfile", "iam:UntagInstanceProfile"),
        source=PIKE + "resource/iam/aws_iam_instance_profile.json",
        creates=("iam:instance-profile",),
        names=(("iam:instance-profile", "name"), ("iam:role", "role")),
    ),
}
