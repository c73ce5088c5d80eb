#!/usr/bin/env bash
# Install the Debian packages budgetopt's tests need, only those that are missing.
#
#   scripts/setup-system.sh            check everything below
#   scripts/setup-system.sh venv       check only what `python3 -m venv` needs
#
# What each need is for:
#   venv      python3.11-venv, when $PYTHON (default python3) has no ensurepip (Debian's own Python)
#   browser   chromium at /usr/bin/chromium: Playwright end-to-end tests (no `playwright install`)
#   postgres  postgresql: initdb/pg_ctl (in /usr/lib/postgresql/<ver>/bin) for the store tests
#   office    libreoffice-calc-nogui: converting exported workbooks headless
#   pdf       poppler-utils: pdftoppm, pdfinfo, pdftotext, to look at and check the board paper
#   fonts     fonts-dejavu-core: text in Chromium screenshots and LibreOffice output
#   curl      curl: health checks of the Streamlit server
#
# Fast and silent-ish when everything is there: apt-get runs only when something is missing.
# Never fatal: if it cannot install (not root and no sudo, no network), it warns and exits 0,
# so the tests that need the missing tool skip with their own reason.
set -uo pipefail

PYTHON=${PYTHON:-python3}
needs=("$@")
[ ${#needs[@]} -gt 0 ] || needs=(venv browser postgres office pdf fonts curl)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
for need in "${needs[@]}"; do
  case "$need" in
    venv)
      "$PYTHON" -c 'import ensurepip' 2>/dev/null || {
        ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
        missing+=("python${ver:-3}-venv")
      } ;;
    browser)
      [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    postgres)
      command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
        || missing+=(postgresql) ;;
    office)
      command -v soffice >/dev/null 2>&1 || installed libreoffice-calc-nogui || installed libreoffice-calc \
        || missing+=(libreoffice-calc-nogui) ;;
    pdf)
      command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils) ;;
    fonts)
      installed fonts-dejavu-core || missing+=(fonts-dejavu-core) ;;
    curl)
      command -v curl >/dev/null 2>&1 || missing+=(curl) ;;
    *)
      echo "setup-system: unknown need '$need' (known: venv browser postgres office pdf fonts curl)" >&2
      exit 2 ;;
  esac
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: system packages present (${needs[*]})"
  exit 0
fi

warn() {
  echo "WARNING: setup-system: could not install: ${missing[*]} ($1)." >&2
  echo "WARNING: tests that need them will be skipped; install them by hand with apt-get." >&2
  exit 0
}

if [ "$EUID" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  warn "not root and no sudo"
fi
command -v apt-get >/dev/null 2>&1 || warn "no apt-get: not a Debian-like system"

echo "setup-system: installing ${missing[*]} (once; this can take a few minutes)"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq </dev/null || warn "apt-get update failed"
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null \
  || warn "apt-get install failed"
echo "setup-system: installed ${missing[*]}"
