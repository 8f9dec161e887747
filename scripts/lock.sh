#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml (the source of truth), with uv:
#   requirements.lock      runtime dependencies only: the production image installs this one;
#   requirements-dev.lock  runtime + the `dev` group (tests, lint, uv): make run / make test.
#
#   bash scripts/lock.sh          rewrite both files (what `make lock` runs)
#   bash scripts/lock.sh --check  fail when either file differs from what pyproject.toml gives
#
# Versions already pinned are kept (uv prefers them) unless pyproject.toml asks for others, so
# a lock is only upgraded on purpose (`UPGRADE=1 bash scripts/lock.sh`). Pins are read even
# from a lock file left with merge-conflict markers or with hand-added `name==version` lines
# without hashes: after merging branches that each added a dependency, run `make lock` once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
UV="${UV:-$ROOT/.venv/bin/uv}"
if [[ ! -x "$UV" ]]; then
    UV="$(command -v uv || true)"
fi
if [[ -z "$UV" ]]; then
    echo "uv is missing: run \`make venv\` (it is in the dev group) or \`pip install uv\`." >&2
    exit 1
fi

CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Pins of both lock files (the runtime set is a subset of the dev set), as uv preferences.
preferences() {
    cat requirements.lock requirements-dev.lock 2>/dev/null \
        | grep -E '^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])?==[^ ;\\]+' -o \
        | sed -E 's/\[[^]]*\]//' \
        | sort -t= -k1,1 -u -f
}

compile() { # compile OUTPUT [uv options...]
    local output="$1"
    shift
    if [[ "${UPGRADE:-0}" != 1 ]]; then
        preferences > "$WORK/$output"
    fi
    "$UV" pip compile pyproject.toml "$@" \
        --universal --python-version 3.11 --generate-hashes \
        --custom-compile-command "make lock" --quiet \
        -o "$WORK/$output"
}

compile requirements.lock
# --all-extras: a dependency still declared under [project.optional-dependencies] is not lost.
compile requirements-dev.lock --group dev --all-extras

status=0
for lock in requirements.lock requirements-dev.lock; do
    if [[ $CHECK == 1 ]]; then
        if ! diff -u "$lock" "$WORK/$lock"; then
            echo "$lock does not match pyproject.toml: run \`make lock\` and commit it." >&2
            status=1
        fi
    else
        cp "$WORK/$lock" "$lock"
    fi
done
[[ $CHECK == 1 && $status == 0 ]] && echo "requirements.lock and requirements-dev.lock match pyproject.toml."
exit $status
