"""Where an environment's Pulumi state and secrets live: the declaration, checked and resolved.

An environment file (`shared/environments/<env>.yaml`) may declare

    state_backend:      local | s3 | s3://<bucket>[/<prefix>][?<query>] | file://<absolute path>
    secrets_provider:   passphrase | awskms | awskms://<key>?region=<region>[&<query>]
    state_history_days: <days the state bucket keeps an old checkpoint version>

Nothing declared means `local` + `passphrase`: the repo's `.pulumi-state/` file backend and a
generated passphrase, so a fresh clone deploys development with nothing set up. The short
forms `s3` and `awskms` mean the bucket and key alias `shared.naming` derives from the app,
environment, account and region (`state_bucket_name`, `state_key_alias`), like `cdk
bootstrap`'s per-account-and-region names; `resolve_state` takes the account from its caller
(the environment's declared `account_id`, else the account of the credentials in use).
Everything here is pure: checking a declaration is reading strings, and every fault is one line
saying what is wrong and what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, parse_qs, urlencode, urlsplit

from shared.limits import KMS_ALIAS_PATTERN
from shared.naming import bucket_name_problems, state_bucket_name, state_key_alias
from shared.settings import EnvironmentSettings

LOCAL = "local"
S3 = "s3"
PASSPHRASE = "passphrase"  # noqa: S105 - the provider's name
AWSKMS = "awskms"
DEFAULT_HISTORY_DAYS = 90
ENVIRONMENT_FILE = "shared/environments/{environment}.yaml"

# What the AWS SDK inside the Pulumi CLI accepts on an awskms:// URL (gocloud.dev), plus the
# encryption-context parameters; anything else makes the CLI fail later with less to go on.
_KMS_QUERY_KEYS = frozenset(
    {
        "region",
        "endpoint",
        "profile",
        "dualstack",
        "fips",
        "rate_limiter_capacity",
        "anonymous",
        "role",
        "request_checksum_calculation",
        "response_checksum_validation",
        "awssdk",
        "hostname_immutable",
    }
)
_KMS_CONTEXT_PREFIX = "context_"
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:(key|alias)/.+$")
_KMS_KEY_ID = re.compile(r"^(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$")


class StateDeclarationError(ValueError):
    """A state backend or secrets provider declaration (or override) that cannot be used."""


class BackendKind(StrEnum):
    """How the state backend was declared."""

    LOCAL = "local"  # the repo's .pulumi-state/ (the default)
    S3_DERIVED = "s3"  # the derived bucket of the account and region
    S3_URL = "s3-url"  # an explicit s3:// URL
    FILE_URL = "file-url"  # an explicit file:// URL (a shared directory)


class SecretsKind(StrEnum):
    """How the secrets provider was declared."""

    PASSPHRASE = "passphrase"  # noqa: S105 - the provider's name
    KMS_DERIVED = "awskms"  # the derived key alias in the environment's region
    KMS_URL = "awskms-url"  # an explicit awskms:// URL


@dataclass(frozen=True)
class StateDeclaration:
    """An environment's declaration, checked; `resolve_state` turns it into URLs."""

    environment: str
    backend: BackendKind
    secrets: SecretsKind
    history_days: int
    # The explicit URLs as written (None for the default and the short forms).
    backend_url: str | None = None
    secrets_url: str | None = None

    @property
    def needs_account(self) -> bool:
        """Whether resolving needs the AWS account id (the derived bucket name holds it)."""
        return self.backend is BackendKind.S3_DERIVED

    @property
    def uses_aws(self) -> bool:
        """Whether the state or its secrets live in AWS (S3, KMS)."""
        return self.backend in {BackendKind.S3_DERIVED, BackendKind.S3_URL} or self.secrets in {
            SecretsKind.KMS_DERIVED,
            SecretsKind.KMS_URL,
        }

    def describe(self) -> str:
        """`state_backend: ..., secrets_provider: ...` as declared (for messages)."""
        backend = self.backend_url or self.backend.value
        secrets = self.secrets_url or self.secrets.value
        return f"state_backend: {backend}, secrets_provider: {secrets}"


@dataclass(frozen=True)
class S3Location:
    """A state bucket: what the preflight and `invoke bootstrap` look at."""

    bucket: str
    region: str | None
    # The emulator's URL (http(s)://host:port) when the backend URL names one.
    endpoint: str | None = None
    # The folder inside the bucket the URL names ("" for the bucket's root).
    prefix: str = ""

    def key(self, path: str) -> str:
        """The object key of `path` (relative to the backend's root) in this bucket."""
        return f"{self.prefix}/{path}" if self.prefix else path


@dataclass(frozen=True)
class KmsLocation:
    """A secrets key: `alias/<name>`, a key id or an ARN, in a region."""

    key: str
    region: str | None
    endpoint: str | None = None

    @property
    def alias(self) -> str | None:
        """The alias name when the key is named by one (`alias/...`), else None."""
        return self.key if self.key.startswith("alias/") else None


