/** The URL of the bundled CLI's main module when the bundle matches the sources, else undefined. */
export function freshBundle(at?: string): URL | undefined;
export function buildBundle(): Promise<URL>;
export const root: string;
