// `npm start`: the desktop window where the Electron binary is present; otherwise browser mode,
// whose first stdout line is `Workbench at http://127.0.0.1:PORT/?token=TOKEN`.
// Build output goes to stderr so that line stays first (npm's own banner goes to stderr too: see
// .npmrc).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

function ensureRendererBuilt() {
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built > Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'shared'))))
    return;
  process.stderr.write('Building the interface (first start, or it changed)…\n');
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
    },
  );
  if (r.status !== 0) {
    process.stderr.write(
      'error: building the interface failed (see above). Run `npm install` and try again.\n',
    );
    process.exit(1);
  }
}

function electronBinary() {
  try {
    const bin = require('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

ensureRendererBuilt();
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
