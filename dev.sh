#!/usr/bin/env bash
# retrowalk developer entry point. Sets itself up on a fresh machine (Python 3.11+):
#   ./dev.sh demo   run a bundled workout against the simulated treadmill, in fast mode
#   ./dev.sh test   lint, type-check and run the whole test suite (installs mosquitto + espeak-ng)
#   ./dev.sh setup  only create .venv and install retrowalk with its dev tools
set -euo pipefail
cd "$(dirname "$0")"

VENV="${RETROWALK_VENV:-.venv}"

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "retrowalk needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

setup() {
    local stamp="$VENV/.retrowalk-installed" want
    want=$(cat pyproject.toml | sha256sum | cut -c1-16)
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating $VENV" >&2
        "$(find_python)" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "==> installing retrowalk and its dev tools into $VENV (first run takes a minute)" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
        echo "$want" >"$stamp"
    fi
}

# System tools the tests use for real: the mosquitto broker and the espeak-ng speech engine.
install_system_tools() {
    local missing=()
    command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
    command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
            echo "==> cannot install ${missing[*]} (not root, no sudo): the tests that need them skip" >&2
            return 0
        fi
    fi
    if command -v apt-get >/dev/null 2>&1; then
        echo "==> installing ${missing[*]} with apt-get" >&2
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v brew >/dev/null 2>&1; then
        brew install "${missing[@]}"
    else
        echo "==> no apt-get or brew: install ${missing[*]} by hand; the tests that need them skip" >&2
    fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
setup)
    setup
    ;;
demo)
    setup
    exec "$VENV/bin/retrowalk" run workouts/retro-intro.yaml --sim --fast --yes "$@"
    ;;
test)
    setup
    install_system_tools
    echo "==> ruff check" >&2
    "$VENV/bin/ruff" check .
    echo "==> ruff format --check" >&2
    "$VENV/bin/ruff" format --check .
    echo "==> mypy --strict" >&2
    "$VENV/bin/mypy"
    echo "==> pytest" >&2
    exec "$VENV/bin/pytest" "$@"
    ;;
*)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
