"""The offline plan: every project's real program under Pulumi's mock runtime, no cloud.

`evaluate.py` runs one program; `environment.py` runs them in dependency order and applies the
security rules; `report.py` prints and serialises the result; `cli.py` is the entry point.
"""
