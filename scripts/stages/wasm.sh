# shellcheck shell=bash
# Stages `wasm`, `node` and `browser`: the npm package `offerfit` (bindings/wasm, crate
# offerfit-wasm) and its playground (bindings/wasm/www).
#
# Sourced by scripts/test.sh, which provides `step`, `check`, `skip`, `have`, `can_install`,
# `apt_install`, `ensure_rust` and $ROOT; run one alone with `./scripts/test.sh node`.
#
# Installs (idempotently; OFFERFIT_SKIP_INSTALL=1 turns a missing tool into a failure):
#   - the wasm32-unknown-unknown target (ensure_rust);
#   - the wasm-bindgen CLI at exactly the `wasm-bindgen` version of Cargo.lock, with
#     `cargo install wasm-bindgen-cli --version X` (not --locked: the CLI's own lockfile names
#     a crate version the registry lacks); kept in ~/.cargo/bin and reused while it matches;
#   - Node.js (Debian's, only when `node` is missing) and the package's devDependencies with
#     `npm ci` from the committed package-lock.json (typescript, binaryen for wasm-opt,
#     playwright-core), redone only when the lockfile changes;
#   - Debian's chromium, only when /usr/bin/chromium is missing (the browser stage).
# Builds (scripts/build-wasm.sh): pkg/ (one module, profile wasm-release, wasm-opt -O3
#   --one-caller-inline-max-function-size 0 from npm binaryen, not Debian's binaryen 108; the
#   bundler glue beside it, node/ and web/ glue below) and pkg/test-node (feature test-panic).
# Checks: see each stage.

WASM_PKG_DIR="bindings/wasm"

# wasm: the Rust side of the package, its build, its TypeScript types.
stage_wasm() {
  [ -d "$WASM_PKG_DIR" ] || skip "bindings/wasm does not exist yet"
  wasm_prepare
  check "clippy (wasm32, test-panic)" cargo clippy --locked -p offerfit-wasm --no-deps \
    --target wasm32-unknown-unknown --features test-panic -- -D warnings
  check "rust tests with test-panic (typed = text answers, declared shapes, panics)" \
    timeout 900 cargo test --locked -p offerfit-wasm --features test-panic
  check "TypeScript types accept real use (tsc --noEmit)" \
    "$WASM_PKG_DIR/node_modules/.bin/tsc" --noEmit -p "$WASM_PKG_DIR/tests/tsconfig.json"
  check "package files and tarball (npm pack --dry-run)" wasm_package_files
}

# node: the package under Node (node:test): every op, errors, byte-identical answers to the
# native CLI on the request corpus, panic safety, the three builds.
stage_node() {
  [ -d "$WASM_PKG_DIR" ] || skip "bindings/wasm does not exist yet"
  wasm_prepare
  step "build the native CLI (for the comparison)" cargo build --locked -p offerfit-cli
  check "node --test bindings/wasm/tests/" env OFFERFIT_CLI="$(wasm_target_dir)/debug/offerfit" \
    timeout 900 node --test "$WASM_PKG_DIR/tests/"
}

# browser: the playground end to end in headless Chromium; screenshots in artifacts/.
stage_browser() {
  [ -d "$WASM_PKG_DIR/www" ] || skip "bindings/wasm/www does not exist yet"
  wasm_prepare
  step "install chromium" wasm_ensure_chromium
  rm -f "$ROOT/artifacts/playground.png"
  check "playground e2e (headless Chromium)" timeout 600 node --test "$WASM_PKG_DIR/tests/browser.e2e.mjs"
  check "screenshot kept" test -s "$ROOT/artifacts/playground.png"
}

# Tools, npm packages and the build: what every one of the three stages needs (cheap when
# already done, so a stage run alone is complete).
wasm_prepare() {
  ensure_rust
  step "install wasm-bindgen CLI (the version in Cargo.lock)" wasm_ensure_bindgen
  step "install node" wasm_ensure_node
  step "npm ci (bindings/wasm)" wasm_npm_ci
  step "build pkg/ (one module; node, web, bundler glue) and pkg/test-node" timeout 1800 bash "$ROOT/scripts/build-wasm.sh"
}

