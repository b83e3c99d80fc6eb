#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds: the committed ones in fuzz/seeds/, the
# transcripts in tests/fixtures (whole and line by line), the hook payloads
# recorded from the real clients (FUZZ_CLIENT_FIXTURES, default
# /work/shared/fixtures/clients, skipped when absent), the default config.toml
# and secret-shaped text assembled here so no credential-like string is committed.
set -euo pipefail
cd "$(dirname "$0")"
root=..
clients="${FUZZ_CLIENT_FIXTURES:-/work/shared/fixtures/clients}"
targets=(transcript hook_payload config recall_query redact staging skill_frontmatter)

for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cp seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
done

# Transcripts: the first byte picks the reader (even: Codex, odd: Claude).
n=0
add_transcript() { # file
  local f=$1 pick='\x00'
  case "$(basename "$f")" in claude*) pick='\x01' ;; esac
  n=$((n + 1))
  { printf "$pick"; cat "$f"; } > "corpus/transcript/fixture-$n"
  local i=0
  while IFS= read -r line || [ -n "$line" ]; do
    i=$((i + 1))
    { printf "$pick"; printf '%s\n' "$line"; } > "corpus/transcript/fixture-$n-line-$i"
    # The text of every line is also something recall and redaction see.
    printf '%s' "$line" | head -c 2048 > "corpus/redact/fixture-$n-line-$i"
  done < "$f"
}
for f in "$root"/tests/fixtures/transcripts/*.jsonl; do add_transcript "$f"; done
if [ -d "$clients" ]; then
  for f in "$clients"/*rollout*.jsonl "$clients"/*transcript*.jsonl; do
    [ -f "$f" ] && add_transcript "$f"
  done
  i=0
  for f in "$clients"/*hook-stdin.jsonl; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
      i=$((i + 1))
      printf '%s\n' "$line" > "corpus/hook_payload/recorded-$i.json"
    done < "$f"
  done
fi

# The commented default config.toml the binary writes.
awk '/DEFAULT_TOML: &str = r#"/{on=1; sub(/.*r#"/, ""); } on && /^"#;/{exit} on{print}' \
  "$root"/host/src/config.rs > corpus/config/default.toml

# Secret-shaped text, assembled so this file holds none.
pem_head="-----BEGIN ""PRIVATE KEY-----"
pem_tail="-----END ""PRIVATE KEY-----"
body="MIIEvQIBADANBgkqhkiG9w0BAQEFAASC""BKcwggSjAgEAAoIBAQC7q9Zl3xY2"
printf '%s\n%s\n%s\n' "$pem_head" "$body" "$pem_tail" > corpus/redact/pem
printf '%s\n%s\n' "$pem_head" "$body" > corpus/redact/pem-open
printf 'OPENAI_API_KEY=%s%s\n' "sk-proj-" "Q7fZ2mK9xR4tV8wB3nL6pJ1cH5gD0sA""Yu3Ei7Oa2Wq9Zx" > corpus/redact/openai
printf 'token: %s%s\n' "ghp_" "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" > corpus/redact/github
printf 'aws_secret_access_key = %s%s\n' "wJalrXUtnFEMI/K7MDENG/" "bPxRfiCYz9Xq4Lm2Np8" > corpus/redact/aws
printf 'jwt %s.%s.%s\n' "eyJhbGciOiJIUzI1NiJ9" "eyJzdWIiOiIxMjM0NTY3ODkwIn0" "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" > corpus/redact/jwt

for t in "${targets[@]}"; do
  echo "$t: $(ls "corpus/$t" | wc -l) seeds"
done
