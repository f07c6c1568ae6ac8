/**
 * Runs as the registry sees them, made without an engine: a run record (as an MLflow client or a
 * finished recipe run leaves it) whose output folder holds the given files, and optionally the
 * dataset versions it read (its lineage).
 */
import { runDirs } from '../training/containerRun.ts';
import type { Workbench } from '../workbench.ts';
import { writeTree } from './fileTree.ts';

export interface RunFixture {
  status?: 'FINISHED' | 'RUNNING';
  params?: Record<string, string>;
  /** Datasets the run read, as a recipe run records them on channel `train`. */
  trainedOn?: { dataset: string; version: number; digest: string };
}

export function runWithOutputs(
  wb: Workbench,
  files: Record<string, string | Buffer>,
  opts: RunFixture = {},
): string {
  const spec = opts.trainedOn && {
    recipe: { name: 'r', path: '/r', digest: 'd' },
    image: 'i',
    build: null,
    command: [],
    params: {},
    seed: 1,
    datasets: [{ channel: 'train', ...opts.trainedOn }],
    resources: { cpus: 1, memory: '1g', gpus: 0 },
    metrics: [],
    engine: 'e',
  };
  const exp = wb.tracking.experimentByName('Default')?.id ?? wb.tracking.createExperiment('Default');
  const id = wb.tracking.createRun({
    experimentId: exp,
    status: opts.status ?? 'FINISHED',
    params: opts.params,
    spec,
  });
  writeTree(runDirs(wb.home, id).output, files);
  return id;
}
