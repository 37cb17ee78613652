// How the scripts here run: `node SCRIPT.cjs STEP < input.json` prints the step's result as
// JSON. A refusal (the step throws) prints {error: describe(error)} and exits 1; an unknown
// step or input that is not JSON is a crash (exit 2), never a refusal.
"use strict";

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function runStep(steps, describe = ({ name, code, message }) => ({ name, code, message })) {
  const name = process.argv[2];
  let input;
  try {
    if (!Object.hasOwn(steps, name)) throw new Error(`no step ${name}: ${Object.keys(steps)}`);
    input = await readInput();
  } catch (crash) {
    process.stderr.write(`${crash.stack}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    process.stdout.write(JSON.stringify(await steps[name](input)));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: describe(error) }));
    process.exitCode = 1;
  }
}

module.exports = { runStep };
