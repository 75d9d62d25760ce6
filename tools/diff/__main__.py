"""`python -m tools.diff`: the command line of `tools.diff.command`."""

from tools import cli
from tools.diff.command import main

if __name__ == "__main__":
    cli.run(main)
