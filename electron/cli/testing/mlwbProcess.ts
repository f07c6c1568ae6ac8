/** The mlwb command as a separate process, for tests: what a CI pipeline or a terminal runs. */
import { type ChildProcess, execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/mlwb.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mlwb --home HOME ARGS…`; `.child` is the process itself (its pid), while it runs. */
export function mlwb(home: string, ...args: string[]): Promise<Ran> & { child: ChildProcess } {
  let child!: ChildProcess;
  const done = new Promise<Ran>((resolve) => {
    child = execFile(
      process.execPath,
      [BIN, '--home', home, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
  return Object.assign(done, { child });
}

/** `mlwb … --json`, which must succeed; its one JSON document. */
// biome-ignore lint/suspicious/noExplicitAny: CLI JSON is checked field by field in each test.
export async function mlwbJson(home: string, ...args: string[]): Promise<any> {
  const r = await mlwb(home, ...args, '--json');
  if (r.code !== 0) throw new Error(`mlwb ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Whether a process of this pid exists (it may be a zombie). */
export { pidExists as alive } from '../../core/processIdentity.ts';
