"""TEST-ONLY stand-in for `pulumi-resource-aws`: `python -m tests.engine.standin_aws <engine>`.

Never used by a real deploy; the engine starts it through the wrapper that `install.py` writes
into a temporary PULUMI_HOME. Arguments (engine address, --logtostderr, -v=N, --tracing) are
accepted and ignored: the stand-in needs nothing from the engine.
"""

from tests.engine.standin_aws.server import serve

if __name__ == "__main__":
    serve()
