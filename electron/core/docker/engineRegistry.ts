/**
 * The engines a run can choose: `default` (DOCKER_HOST, else the local socket) and the named
 * engines a user adds in Settings — a remote machine over tcp with TLS, or ssh.
 */
import type { EngineConfig } from '../../../shared/training.ts';
import { DEFAULT_ENGINE } from '../../../shared/training.ts';
import { conflict, notFound } from '../errors.ts';
import { now } from '../ids.ts';
import type { Db } from '../store/database.ts';
import { type EngineTarget, engineFromEnv } from './engine.ts';

interface EngineRow {
  name: string;
  host: string;
  tls_verify: number;
  cert_path: string | null;
  identity_file: string | null;
}

const COLUMNS = 'name, host, tls_verify, cert_path, identity_file';

export class EngineRegistry {
  private cache = new Map<string, EngineTarget>();

  /** `env` gives HOME, USER and SSH_AUTH_SOCK to ssh engines (the workbench's environment). */
  constructor(
    private readonly db: Db,
    readonly defaultTarget: EngineTarget,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  list(): (EngineConfig & { isDefault: boolean })[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM engines ORDER BY name`).all() as EngineRow[];
    return [
      { name: DEFAULT_ENGINE, host: this.defaultTarget.host, tlsVerify: false, isDefault: true },
      ...rows.map((r) => ({
        name: r.name,
        host: r.host,
        tlsVerify: r.tls_verify === 1,
        ...(r.cert_path ? { certPath: r.cert_path } : {}),
        ...(r.identity_file ? { identityFile: r.identity_file } : {}),
        isDefault: false,
      })),
    ];
  }

  add(config: EngineConfig): void {
    if (this.db.prepare('SELECT 1 FROM engines WHERE name = ?').get(config.name)) {
      throw conflict(
        `An engine named "${config.name}" exists already. Remove it first or pick another name.`,
      );
    }
    this.db
      .prepare(`INSERT INTO engines (${COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(
        config.name,
        config.host,
        config.tlsVerify ? 1 : 0,
        config.certPath ?? null,
        config.identityFile ?? null,
        now(),
      );
  }

  remove(name: string): boolean {
    this.cache.delete(name);
    return this.db.prepare('DELETE FROM engines WHERE name = ?').run(name).changes > 0;
  }

  /** The client for an engine by name; the default engine when the name is absent. */
  target(name?: string): EngineTarget {
    if (!name || name === DEFAULT_ENGINE) return this.defaultTarget;
    const cached = this.cache.get(name);
    if (cached) return cached;
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM engines WHERE name = ?`).get(name) as
      | EngineRow
      | undefined;
    if (!row)
      throw notFound(
        `No engine named "${name}". Add it in Settings, or leave the engine empty for the default.`,
      );
    const target = engineFromEnv(
      {
        HOME: this.env.HOME,
        USER: this.env.USER,
        SSH_AUTH_SOCK: this.env.SSH_AUTH_SOCK,
        DOCKER_HOST: row.host,
        // A certificate folder means TLS: plain HTTP would ignore it without a word.
        DOCKER_TLS_VERIFY: row.tls_verify || row.cert_path ? '1' : '',
        ...(row.cert_path ? { DOCKER_CERT_PATH: row.cert_path } : {}),
      },
      row.identity_file ? { identityFile: row.identity_file } : {},
    );
    // One that cannot be used is built again next time, so fixing its files takes effect at once.
    if (!target.problem) this.cache.set(name, target);
    return target;
  }
}
