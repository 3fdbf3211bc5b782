"""Prints the YAML documents of the files named on the command line as one JSON object, {path: [document, ...]}.

The DeployTests target runs this with /usr/bin/python3 and PyYAML, then checks the documents in Swift.
It is stricter than PyYAML alone: a key repeated in one mapping is an error, as it is for Docker Compose and
kubectl, instead of the last value silently winning. A file that does not parse makes it exit 1 with a
message naming the file and the line.
"""
import json
import sys

import yaml

MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        # Keys brought in by a merge (`<<: *anchor`) may be overridden; keys written twice may not.
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def main(paths):
    parsed = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                parsed[path] = list(yaml.load_all(file, Loader=StrictLoader))
        except (OSError, yaml.YAMLError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 1
    # default=str: YAML timestamps and the like have no JSON form; the checks only need their text.
    json.dump(parsed, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
