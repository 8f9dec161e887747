#!/usr/bin/env bash
# Vendor the front-end assets of GO MASK from the npm registry into static/vendor/.
#
# The copied files are committed, so `make run` and production need no npm and no CDN.
# Run this only to upgrade: change the pinned versions in package.json, then
#   bash scripts/vendor_assets.sh
# and commit package.json, package-lock.json and static/vendor/ together.
#
# Leaflet is NOT vendored here: it comes from the django-leaflet Python package.
#
#   bash scripts/vendor_assets.sh --check   (CI, `make vendor-check`)
# rebuilds the files in a temporary directory from package-lock.json and fails when they differ
# from the committed static/vendor/. When npm cannot fetch the packages within a minute (no
# registry, empty cache), it falls back to the checksums recorded in static/vendor/SHA256SUMS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

check_recorded_checksums() {
    echo "npm could not fetch the packages: checking static/vendor/ against SHA256SUMS instead." >&2
    (cd "$ROOT/static/vendor" && sha256sum --check --quiet --strict SHA256SUMS)
    # Every file is listed, so none can be added without its checksum.
    diff <(cd "$ROOT/static/vendor" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort) \
        <(awk '{print $2}' "$ROOT/static/vendor/SHA256SUMS" | sort)
}

if [[ $CHECK == 1 ]]; then
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
    cp package.json package-lock.json "$WORK/"
    if ! command -v npm >/dev/null 2>&1 \
        || ! (cd "$WORK" && timeout 60 npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error); then
        check_recorded_checksums
        echo "static/vendor/ matches its recorded checksums."
        exit 0
    fi
    NM="$WORK/node_modules"
    VENDOR="$WORK/vendor"
else
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is required to refresh static/vendor/ (the committed files work without it)." >&2
        exit 1
    fi
    # Reproducible install from the lock file when there is one; no install scripts run.
    if [[ -f package-lock.json ]]; then
        npm ci --ignore-scripts --no-audit --no-fund
    else
        npm install --ignore-scripts --no-audit --no-fund
    fi
    NM="$ROOT/node_modules"
    VENDOR="$ROOT/static/vendor"
fi

version_of() {
    node -p "require('$1/package.json').version"
}

copy() { # copy SRC DEST, failing loudly when the package layout changed
    if [[ ! -f "$1" ]]; then
        echo "missing $1: has the package layout changed?" >&2
        exit 1
    fi
    install -D -m 0644 "$1" "$2"
}

# --- Pico CSS: the whole framework, one minified stylesheet (default theme) -----------
rm -rf "$VENDOR/pico"
PICO="$NM/@picocss/pico"
copy "$PICO/css/pico.min.css" "$VENDOR/pico/pico.min.css"
copy "$PICO/LICENSE.md" "$VENDOR/pico/LICENSE.md"
echo "@picocss/pico $(version_of "$PICO")" > "$VENDOR/pico/VERSION"

# --- Chart.js: the UMD bundle (exposes window.Chart; includes @kurkle/color) ----------
rm -rf "$VENDOR/chartjs"
CHART="$NM/chart.js"
copy "$CHART/dist/chart.umd.min.js" "$VENDOR/chartjs/chart.umd.min.js"
copy "$CHART/LICENSE.md" "$VENDOR/chartjs/LICENSE.md"
copy "$NM/@kurkle/color/LICENSE.md" "$VENDOR/chartjs/LICENSE-kurkle-color.md"
{
    echo "chart.js $(version_of "$CHART")"
    echo "@kurkle/color $(version_of "$NM/@kurkle/color") (bundled inside chart.umd.min.js)"
} > "$VENDOR/chartjs/VERSION"

# --- axe-core: accessibility checks for the test suite only ----------------------------
# Copied under tests/, not static/: the browser tests inject it into the pages they check;
# it is never served to users.
AXE_DIR="$ROOT/tests/vendor/axe-core"
rm -rf "$AXE_DIR"
AXE="$NM/axe-core"
copy "$AXE/axe.min.js" "$AXE_DIR/axe.min.js"
copy "$AXE/LICENSE" "$AXE_DIR/LICENSE"
echo "axe-core $(version_of "$AXE")" > "$AXE_DIR/VERSION"

# Drop the source-map comment: the .map file is not shipped, and a missing map only
# produces a 404 in the browser's developer tools.
sed -i -e 's|//# sourceMappingURL=.*$||' "$VENDOR/chartjs/chart.umd.min.js"
sed -i -e 's|/\*# sourceMappingURL=.*\*/||' "$VENDOR/pico/pico.min.css"

if [[ $CHECK == 1 ]]; then
    if ! diff -r --exclude=SHA256SUMS "$ROOT/static/vendor" "$VENDOR"; then
        echo "static/vendor/ differs from what package-lock.json produces: run \`make vendor\`." >&2
        exit 1
    fi
    echo "static/vendor/ matches what package-lock.json produces."
    exit 0
fi

# Recorded checksums: the fall-back check when npm cannot reach its registry.
(cd "$VENDOR" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum > SHA256SUMS)

echo "Vendored into $VENDOR and $AXE_DIR:"
find "$VENDOR" "$AXE_DIR" -type f | sort | sed "s|$ROOT/||"
