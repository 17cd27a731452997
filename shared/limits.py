"""Limits and patterns, each written once: what AWS accepts, and what our security baseline allows.

The project config (`shared.project_config`), the components (`program.components`), the
security rules (`program.policy`), the settings and the names all import them from here, so a
limit can never be checked one way where it is configured and another way where it is enforced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# -- What AWS accepts -------------------------------------------------------------------------

# Days KMS waits between ScheduleKeyDeletion and deleting the key.
KEY_DELETION_WINDOW_MIN = 7
KEY_DELETION_WINDOW_MAX = 30
# KMS applies the longest window when a request gives none.
KEY_DELETION_WINDOW_DEFAULT = KEY_DELETION_WINDOW_MAX
# Region codes of the commercial, GovCloud and ISO partitions: us-west-2, us-gov-west-1, ...
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9]$")
# A customer-managed KMS key's ARN, in any partition (an alias ARN is not a key ARN).
KMS_KEY_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
# A KMS alias name (`alias/aws/...` is reserved for AWS-managed keys: callers refuse it).
KMS_ALIAS_PATTERN = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
# An ACM certificate's ARN; the region is the one a load balancer must share with it.
ACM_CERTIFICATE_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$"
)
# A DNS name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters.
DNS_NAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
)
# The name Amazon gives an Amazon Linux 2023 image: release, kernel, architecture.
AL2023_IMAGE_NAME_PATTERN = re.compile(
    r"^al2023-ami-(minimal-)?2023\.\d+\.\d{8}\.\d+-kernel-\d+\.\d+-(x86_64|arm64)$"
)

# The retention periods CloudWatch Logs accepts for a log group (days).
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)

# -- What the security baseline allows ---------------------------------------------------------

# Never opened, anywhere: administration goes through SSM Session Manager.
ADMIN_PORTS: Mapping[int, str] = MappingProxyType({22: "SSH", 3389: "RDP"})
# The only ports that may be open to the whole internet.
PUBLIC_WEB_PORTS = (80, 443)
# Production keys wait the longest AWS allows before deletion: a mistaken delete is recoverable.
PRODUCTION_KEY_DELETION_WINDOW = KEY_DELETION_WINDOW_MAX
# Production runs one instance per subnet (two zones) behind the load balancer, at least.
PRODUCTION_MIN_INSTANCES = 2
# A ceiling on the web tier, so a typo cannot launch a fleet.
MAX_INSTANCES = 20
# Production keeps its logs (VPC flow logs) a year at least: long enough to investigate an
# incident found late. Development may keep them shorter; every log group sets a retention.
PRODUCTION_LOG_RETENTION_MIN_DAYS = 365
# Lifecycle periods (noncurrent versions, uploads, access logs) are kept to at most ten years.
LIFECYCLE_DAYS_MAX = 3650
# The TLS policy HTTPS listeners use: TLS 1.3 and 1.2, every cipher with forward secrecy (TLS_*
# and ECDHE-*) and authenticated encryption (TLS 1.3's suites and AES-GCM), plus hybrid
# post-quantum key exchange for clients that offer it. AWS's cipher table ("Security policies
# for your Application Load Balancer", docs.aws.amazon.com/elasticloadbalancing/latest/
# application/describe-ssl-policies.html) shows ELBSecurityPolicy-TLS13-1-2-2021-06, used
# before, is forward secret too but keeps four CBC suites (ECDHE-*-AES*-SHA256/SHA384); the
# "Res" policies drop them, and this one is AWS's recommended and console default policy.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
# ELB security policies that allow nothing older than TLS 1.2 (the rules accept these).
CURRENT_TLS_POLICY_PREFIXES = (
    "ELBSecurityPolicy-TLS13-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)
