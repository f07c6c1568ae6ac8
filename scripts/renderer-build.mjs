// The browser interface (dist/renderer), built with Vite when it is missing or older than its
// sources. Shared by `npm start` and `mlwb ui`, so either works on a fresh install. Vite's output
// goes to stderr: the first stdout line of both commands stays the Workbench URL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The newest source the interface is built from (tests are not part of it). */
function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !/\.test\.tsx?$/.test(e.name))
      newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Builds the interface under `root` if needed. Returns an error message when it cannot. */
export function ensureRendererBuilt(root) {
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = [path.join(root, 'renderer'), path.join(root, 'shared')].filter((d) => fs.existsSync(d));
  // An installed copy without the sources ships its built interface as it is.
  if (built && (sources.length === 0 || built > Math.max(...sources.map(newestMtime)))) return undefined;
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) {
    return built
      ? undefined
      : `The interface is not built, and Vite is not installed to build it. Run \`npm install\` in ${root}, then try again.`;
  }
  process.stderr.write('Building the interface (first start, or it changed)…\n');
  // Built beside the served folder and swapped in whole, so a second start building at the same
  // moment, or a server already running, never sees a half-written interface.
  const out = path.join(root, 'dist', 'renderer');
  const tmp = `${out}.build-${process.pid}`;
  const r = spawnSync(
    process.execPath,
    [vite, 'build', '--logLevel', 'warn', '--outDir', tmp, '--emptyOutDir'],
    {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
    },
  );
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (built) {
      process.stderr.write(
        'warning: rebuilding the interface failed (see above); serving the earlier build.\n',
      );
      return undefined;
    }
    return 'Building the interface failed (see above). Run `npm install` and try again.';
  }
  const old = `${out}.old-${process.pid}`;
  try {
    if (fs.existsSync(out)) fs.renameSync(out, old);
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return undefined;
}
