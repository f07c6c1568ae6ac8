/**
 * What a run recorded and left behind, read back: its detail (how it ran, everything needed to run
 * it again, its inputs) and the artifacts in its output folder. Every file of the output folder is
 * opened through containerFiles.ts: the container wrote it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RunDetail, RunSpec } from '../../../shared/training.ts';
import { conflict, notFound } from '../errors.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { type ContainerFile, listContainerFiles, openContainerFile } from './containerFiles.ts';
import { runDirs } from './containerRun.ts';

export interface RecordDeps {
  home: string;
  tracking: TrackingRepo;
}

export function runDetail(d: RecordDeps, runId: string): RunDetail {
  const row = d.tracking.runRow(runId);
  const inputs = d.tracking.runInputs(runId);
  // Only regular single-link files: links, pipes and devices are left out (the follower said so in the log).
  const artifacts = listContainerFiles(runDirs(d.home, runId).output).files.sort((a, b) =>
    a.path.localeCompare(b.path),
  );
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

/**
 * An artifact (a file under the run's output folder) open for reading: NOT_FOUND when there is no
 * such file, INVALID_INPUT when it is not a regular single-link file. The caller closes it.
 */
export function openArtifact(d: RecordDeps, runId: string, rel: string): ContainerFile & { name: string } {
  d.tracking.runRow(runId);
  const file = openContainerFile(runDirs(d.home, runId).output, rel);
  if (!file) throw notFound(`Run ${runId} has no artifact ${rel}.`);
  return Object.assign(file, { name: rel.split('/').at(-1)! });
}

/** Copies an artifact into a folder on this machine; returns where it went. */
export async function saveArtifact(
  d: RecordDeps,
  runId: string,
  rel: string,
  destDir: string,
): Promise<string> {
  const file = openArtifact(d, runId, rel);
  try {
    fs.mkdirSync(destDir, { recursive: true });
    const dest = path.join(destDir, file.name);
    let out: fs.WriteStream;
    try {
      // 'wx': never replaces a file, nor writes through a link someone left at that name.
      out = fs.createWriteStream(dest, { fd: fs.openSync(dest, 'wx') });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw conflict(`${dest} already exists; pick another folder or move that file first.`);
      throw err;
    }
    try {
      // The size when it was opened: a running container appending to it is not followed forever.
      await pipeline(readStream(file), out);
    } catch (err) {
      fs.rmSync(dest, { force: true });
      throw err;
    }
    return dest;
  } finally {
    file.close();
  }
}

/** The open file's bytes as a stream, up to its size when it was opened; leaves the fd open. */
export function readStream(file: ContainerFile): Readable {
  if (file.size === 0) return Readable.from([]);
  return fs.createReadStream('', { fd: file.fd, start: 0, end: file.size - 1, autoClose: false });
}
