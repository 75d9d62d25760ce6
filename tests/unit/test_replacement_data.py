"""The replacement data (components/catalog/replacements.json) against itself, the rules table, the
installed packages and requirements.txt: canonical, every rule sourced, every ForceNew path of every
declared type a rule of the review, every condition decided, and never stale."""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from components.catalog import replacements
from tests.conftest import ROOT
from tools import replacerules
from tools.diff import decide

DATA = replacements.document()
PACKAGES = ("pulumi-aws", "pulumi-gcp", "pulumi-kubernetes")


def test_the_file_is_written_by_the_json_library() -> None:
    text = replacements.FILE.read_text()
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n", "rewrite it with json.dump"


def test_every_rule_has_a_source_entry_with_repository_file_copy_and_line() -> None:
    used = set()
    for name, entry in DATA["types"].items():
        assert entry["package"] in PACKAGES and entry["reason"], name
        for rule in entry["rules"]:
            assert rule["source"] in DATA["sources"], (name, rule)
            assert rule["kind"] in replacements.KINDS, (name, rule)
            assert isinstance(rule["line"], int) and rule["line"] > 0, (name, rule)
            assert DATA["sources"][rule["source"]]["package"] == entry["package"], (name, rule)
            used.add(rule["source"])
    for key, source in DATA["sources"].items():
        assert all(source[f] for f in ("package", "repository", "file", "read", "version", "label")), key
    assert used == set(DATA["sources"])  # no source nothing cites


def test_each_package_records_the_terraform_provider_it_bundles_and_how_that_was_established() -> None:
    for package in PACKAGES:
        info = DATA["packages"][package]
        assert info["version"] and info["established"] and info["sourcesRead"], package
    assert DATA["packages"]["pulumi-aws"]["bundles"] == "hashicorp/terraform-provider-aws"
    assert DATA["packages"]["pulumi-gcp"]["bundles"] == "hashicorp/terraform-provider-google-beta"


def _requirements() -> dict[str, Requirement]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            req = Requirement(spec)
            out[req.name] = req
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_the_data_is_not_stale(package: str) -> None:
    """requirements.txt moves past the data when its range no longer admits the version the data was
    read for (its floor raised past it), or when the version it installs here (what `pulumi up` runs
    with) is another one: a newer pulumi-aws bundles a newer terraform-provider-aws. The ceiling is
    not judged: the package's users share these ranges (pyproject.toml), and pinning them to one
    provider version to keep a review table fresh would be the wrong trade."""
    read = Version(DATA["packages"][package]["version"])
    required = _requirements()[package]
    installed = Version(metadata.version(package))
    redo = "re-read the rules (docs/review.md, 'How replacement is decided') and update the data"
    assert required.specifier.contains(read), f"requirements.txt: {required} no longer admits {read}: {redo}"
    assert installed == read, f"{package} {installed} is installed; the data was read for {read}: {redo}"


def test_every_condition_has_its_predicate() -> None:
    conditions = {r["when"] for e in DATA["types"].values() for r in e["rules"] if r["kind"] == "when"}
    conditions |= {r.when for rules in replacerules.IMMUTABLE.values() for r in rules}
    assert conditions <= set(decide.PREDICATES)


def test_every_forcenew_path_of_every_declared_type_is_a_rule_of_the_review(declared_types: set[str]) -> None:
    """For every type a committed stack declares: its rules are there, each ForceNew path of the data
    is a rule the review applies (an attribute's change is a replacement), with its source."""
    for type_ in declared_types:
        rules = replacerules.rules_of(type_)
        if replacerules.is_kubernetes_object(type_):
            assert {"metadata.name", "metadata.namespace"} <= {r.path for r in rules}, type_
            continue
        assert type_ in DATA["types"], f"{type_}: no entry in {replacements.WHERE}"
        for raw in DATA["types"][type_]["rules"]:
            (rule,) = [
                r for r in rules if r.path == raw["path"] and r.kind == raw["kind"] and r.when == raw.get("when", "")
            ]
            source = DATA["sources"][raw["source"]]
            assert rule.where.startswith(f"{source['repository']} {source['file']}:{raw['line']}"), (type_, rule)
            if raw["kind"] == "attribute":
                assert replacerules.replacing(type_, raw["path"]) is not None, (type_, raw["path"])


def test_every_rule_of_the_review_has_a_source_entry(declared_types: set[str]) -> None:
    data_rules = {(t, r["path"], r["kind"]) for t, e in DATA["types"].items() for r in e["rules"]}
    for type_ in declared_types:
        for rule in replacerules.RULES.get(type_, []):
            hand_kept = rule in replacerules.IMMUTABLE.get(type_, [])
            assert hand_kept or (type_, rule.path, rule.kind) in data_rules, (type_, rule.path)
            assert rule.where, (type_, rule.path)


@pytest.fixture(scope="module")
def declared_types() -> set[str]:
    from tools import plan

    out: set[str] = set()
    for stack in ("dev", "gke-dev", "karpenter-dev", "openshift-dev", "gke-computeclass-dev"):
        out |= {r.type for r in plan.make(stack, policies=False).recording.resources if r.custom}
    return out


def _line(path: Path, line: int) -> str:
    return path.read_text().splitlines()[line - 1]


@pytest.mark.parametrize(
    ("module", "source"), [("pulumi_aws", "aws-sdk-doc"), ("pulumi_gcp", "gcp-sdk-doc")], ids=["aws", "gcp"]
)
def test_the_rules_only_the_installed_sdk_documents_are_still_documented_there(module: str, source: str) -> None:
    """Rules no source copy had, only the bundled SDK's docs: the installed SDK still says so, at that line."""
    package = Path(__import__(module).__file__).parent  # type: ignore[arg-type]
    file = package / DATA["sources"][source]["file"].split(f"{module}/", 1)[1]
    rules = [r for e in DATA["types"].values() for r in e["rules"] if r["source"] == source]
    assert rules
    for rule in rules:
        quoted = re.search(r"'([^']+)'", rule["note"])
        assert quoted, rule
        assert quoted[1] in _line(file, rule["line"]).replace("`", ""), rule


def test_the_hand_kept_crd_rules_are_the_vendored_crds_cel_rules() -> None:
    for rules in replacerules.IMMUTABLE.values():
        for rule in rules:
            m = re.match(r"tools/crds/(\S+):(\d+)", rule.where)
            if not m:
                continue
            lines = (ROOT / "tools" / "crds" / m[1]).read_text().splitlines()
            at = int(m[2])
            assert "oldSelf" in " ".join(lines[at - 1 : at + 2]), rule
