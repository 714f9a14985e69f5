#!/usr/bin/env bash
# The whole Gatehouse test suite: unit tests, the store conformance suite on
# SQLite and PostgreSQL, and the end-to-end tests (real TLS server, real
# OpenID relying party, real SMTP/SMS test servers, headless Chromium).
# It installs the few Debian tools the tests use and starts the local
# PostgreSQL when it is down, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian tools used by tests: oathtool (independent TOTP codes), zbarimg
# (decodes the enrolment QR code), chromium (browser tests).
missing=()
command -v oathtool >/dev/null 2>&1 || missing+=(oathtool)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# PostgreSQL at 127.0.0.1:5432 (trust auth); start the local cluster if down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -count=1 -timeout 30m "$@" ./...

# Fuzz targets: every seed corpus already ran above; each target is now
# fuzzed a while more. Targets are found, not listed, so a new Fuzz function
# is fuzzed without editing this script. The budgets are counts, not
# durations: with a duration, Go 1.26's fuzz coordinator can fail a target
# with a bare "context deadline exceeded" when the deadline races a busy
# worker (golang/go#75804, fixed in Go 1.27; seen here on FuzzOAuthParams),
# and minimising a new input could otherwise stall a run for a minute.
fuzztime=${GATEHOUSE_TEST_FUZZTIME:-10000x}
while IFS= read -r file; do
  for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=100x "./$(dirname "$file")" 2>&1) ||
      { echo "fuzz target $target in ./$(dirname "$file") failed (the failing input is saved under testdata/fuzz/$target):"; echo "$out" | tail -40; exit 1; }
  done
done < <(git ls-files '*_test.go' 2>/dev/null | xargs grep -l '^func Fuzz' | sort)
echo "fuzzed $(git ls-files '*_test.go' | xargs grep -h '^func Fuzz' | wc -l) targets, $fuzztime inputs each"
