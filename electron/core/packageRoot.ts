/**
 * The workbench's own folder (where package.json, resources/ and dist/ are), found the same way
 * whether this code runs from its TypeScript sources (electron/core/…), from the CLI bundle
 * (dist/cli/b-…/) or from the Electron build (dist-electron/): by walking up to our package.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'mlops-workbench') {
        cached = dir;
        return dir;
      }
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`The workbench's package.json is not above ${start}.`);
  }
}
