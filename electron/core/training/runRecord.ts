/**
 * What a run recorded and left behind, read back: its detail (how it ran, everything needed to run
 * it again, its inputs) and the artifacts in its output folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunDetail, RunSpec } from '../../../shared/training.ts';
import { conflict, notFound } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { runDirs } from './containerRun.ts';

export interface RecordDeps {
  home: string;
  db: Db;
  tracking: TrackingRepo;
}

export function runDetail(d: RecordDeps, runId: string): RunDetail {
  const row = d.tracking.runRow(runId);
  const inputs = d.db
    .prepare('SELECT channel, dataset, version, digest FROM run_inputs WHERE run_id = ? ORDER BY channel')
    .all(runId) as RunDetail['inputs'];
  const out = runDirs(d.home, runId).output;
  const artifacts = fs.existsSync(out)
    ? fs
        .readdirSync(out, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const abs = path.join(e.parentPath, e.name);
          return { path: path.relative(out, abs).split(path.sep).join('/'), size: fs.statSync(abs).size };
        })
        .sort((a, b) => a.path.localeCompare(b.path))
    : [];
  return {
    id: row.id,
    spec: row.spec ? (JSON.parse(row.spec) as RunSpec) : null,
    engine: row.engine,
    engineVersion: row.engine_version,
    imageDigest: row.image_digest,
    containerId: row.container_id,
    exitCode: row.exit_code,
    failureReason: row.failure_reason,
    peakMemory: row.peak_memory,
    skippedMetrics: row.skipped_metrics,
    inputs,
    artifacts,
  };
}

/** The file of an artifact, checked to be inside the run's output folder. */
export function artifactFile(d: RecordDeps, runId: string, rel: string): string {
  d.tracking.runRow(runId);
  const out = runDirs(d.home, runId).output;
  const file = path.resolve(out, ...rel.split('/'));
  if (!file.startsWith(out + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw notFound(`Run ${runId} has no artifact ${rel}.`);
  }
  return file;
}

/** Copies an artifact into a folder on this machine; returns where it went. */
export function saveArtifact(d: RecordDeps, runId: string, rel: string, destDir: string): string {
  const src = artifactFile(d, runId, rel);
  fs.mkdirSync(destDir, { recursive: true });
  const dest = path.join(destDir, path.basename(src));
  if (fs.existsSync(dest))
    throw conflict(`${dest} already exists; pick another folder or move that file first.`);
  fs.copyFileSync(src, dest);
  return dest;
}
