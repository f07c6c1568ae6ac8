/**
 * Training benchmarks of issue 3, side by side where there is something to compare with:
 *   1. "start" to the container's first log line, against `docker run` of the same image and
 *      command (target ≤ 1.5×); the workbench is warm (an open app), as a user starting a run is.
 *   2. metric ingestion through metrics.jsonl: the follower's read → parse → store path
 *      (target ≥ 50,000 points/s).
 * Run: npm run bench -- training   (needs the Docker engine and `npm run images:offline`)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMetricLines } from '../../electron/core/training/metricParsers.ts';
import { openWorkbench } from '../../electron/core/workbench.ts';
import type { Figure } from '../datasets/datasetBench.ts';
import { median } from '../standalone.ts';

const IMAGE = 'mlwb/python-sklearn:bookworm';
const COMMAND = ['python3', '-c', "print('first line', flush=True)"];

function dockerRunFirstLine(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('docker', ['run', '--rm', '--network', 'none', IMAGE, ...COMMAND]);
    child.stdout.once('data', () => resolve(performance.now() - t0));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`docker run exited ${code}`));
    });
  });
}

export async function runTrainingBench(rounds = 5): Promise<Figure[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-train-bench-'));
  const figures: Figure[] = [];
  const wb = await openWorkbench(path.join(scratch, 'home'));
  try {
    const recipe = path.join(scratch, 'recipe');
    fs.mkdirSync(recipe);
    fs.writeFileSync(
      path.join(recipe, 'recipe.yaml'),
      `name: first-line\nimage: ${IMAGE}\ncommand: ${JSON.stringify(COMMAND)}\n`,
    );
    // Warm-up both paths once: image layers in the page cache, store workers started.
    await dockerRunFirstLine();
    await wb.runs.waitFor((await wb.runs.start({ recipe }))[0]!);

    const docker: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < rounds; i++) {
      docker.push(await dockerRunFirstLine());
      const t0 = performance.now();
      const firstLine = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no log line within 60 s')), 60_000);
        const off = wb.events.subscribe((topic, payload) => {
          if (topic === 'run.log' && (payload as { lines: unknown[] }).lines.length) {
            off();
            clearTimeout(timer);
            resolve(performance.now() - t0);
          }
        });
      });
      const [id] = await wb.runs.start({ recipe });
      ours.push(await firstLine);
      await wb.runs.waitFor(id!);
    }
    const ratio = median(ours) / median(docker);
    figures.push({
      name: `start → first log line (median of ${rounds})`,
      value: `workbench ${median(ours).toFixed(0)} ms, docker run ${median(docker).toFixed(0)} ms: ${ratio.toFixed(2)}×`,
      target: '≤ 1.5× docker run',
      pass: ratio <= 1.5,
    });

    // metrics.jsonl: 500,000 points read, parsed and stored as the follower does.
    const run = wb.tracking.createRun({ experimentId: '0', status: 'RUNNING' });
    const lines: string[] = [];
    for (let s = 0; s < 50_000; s++) {
      for (let k = 0; k < 10; k++)
        lines.push(
          JSON.stringify({ key: `m${k}`, value: Math.sin(s + k), step: s, timestamp: 1_700_000_000_000 + s }),
        );
    }
    const text = `${lines.join('\n')}\n`;
    const t0 = performance.now();
    const chunk = 16 * 1024 * 1024;
    let rest = '';
    let stored = 0;
    for (let off = 0; off < text.length; off += chunk) {
      const parsed = parseMetricLines(rest + text.slice(off, off + chunk));
      rest = parsed.rest;
      wb.tracking.logMetrics(run, parsed.points);
      stored += parsed.points.length;
    }
    const rate = stored / ((performance.now() - t0) / 1000);
    figures.push({
      name: `metrics.jsonl ingestion (${stored.toLocaleString('en')} points)`,
      value: `${Math.round(rate).toLocaleString('en')} points/s`,
      target: '≥ 50,000 points/s',
      pass: rate >= 50_000,
    });
  } finally {
    await wb.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await runTrainingBench())
    process.stdout.write(`${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.value}  (target ${f.target})\n`);
}
