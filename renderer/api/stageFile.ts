/**
 * One file from the window made reachable by core: uploaded into its own session in browser mode,
 * its path on this machine in Electron. Shared by the drift check's sides and labels files.
 */
import { ApiError } from './apiError.ts';
import type { Client } from './client.ts';
import type { StageProgress } from './transport.ts';

export async function stageFile(
  client: Client,
  file: File,
  opts: { signal: AbortSignal; onProgress(p: StageProgress): void },
): Promise<{ upload: string } | { path: string }> {
  const staged = await client.transport.stage(
    {
      files: [{ path: file.name, file }],
      roots: [{ name: file.name, kind: 'file', file }],
      emptyFolders: [],
    },
    opts,
  );
  if ('upload' in staged) return { upload: staged.upload };
  const path = staged.paths[0];
  if (!path) throw new ApiError('INVALID_INPUT', `${file.name} has no path on this machine; drop it again.`);
  return { path };
}
