# shellcheck shell=bash
# Stage `simulate`: `offerfit simulate` end to end. The process tests (golden summaries of
# seeded runs, what-ifs, --min-agents against an exact solver, usage errors), then the README's
# example written as an HTML report and loaded in headless Chromium: the screenshot must show
# the plots (the palette's line colours present, enough of the page drawn).
#
# Sourced by scripts/test.sh (provides `step`, `check`, `skip`, `apt_install`, `ensure_rust`,
# $ROOT); run alone with `./scripts/test.sh simulate`. Installs Debian's chromium when
# /usr/bin/chromium (or $OFFERFIT_CHROMIUM) is missing. Screenshot: artifacts/simulate-report.png.

stage_simulate() {
  [ -d "$ROOT/bindings/cli/src/simulate" ] || skip "bindings/cli/src/simulate does not exist yet"
  ensure_rust
  step "install chromium" simulate_ensure_chromium
  step "build the CLI" cargo build --locked -p offerfit-cli
  check "simulate process tests" timeout 1200 cargo test --locked -p offerfit-cli --test simulate
  local bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/offerfit" out="$ROOT/artifacts"
  mkdir -p "$out"
  rm -f "$out/simulate-report.html" "$out/simulate-report.png"
  step "the README example, with a report" timeout 600 "$bin" simulate \
    --cluster examples/sim/cluster.txt --workload examples/sim/apps.json --workload examples/sim/actions.json \
    --duration 10m --compare binpack,spread,first_fit --report "$out/simulate-report.html"
  check "the report renders its plots in headless Chromium" \
    simulate_screenshot "$out/simulate-report.html" "$out/simulate-report.png"
}

simulate_ensure_chromium() {
  if [ -z "${OFFERFIT_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || return 1
  fi
  "${OFFERFIT_CHROMIUM:-/usr/bin/chromium}" --version
}

# simulate_screenshot HTML PNG: loads the report (a file: URL, no network) in headless
# Chromium, screenshots the page, and checks the picture: the plot colours are there.
simulate_screenshot() {
  local html=$1 png=$2 profile
  profile="$(mktemp -d)"
  timeout 120 "${OFFERFIT_CHROMIUM:-/usr/bin/chromium}" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --no-first-run \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1400,4600 \
    --screenshot="$png" "file://$html" >/dev/null 2>&1
  rm -rf "$profile"
  [ -s "$png" ] || { echo "no screenshot written" >&2; return 1; }
  python3 - "$png" <<'PY'
# Decodes the PNG with the standard library only and counts the plots' colours: the blue of the
# first series (0,114,178), the orange of the second (230,159,0) and non-white pixels overall.
import struct, sys, zlib

data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and ctype in (2, 6) and interlace == 0, f'unexpected PNG format {depth} {ctype}'
        bpp = 3 if ctype == 2 else 4
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
blue = orange = ink = 0
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if abs(r - 0) < 30 and abs(g - 114) < 30 and abs(bl - 178) < 30: blue += 1
        if abs(r - 230) < 30 and abs(g - 159) < 30 and abs(bl - 0) < 40: orange += 1
        if r + g + bl < 600: ink += 1
    prev = line
total = width * height
print(f'screenshot {width}x{height}: {blue} blue, {orange} orange, {ink} drawn pixels ({100 * ink / total:.1f}%)')
assert blue > 2000, 'the first series (blue) is missing: plots not rendered'
assert orange > 500, 'the second series (orange) is missing'
assert ink > total * 0.03, 'the page is nearly blank'
PY
}
