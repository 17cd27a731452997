"""The storage project's knobs: how long old object versions, uploads and access logs live."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from shared.config_reading import ConfigGetter, build_config, check_range, config_reader
from shared.limits import LIFECYCLE_DAYS_MAX
from shared.settings import EnvironmentSettings
from shared.topology import STORAGE


@dataclass(frozen=True)
class StorageConfig:
    """Knobs of the storage (S3) project."""

    # Noncurrent object versions expire after this many days.
    noncurrent_version_expiration_days: int = 30
    # Incomplete multipart uploads are aborted after this many days.
    abort_incomplete_upload_days: int = 7
    # Server access logs (production) are kept this many days.
    access_log_retention_days: int = 365

    KEYS: ClassVar[tuple[str, ...]] = (
        "noncurrentVersionExpirationDays",
        "abortIncompleteUploadDays",
        "accessLogRetentionDays",
    )

    def __post_init__(self) -> None:
        for key, value in zip(
            self.KEYS,
            (
                self.noncurrent_version_expiration_days,
                self.abort_incomplete_upload_days,
                self.access_log_retention_days,
            ),
            strict=True,
        ):
            check_range(STORAGE, key, value, 1, LIFECYCLE_DAYS_MAX)


def read_config(
    settings: EnvironmentSettings,
    get: ConfigGetter | None = None,
    keys: Iterable[str] | None = None,
) -> StorageConfig:
    """The storage project's knobs for `settings.environment`."""
    read = config_reader(STORAGE, settings, get, keys, StorageConfig.KEYS)
    fields = (
        "noncurrent_version_expiration_days",
        "abort_incomplete_upload_days",
        "access_log_retention_days",
    )
    values = {
        name: value
        for name, key in zip(fields, StorageConfig.KEYS, strict=True)
        if (value := read.integer(key)) is not None
    }
    return build_config(StorageConfig, values, settings)


# The keys `storage:<key>` this project reads.
KEYS = StorageConfig.KEYS
