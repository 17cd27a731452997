"""The security project's knobs: how long KMS waits before it deletes the key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.config_reading import (
    ConfigGetter,
    build_config,
    check_range,
    config_error,
    config_reader,
)
from shared.limits import (
    KEY_DELETION_WINDOW_MAX,
    KEY_DELETION_WINDOW_MIN,
    PRODUCTION_KEY_DELETION_WINDOW,
)
from shared.settings import EnvironmentSettings
from shared.topology import SECURITY


@dataclass(frozen=True)
class SecurityConfig:
    """Knobs of the security (KMS) project."""

    # Days KMS waits between ScheduleKeyDeletion and the deletion (AWS allows 7..30).
    key_deletion_window_days: int = PRODUCTION_KEY_DELETION_WINDOW

    KEYS: ClassVar[tuple[str, ...]] = ("keyDeletionWindowDays",)

    def __post_init__(self) -> None:
        check_range(
            SECURITY,
            "keyDeletionWindowDays",
            self.key_deletion_window_days,
            KEY_DELETION_WINDOW_MIN,
            KEY_DELETION_WINDOW_MAX,
        )

    def check_environment(self, settings: EnvironmentSettings) -> SecurityConfig:
        """Refuse what the environment does not allow; return self for chaining."""
        if settings.production and self.key_deletion_window_days != PRODUCTION_KEY_DELETION_WINDOW:
            raise config_error(
                SECURITY,
                "keyDeletionWindowDays",
                f"is {self.key_deletion_window_days}, but production keys need "
                f"{PRODUCTION_KEY_DELETION_WINDOW}",
                settings,
                str(PRODUCTION_KEY_DELETION_WINDOW),
            )
        return self


def read_config(
    settings: EnvironmentSettings,
    get: ConfigGetter | None = None,
    keys: Iterable[str] | None = None,
) -> SecurityConfig:
    """The security project's knobs for `settings.environment`."""
    read = config_reader(SECURITY, settings, get, keys, SecurityConfig.KEYS)
    values: dict[str, Any] = {}
    days = read.integer("keyDeletionWindowDays")
    if days is not None:
        values["key_deletion_window_days"] = days
    return build_config(SecurityConfig, values, settings).check_environment(settings)


# The keys `security:<key>` this project reads.
KEYS = SecurityConfig.KEYS
