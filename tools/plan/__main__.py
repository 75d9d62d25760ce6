"""`python -m tools.plan`: the command line of `tools.plan.command`."""

from tools import cli
from tools.plan.command import main

if __name__ == "__main__":
    cli.run(main)
