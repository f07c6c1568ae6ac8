/** Builds the interface under `root` if needed. Returns an error message when it cannot. */
export function ensureRendererBuilt(root: string): string | undefined;
