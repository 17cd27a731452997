"""Code that runs inside a Pulumi program or the policy pack.

`projects/<p>/__main__.py` and `policy-pack/__main__.py` import from here: the start every
program shares (`stack.py`), the components (`components/`), the one AWS provider
(`provider.py`), the security rules (`policy/`) and the web application with its user data
(`webapp/`). Nothing here drives Pulumi or imports
`orchestration`: the architecture contract in pyproject.toml (import-linter) enforces it.
"""
