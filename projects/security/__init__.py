"""The security project: the customer-managed KMS key the data and the volumes are encrypted with.

Customer-managed KMS key (rotation on) + alias

Its program is `__main__.py`, its knobs `config.py`, its stack files `Pulumi.<env>.yaml`.
"""
