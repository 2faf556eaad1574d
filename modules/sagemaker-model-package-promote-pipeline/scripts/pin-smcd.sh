#!/usr/bin/env bash
# pin-smcd.sh: fetch the sagemaker-cd release this module builds with, after applying the
# manifest's overrides, so the app builds with -mod=readonly afterwards.
#
#   SEEDFARMER_PARAMETER_SMCD_VERSION   a version or commit of github.com/sagemaker-cd/sagemaker-cd
#                                       to use instead of the one go.mod pins (e.g. v0.2.0)
#   SEEDFARMER_PARAMETER_SMCD_REPLACE   a module to build instead, as PATH@VERSION (a fork or a
#                                       private mirror) or a directory holding a checkout
#
# Private sources need the usual Go settings (GOPRIVATE, GOPROXY, GONOSUMDB, git credentials) in
# the build environment.
set -euo pipefail

mod=github.com/sagemaker-cd/sagemaker-cd
# This script is what may change the bundle's go.mod and go.sum; the build after it may not.
export GOFLAGS=-mod=mod
die() { echo "pin-smcd: $*" >&2; exit 1; }

version=${SEEDFARMER_PARAMETER_SMCD_VERSION:-}
replace=${SEEDFARMER_PARAMETER_SMCD_REPLACE:-}

if [ -n "$replace" ]; then
  go mod edit -replace "$mod=$replace" || die "smcd_replace $replace: expected MODULE@VERSION or a directory"
  echo "pin-smcd: $mod replaced by $replace"
fi
if [ -n "$version" ]; then
  go get "$mod@$version" || die "smcd_version $version: not found for $mod (expected a tag such as v0.2.0 or a commit)"
  echo "pin-smcd: $mod at $version"
elif [ -z "$(go list -m -f '{{if .Replace}}replaced{{end}}' "$mod")" ]; then
  # The pinned version: record its checksum (verified against the checksum database) on first use.
  pinned=$(go list -m -f '{{.Version}}' "$mod")
  go get "$mod@$pinned" || die "$mod $pinned (pinned in go.mod) could not be fetched; set smcd_version or smcd_replace"
fi
if [ -n "$replace$version" ]; then
  # Another sagemaker-cd may require other versions of its dependencies than the pinned one.
  go mod tidy
fi
go mod download
go list -m -f 'pin-smcd: building with {{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}' "$mod"
