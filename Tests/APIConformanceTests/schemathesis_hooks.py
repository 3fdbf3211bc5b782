"""Schemathesis hooks for APIConformanceTests (loaded through SCHEMATHESIS_HOOKS).

docs/openapi.yaml describes a streaming publish body (application/x-ndjson) as an array of event objects, one a
line; schemathesis has no serializer for that media type, so this one writes each item as a JSON line. A value
that is not an array (a negative case) is written as one JSON text without the final newline, which Herald must
refuse (an unterminated line), so that it never reads as a valid stream.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode("utf-8")
    return json.dumps(value).encode("utf-8")
