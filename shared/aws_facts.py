"""Facts about AWS itself that several parts need, written once.

The programs (the AL2023 image parameter, the S3 log delivery service), the offline plan's
placeholder values and the test-only stand-in provider (`tests/engine/standin_aws`) all answer
with the same partitions, DNS suffixes, zone names and hosted-zone ids. Pure data and small
functions: no Pulumi, no boto3, so the orchestrator, the programs and the stand-in can all
import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The public SSM parameter holding the latest Amazon Linux 2023 AMI (x86_64, default kernel).
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# The owner alias of Amazon's own images (Amazon Linux among them).
AMAZON_IMAGE_OWNER = "amazon"
# The service principal S3 server access logging writes log objects as.
S3_LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
# The service principal VPC flow logs assume a role as, to write into CloudWatch Logs.
VPC_FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
# The interface endpoints (com.amazonaws.<region>.<name>) an instance without a route to the
# internet needs for SSM: the agent talks to all three.
SSM_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages")
# The service-linked role Amazon EC2 Auto Scaling launches instances as (after `iam::<account>:`).
AUTOSCALING_SERVICE_ROLE_PATH = (
    "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)
# S3 default encryption algorithms. Server access logs (and ELB access logs) are delivered only
# into a bucket whose default encryption is SSE-S3: with SSE-KMS, S3 accepts the logging
# configuration and never delivers a log.
SSE_KMS = "aws:kms"
SSE_S3 = "AES256"

# Route 53 hosted zone ids AWS publishes per region, for alias records to S3 website endpoints
# and to Application Load Balancers.
S3_HOSTED_ZONE_IDS: Mapping[str, str] = MappingProxyType(
    {"us-east-1": "Z3AQBSTGFYJSTF", "us-west-2": "Z3BJ6K6RIION7M"}
)
ELB_HOSTED_ZONE_IDS: Mapping[str, str] = MappingProxyType(
    {"us-east-1": "Z35SXDOTRQ7X7K", "us-west-2": "Z1H1FL5HABSF5"}
)

# The account Elastic Load Balancing writes access logs as, per region (AWS: "Enable access logs
# for your Application Load Balancer", the regions available before August 2022). The real
# program asks the provider (`aws.elb.get_service_account`, which knows the same table); the
# offline plan and the stand-in answer from this one. Newer regions have no such account: their
# bucket policies name the service principal `logdelivery.elasticloadbalancing.amazonaws.com`.
ELB_LOG_ACCOUNTS: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "127311923021",
        "us-east-2": "033677994240",
        "us-west-1": "027434742980",
        "us-west-2": "797873946194",
        "af-south-1": "098369216593",
        "ap-east-1": "754344448648",
        "ap-south-1": "718504428378",
        "ap-northeast-1": "582318560864",
        "ap-northeast-2": "600734575887",
        "ap-northeast-3": "383597477331",
        "ap-southeast-1": "114774131450",
        "ap-southeast-2": "783225319266",
        "ap-southeast-3": "589379963580",
        "ca-central-1": "985666609251",
        "eu-central-1": "054676820928",
        "eu-west-1": "156460612806",
        "eu-west-2": "652711504416",
        "eu-west-3": "009996457667",
        "eu-south-1": "635631232127",
        "eu-north-1": "897822967062",
        "me-south-1": "076674570225",
        "sa-east-1": "507241528517",
        "us-gov-west-1": "048591011584",
        "us-gov-east-1": "190560391635",
        "cn-north-1": "638102146993",
        "cn-northwest-1": "037604701340",
    }
)

_PARTITION_PREFIXES = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))
# How availability zone ids abbreviate a region's words: us-west-2 -> usw2, ap-southeast-2 -> apse2.
_ZONE_ID_WORDS = MappingProxyType(
    {
        "northeast": "ne",
        "northwest": "nw",
        "southeast": "se",
        "southwest": "sw",
        "central": "c",
        "north": "n",
        "south": "s",
        "east": "e",
        "west": "w",
        "gov": "g",
    }
)
# The zones the doubles offer in every region: AWS regions have at least three.
_ZONE_LETTERS = "abcd"


def amazon_read_buckets(region: str) -> tuple[str, ...]:
    """Amazon's buckets a server without internet reads through an S3 gateway endpoint: the
    Amazon Linux 2023 package repositories, and the SSM agent's updates and packages."""
    return (
        f"al2023-repos-{region}-de612dc2",
        f"amazon-ssm-{region}",
        f"amazon-ssm-packages-{region}",
    )


def partition_of(region: str) -> str:
    """The partition a region belongs to: aws, aws-cn or aws-us-gov."""
    for prefix, partition in _PARTITION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def dns_suffix(partition: str) -> str:
    """The DNS suffix of a partition's service endpoints."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def zone_names(region: str) -> list[str]:
    """The availability zone names the doubles offer: us-west-2a, us-west-2b, ..."""
    return [f"{region}{letter}" for letter in _ZONE_LETTERS]


def zone_id(zone: str) -> str:
    """The zone id the doubles give a zone name, letters in order: us-west-2b -> usw2-az2.

    (In a real account the letter-to-id mapping is shuffled per account; the id's shape is not.)
    """
    return f"{zone_id_prefix(zone[:-1])}-az{ord(zone[-1]) - ord('a') + 1}"


def zone_id_prefix(region: str) -> str:
    """The region part of its zone ids: us-west-2 -> usw2, ap-southeast-2 -> apse2."""
    area, *words, number = region.split("-")
    return area + "".join(_ZONE_ID_WORDS.get(word, word[:1]) for word in words) + number
