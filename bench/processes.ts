/**
 * Whole processes for benchmarks, timed as their parent sees them: a command whose JSON result the
 * benchmark reads, and whether Debian's python3 has the modules a baseline needs.
 */
import { spawn } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Runs a process that prints its JSON result on stdout — its last line (`last`, the default: scripts
 * that print progress first) or the whole of it (`whole`: `mlwb --json`) — and adds how long the
 * whole process took.
 */
export function runWholeProcess<T>(
  command: string,
  args: string[],
  opts: { okCodes?: number[]; json?: 'last' | 'whole' } = {},
): Promise<T & { processMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      if (!(opts.okCodes ?? [0]).includes(code ?? -1))
        return reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${err.trim()}`));
      const text = opts.json === 'whole' ? out : out.trim().split('\n').pop()!;
      resolve({ ...(JSON.parse(text) as T), processMs });
    });
  });
}

/** Whether Debian's python3 imports these modules (e.g. `apt-get install python3-pandas python3-scipy`). */
export function pythonHas(modules: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(DEBIAN_PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
