# shellcheck shell=bash
# Stage `c`: the C ABI and the plain-WASM ABI (bindings/c, crate offerfit-c).
#
# Sourced by scripts/test.sh, which provides `step`, `skip`, `have`, `can_install`,
# `apt_install`, `ensure_rust` and $ROOT; run it alone with `./scripts/test.sh c`.
#
# Installs (idempotently; OFFERFIT_SKIP_INSTALL=1 turns a missing tool into a failure):
#   - cbindgen $C_CBINDGEN_VERSION with `cargo install --locked`, cached in
#     $OFFERFIT_CACHE/cbindgen-<version> (default ~/.cache/offerfit);
#   - gcc, g++, valgrind and pkg-config (apt), the wasm32-unknown-unknown target (ensure_rust);
#   - a Python venv at target/abi-venv with wasmtime and pytest pinned below (PyPI).
# Builds: offerfit-c native (debug cdylib + staticlib) and wasm32 (release), each also with
#   `--features test-panic` (copied to $CARGO_TARGET_DIR/abi/), and the `offerfit` CLI.
# Checks: clippy of the wasm32 build, Rust tests with the test-panic feature, the committed
#   header against a fresh cbindgen run (`make -C bindings/c check-header`; `make ... header`
#   regenerates it), the header as C89/C99/C11/C++ with -pedantic -Werror, `make install`
#   into a temporary prefix (libofferfit.so.X.Y.Z with its SONAME and symlinks, libofferfit.a,
#   offerfit.h, offerfit.pc) and programs built against it through pkg-config (shared and
#   static), the gcc smoke test (static under valgrind, shared),
#   and pytest: ctypes + wasmtime answers byte-identical to `offerfit call --lines` on the request
#   corpus, and every malformed-suite case (tests/data/malformed, via malformed.py load + judge)
#   refused as expected by the C ABI, the plain-WASM ABI and an engine handle; and the cheap
#   hostile battery of issue 20 (test_hostile.py over scripts/hostile-hosts.py) through the
#   CLI, the C ABI, an engine handle and the plain-WASM ABI, one process per call.

C_CBINDGEN_VERSION=0.29.4
C_PY_WASMTIME_VERSION=50.0.1
C_PY_PYTEST_VERSION=9.2.0

stage_c() {
  [ -d bindings/c ] || skip "bindings/c does not exist yet"
  ensure_rust
  C_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  C_CACHE="${OFFERFIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offerfit}"
  C_VENV="$ROOT/target/abi-venv"
  step "install cbindgen $C_CBINDGEN_VERSION" c_ensure_cbindgen
  step "install gcc and valgrind" c_ensure_c_tools
  step "install python venv (wasmtime $C_PY_WASMTIME_VERSION, pytest $C_PY_PYTEST_VERSION)" c_ensure_venv
  step "build with test-panic (native, wasm32)" c_build_test_panic
  # Independent checks: each failure is reported and the stage goes on (`check`), the stage
  # still failing at its end. The test-panic checks come before the plain build, which must
  # leave the normal artifacts in place for the smoke test and pytest.
  c_check "wasm32 ABI is clippy-clean" cargo clippy --locked -p offerfit-c --no-deps \
    --target wasm32-unknown-unknown --features test-panic -- -D warnings
  c_check "rust tests with test-panic" cargo test --locked -p offerfit-c --features test-panic
  step "build (native cdylib/staticlib, wasm32 release, CLI)" c_build
  c_check "header matches cbindgen" c_header_is_current
  c_check "header compiles as C89, C99, C11 and C++ (-pedantic -Wall -Wextra -Werror)" c_header_standards
  c_check "make install: libofferfit with SONAME, pkg-config, shared and static programs" c_install_and_link
  c_check "C smoke test (gcc; static under valgrind, shared)" c_smoke
  step "request corpus" python3 scripts/gen-requests.py --out "$ROOT/target/requests.jsonl"
  c_check "pytest (ctypes + wasmtime vs the CLI)" env CARGO_TARGET_DIR="$C_TARGET" \
    OFFERFIT_REQUESTS="$ROOT/target/requests.jsonl" timeout 1200 \
    "$C_VENV/bin/python" -m pytest -p no:cacheprovider -q -rs bindings/c/tests
}

