#!/usr/bin/env bash
# Builds every guest component and copies the artifacts where the host embeds or
# tests them. `--check` rebuilds into a scratch copy and fails if any committed
# artifact differs from a fresh build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# Byte-identical builds: no machine paths in the output.
export RUSTFLAGS="--remap-path-prefix=$here=/guests --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
export CARGO_TARGET_DIR="$here/target"
(cd "$here" && cargo build --locked --quiet --release --target wasm32-wasip2)

out=$CARGO_TARGET_DIR/wasm32-wasip2/release
declare -A dest=(
  [policy_default]="$root/host/assets/guests/policy-default.wasm"
  [strategy_default]="$root/host/assets/guests/strategy-default.wasm"
  [hostile_policy]="$root/tests/fixtures/wasm/hostile-policy.wasm"
  [hostile_strategy]="$root/tests/fixtures/wasm/hostile-strategy.wasm"
  [future_policy]="$root/tests/fixtures/wasm/future-policy.wasm"
  [past_policy]="$root/tests/fixtures/wasm/past-policy.wasm"
  [failures_policy]="$root/tests/fixtures/wasm/failures-policy.wasm"
  [deny_repos_policy]="$root/tests/fixtures/wasm/deny-repos-policy.wasm"
  [commands_strategy]="$root/tests/fixtures/wasm/commands-strategy.wasm"
)
# The bytes depend on the compiler: compare only with the one that made them.
pinned=$(cat "$here/rustc-version.txt" 2>/dev/null || true)
if [ "${1:-}" = "--check" ] && [ "$(rustc --version)" != "$pinned" ]; then
  echo "skipped the byte comparison: artifacts were built by '$pinned', this is '$(rustc --version)'" >&2
  exit 0
fi
status=0
for name in "${!dest[@]}"; do
  target=${dest[$name]}
  if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$out/$name.wasm" "$target"; then
      echo "stale: $target differs from a fresh build of guests/ (run guests/build.sh and commit)" >&2
      status=1
    fi
  else
    mkdir -p "$(dirname "$target")"
    cp "$out/$name.wasm" "$target"
  fi
done
[ "${1:-}" = "--check" ] || rustc --version > "$here/rustc-version.txt"
[ "${1:-}" = "--check" ] && [ $status -eq 0 ] && echo "guest artifacts match a fresh build ($(rustc --version))"
exit $status
