#!/usr/bin/env bash
# Checks what `make test` needs besides Python, before anything is installed or run:
# Node.js with npm (the frontend's tests) and Chromium (the end-to-end tests).
#
# Chromium is $CHROMIUM when set, else `chromium` on PATH (Debian's package puts it
# at /usr/bin/chromium); the e2e tests find it the same way. All present: prints
# nothing. Chromium missing (CHROMIUM unset) and apt-get usable (root, or sudo
# without a password): installs the `chromium` package. Otherwise exits 1 with one
# line saying what to install.
set -u

PREFIX="make test:"
CHROMIUM_HINT="(or set CHROMIUM=/path)"

fail() {
  echo "$PREFIX $1" >&2
  exit 1
}

# "a", "a and b", "a, b and c"
join_and() {
  local out="$1"
  shift
  while [ $# -gt 1 ]; do
    out="$out, $1"
    shift
  done
  [ $# -eq 1 ] && out="$out and $1"
  echo "$out"
}

chromium_found() {
  if [ -n "${CHROMIUM+set}" ]; then
    [ -f "$CHROMIUM" ] && [ -x "$CHROMIUM" ]
  else
    command -v chromium >/dev/null 2>&1
  fi
}

# How to run apt-get: "" as root, "sudo -n" with passwordless sudo; fails if neither.
apt_prefix() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$EUID" -eq 0 ]; then
    echo ""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    echo "sudo -n"
  else
    return 1
  fi
}

names=()
packages=()
command -v node >/dev/null 2>&1 || { names+=("Node.js"); packages+=(nodejs); }
command -v npm >/dev/null 2>&1 || { names+=("npm"); packages+=(npm); }
chromium_missing=false
chromium_found || chromium_missing=true

if [ -n "${CHROMIUM+set}" ] && $chromium_missing; then
  fail "CHROMIUM=$CHROMIUM is not an executable file: point it at Chromium or unset it"
fi

if [ ${#packages[@]} -gt 0 ]; then
  hint=""
  if $chromium_missing; then
    names+=("Chromium")
    packages+=(chromium)
    hint=" $CHROMIUM_HINT"
  fi
  verb="are"
  [ ${#names[@]} -eq 1 ] && verb="is"
  fail "$(join_and "${names[@]}") $verb missing: run 'sudo apt-get install ${packages[*]}'$hint"
fi

$chromium_missing || exit 0

if ! apt="$(apt_prefix)"; then
  fail "Chromium is missing: run 'sudo apt-get install chromium' $CHROMIUM_HINT"
fi
echo "$PREFIX Chromium is missing; installing it with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $apt apt-get update -q || ! $apt apt-get install -y chromium; then
  fail "apt-get could not install Chromium: run 'sudo apt-get install chromium' $CHROMIUM_HINT"
fi
chromium_found || fail "Chromium is still missing after apt-get installed it: set CHROMIUM=/path"