@dataclass(frozen=True)
class StateLocation:
    """The resolved declaration: the URLs the Pulumi CLI gets, and what they point at."""

    # None: the local default backend (its folder is the caller's business).
    backend_url: str | None
    # "passphrase" or an awskms:// URL, as `pulumi stack init --secrets-provider` takes it.
    secrets_provider: str
    bucket: S3Location | None = None
    key: KmsLocation | None = None


def declared_state(settings: EnvironmentSettings) -> StateDeclaration:
    """The checked declaration of `settings.environment`; StateDeclarationError on any fault."""
    where = ENVIRONMENT_FILE.format(environment=settings.environment)
    backend, backend_url = parse_backend(settings.state_backend or LOCAL, settings, where)
    secrets, secrets_url = parse_secrets_provider(
        settings.secrets_provider or PASSPHRASE, settings, where
    )
    return StateDeclaration(
        environment=settings.environment,
        backend=backend,
        secrets=secrets,
        history_days=settings.state_history_days or DEFAULT_HISTORY_DAYS,
        backend_url=backend_url,
        secrets_url=secrets_url,
    )


def parse_backend(
    text: str, settings: EnvironmentSettings, where: str
) -> tuple[BackendKind, str | None]:
    """`state_backend` text -> its kind and explicit URL; refuses local state for production."""
    value = text.strip()
    if value in (LOCAL, S3):
        kind = BackendKind.LOCAL if value == LOCAL else BackendKind.S3_DERIVED
        url = None
    elif value.startswith("s3://"):
        kind, url = BackendKind.S3_URL, value
        s3_location(value, what=f"{where}: state_backend")
    elif value.startswith("file://"):
        kind, url = BackendKind.FILE_URL, value
        directory = value.removeprefix("file://").split("?", 1)[0]
        if not directory.strip("/"):
            raise StateDeclarationError(
                f"{where}: state_backend {value!r} names no directory: write file://<path>"
            )
        if not (directory.startswith("/") or directory.partition("/")[0] == "~"):
            raise StateDeclarationError(
                f"{where}: state_backend {value!r} names the relative directory {directory!r}, "
                "which each command would resolve from its own working directory: give an "
                "absolute path, file:///<absolute path> or file://~/<path under your home>"
            )
    else:
        raise StateDeclarationError(
            f"{where}: state_backend {value!r} is not a backend this repo uses: write local, "
            "s3 (the bucket `invoke bootstrap` creates), s3://<bucket>[/<prefix>]?region=<region> "
            "or file:///<absolute path>"
        )
    if settings.production and kind in {BackendKind.LOCAL, BackendKind.FILE_URL}:
        raise StateDeclarationError(
            f"{where}: {settings.environment} is a production environment, so its state must not "
            f"live on one machine ({value}): declare state_backend: s3 (a versioned, "
            "encrypted bucket shared by every team; create it with `invoke bootstrap --env "
            f"{settings.environment}`)"
        )
    return kind, url


def parse_secrets_provider(
    text: str, settings: EnvironmentSettings, where: str
) -> tuple[SecretsKind, str | None]:
    """`secrets_provider` text -> its kind and explicit URL; the key must be in our region."""
    value = text.strip()
    if value == PASSPHRASE:
        return SecretsKind.PASSPHRASE, None
    if value == AWSKMS:
        return SecretsKind.KMS_DERIVED, None
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme != AWSKMS:
        shown = f"the unknown scheme {scheme!r}" if scheme else "no scheme"
        raise StateDeclarationError(
            f"{where}: secrets_provider {value!r} has {shown}: write passphrase, awskms (the "
            "key `invoke bootstrap` creates) or awskms://alias/<name>?region=<region>"
        )
    location = kms_location(value, what=f"{where}: secrets_provider")
    if location.region != settings.region:
        raise StateDeclarationError(
            f"{where}: secrets_provider {value!r} names a KMS key in {location.region}, but "
            f"{settings.environment} deploys to {settings.region}: KMS keys are regional, so use "
            f"a key in {settings.region} (or write awskms for the one `invoke bootstrap` creates)"
        )
    return SecretsKind.KMS_URL, value


def resolve_state(
    declaration: StateDeclaration,
    settings: EnvironmentSettings,
    *,
    account_id: str | None = None,
    endpoint: str | None = None,
) -> StateLocation:
    """The URLs for the Pulumi CLI. `account_id` is required for the `s3` short form.

    `endpoint` (an AWS emulator, `--endpoint`) is added to the S3 and KMS URLs that name none,
    so a run against an emulator keeps its state there too.
    """
    bucket: S3Location | None = None
    backend_url: str | None = None
    if declaration.backend is BackendKind.S3_DERIVED:
        if not account_id:
            raise StateDeclarationError(
                f"state_backend s3 of {declaration.environment} needs the AWS account id"
            )
        name = state_bucket_name(settings, account_id)
        backend_url = f"s3://{name}?{urlencode({'region': settings.region})}"
    elif declaration.backend in {BackendKind.S3_URL, BackendKind.FILE_URL}:
        backend_url = declaration.backend_url
    if backend_url is not None and backend_url.startswith("s3://"):
        backend_url = with_s3_endpoint(backend_url, endpoint)
        bucket = s3_location(backend_url)
    secrets, key = resolve_secrets(
        declaration.secrets, declaration.secrets_url, settings, endpoint=endpoint
    )
    return StateLocation(backend_url=backend_url, secrets_provider=secrets, bucket=bucket, key=key)


