"""What a plan writes: plan.json (canonical: resources by URN, lists of URNs sorted, keys sorted),
one YAML manifest per Kubernetes object, and the CI/CD component and example PipelineRun the
stack exports.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from tools.plan.planning import Planned
from tools.recording import Registered, redact

CI_TEMPLATE = "templates/build-multi-arch.yml"  # the CI/CD component, as GitLab's catalog lays it out
PIPELINE_RUN = "examples/pipelinerun.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml where PyYAML has it: manifests by the hundred


def _manifest_name(r: Registered) -> str:
    i = r.plain_inputs
    md = i.get("metadata", {})
    parts = [str(i.get("kind", "Object")).lower(), md.get("namespace") or "", md.get("name") or r.name]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(p for p in parts if p)) + ".yaml"


def plan_document(planned: Planned) -> dict[str, Any]:
    """plan.json: canonical (resources by URN, lists of URNs sorted, keys sorted when written)."""
    rec = planned.recording
    return {
        "stack": planned.stack.name,
        "stackFile": str(planned.stack.path),
        "platform": planned.settings.platform,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "id": r.id,
                "parent": r.parent,
                "provider": r.provider,
                "dependencies": r.dependencies,
                "counted": r.counted,
                **({"transforms": r.transforms} if r.transforms else {}),
                "options": {
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": r.ignore_changes,
                    "deleteBeforeReplace": r.delete_before_replace,
                    "replaceOnChanges": r.replace_on_changes,
                    "aliases": r.aliases,
                },
                "inputs": redact(r.inputs),
                # Components always (their registered outputs, maybe none): a reader tells "none" from "not recorded".
                **({"outputs": redact(r.outputs)} if r.outputs or not r.custom else {}),
            }
            for r in sorted(rec.resources, key=lambda r: r.urn)
        ],
        "outputs": redact(rec.outputs),
        "resourceCount": sum(1 for r in rec.resources if r.counted),  # recording.counted: one count everywhere
        "cost": planned.cost,
        "steadyState": planned.steady_state,
        "verdicts": [v.__dict__ for v in planned.verdicts],
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_outputs(planned: Planned, out_dir: Path) -> None:
    rec = planned.recording
    manifests = out_dir / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(dumps(plan_document(planned)))
    written = set()
    for r in rec.kubernetes_objects():
        body = {k: v for k, v in redact(r.inputs).items() if not k.startswith("__")}
        written.add(_manifest_name(r))
        (manifests / _manifest_name(r)).write_text(yaml.dump(body, Dumper=DUMPER, sort_keys=False))
    for stale in manifests.iterdir():  # a previous plan's objects this one no longer declares
        if stale.name not in written:
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    for key, relative in (("gitlabCiTemplate", CI_TEMPLATE), ("examplePipelineRun", PIPELINE_RUN)):
        text = rec.outputs.get(key)
        if isinstance(text, str):
            (out_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / relative).write_text(text)
        else:
            (out_dir / relative).unlink(missing_ok=True)
