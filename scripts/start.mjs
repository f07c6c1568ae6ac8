// `npm start`: the desktop window where the Electron binary is present; otherwise browser mode,
// whose first stdout line is `Workbench at http://127.0.0.1:PORT/?token=TOKEN`.
// Build output goes to stderr so that line stays first; `npm start --silent` keeps npm's own
// "> start" banner off stdout too. SIGINT and SIGTERM stop the workbench.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from './renderer-build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const bin = require('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const problem = ensureRendererBuilt(root);
if (problem) {
  process.stderr.write(`error: ${problem}\n`);
  process.exit(1);
}
const electron = electronBinary();
let child;
if (electron && !process.env.MLWB_BROWSER_MODE) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-electron.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  child = spawn(electron, [root, ...args], { stdio: 'inherit' });
} else {
  process.stderr.write('Electron is not installed here; starting the workbench in your browser instead.\n');
  child = spawn(process.execPath, [path.join(root, 'bin', 'mlwb.js'), ...args, 'ui'], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
// npm runs this through `sh -c`, and on `kill -TERM <npm>` npm signals that shell, which dies
// without passing the signal on: when our parent goes, the workbench stops as if signalled.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch); // once: a second SIGTERM would cut the workbench's own shutdown short
  child.kill('SIGTERM');
}, 250);
watch.unref();