def resolve_secrets(
    kind: SecretsKind, url: str | None, settings: EnvironmentSettings, *, endpoint: str | None
) -> tuple[str, KmsLocation | None]:
    """The `--secrets-provider` value for a checked secrets declaration, and its KMS key."""
    if kind is SecretsKind.PASSPHRASE:
        return PASSPHRASE, None
    written = (
        url or f"awskms://{state_key_alias(settings)}?{urlencode({'region': settings.region})}"
    )
    provider = with_kms_endpoint(written, endpoint)
    return provider, kms_location(provider)


def with_s3_endpoint(url: str, endpoint: str | None) -> str:
    """`url` aimed at an emulator: endpoint host:port, plain HTTP if so, path-style addressing."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if not endpoint or "endpoint" in query:
        return url
    target = urlsplit(endpoint)
    extra = {"endpoint": target.netloc, "s3ForcePathStyle": "true"}
    if target.scheme == "http":
        extra["disableSSL"] = "true"
    return _with_query(parts, extra)


def with_kms_endpoint(url: str, endpoint: str | None) -> str:
    """`url` aimed at an emulator (the KMS client takes the whole endpoint URL)."""
    parts = urlsplit(url)
    if not endpoint or "endpoint" in parse_qs(parts.query):
        return url
    return _with_query(parts, {"endpoint": endpoint.rstrip("/")})


def s3_location(url: str, *, what: str = "state backend") -> S3Location:
    """The bucket, region and endpoint an s3:// URL names; StateDeclarationError if malformed."""
    parts = _split(url, what)
    if parts.username or parts.password or parts.port or parts.fragment:
        raise StateDeclarationError(
            f"{what} {url!r} is malformed: write s3://<bucket>[/<prefix>]?region=<region> "
            "(no user, password, port or #fragment)"
        )
    bucket = parts.netloc
    problems = bucket_name_problems(bucket) if bucket else ["is missing"]
    if problems:
        raise StateDeclarationError(f"{what} {url!r}: the bucket name {'; '.join(problems)}")
    query = _query(parts, url, what)
    endpoint = query.get("endpoint")
    if endpoint and "://" not in endpoint:
        secure = query.get("disableSSL", query.get("disable_https", "false")).lower() != "true"
        endpoint = f"{'https' if secure else 'http'}://{endpoint}"
    return S3Location(
        bucket=bucket,
        region=query.get("region"),
        endpoint=endpoint,
        prefix=parts.path.strip("/"),
    )


def kms_location(url: str, *, what: str = "secrets provider") -> KmsLocation:
    """The key, region and endpoint of an awskms:// URL; StateDeclarationError if malformed."""
    parts = _split(url, what)
    key = (parts.netloc + parts.path).lstrip("/")
    query = _query(parts, url, what)
    unknown = sorted(
        name
        for name in query
        if name not in _KMS_QUERY_KEYS and not name.startswith(_KMS_CONTEXT_PREFIX)
    )
    if unknown:
        raise StateDeclarationError(
            f"{what} {url!r} has unknown query parameter(s) {', '.join(unknown)}: the KMS "
            f"client accepts {', '.join(sorted(_KMS_QUERY_KEYS))} and context_<name>"
        )
    arn = _KMS_KEY_ARN.match(key)
    if not (arn or KMS_ALIAS_PATTERN.match(key) or _KMS_KEY_ID.match(key)):
        raise StateDeclarationError(
            f"{what} {url!r} names no KMS key: write awskms://alias/<name>?region=<region>, "
            "awskms://<key id>?region=<region> or awskms:///<key ARN>"
        )
    region = query.get("region") or (arn.group("region") if arn else None)
    if not region:
        raise StateDeclarationError(
            f"{what} {url!r} names no region: add ?region=<region> (KMS keys are regional)"
        )
    if arn and arn.group("region") != region:
        raise StateDeclarationError(
            f"{what} {url!r}: the key ARN is in {arn.group('region')} but region={region}"
        )
    return KmsLocation(key=key, region=region, endpoint=query.get("endpoint"))


def _split(url: str, what: str) -> SplitResult:
    if any(character.isspace() for character in url):
        raise StateDeclarationError(f"{what} {url!r} is malformed: it contains white space")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what can fail
    except ValueError as error:
        raise StateDeclarationError(f"{what} {url!r} is malformed: {error}") from None
    return parts


def _query(parts: SplitResult, url: str, what: str) -> dict[str, str]:
    try:
        values = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise StateDeclarationError(
            f"{what} {url!r} is malformed: the query must be name=value pairs joined by &"
        ) from None
    return {name: found[-1] for name, found in values.items()}


def _with_query(parts: SplitResult, extra: dict[str, str]) -> str:
    # ':' and '/' stay readable (endpoint=http://127.0.0.1:4566); Go's URL parser takes both.
    query = "&".join(part for part in (parts.query, urlencode(extra, safe=":/")) if part)
    return parts._replace(query=query).geturl()
