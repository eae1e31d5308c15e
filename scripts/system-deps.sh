#!/usr/bin/env bash
# Installs the system packages the test layers need, with apt-get, when they are missing:
# python3-venv (the virtualenv), Chromium (browser tests), Xvfb (real-window tests, from the
# shell issue on), wrk (request benchmarks).
# As root it installs them; otherwise it uses sudo when that works without a password, and
# else prints the command to run. Under CI (CI=true) a missing package is an error.
set -euo pipefail

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[[ -x /usr/lib/chromium/chromium ]] || missing+=(chromium)
command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# Fonts so that pages and screenshots render text (Chromium pulls one in; be explicit).
[[ -d /usr/share/fonts/truetype/dejavu ]] || missing+=(fonts-dejavu-core)

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "system-deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt=(sudo apt-get)
else
  echo "system-deps: cannot install without root. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  if [[ ${CI:-} == true ]]; then exit 1; fi
  echo "system-deps: continuing; the test layers that need them will be skipped." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
