"""The component provider as a plugin directory (`PulumiPlugin.yaml` beside it).

The Python language host runs a plugin directory that holds a `__main__.py` as `python <dir>
<engine address>`, in the virtualenv its runtime options name (provider/venv, from
requirements.txt: the package `pulumi-multiarch` built from the repository root). It serves the
same provider as the wheel's `pulumi-resource-multiarch`: the port on stdout, then gRPC.
"""

import sys

try:
    from pulumi_multiarch.provider import main
except ModuleNotFoundError as exc:  # run outside its virtualenv
    sys.exit(
        f"multiarch provider: {exc.name} is not installed in {sys.prefix}: create provider/venv and "
        "install provider/requirements.txt into it (the Pulumi CLI does so when it installs the plugin)"
    )

if __name__ == "__main__":
    main()
