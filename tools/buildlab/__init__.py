"""Build lab: run the stacks' generated build paths for real on this machine, and prove the results.

    python -m tools.buildlab [STACK ...] [--out DIR]    (make buildlab; root; tools from make buildlab-deps)

For each stack (a name or a stack file's path, as `tools.plan` takes them; default: dev and
openshift-dev) it plans the stack offline and runs the build paths it has (Tekton when it has
`multiarch:pipelines`, GitLab when it has `multiarch:gitlabRunner`; a stack with neither exits 2
before the machine is touched) here, on this machine's buildah, against a registry (distribution
v2) on 127.0.0.1:

- **Tekton**: the generated Pipeline's Tasks in DAG order (clone, every build at once, push). Each
  step's `script` is the generated Task's, with Tekton's substitutions done by `substitute()` (the
  subset it lists; anything else is an error). Each task runs on the node its PipelineRun template
  pins it to (`taskRunSpecs`);
- **GitLab**: the generated CI/CD component, included by a sample project as consumers include
  it, its jobs run unchanged by gitlab-ci-local's shell executor (`tools/gitlabci.py`), each on
  the node the stack's runner routes it to: its `KUBERNETES_NODE_SELECTOR_ARCH` if the runner's
  `node_selector_overwrite_allowed` accepts it, else the runner's `node_selector` (`job_node`).
  Build jobs run at once; a job that needs them, once each ran (or failed as allowed), as GitLab
  runs a pipeline (`component_jobs`, which runs any consumer project's component jobs).

A node of this machine's arch is this machine; a node of the other arch is this machine's kernel
with qemu registered as the binfmt DaemonSet registers it (handler, magic, mask and flags from
`components/binfmt.py`) and that arch's userland first on PATH (busybox, run by qemu): `uname -m`
there says the node's arch, and every `RUN` step of a build runs under qemu, as on a node of that
arch. Every node is ephemeral: each task or job gets container storage of its own, so what a
rebuild does not redo comes from the registry's layer cache, not from a local one.

The proofs: each pushed tag is an image index of exactly linux/amd64 and linux/arm64, each
platform's image of its own arch (its `uname -m` recorded at build time, its busybox an ELF file of
that arch). Then: a cold and a warm GitLab build (one source file changed, layers from the
registry cache), per arch; a GitLab build job the runner does not route (no overwrite: it lands
on this machine's arch) fails with the build step's one-line message and pushes nothing; the
binfmt DaemonSet's readiness check, run on this machine, is not Ready without the handler and Ready
with it. Native against emulated timings, cold against warm.

The machine is left as found: the handler unregistered (binfmt_misc unmounted if the lab mounted
it), the registry's certificate removed, the registry stopped by its PID.
DIR/summary.json holds the runs, exit codes, timings, index manifests and checks.
Exit status: 0 verified; 1 a step or a check failed; 2 a tool or a base package is missing.

The pieces, each a module of this package. Pure: `lab` (this machine's arch and the emulated one,
the sample, LabError), `tekton` (Tekton's substitutions, parameters, DAG and task nodes),
`routing` (how the runner routes a job), `manifests` (the checks of a pushed index and its
images), `report` (timings and the report). Shelling out: `machine` (tools, binfmt, the nodes,
base images, the sample project), `registry` (the lab registries, one behind a login; their
client; a pushed tag verified), `paths` (what the lab takes from a plan; the Tekton path run),
`gitlab` (the GitLab path run) and `command` (the run, the command line; `consumers`: more to run
on the set-up machine, which the tests use for their consumer projects).
"""

from tools.buildlab.command import DEFAULT_STACKS, LabContext, choose, lab_run, main
from tools.buildlab.gitlab import component_jobs, expand, passed
from tools.buildlab.lab import FOREIGN, HOST_ARCH, LabError
from tools.buildlab.machine import BINFMT, missing_tools
from tools.buildlab.registry import CERTS_D, REGISTRY_PIDS
from tools.buildlab.routing import job_node, runner_config
from tools.buildlab.tekton import Workspace, dag, expand_args, substitute, task_nodes, task_params

__all__ = [
    "BINFMT",
    "CERTS_D",
    "DEFAULT_STACKS",
    "FOREIGN",
    "HOST_ARCH",
    "REGISTRY_PIDS",
    "LabContext",
    "LabError",
    "Workspace",
    "choose",
    "component_jobs",
    "dag",
    "expand",
    "expand_args",
    "job_node",
    "lab_run",
    "main",
    "missing_tools",
    "passed",
    "runner_config",
    "substitute",
    "task_nodes",
    "task_params",
]
