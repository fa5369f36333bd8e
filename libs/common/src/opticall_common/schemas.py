"""JSON Schema and AsyncAPI export of the event models (``make schemas`` writes them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opticall_common import topics
from opticall_common.events import TOPIC_KEYS, TOPIC_MODELS, DeadLetter

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def json_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema per topic, keyed by the logical topic name."""
    out = {name: model.model_json_schema() for name, model in TOPIC_MODELS.items()}
    out["dead-letter"] = DeadLetter.model_json_schema()
    return out


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 document describing every topic and its message."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for name, model in TOPIC_MODELS.items():
        msg = model.__name__
        messages[msg] = {
            "name": msg,
            "contentType": "application/json",
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "payload": {"$ref": f"./schemas/{name}.json"},
            "bindings": {"kafka": {"key": {"type": "string", "description": TOPIC_KEYS[name]}}},
        }
        channels[name] = {
            "address": name,
            "messages": {msg: {"$ref": f"#/components/messages/{msg}"}},
        }
        channels[topics.dlq(name)] = {
            "address": topics.dlq(name),
            "description": f"Records of {name} that failed validation, with the error.",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        }
        operations[f"publish-{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
        }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "contentType": "application/json",
        "payload": {"$ref": "./schemas/dead-letter.json"},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OptiCall events",
            "version": "1.0.0",
            "description": "Kafka topics of the OptiCall suite. Keys are entity ids; every "
            "event carries a unique id for de-duplication.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_all(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = schema_dir / f"{name}.json"
        path.write_text(render(schema))
        written.append(path)
    doc_path = schema_dir.parent / "asyncapi.json"
    doc_path.write_text(render(asyncapi_document()))
    written.append(doc_path)
    return written


if __name__ == "__main__":
    write_all()
