"""Live verification: the deployed environment judged by the security rules, read-only.

`live.py` reads AWS with boto3 into the rules' input shape, `runner.py` runs the checks and
the app's health check, `cli.py` connects it to the orchestrator for `invoke verify`.
"""
