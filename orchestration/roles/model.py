"""The shapes of the action table (`actions.py`) and the sources its rows cite."""

from __future__ import annotations

from dataclasses import dataclass

PIKE = (
    "https://github.com/JamesWoolfenden/pike/blob/085701b0937c02379ffa7fb990d9218fc803ecbf/"
    "src/mapping/aws/"
)
SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
# AWS: "Requirements for Amazon EBS encryption" (the principal launching an encrypted volume).
EBS_KMS = "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html"
# AWS: "Encrypt log data in CloudWatch Logs using AWS KMS" (Logs calls KMS as the caller).
LOGS_KMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
# AWS: "Launch template support" for Auto Scaling groups (RunInstances and PassRole checks).
ASG_TEMPLATE = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html"


@dataclass(frozen=True)
class KeyUse:
    """A customer key the service uses with the deployer's permissions (`kms:ViaService`)."""

    service: str  # the endpoint prefix: s3, ec2, logs
    actions: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TypeActions:
    """The IAM actions of one pulumi-aws type, per lifecycle, and where they come from."""

    read: tuple[str, ...]
    write: tuple[str, ...]
    delete: tuple[str, ...]
    tag: tuple[str, ...]
    source: str
    # The Service Authorization Reference's resource types an instance of this type is
    # (`service:type`), the first its own ARN; the others it creates with it (a volume, a
    # network interface of an instance). Creates of these are conditioned on the request's
    # tags, later actions on the resource's.
    creates: tuple[str, ...] = ()
    # Resource types (`service:type`) it names, and the input holding the name or ARN: these
    # are allowed by their ARNs from the plan, not by tags (a bucket, a role, a log group ...).
    names: tuple[tuple[str, str], ...] = ()
    key_use: KeyUse | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        return (*self.read, *self.write, *self.delete, *self.tag)
