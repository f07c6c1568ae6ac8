/**
 * Drift benchmark (issues 4 and 8): reference and current CSVs of 1,000,000 rows × 20 columns, the
 * full default check three ways, side by side: the workbench engine in process, the whole
 * `mlwb drift` command, and pandas + SciPy (bench/drift/pandas_check.py) — wall time, CPU time
 * and peak RSS of each, in separate processes so neither inherits the other's memory — plus how
 * closely their per-column statistics and verdicts agree.
 *
 * Run: node --import tsx bench/drift/driftBench.ts [ROWS]
 * A bench runner imports `runDriftBench()` and gets the same figures as an object; the CLI
 * benchmarks use `writeBenchCsvs`, `runPandasCheck` and `runCliDrift` on their own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fromJsonNumber, type JsonNumber } from '../../shared/drift.ts';
import { DEBIAN_PYTHON, pythonHas, runWholeProcess } from '../processes.ts';
import { writeBenchCsvs } from './benchData.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const MLWB = fileURLToPath(new URL('../../bin/mlwb.js', import.meta.url));

export interface EngineFigures {
  /** As the process measured itself: from reading the inputs to the report (no start-up). */
  wallMs: number;
  /** The whole process, start-up included, as its parent saw it. */
  processMs: number;
  loadMs: number | null;
  cpuMs?: number;
  peakRssMB: number;
  share: number;
  datasetDrift: boolean;
}

export interface DriftBenchFigures {
  rows: number;
  columns: number;
  fileMB: { reference: number; current: number };
  workbench: EngineFigures;
  /** The whole `mlwb drift --reference … --current … --json` process. */
  cli: { processMs: number; datasetDrift: boolean };
  /** Null when Debian's python3 with pandas and SciPy is not installed. */
  pandas: EngineFigures | null;
  /** pandas time / workbench time, by wall clock and by CPU (the fairer one on a busy machine). */
  speedup: { wall: number; cpu: number | null } | null;
  /** Whole process against whole process: pandas_check.py / `mlwb drift`. */
  cliSpeedup: number | null;
  /** 1-minute load average when the run ended: other work on the machine inflates wall times. */
  loadAverage: number;
  agreement: { maxRelativeDifference: number; sameVerdicts: boolean; sameMethods: boolean } | null;
}

export type ColumnFigures = Record<
  string,
  { method: string; statistic: JsonNumber | number; drifted: boolean }
>;
/** One timed check in its own process: its figures and its per-column results. */
export type RunOutput = EngineFigures & { columns: ColumnFigures };

/** Whether Debian's python3 with pandas and SciPy is installed (`apt-get install python3-pandas python3-scipy`). */
export const pandasAvailable = () => pythonHas(['pandas', 'scipy']);

function compare(a: ColumnFigures, b: ColumnFigures) {
  let maxRelativeDifference = 0;
  let sameVerdicts = true;
  let sameMethods = true;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    if (!y) continue;
    sameMethods &&= x.method === y.method;
    sameVerdicts &&= x.drifted === y.drifted;
    const sx = fromJsonNumber(x.statistic as JsonNumber);
    const sy = fromJsonNumber(y.statistic as JsonNumber);
    if (sx !== sy)
      maxRelativeDifference = Math.max(
        maxRelativeDifference,
        Math.abs(sx - sy) / Math.max(Math.abs(sy), 1e-300),
      );
  }
  return { maxRelativeDifference, sameVerdicts, sameMethods };
}

const strip = ({ columns: _columns, ...figures }: RunOutput): EngineFigures => figures;

/** The baseline: pandas + SciPy's default check in its own process (whole process timed too). */
export function runPandasCheck(reference: string, current: string): Promise<RunOutput> {
  return runWholeProcess<RunOutput>(DEBIAN_PYTHON, [join(HERE, 'pandas_check.py'), reference, current]);
}

/** The workbench engine in its own process, through the drift worker as the app runs it. */
export function runEngineCheck(reference: string, current: string): Promise<RunOutput> {
  return runWholeProcess<RunOutput>(process.execPath, [
    '--import',
    'tsx',
    join(HERE, 'engineRun.ts'),
    reference,
    current,
  ]);
}

/**
 * The whole `mlwb drift` command, as a user or CI runs it: wall time of the process (start-up
 * included) and the verdict it printed. A fresh `home` per call keeps stored reports apart.
 */
