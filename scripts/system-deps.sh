#!/usr/bin/env bash
# Installs the system packages the test layers need, with apt-get, when they are missing:
# python3-venv (the virtualenv), Chromium (browser tests), Xvfb (real-window tests, from the
# shell issue on), wrk (request benchmarks), and the two pywebview backends: GTK/WebKit2GTK
# (PyGObject builds from source against these headers) and the shared libraries that the
# PyQt6/QtWebEngine wheels load but do not ship; binutils for PyInstaller (appkit build).
# As root it installs them; otherwise it uses sudo when that works without a password, and
# else prints the command to run. Under CI (CI=true) a missing package is an error.
set -euo pipefail

missing=()
[[ -x /usr/lib/chromium/chromium ]] || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# Fonts so that pages and screenshots render text (Chromium pulls one in; be explicit).
[[ -d /usr/share/fonts/truetype/dejavu ]] || missing+=(fonts-dejavu-core)
# One interpreter start (pyenv shims are slow): python3-venv for the virtualenv; the Python
# headers for PyGObject's source build (pyenv and other builds ship their own).
read -r -a py_missing < <(python3 - 2>/dev/null <<'PY' || echo python3-venv python3-dev
import os, sysconfig
names = []
try:
    import ensurepip, venv
except ImportError:
    names.append("python3-venv")
if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
    names.append("python3-dev")
print(*names)
PY
)
missing+=("${py_missing[@]}")

# Checked with dpkg, in one call.
packages=(
  # Real windows: a headless X server (xauth for xvfb-run); a small window manager for
  # the tests of maximise/minimise/full screen and bringing the window to the front.
  xvfb xauth jwm
  # GTK backend: WebKit2GTK 4.1 typelibs, and what building PyGObject needs.
  gir1.2-webkit2-4.1 libgirepository1.0-dev libcairo2-dev pkg-config gcc
  # Qt backend: libraries the PyQt6 / PyQt6-WebEngine wheels expect from the system.
  libegl1 libxcomposite1 libxdamage1 libxtst6 libasound2 libdbus-1-3 libfontconfig1 libgbm1
  libglib2.0-0 libnspr4 libnss3 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1
  libxkbcommon-x11-0 libxkbcommon0
  # appkit build (the frozen layer): PyInstaller reads binaries with objdump and strips
  # them; the executables use the system's WebKitGTK at run time.
  binutils libwebkit2gtk-4.1-0
)
declare -A installed=()
while read -r name status; do
  if [[ $status == "install ok installed" ]]; then installed[$name]=1; fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
for package in "${packages[@]}"; do
  [[ -n ${installed[$package]:-} ]] || missing+=("$package")
done

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
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  if [[ ${CI:-} == true ]]; then exit 1; fi
  echo "system-deps: continuing; the test layers that need them will be skipped." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
