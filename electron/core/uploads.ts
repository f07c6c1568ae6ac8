/**
 * Browser-mode upload sessions: the server stages a drop's files under the home (server.ts), and
 * a method given the session's id reads them from there and removes them once done.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput, notFound } from './errors.ts';

/** Where the browser-mode server stages the files of an upload session. */
export function uploadDir(home: string, upload: string): string {
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(upload)) throw invalidInput('Not a valid upload session id.');
  return path.join(home, 'tmp', 'uploads', upload);
}

/** The one file staged in `dir` (an upload session's folder), or a message saying what to drop. */
export async function theUploadedFile(dir: string, what: string): Promise<string> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  });
  const files = entries.filter((d) => d.isFile());
  if (files.length === 0)
    throw notFound('That upload session has no files (it may have been used already). Drop the file again.');
  if (files.length > 1) throw invalidInput(`Drop one file as ${what} (got ${files.length}).`);
  return path.join(files[0]!.parentPath, files[0]!.name);
}
