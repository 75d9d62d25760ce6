"""`python -m tools.buildlab`: the command line of `tools.buildlab.command`."""

from tools import cli
from tools.buildlab.command import main

if __name__ == "__main__":
    cli.run(main)
