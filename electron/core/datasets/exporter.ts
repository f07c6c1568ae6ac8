/**
 * Materializes a version into a folder: reflink where the filesystem can, else a copy. Files keep
 * their recorded mode.
 *
 * Hard links to the blobs only when asked (`links: true`): they cost no space or time, but they
 * share the stored file's inode, so a user who makes one writable and edits it changes the store
 * itself (verify would find it, after the fact). Runs ask for them: their inputs are mounted
 * read-only into the container.
 */
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExportResult, ManifestEntry } from '../../../shared/datasets.ts';
import { cancelled, conflict, ioError } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { OpContext } from '../ops/operations.ts';

export async function exportVersion(
  objects: ObjectStore,
  entries: ManifestEntry[],
  dir: string,
  ctx?: OpContext,
  opts: { links?: boolean } = {},
): Promise<ExportResult> {
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });
  const existing = await fs.readdir(root);
  if (existing.length > 0) {
    throw conflict(
      `${root} is not empty. Export into a new or empty folder so nothing there is overwritten.`,
    );
  }
  const method = { reflink: 0, hardlink: 0, copy: 0 };
  const total = entries.reduce((n, e) => n + e.size, 0);
  let done = 0;
  let canClone = true;
  let canLink = opts.links === true;
  for (const e of entries) {
    if (ctx?.signal.aborted) throw cancelled();
    const dest = path.join(root, ...e.path.split('/'));
    if (!dest.startsWith(root + path.sep)) throw ioError(`Refusing to write outside ${root}: ${e.path}`);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const src = objects.pathFor(e.sha256);
    let done1 = false;
    if (canClone) {
      try {
        await fs.copyFile(src, dest, fsc.COPYFILE_FICLONE_FORCE | fsc.COPYFILE_EXCL);
        await fs.chmod(dest, e.mode);
        method.reflink++;
        done1 = true;
      } catch {
        canClone = false;
      }
    }
    if (!done1 && canLink) {
      try {
        await fs.link(src, dest);
        method.hardlink++;
        done1 = true;
      } catch {
        canLink = false;
      }
    }
    if (!done1) {
      try {
        await fs.copyFile(src, dest, fsc.COPYFILE_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw ioError(
            `The blob for ${e.path} is missing from the store. Run \`mlwb verify\` to check the store.`,
          );
        }
        throw err;
      }
      await fs.chmod(dest, e.mode);
      method.copy++;
    }
    done += e.size;
    ctx?.progress({ phase: 'exporting', done, total, message: e.path });
  }
  return { dir: root, files: entries.length, bytes: total, method };
}
