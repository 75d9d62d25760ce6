"""The `BuildPlatform` component: the whole multiarch stack as one component, for any Pulumi program."""

# No `from __future__ import annotations`: the Pulumi SDK's component analyzer reads these annotations
# as objects, and the docstrings under each field, to infer the schema for the other languages.

import inspect
from typing import Any, TypedDict, cast

import pulumi

from .args import BuildPlatformArgs
from .convert import secret_inputs, settings_from_args


class PoolOutput(TypedDict):
    """One build pool, as the stack exports it."""

    arch: str
    """Its architecture."""
    instance_type: str
    """Its instance or machine type."""
    min_size: int
    """Its minimum."""
    max_size: int
    """Its maximum."""


class CostOutput(TypedDict):
    """The estimated monthly cost (on-demand list prices; None: a price is unknown)."""

    region: str | None
    """The region priced."""
    prices_as_of: str
    """The date of the price table."""
    idle_monthly_usd: float | None
    """Every pool at its minimum, the control plane included; None when a price is unknown."""
    max_monthly_usd: float | None
    """Every pool at its maximum; None when a price is unknown."""
    control_plane_monthly_usd: float
    """The managed control plane."""


TYPE = "multiarch:index:BuildPlatform"


class BuildPlatform(pulumi.ComponentResource):
    """Kubernetes capacity for multi-architecture image builds: a cluster (created, adopted or
    reached), an x86 and an arm64 build pool side by side, shared RWX storage, Tekton or OpenShift
    Pipelines with the affinity assistant off, a GitLab runner whose jobs choose their
    architecture, and qemu binfmt; validated before anything is declared."""

    platform: pulumi.Output[str]
    """The platform."""
    architectures: pulumi.Output[list[str]]
    """The architectures of the build pools."""
    arch_label: pulumi.Output[str]
    """The node label that selects an architecture (kubernetes.io/arch)."""
    node_pools: pulumi.Output[dict[str, PoolOutput]]
    """The build pools by name."""
    cluster_name: pulumi.Output[str | None]
    """eks/gke: the cluster's name."""
    kubeconfig: pulumi.Output[str | None]
    """eks/gke: a kubeconfig for the cluster (exec authentication), a secret."""
    rwx_storage_class: pulumi.Output[str | None]
    """The StorageClass build workspaces use, when storage is on."""
    gitlab_ci_template: pulumi.Output[str | None]
    """The GitLab CI/CD component for this platform's pools, when the runner is on."""
    example_pipeline_run: pulumi.Output[str | None]
    """The PipelineRun template, when pipelines are on."""
    monthly_cost: pulumi.Output[CostOutput]
    """The estimated monthly cost."""

    def __init__(self, name: str, args: BuildPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        from .. import cost, placement, stack
        from ..settings import ConfigError

        settings = settings_from_args(args, pulumi.get_stack())  # before anything is registered
        placed = placement.evaluate(settings)  # every pod has a node, or nothing is registered
        if placed.problems:
            raise ConfigError(list(placed.problems))
        super().__init__(TYPE, name, None, opts)
        self._exports: dict[str, Any] = stack.build(settings, parent=self, secrets=secret_inputs(args))
        e = self._exports
        self.platform = pulumi.Output.from_input(e["platform"])
        self.architectures = pulumi.Output.from_input(e["architectures"])
        self.arch_label = pulumi.Output.from_input(e["archLabel"])
        self.node_pools = pulumi.Output.from_input(
            {
                n: {
                    "arch": p["arch"],
                    "instance_type": p["instanceType"],
                    "min_size": p["minSize"],
                    "max_size": p["maxSize"],
                }
                for n, p in e["nodePools"].items()
            }
        )
        self.cluster_name = pulumi.Output.from_input(e.get("clusterName"))
        kubeconfig = e.get("kubeconfig")
        self.kubeconfig = pulumi.Output.secret(kubeconfig) if kubeconfig is not None else pulumi.Output.from_input(None)
        self.rwx_storage_class = pulumi.Output.from_input(e.get("rwxStorageClass"))
        self.gitlab_ci_template = pulumi.Output.from_input(e.get("gitlabCiTemplate"))
        self.example_pipeline_run = pulumi.Output.from_input(e.get("examplePipelineRun"))
        self.monthly_cost = pulumi.Output.from_input(cast(CostOutput, cost.estimate(settings, placed)))
        self.register_outputs(
            {
                "platform": self.platform,
                "architectures": self.architectures,
                "nodePools": self.node_pools,
                "kubeconfig": self.kubeconfig,
                "rwxStorageClass": self.rwx_storage_class,
                "monthlyCost": self.monthly_cost,
            }
        )

    @property
    def exports(self) -> dict[str, Any]:
        """What the stack exports (its outputs' keys, as `__main__.py` has always exported them)."""
        return dict(self._exports)


# The schema's descriptions: the analyzer takes a class's from `__doc__` as written, and Python 3.11
# keeps the indentation of its continuation lines. Cleaned here, once, for every language's docs.
for _cls in [v for v in list(globals().values()) if isinstance(v, type) and v.__module__ == __name__]:
    _cls.__doc__ = inspect.cleandoc(_cls.__doc__ or "")
