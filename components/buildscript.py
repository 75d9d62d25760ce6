"""The shell every build step shares, so a wrong architecture fails loudly on every path.

A build's architecture must never come from where it happens to run. Each build names its target
(`buildah build --platform linux/$ARCH`), then proves it:

- `native_check`: the step runs on a node of its target arch (`uname -m` agrees). A job the node
  selector did not route (a runner without the overwrite regex, a consumer's own `tags`) fails
  here with one line saying where it landed and why that is wrong, before anything is built;
- `image_check`: the image's config says the target arch, before anything is pushed;
- `slot_check`: a manifest list takes each image with the platform its config records, and the
  step fails if an image's arch is not its slot's, so a misrouted build never publishes a lying
  index.

The texts are POSIX sh reading `$ARCH` (and `$ref`, `$slot`), used unchanged by the Tekton Tasks
(`components/pipelines.py`, after `ARCH=$(params.arch)`), the GitLab CI/CD component
(`components/runner.py`, whose matrix sets `ARCH`) and the build lab, which runs both.
"""

from __future__ import annotations

from . import arch

# uname -m -> Kubernetes' arch (the node's), from the one catalog.
_UNAME_CASES = " ".join(f"{facts.openshift}) node={a} ;;" for a, facts in arch.ARCH_FACTS.items())
NODE_ARCH = f'case "$(uname -m)" in {_UNAME_CASES} arm64) node=arm64 ;; *) node="$(uname -m)" ;; esac'

INSPECT_ARCH = "buildah inspect --type image --format '{{.OCIv1.Architecture}}'"


def native_check(what: str, fix: str) -> str:
    """Fail unless this step runs on a node of `$ARCH`. `what` names the step ("build job"), `fix`
    says what routes it there."""
    return (
        f"{NODE_ARCH}\n"
        'if [ "$node" != "$ARCH" ]; then\n'
        f'  echo "multiarch: this $ARCH {what} landed on an $node node (uname -m: $(uname -m)), not an $ARCH node: '
        f'it would build $ARCH under emulation, or an $node image labelled $ARCH; {fix}" >&2\n'
        "  exit 1\n"
        "fi"
    )


def image_check() -> str:
    """Fail unless the image `$ref` (local storage) is a `$ARCH` image."""
    return (
        f'built="$({INSPECT_ARCH} "$ref")"\n'
        'if [ "$built" != "$ARCH" ]; then\n'
        '  echo "multiarch: $ref is a $built image, not $ARCH: nothing is pushed" >&2\n'
        "  exit 1\n"
        "fi"
    )


def slot_check(list_name: str) -> str:
    """After `buildah manifest add <list_name> ...` of the image for `$slot`: fail unless the entry
    just added records `$slot` (buildah takes the platform from the image's own config)."""
    return (
        f'added="$(buildah manifest inspect {list_name} | grep -o \'"architecture": *"[^"]*"\' | tail -n 1 '
        '| sed \'s/.*"\\([^"]*\\)"$/\\1/\')"\n'
        'if [ "$added" != "$slot" ]; then\n'
        '  echo "multiarch: the $slot slot of the manifest list got an $added image ($ref): the $slot build ran '
        "on another arch's node; the list is not pushed\" >&2\n"
        "  exit 1\n"
        "fi"
    )
