# shellcheck shell=bash
# Stage `go`: the Go package (bindings/go, module `offerfit`), cgo over the static C library.
#
# Sourced by scripts/test.sh (which provides `step`, `check`, `have`, `can_install`,
# `apt_install`, `ensure_rust` and $ROOT); run it alone with `./scripts/test.sh go`.
#
# Installs (idempotently): Debian's Go (golang-go, 1.19 on bookworm) and gcc for cgo.
# Builds: offerfit-c (debug staticlib, shared with the c stage's build) copied to
#   bindings/go/lib/libofferfit_c.a, where the package's #cgo LDFLAGS look; the CLI (debug).
# Checks: gofmt, go vet, go test (the request corpus byte-identical to `offerfit call --lines`
#   through Call and an Engine, the corpus's place requests through the typed Place, the
#   malformed suite case by case, the typed ops, errors, concurrency, the Example functions;
#   Session replaying every golden transcript of tests/data/session byte for byte and as values).

stage_go() {
  [ -d bindings/go ] || skip "bindings/go does not exist yet"
  ensure_rust
  GO_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  step "install go and gcc" go_ensure
  step "build the static C library and the CLI" go_build
  step "request corpus" python3 scripts/gen-requests.py --out "$ROOT/target/requests.jsonl"
  check "gofmt" go_fmt
  check "go vet" bash -c 'cd bindings/go && go vet ./...'
  check "go test" env OFFERFIT_CLI="$GO_TARGET/debug/offerfit" OFFERFIT_REQUESTS="$ROOT/target/requests.jsonl" \
    bash -c 'cd bindings/go && timeout 900 go test -count=1 ./...'
}

go_ensure() {
  local missing=()
  have go || missing+=(golang-go)
  have gcc || missing+=(gcc)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || return 1
  go version
}

go_build() {
  cargo build --locked -p offerfit-c -p offerfit-cli &&
    mkdir -p bindings/go/lib &&
    cp "$GO_TARGET/debug/libofferfit_c.a" bindings/go/lib/libofferfit_c.a &&
    ls -l bindings/go/lib/libofferfit_c.a
}

go_fmt() {
  local bad
  bad="$(cd bindings/go && gofmt -l .)" || return 1
  [ -z "$bad" ] || { echo "not gofmt-formatted: $bad" >&2; return 1; }
  echo "ok: gofmt"
}