# `check` (record the failure, go on) where test.sh has it, else `step`.
c_check() {
  if declare -F check >/dev/null; then
    check "$@"
  else
    step "$@"
  fi
}

c_ensure_cbindgen() {
  local root="$C_CACHE/cbindgen-$C_CBINDGEN_VERSION"
  if [ ! -x "$root/bin/cbindgen" ]; then
    can_install || { echo "missing: cbindgen $C_CBINDGEN_VERSION (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    mkdir -p "$root"
    # Its own target dir: the workspace's is not for tools, and the cache keeps the binary.
    CARGO_TARGET_DIR="$C_CACHE/cbindgen-build" timeout 1800 \
      cargo install --locked --quiet --version "$C_CBINDGEN_VERSION" --root "$root" cbindgen || return 1
    rm -rf "$C_CACHE/cbindgen-build"
  fi
  C_CBINDGEN="$root/bin/cbindgen"
  "$C_CBINDGEN" --version
}

c_ensure_c_tools() {
  local missing=()
  have gcc || missing+=(gcc)
  have valgrind || missing+=(valgrind)
  have g++ || missing+=(g++)
  have pkg-config || missing+=(pkg-config)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || return 1
  gcc --version | head -n1
  valgrind --version
}

c_ensure_venv() {
  local py="$C_VENV/bin/python"
  if [ ! -x "$py" ]; then
    can_install || { echo "missing: $C_VENV (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    if ! python3 -m venv "$C_VENV"; then
      rm -rf "$C_VENV"
      apt_install python3-venv python3-pip && python3 -m venv "$C_VENV" || return 1
    fi
  fi
  if ! "$py" - "$C_PY_WASMTIME_VERSION" "$C_PY_PYTEST_VERSION" <<'EOF'; then
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    found = (version("wasmtime"), version("pytest"))
except PackageNotFoundError:  # a fresh venv: install below
    sys.exit(1)
sys.exit(0 if found == (sys.argv[1], sys.argv[2]) else 1)
EOF
    can_install || { echo "missing: wasmtime/pytest in $C_VENV (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    timeout 600 "$py" -m pip install --quiet --disable-pip-version-check \
      "wasmtime==$C_PY_WASMTIME_VERSION" "pytest==$C_PY_PYTEST_VERSION" || return 1
  fi
  "$py" -c 'import wasmtime, pytest; print("python", __import__("sys").version.split()[0], "pytest", pytest.__version__)'
}

# The test-panic builds first, copied aside, so the plain builds below leave the normal
# artifacts in place (the feature adds an op that panics; it must never ship).
c_build_test_panic() {
  mkdir -p "$C_TARGET/abi" &&
    cargo build --locked -p offerfit-c --features test-panic &&
    cp "$C_TARGET/debug/libofferfit_c.so" "$C_TARGET/abi/libofferfit_c_test_panic.so" &&
    cargo build --locked -p offerfit-c --release --target wasm32-unknown-unknown --features test-panic &&
    cp "$C_TARGET/wasm32-unknown-unknown/release/offerfit_c.wasm" "$C_TARGET/abi/offerfit_c_test_panic.wasm" &&
    echo "${OFFERFIT_RUN_ID:-}" >"$C_TARGET/abi/offerfit_c_test_panic.wasm.run"
}

c_build() {
  cargo build --locked -p offerfit-c -p offerfit-cli &&
    cargo build --locked -p offerfit-c --release --target wasm32-unknown-unknown &&
    ls -l "$C_TARGET/debug/libofferfit_c.so" "$C_TARGET/debug/libofferfit_c.a" \
      "$C_TARGET/wasm32-unknown-unknown/release/offerfit_c.wasm" "$C_TARGET/debug/offerfit"
}

c_header_is_current() {
  make -s -C bindings/c check-header CBINDGEN="$C_CBINDGEN"
}

c_header_standards() {
  local std flags=(-pedantic -Wall -Wextra -Werror -fsyntax-only -I bindings/c/include)
  for std in c89 c99 c11; do
    gcc -std="$std" "${flags[@]}" bindings/c/tests/header.c || { echo "offerfit.h fails as $std" >&2; return 1; }
  done
  g++ -std=c++11 -x c++ "${flags[@]}" bindings/c/tests/header.c || { echo "offerfit.h fails as C++11" >&2; return 1; }
  echo "ok: offerfit.h compiles as C89, C99, C11 and C++11 with -pedantic -Werror"
}

# `make install` into a fresh prefix (dev profile: the stage's debug build is reused), then the
# conventions a C user relies on: the SONAME and its symlinks, pkg-config's answers, and the
# header test built against the installed files, shared and static.
c_install_and_link() {
  local prefix version soname pc out
  prefix="$(mktemp -d)"
  out="$C_TARGET/abi/install"
  make -s -C bindings/c install PROFILE=dev PREFIX="$prefix" OUT="$out" CARGO_TARGET_DIR="$C_TARGET" >/dev/null || return 1
  read -r version soname < <(make -s -C bindings/c print-version)
  for f in "lib/libofferfit.so.$version" "lib/$soname" lib/libofferfit.so lib/libofferfit.a     include/offerfit.h lib/pkgconfig/offerfit.pc; do
    [ -e "$prefix/$f" ] || { echo "make install did not install $f" >&2; return 1; }
  done
  [ "$(readlink "$prefix/lib/libofferfit.so")" = "$soname" ] || { echo "libofferfit.so does not point at $soname" >&2; return 1; }
  readelf -d "$prefix/lib/libofferfit.so.$version" | grep -q "Library soname: \[$soname\]" ||
    { echo "libofferfit.so.$version has no SONAME $soname" >&2; readelf -d "$prefix/lib/libofferfit.so.$version" | grep -i soname >&2; return 1; }
  pc=(env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config)
  [ "$("${pc[@]}" --modversion offerfit)" = "$version" ] || { echo "pkg-config --modversion is not $version" >&2; return 1; }
  # shellcheck disable=SC2046
  gcc -std=c89 -pedantic -Wall -Werror bindings/c/tests/header.c $("${pc[@]}" --cflags --libs offerfit) \
    -o "$C_TARGET/abi/header-shared" || return 1
  LD_LIBRARY_PATH="$prefix/lib" "$C_TARGET/abi/header-shared" || return 1
  # The program needs the SONAME, not the development symlink.
  readelf -d "$C_TARGET/abi/header-shared" | grep -q "Shared library: \[$soname\]" ||
    { echo "the program does not link against $soname" >&2; return 1; }
  # shellcheck disable=SC2046
  gcc -std=c99 -pedantic -Wall -Werror bindings/c/tests/header.c $("${pc[@]}" --cflags offerfit) \
    $("${pc[@]}" --libs-only-L offerfit) -Wl,-Bstatic -lofferfit -Wl,-Bdynamic $("${pc[@]}" --static --libs-only-l offerfit | sed 's/-lofferfit//') \
    -o "$C_TARGET/abi/header-static" || return 1
  if readelf -d "$C_TARGET/abi/header-static" | grep -q libofferfit; then
    echo "the static program still needs libofferfit.so" >&2
    return 1
  fi
  "$C_TARGET/abi/header-static" || return 1
  make -s -C bindings/c uninstall PREFIX="$prefix" >/dev/null || return 1
  [ -z "$(find "$prefix" -type f -o -type l)" ] || { echo "make uninstall left: $(find "$prefix" -type f -o -type l)" >&2; return 1; }
  rm -rf "$prefix"
  echo "ok: $soname (libofferfit.so.$version), libofferfit.a, offerfit.h, offerfit.pc installed and used"
}

c_smoke() {
  local cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -I bindings/c/include)
  # `make install` (c_install_and_link) relinks the debug library in place with a SONAME for
  # the installed name; the smoke test links the build tree's own library, so build it back.
  cargo build --locked -q -p offerfit-c || return 1
  gcc "${cflags[@]}" bindings/c/tests/smoke.c "$C_TARGET/debug/libofferfit_c.a" -lpthread -ldl -lm \
    -o "$C_TARGET/abi/smoke-static" || return 1
  gcc "${cflags[@]}" bindings/c/tests/smoke.c -L "$C_TARGET/debug" -lofferfit_c -Wl,-rpath,"$C_TARGET/debug" \
    -o "$C_TARGET/abi/smoke-shared" || return 1
  echo "--- shared library:"
  timeout 120 "$C_TARGET/abi/smoke-shared" || return 1
  echo "--- static library, under valgrind:"
  timeout 600 valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$C_TARGET/abi/smoke-static"
}
