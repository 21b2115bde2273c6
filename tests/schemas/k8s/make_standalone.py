"""Writes the standalone-strict Kubernetes schemas vendored beside this file.

Run once when the Kubernetes version changes, with the schemas of the `kubernetes-validate`
wheel unpacked (`pip download --no-deps kubernetes-validate`, then unzip):

    python tests/schemas/k8s/make_standalone.py \
        path/to/kubernetes_validate/kubernetes-json-schema/v1.33.0-local-strict

Each kind's schema keeps only the definitions it reaches, under its own `$defs`, so the tests
need neither the network nor the 1.4 MB definitions file.
"""

import json
import sys
from pathlib import Path

KINDS = (
    "configmap-v1",
    "secret-v1",
    "service-v1",
    "deployment-apps-v1",
    "statefulset-apps-v1",
    "job-batch-v1",
    "poddisruptionbudget-policy-v1",
)
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")  # from a kind, inside the definitions


def _rewrite(node: object, wanted: set[str]) -> object:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(PREFIXES):
                name = value.rpartition("/")[2]
                wanted.add(name)
                out[key] = "#/$defs/" + name
            else:
                out[key] = _rewrite(value, wanted)
        return out
    if isinstance(node, list):
        return [_rewrite(item, wanted) for item in node]
    return node


def standalone(kind_schema: dict, definitions: dict) -> dict:
    """The kind's schema with every definition it reaches copied into its `$defs`."""
    wanted: set[str] = set()
    schema = _rewrite(kind_schema, wanted)
    schema.pop("$id", None)
    defs: dict[str, object] = {}
    while pending := wanted - defs.keys():
        for name in sorted(pending):
            defs[name] = _rewrite(definitions[name], wanted)
    schema["$defs"] = dict(sorted(defs.items()))
    return schema


def main(source: Path) -> None:
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    here = Path(__file__).parent
    for kind in KINDS:
        schema = standalone(json.loads((source / f"{kind}.json").read_text()), definitions)
        (here / f"{kind}.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
