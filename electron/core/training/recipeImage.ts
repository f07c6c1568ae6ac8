/**
 * Builds a `build:` recipe's image from the run's recipe snapshot (not the live folder), tagged by
 * the snapshot's digest, so an unchanged recipe is built once. The build output goes to the run's
 * log as it streams.
 */
import type Docker from 'dockerode';
import type { RunSpec } from '../../../shared/training.ts';
import { invalidInput } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { Db } from '../store/database.ts';
import { snapshotEntries } from './codeSnapshot.ts';
import { engineError, type RunDirs } from './containerRun.ts';
import { logAppender } from './runLogs.ts';

export async function buildRecipeImage(
  d: { db: Db; events: EventBus },
  docker: Docker,
  spec: RunSpec,
  runId: string,
  dirs: RunDirs,
): Promise<string> {
  try {
    return (await docker.getImage(spec.image).inspect()).Id;
  } catch {
    // not built yet for this recipe digest
  }
  const code = snapshotEntries(d.db, spec.recipe.digest)!;
  const log = logAppender(dirs.log);
  const emit = (text: string, stream: 'stdout' | 'stderr' = 'stdout') => {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (!lines.length) return;
    for (const l of lines) log.write({ stream, text: l });
    d.events.emit('run.log', {
      run: runId,
      lines: lines.map((t) => ({ stream, text: t })),
      dropped: 0,
    });
  };
  emit(`Building ${spec.image} from ${spec.build} (recipe ${spec.recipe.digest.slice(0, 12)})`);
  try {
    const stream = await docker
      .buildImage(
        { context: dirs.code, src: code.map((e) => e.path) },
        { t: spec.image, dockerfile: spec.build ?? 'Dockerfile' },
      )
      .catch((err) => {
        throw engineError(err);
      });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err, res) => {
          const failed = (res as { error?: string }[] | undefined)?.find((r) => r.error);
          if (err || failed) {
            reject(
              invalidInput(`Building ${spec.recipe.name}'s image failed: ${err?.message ?? failed?.error}`),
            );
          } else resolve();
        },
        (event: { stream?: string; error?: string }) => {
          if (event.stream) emit(event.stream);
          if (event.error) emit(event.error, 'stderr');
        },
      ),
    );
  } finally {
    await log.end();
  }
  return (await docker.getImage(spec.image).inspect()).Id;
}
