/**
 * SQL for deployments: the record of what the user asked for (model version, engine, port, running
 * or stopped) and the history of what happened to it. The one owner of `deployments` and
 * `deployment_events`. What actually runs is read from the engine (runtime.ts), never from here.
 */
import type { DeploymentEvent, DeploymentMode, Replacement } from '../../../shared/deployments.ts';
import { conflict, notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { isAlive, thisProcess } from '../processIdentity.ts';
import { type Db, writeTransaction } from '../store/database.ts';

export interface DeploymentRecord {
  id: string;
  name: string;
  model: string;
  version: number;
  alias: string | null;
  followAlias: boolean;
  engine: string | null;
  mode: DeploymentMode;
  replicas: number;
  /** The address the port is published on, on the engine's host. */
  bindHost: string;
  /** The host name in the deployment's URL. */
  urlHost: string;
  port: number;
  image: string;
  desired: 'running' | 'stopped';
  generation: number;
  lastReplacement: Replacement | null;
  /** What is changing it now (another operation holds it), or null. */
  busy: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  name: string;
  model: string;
  version: number;
  alias: string | null;
  follow_alias: number;
  engine: string | null;
  mode: DeploymentMode;
  replicas: number;
  bind_host: string;
  url_host: string;
  port: number;
  image: string;
  desired: 'running' | 'stopped';
  generation: number;
  last_replacement: string | null;
  busy_pid: number | null;
  busy_pid_start: string | null;
  busy_what: string | null;
  busy_until: number | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): DeploymentRecord => ({
  id: r.id,
  name: r.name,
  model: r.model,
  version: r.version,
  alias: r.alias,
  followAlias: r.follow_alias === 1,
  engine: r.engine,
  mode: r.mode,
  replicas: r.replicas,
  bindHost: r.bind_host,
  urlHost: r.url_host,
  port: r.port,
  image: r.image,
  desired: r.desired,
  generation: r.generation,
  lastReplacement: r.last_replacement ? (JSON.parse(r.last_replacement) as Replacement) : null,
  busy: holds(r) ? r.busy_what : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A hold that has not expired, by a process that is still alive (not another one given its pid). */
function holds(r: Pick<Row, 'busy_pid' | 'busy_pid_start' | 'busy_until'>): boolean {
  if (r.busy_pid === null || r.busy_until === null || r.busy_until < now()) return false;
  return isAlive({ pid: r.busy_pid, start: r.busy_pid_start });
}

/** How long a change may hold a deployment before others may take it (a packaging, a slow start). */
const HOLD_MS = 20 * 60_000;

export type NewDeployment = Omit<
  DeploymentRecord,
  'createdAt' | 'updatedAt' | 'lastReplacement' | 'id' | 'busy'
> & {
  id?: string;
};

/** What may change on a record after it is made. */
export type DeploymentPatch = Partial<
  Pick<
    DeploymentRecord,
    'version' | 'alias' | 'followAlias' | 'image' | 'desired' | 'generation' | 'lastReplacement' | 'replicas'
  >
>;

export class DeploymentRepo {
  constructor(private readonly db: Db) {}

  list(): DeploymentRecord[] {
    return (this.db.prepare('SELECT * FROM deployments ORDER BY name').all() as Row[]).map(fromRow);
  }

  find(name: string): DeploymentRecord | undefined {
    const row = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name) as Row | undefined;
    return row && fromRow(row);
  }

  get(name: string): DeploymentRecord {
    const found = this.find(name);
    if (!found)
      throw notFound(
        `No deployment named ${name}. \`mlwb deployments list\` shows the deployments there are.`,
      );
    return found;
  }

  /** Deployments that follow `alias` of `model`. */
  following(model: string, alias: string): DeploymentRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM deployments WHERE model = ? AND alias = ? AND follow_alias = 1 ORDER BY name')
        .all(model, alias) as Row[]
    ).map(fromRow);
  }

  /** Deployments serving a version (a version being served cannot be deleted). */
  serving(model: string, version: number): DeploymentRecord[] {
    return (
      this.db
        .prepare(`SELECT * FROM deployments WHERE model = ? AND version = ? AND desired = 'running'`)
        .all(model, version) as Row[]
    ).map(fromRow);
  }

  /** Ports recorded for deployments on an engine (null: the default engine). */
  portsOn(engine: string | null): number[] {
    return (
      this.db.prepare('SELECT port FROM deployments WHERE engine IS ?').all(engine) as { port: number }[]
    ).map((r) => r.port);
  }

  /** Records a deployment; with `hold`, held by this process from the start (it is being made). */
  create(
    d: NewDeployment,
    event: { kind: DeploymentEvent['kind']; message: string } | null,
    hold?: string,
  ): DeploymentRecord {
    const at = now();
    const id = d.id ?? newId();
    writeTransaction(this.db, () => {
      if (this.find(d.name))
        throw conflict(
          `A deployment named ${d.name} exists already. Update it (\`mlwb deployments update ${d.name} ${d.model}@${d.version}\`) or pick another name with --name.`,
        );
      this.db
        .prepare(
          `INSERT INTO deployments (id, name, model, version, alias, follow_alias, engine, mode, replicas,
             bind_host, url_host, port, image, desired, generation, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          d.name,
          d.model,
          d.version,
          d.alias,
          d.followAlias ? 1 : 0,
          d.engine,
          d.mode,
          d.replicas,
          d.bindHost,
          d.urlHost,
          d.port,
          d.image,
          d.desired,
          d.generation,
          at,
          at,
        );
      if (hold) this.takeHold(id, hold, at + HOLD_MS);
      if (event) this.addEvent(id, { at, kind: event.kind, version: d.version, message: event.message });
    });
    return this.get(d.name);
  }

  /**
   * Takes the deployment for one change (`what`: "an update to iris@3"), or refuses while another
   * operation, here or in another process, holds it. Returns the record as it is now.
   */
  hold(name: string, what: string): DeploymentRecord {
    return writeTransaction(this.db, () => {
      const row = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name) as Row | undefined;
      if (!row) return this.get(name);
      if (holds(row))
        throw conflict(
          `${name} is busy: ${row.busy_what ?? 'another change'} is under way${row.busy_pid === process.pid ? '' : ` (process ${row.busy_pid})`}. Wait for it to finish, or cancel it, then try again.`,
        );
      const until = now() + HOLD_MS;
      this.takeHold(row.id, what, until);
      const me = thisProcess();
      return fromRow({
        ...row,
        busy_pid: me.pid,
        busy_pid_start: me.start,
        busy_what: what,
        busy_until: until,
      });
    });
  }

  release(name: string): void {
    const me = thisProcess();
    this.db
      .prepare(
        `UPDATE deployments SET busy_pid = NULL, busy_pid_start = NULL, busy_what = NULL, busy_until = NULL
         WHERE name = ? AND busy_pid = ? AND (busy_pid_start IS ? OR busy_pid_start IS NULL)`,
      )
      .run(name, me.pid, me.start);
  }

  /** This process holds the deployment, doing `what`, until `until` at the latest. */
  private takeHold(id: string, what: string, until: number): void {
    const me = thisProcess();
    this.db
      .prepare(
        'UPDATE deployments SET busy_pid = ?, busy_pid_start = ?, busy_what = ?, busy_until = ? WHERE id = ?',
      )
      .run(me.pid, me.start, what, until, id);
  }

  /** The port, once a taken one was traded for another while deploying. */
  setPort(name: string, port: number): void {
    this.db.prepare('UPDATE deployments SET port = ? WHERE name = ?').run(port, name);
  }

  /** Changes a record and, when given, records what happened, in one transaction. */
  update(
    name: string,
    patch: DeploymentPatch,
    event?: { kind: DeploymentEvent['kind']; version?: number; message: string },
  ): DeploymentRecord {
    const at = now();
    writeTransaction(this.db, () => {
      const current = this.get(name);
      const next = { ...current, ...patch };
      this.db
        .prepare(
          `UPDATE deployments SET version = ?, alias = ?, follow_alias = ?, image = ?, desired = ?,
             generation = ?, last_replacement = ?, replicas = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          next.version,
          next.alias,
          next.followAlias ? 1 : 0,
          next.image,
          next.desired,
          next.generation,
          next.lastReplacement ? JSON.stringify(next.lastReplacement) : null,
          next.replicas,
          at,
          current.id,
        );
      if (event)
        this.addEvent(current.id, {
          at,
          kind: event.kind,
          version: event.version ?? next.version,
          message: event.message,
        });
    });
    return this.get(name);
  }

  /** Takes the next generation number: each container made for the deployment has its own. */
  nextGeneration(name: string): number {
    return writeTransaction(this.db, () => {
      const current = this.get(name);
      this.db.prepare('UPDATE deployments SET generation = generation + 1 WHERE id = ?').run(current.id);
      return current.generation + 1;
    });
  }

  addEventFor(name: string, event: { kind: DeploymentEvent['kind']; version: number; message: string }) {
    this.addEvent(this.get(name).id, { at: now(), ...event });
  }

  history(name: string, limit = 200): DeploymentEvent[] {
    const { id } = this.get(name);
    return (
      this.db
        .prepare(
          'SELECT at, kind, version, message FROM deployment_events WHERE deployment_id = ? ORDER BY seq DESC LIMIT ?',
        )
        .all(id, limit) as DeploymentEvent[]
    ).reverse();
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM deployments WHERE name = ?').run(name).changes > 0;
  }

  private addEvent(id: string, e: DeploymentEvent) {
    this.db
      .prepare(
        'INSERT INTO deployment_events (deployment_id, at, kind, version, message) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, e.at, e.kind, e.version, e.message);
  }
}
