/**
 * One in-memory DuckDB per workbench for scanning tabular files. Queries run on DuckDB's own
 * threads (the node API is async), so scanning never blocks the event loop. Each caller gets its
 * own connection, so temp tables of concurrent profiles do not collide.
 */
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

const requireHere = createRequire(import.meta.url);

/**
 * DuckDB's API, loaded by the first scan, not when the workbench opens. Through require(): the
 * package is ~100 CommonJS files, and import() has Node's ESM loader parse each one for its
 * exports first (measured here: 250–500 ms to load, against 50 ms for the addon and 100 ms for
 * the files by require()).
 */
export const loadDuckDb = async (): Promise<typeof import('@duckdb/node-api')> =>
  requireHere('@duckdb/node-api');

export class Duck {
  private instance: Promise<DuckDBInstance> | undefined;

  constructor(private readonly tempDir: string) {}

  private get(): Promise<DuckDBInstance> {
    this.instance ??= loadDuckDb().then(({ DuckDBInstance }) =>
      DuckDBInstance.create(':memory:', {
        temp_directory: this.tempDir,
        // Leave memory for the app; DuckDB spills to temp_directory past this.
        memory_limit: '2GB',
      }),
    );
    return this.instance;
  }

  async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { DuckDBConnection } = await loadDuckDb();
    const conn = await DuckDBConnection.create(await this.get());
    const onAbort = () => conn.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      return await fn(conn);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      conn.closeSync();
    }
  }

  async close(): Promise<void> {
    if (!this.instance) return;
    const inst = await this.instance;
    inst.closeSync();
    this.instance = undefined;
  }
}

/** A SQL string literal. */
export const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A SQL identifier. */
export const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
