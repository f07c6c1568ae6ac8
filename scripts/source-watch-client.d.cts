export const PROTOCOL: number;
export const QUICK_ADD_MS: number;
export function resolveHomeLike(explicit?: string, env?: NodeJS.ProcessEnv): string;
export function sourceWatchSocket(home: string): string | undefined;
export function parseQuickAdd(
  argv: string[],
):
  | { home: string | undefined; json: boolean; dataset: string; paths: string[]; folders: number[] }
  | undefined;
export function askSourceWatch(
  socket: string,
  request: Record<string, unknown>,
  timeoutMs: number,
): Promise<unknown>;
export function mountNamespace(): string;
export function quickAdd(argv: string[], env?: NodeJS.ProcessEnv): Promise<number | undefined>;
