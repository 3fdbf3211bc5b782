#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (a separate package, so the main build never sees sanitizer flags) and
# runs each for FUZZ_SECONDS (default 30) from a copy of its committed seed corpus; fails on any crash, leak,
# timeout or invariant violation, printing the input (base64) and the command that reproduces it.
# Usage: scripts/fuzz.sh [Target ...]   (default: every target under Fuzz/Corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzPublishBody FuzzCursor FuzzRedisReply FuzzProxyHeader)

# why: `--sanitize=fuzzer` makes SwiftPM leave `main` to libFuzzer; the Swift flag that follows replaces its
# `-sanitize=fuzzer` (swiftc keeps only the last -sanitize), adding AddressSanitizer. `-enable-testing` lets
# FuzzRedisReply reach the internal envelope decoder with `@testable import`.
build=(swift build -c release --package-path Fuzz --sanitize=fuzzer
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
echo "fuzz: ${build[*]}"
"${build[@]}"
bin="$(swift build -c release --package-path Fuzz --show-bin-path)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  # why: libFuzzer writes new inputs into its first corpus directory; the committed corpus stays untouched.
  mkdir -p "$work/$target/corpus" "$work/$target/crashes"
  cp Fuzz/Corpus/"$target"/* "$work/$target/corpus/"
  dict=()
  [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
  echo "fuzz: $target for ${seconds}s"
  # why: -timeout=5 flags any input that takes seconds (a real parse takes microseconds); 2 GiB stays far
  # from the machine's memory while catching an allocation driven by a length field.
  if "$bin/$target" "$work/$target/corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=5 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$target/crashes/" \
      >"$work/$target/log" 2>&1; then
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|Done )' "$work/$target/log" \
      | sed "s/^/fuzz: $target: /"
  else
    failed+=("$target")
    tail -n 60 "$work/$target/log"
    for input in "$work/$target/crashes"/*; do
      [ -f "$input" ] || continue
      echo "fuzz: $target failed on $(basename "$input"), base64:"
      base64 -w0 "$input"; echo
      echo "fuzz: reproduce with: echo '$(base64 -w0 "$input")' | base64 -d > crash.bin &&" \
        "${build[*]} && $bin/$target crash.bin"
    done
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each with no crash"
