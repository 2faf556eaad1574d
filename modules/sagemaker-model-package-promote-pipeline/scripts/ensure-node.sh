#!/usr/bin/env bash
# ensure-node.sh: make a Node.js the pinned CDK CLI (package.json) and the CDK's jsii runtime
# support the active one. CodeBuild's Ubuntu standard:7.0 image runs Seedfarmer's builds on
# Node 18, which both have dropped; amazonlinux2 standard:5.0 runs Node 20, past its end of life.
#
#   bash scripts/ensure-node.sh [ENV_FILE]     (default ENV_FILE: .smcd-node.env)
#   . ./.smcd-node.env
#
# Node older than PREFERRED is switched to PREFERRED with `n` (installed on CodeBuild's curated
# images). Without `n`, Node MIN or later is used with a warning, and anything older fails here.
set -euo pipefail

env_file=${1:-.smcd-node.env}
min=20        # the oldest major the pinned CDK CLI and jsii still run on (with a warning)
preferred=22  # the oldest LTS line the CDK's jsii runtime supports (until 2027-04-30)

die() { echo "ensure-node: $*" >&2; exit 1; }
node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }

have=$(node_major)
if [ -n "$have" ] && [ "$have" -ge "$preferred" ]; then
  :
elif command -v n >/dev/null 2>&1; then
  echo "ensure-node: found ${have:+Node $have}${have:-no node}; installing Node $preferred with n"
  n "$preferred" >/dev/null
  hash -r
  have=$(node_major)
  [ -n "$have" ] && [ "$have" -ge "$preferred" ] || die "n $preferred did not make Node $preferred the active node (found ${have:-none}; check N_PREFIX and PATH)"
elif [ -n "$have" ] && [ "$have" -ge "$min" ]; then
  echo "ensure-node: warning: Node $have is past the end of its support by the CDK and there is no 'n' to install Node $preferred; going on with Node $have" >&2
else
  die "Node.js $min or later is required by the CDK CLI (Node $preferred recommended); found ${have:+Node $have}${have:-no node}, and no 'n' to install Node $preferred"
fi
{
  echo "# written by scripts/ensure-node.sh: source it before running the CDK CLI"
  # jsii warns on every synth when Node is past its end of life; the warning is not an error.
  echo "export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$have"
} >"$env_file"
echo "ensure-node: node $(node --version)"