wasm_target_dir() {
  printf '%s' "${CARGO_TARGET_DIR:-$ROOT/target}"
}

wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

wasm_ensure_bindgen() {
  local want have_version
  want="$(wasm_bindgen_lock_version)"
  [ -n "$want" ] || { echo "Cargo.lock has no wasm-bindgen entry" >&2; return 1; }
  have_version="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
  if [ "$have_version" != "$want" ]; then
    can_install || { echo "missing: wasm-bindgen $want (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    echo "installing wasm-bindgen-cli $want (found '${have_version:-none}')"
    # Not --locked: the CLI's lockfile names a crate version that is not on the registry.
    timeout 2400 cargo install --quiet --force wasm-bindgen-cli --version "$want" || return 1
  fi
  wasm-bindgen --version
}

wasm_ensure_node() {
  if ! have node || ! have npm; then
    apt_install nodejs npm || return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 18 ] || { echo "node $major is too old: the tests need node >= 18" >&2; return 1; }
  node --version
}

# `npm ci` when node_modules does not match the committed lockfile (a stamp remembers which
# lockfile the last install came from).
wasm_npm_ci() {
  local dir="$ROOT/$WASM_PKG_DIR" stamp sum
  stamp="$dir/node_modules/.offerfit-lock.sha256"
  sum="$(sha256sum "$dir/package-lock.json" | cut -c1-64)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ] || [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
    can_install || { echo "missing: npm packages of bindings/wasm (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    (cd "$dir" && timeout 600 npm ci --no-audit --no-fund) || return 1
    printf '%s\n' "$sum" >"$stamp"
  fi
  "$dir/node_modules/.bin/wasm-opt" --version
}

wasm_ensure_chromium() {
  if [ -z "${OFFERFIT_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || return 1
  fi
  "${OFFERFIT_CHROMIUM:-/usr/bin/chromium}" --version
}

# Every file the package.json exports and lists exists after the build, there is one module
# (the optimised one), and the tarball holds what `npm pack --dry-run` lists: README, LICENSE,
# one .wasm, no test build.
wasm_package_files() {
  local dir="$ROOT/$WASM_PKG_DIR" f missing=0 listing
  for f in README.md LICENSE js/node.mjs js/bundler.mjs js/web.mjs js/guard.mjs js/session.mjs js/index.d.ts js/web.d.ts js/session.d.ts \
    pkg/offerfit_wasm_bg.wasm pkg/offerfit_wasm.js pkg/offerfit_wasm_bg.js pkg/offerfit_wasm.d.ts \
    pkg/node/offerfit_wasm.js pkg/node/offerfit_wasm.d.ts pkg/web/offerfit_wasm.js pkg/web/offerfit_wasm.d.ts; do
    [ -s "$dir/$f" ] || { echo "missing: $WASM_PKG_DIR/$f" >&2; missing=1; }
  done
  [ "$missing" = 0 ] || return 1
  cmp -s "$ROOT/LICENSE" "$dir/LICENSE" || { echo "$WASM_PKG_DIR/LICENSE differs from LICENSE" >&2; return 1; }
  listing="$(cd "$dir" && npm pack --dry-run --json 2>/dev/null | node -e '
    const [p] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const f of p.files) console.log(f.path);')" || return 1
  printf '%s\n' "$listing" | sed 's/^/  tarball: /'
  [ "$(printf '%s\n' "$listing" | grep -c '\.wasm$')" = 1 ] || { echo "the tarball must hold exactly one .wasm" >&2; return 1; }
  printf '%s\n' "$listing" | grep -qx README.md && printf '%s\n' "$listing" | grep -qx LICENSE ||
    { echo "the tarball lacks README.md or LICENSE" >&2; return 1; }
  ! printf '%s\n' "$listing" | grep -q 'test-node\|wasm-opt-cache' || { echo "the tarball holds a test build" >&2; return 1; }
  echo "offerfit_wasm_bg.wasm: $(wc -c <"$dir/pkg/offerfit_wasm_bg.wasm") bytes" \
    "($(gzip -9c "$dir/pkg/offerfit_wasm_bg.wasm" | wc -c) gzipped), one module for every entry"
}
