#!/usr/bin/env bash
# Regenerates the SVG diagrams in docs/diagrams/ from their Graphviz sources (apt-get install graphviz).
# DeployTests checks that every .dot has its .svg and that the .svg is the one this script makes.
set -euo pipefail
cd "$(dirname "$0")/../docs/diagrams"
for source in *.dot; do
  dot -Tsvg "$source" -o "${source%.dot}.svg"
done
