"""KMS rules: the customer key rotates, and cannot be deleted on short notice."""

from __future__ import annotations

from collections.abc import Iterator

from program.policy import aws_types as t
from program.policy.model import Enforcement, Resource, Rule, StackView, is_unknown
from program.policy.values import as_bool, as_int
from shared.limits import (
    KEY_DELETION_WINDOW_DEFAULT,
    KEY_DELETION_WINDOW_MAX,
    KEY_DELETION_WINDOW_MIN,
    PRODUCTION_KEY_DELETION_WINDOW,
)


def _rotation_problems(key: Resource, _: StackView) -> Iterator[str]:
    rotation = key.get("enableKeyRotation")
    if not is_unknown(rotation) and as_bool(rotation) is not True:
        yield "automatic key rotation is off"


def _deletion_window_problems(key: Resource, view: StackView) -> Iterator[str]:
    raw = key.get("deletionWindowInDays")
    if is_unknown(raw):
        return
    days = KEY_DELETION_WINDOW_DEFAULT if raw is None else as_int(raw)
    if days is None or not KEY_DELETION_WINDOW_MIN <= days <= KEY_DELETION_WINDOW_MAX:
        window = f"{KEY_DELETION_WINDOW_MIN}..{KEY_DELETION_WINDOW_MAX}"
        yield f"deletion window {raw!r} is outside {window} days"
    elif view.settings.production and days != PRODUCTION_KEY_DELETION_WINDOW:
        yield (
            f"deletion window is {days} days; production keys need {PRODUCTION_KEY_DELETION_WINDOW}"
        )


RULES = (
    Rule(
        id="kms-key-rotation",
        description="Customer-managed KMS keys rotate automatically.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.KMS_KEY,),
        check=_rotation_problems,
        fix="set enable_key_rotation=True on the key",
        references=("CKV_AWS_7", "AVD-AWS-0065", "AWSGuard cmk-backing-key-rotation-enabled"),
    ),
    Rule(
        id="kms-key-deletion-window",
        description="KMS keys wait 7..30 days before deletion (30 in production).",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.KMS_KEY,),
        check=_deletion_window_problems,
        fix="set deletion_window_in_days between 7 and 30, and to 30 in production",
    ),
)