export async function runCliDrift(
  reference: string,
  current: string,
  home: string,
): Promise<{ processMs: number; datasetDrift: boolean }> {
  const args = [MLWB, '--home', home, 'drift', '--reference', reference, '--current', current, '--json'];
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    // Exit 3 is a verdict (dataset drift), not a failure.
    child.on('close', (code) =>
      code === 0 || code === 3 ? resolve(stdout) : reject(new Error(`mlwb drift exited ${code}: ${stderr}`)),
    );
  });
  return {
    processMs: performance.now() - started,
    datasetDrift: (JSON.parse(out) as { datasetDrift: boolean }).datasetDrift,
  };
}

export async function runDriftBench(
  options: { rows?: number; keepData?: boolean } = {},
): Promise<DriftBenchFigures> {
  const rows = options.rows ?? 1_000_000;
  const dir = await mkdtemp(join(tmpdir(), 'mlwb-drift-bench-'));
  try {
    const files = await writeBenchCsvs(dir, rows);
    const mb = async (p: string) => (await stat(p)).size / 2 ** 20;
    const workbench = await runEngineCheck(files.reference, files.current);
    const cli = await runCliDrift(files.reference, files.current, join(dir, 'home'));
    const pandas = (await pandasAvailable()) ? await runPandasCheck(files.reference, files.current) : null;
    return {
      rows,
      columns: Object.keys(workbench.columns).length,
      fileMB: { reference: await mb(files.reference), current: await mb(files.current) },
      workbench: strip(workbench),
      cli,
      pandas: pandas && strip(pandas),
      speedup: pandas
        ? {
            wall: pandas.wallMs / workbench.wallMs,
            cpu: pandas.cpuMs && workbench.cpuMs ? pandas.cpuMs / workbench.cpuMs : null,
          }
        : null,
      cliSpeedup: pandas ? pandas.processMs / cli.processMs : null,
      loadAverage: loadavg()[0]!,
      agreement: pandas ? compare(workbench.columns, pandas.columns) : null,
    };
  } finally {
    if (!options.keepData) await rm(dir, { recursive: true, force: true });
  }
}

function printFigures(f: DriftBenchFigures) {
  const row = (label: string, e: EngineFigures | null) =>
    e
      ? `${label.padEnd(16)} ${(e.wallMs / 1000).toFixed(2).padStart(8)} s ${e.loadMs === null ? '       —' : `${(e.loadMs / 1000).toFixed(2).padStart(6)} s`} ${e.cpuMs === undefined ? '       —' : `${(e.cpuMs / 1000).toFixed(2).padStart(6)} s`} ${e.peakRssMB.toFixed(0).padStart(8)} MB   drift ${e.datasetDrift} (share ${e.share.toFixed(2)})`
      : `${label.padEnd(16)} not run: Debian's /usr/bin/python3 with pandas and SciPy is not installed`;
  console.log(
    `drift check, ${f.rows.toLocaleString('en')} rows × ${f.columns} columns, CSV ${f.fileMB.reference.toFixed(0)} MB + ${f.fileMB.current.toFixed(0)} MB`,
  );
  console.log(
    `${''.padEnd(16)} ${'wall'.padStart(10)} ${'load'.padStart(8)} ${'cpu'.padStart(8)} ${'peak RSS'.padStart(11)}`,
  );
  console.log(row('workbench', f.workbench));
  console.log(row('pandas + SciPy', f.pandas));
  const whole = (label: string, ms: number | undefined) =>
    ms === undefined ? '' : `${label} ${(ms / 1000).toFixed(2)} s`;
  console.log(
    `whole processes: ${[whole('mlwb drift', f.cli.processMs), whole('engine', f.workbench.processMs), whole('pandas_check.py', f.pandas?.processMs)].filter(Boolean).join('; ')}`,
  );
  if (f.cliSpeedup !== null)
    console.log(`mlwb drift vs pandas + SciPy, whole processes: ${f.cliSpeedup.toFixed(1)}×`);
  if (f.speedup !== null) {
    const cpu = f.speedup.cpu === null ? '' : `, ${f.speedup.cpu.toFixed(1)}× by CPU time`;
    console.log(`speed-up: ${f.speedup.wall.toFixed(1)}× by wall time${cpu}`);
  }
  console.log(
    `machine: ${cpus().length} cores, load average ${f.loadAverage.toFixed(1)} at the end of the run`,
  );
  if (f.agreement) {
    console.log(
      `agreement: statistics within ${f.agreement.maxRelativeDifference.toExponential(1)} relative; same methods ${f.agreement.sameMethods}; same verdicts ${f.agreement.sameVerdicts}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  printFigures(await runDriftBench({ rows }));
}
