// Evaluates IAM requests with @cloud-copilot/iam-simulate for package iamcheck (Go).
// Reads a JSON array of simulations (the library's Simulation shape) on stdin and writes a JSON
// array of results in the same order: {result, errors, grants, denials}.
'use strict';
const { runSimulation, getGrantReasons, getDenialReasons } = require('@cloud-copilot/iam-simulate');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const sims = JSON.parse(input);
  const out = [];
  for (const sim of sims) {
    const r = await runSimulation(sim, {});
    if (r.resultType === 'error') {
      out.push({ result: 'Error', errors: r.errors.message + ' ' + JSON.stringify(r.errors) });
      continue;
    }
    const analyses = r.resultType === 'single' ? [r.result.analysis] : r.results.map((x) => x.analysis);
    const entry = { result: r.overallResult, grants: [], denials: [] };
    for (const a of analyses) {
      if (!a) continue;
      if (r.overallResult === 'Allowed') entry.grants.push(...getGrantReasons(a));
      else entry.denials.push(...getDenialReasons(a));
    }
    out.push(entry);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
