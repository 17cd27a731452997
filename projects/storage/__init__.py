"""The storage project: the application's buckets, encrypted with the security project's key.

Application bucket: SSE-KMS with the security key, bucket key, versioning, Block Public Access,
BucketOwnerEnforced, TLS-only policy, lifecycle; production adds an access-log bucket (SSE-S3:
the only encryption S3 delivers access logs into)

Its program is `__main__.py`, its knobs `config.py`, its stack files `Pulumi.<env>.yaml`.
"""
