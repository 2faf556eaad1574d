#!/usr/bin/env bash
# ensure-go.sh: make the Go this module needs the active one, on CodeBuild's curated images and
# elsewhere, then write the environment the later commands must source.
#
#   bash scripts/ensure-go.sh [ENV_FILE]     (default ENV_FILE: .smcd-go.env)
#   . ./.smcd-go.env
#
# The version wanted is the go directive of this directory's go.mod (say 1.26.8). In order:
#   1. the active go is already at that major.minor or newer: keep it;
#   2. goenv is installed (CodeBuild's amazonlinux2 and Ubuntu standard images install several Go
#      versions with it and make 1.20 the global default): make its newest installed version the
#      global one and, when that is Go 1.21 or later, set GOTOOLCHAIN=go<wanted> so the go command
#      fetches the exact toolchain through the module proxy (verified by the checksum database);
#   3. otherwise (no goenv, or every goenv version older than 1.21, which ignores GOTOOLCHAIN):
#      download the official archive from go.dev/dl into ${SMCD_GO_ROOT:-$HOME/.cache/smcd}.
# Then `go version` is checked: anything older than wanted fails here, with what was found.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
env_file=${1:-.smcd-go.env}
gomod=${SMCD_GO_MOD:-$here/go.mod}

die() { echo "ensure-go: $*" >&2; exit 1; }

want=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$gomod" | head -n 1)
[ -n "$want" ] || die "no 'go' directive in $gomod: expected a line such as 'go 1.26.8'"
want_minor=$(echo "$want" | cut -d. -f1,2)

# ver_ge A B: version A >= version B (dotted numbers).
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
# go_version: the active go's version without the "go" prefix, or nothing when there is no go.
go_version() { command -v go >/dev/null 2>&1 && go env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9][0-9.]*\).*/\1/p' || true; }

# shell_quote: $1 single-quoted for any POSIX shell (the env file is sourced by sh, dash on Ubuntu).
shell_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

exports=()
have=$(go_version)
if [ -n "$have" ] && ver_ge "$have" "$want_minor"; then
  echo "ensure-go: using go$have (this module needs go$want_minor or later)"
elif command -v goenv >/dev/null 2>&1 && newest=$(goenv versions --bare 2>/dev/null | grep -E '^[0-9]+\.[0-9]+(\.[0-9]+)?$' | sort -V | tail -n 1) && [ -n "$newest" ] && ver_ge "$newest" 1.21; then
  goenv global "$newest"
  hash -r
  if ver_ge "$newest" "$want_minor"; then
    echo "ensure-go: goenv global $newest (was go${have:-none})"
  else
    # Go 1.21+ honours GOTOOLCHAIN: it downloads go$want from the module proxy and checks it
    # against the checksum database.
    export GOTOOLCHAIN="go$want"
    exports+=("GOTOOLCHAIN=go$want")
    echo "ensure-go: goenv global $newest with GOTOOLCHAIN=go$want (was go${have:-none})"
  fi
else
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no Go $want_minor or later and no goenv, and no official Go archive for machine type $(uname -m): install Go $want yourself" ;;
  esac
  root=${SMCD_GO_ROOT:-$HOME/.cache/smcd}/go$want
  if [ ! -x "$root/bin/go" ]; then
    url="https://go.dev/dl/go$want.linux-$arch.tar.gz"
    echo "ensure-go: found go${have:-none} and no usable goenv; downloading $url"
    # Unpacked beside its final place and moved there whole: a broken download leaves nothing.
    mkdir -p "$(dirname "$root")"
    tmp=$(mktemp -d "$root.partial.XXXXXX")
    if ! curl -fsSL --retry 3 "$url" | tar -xz -C "$tmp" --strip-components=1; then
      rm -rf "$tmp"
      die "could not download or unpack $url: install Go $want, or make it reachable"
    fi
    rm -rf "$root" && mv "$tmp" "$root"
  fi
  export PATH="$root/bin:$PATH"
  hash -r
  exports+=("PATH=$(shell_quote "$root/bin"):\"\$PATH\"")
fi

got=$(go_version)
[ -n "$got" ] && ver_ge "$got" "$want_minor" ||
  die "Go $want_minor or later is required to build this module (go.mod says go $want); the active go is ${got:-missing} ($(command -v go || echo 'not on PATH'))"

{
  echo "# written by scripts/ensure-go.sh: source it before running go"
  for e in "${exports[@]}"; do echo "export $e"; done
  # The module's go.mod and go.sum are the pinned dependency set: never rewrite them in a build.
  echo "export GOFLAGS=-mod=readonly"
} >"$env_file"
echo "ensure-go: $(go version)"
