"""TEST-ONLY stand-in AWS provider: what Configure accepts, as the real provider reads it.

The stand-in works only against an emulator: the provider must carry `endpoints` (what `invoke
--endpoint URL` and `program.provider` set for the real provider too), and every call goes
there with the configured credentials. `allowedAccountIds` is checked against the emulator's
caller identity, as the real provider does before any call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.engine.standin_aws.emulator import Account, Credentials
from tests.engine.standin_aws.errors import ProviderError
from tests.engine.standin_aws.wire import Props, decode_json_config, plain

# The emulators' documented dummy credentials, when the provider config names none.
_DUMMY = "test"


@dataclass(frozen=True)
class ProviderConfig:
    region: str
    account: Account
    default_tags: Mapping[str, str] = field(default_factory=dict)


def configure(args: Props, ambient_region: str | None) -> ProviderConfig:
    region = plain(args.get("region")) or ambient_region
    if not region:
        raise ProviderError("missing region in provider config")
    endpoint = _endpoint(decode_json_config(args.get("endpoints")))
    if endpoint is None:
        raise ProviderError(
            "the test-only AWS stand-in only talks to an AWS emulator, and the provider has no "
            "`endpoints`: run with --endpoint URL (or set the provider's endpoints)"
        )
    credentials = Credentials(
        str(plain(args.get("accessKey")) or _DUMMY),
        str(plain(args.get("secretKey")) or _DUMMY),
        plain(args.get("token")) or None,
    )
    account = Account(endpoint, str(region), credentials)
    allowed = decode_json_config(args.get("allowedAccountIds")) or []
    if allowed and account.id not in [str(value) for value in allowed]:
        # The real provider's check, before any resource call.
        raise ProviderError(f"AWS account ID not allowed: {account.id}")
    tags = (decode_json_config(args.get("defaultTags")) or {}).get("tags") or {}
    return ProviderConfig(str(region), account, {str(k): str(v) for k, v in tags.items()})


def _endpoint(endpoints: Any) -> str | None:
    """The emulator URL: every service of our projects is aimed at the same one."""
    for block in endpoints if isinstance(endpoints, list) else []:
        for url in (block or {}).values():
            if url:
                return str(url)
    return None
