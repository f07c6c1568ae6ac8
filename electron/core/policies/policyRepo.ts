/**
 * SQL for continuous training: policies and their executions. The one owner of `policies` and
 * `policy_executions`. An execution is held by the process running it; one whose process is gone
 * is ended as failed when next read, so it never blocks the policy.
 */
import type { Policy, PolicyExecution, PolicySettings } from '../../../shared/policies.ts';
import { conflict, notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { isAlive, thisProcess } from '../processIdentity.ts';
import { type Db, writeTransaction } from '../store/database.ts';

interface PolicyRow {
  id: string;
  name: string;
  settings: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export type StoredPolicy = Policy & { id: string };

const policyOf = (r: PolicyRow): StoredPolicy => ({
  id: r.id,
  name: r.name,
  ...(JSON.parse(r.settings) as PolicySettings),
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface ExecutionRow {
  id: string;
  status: PolicyExecution['status'];
  body: string;
  holder_pid: number | null;
  holder_start: string | null;
}

export class PolicyRepo {
  constructor(private readonly db: Db) {}

  list(): StoredPolicy[] {
    return (this.db.prepare('SELECT * FROM policies ORDER BY name').all() as PolicyRow[]).map(policyOf);
  }

  find(name: string): StoredPolicy | undefined {
    const row = this.db.prepare('SELECT * FROM policies WHERE name = ?').get(name) as PolicyRow | undefined;
    return row && policyOf(row);
  }

  get(name: string): StoredPolicy {
    const p = this.find(name);
    if (!p) throw notFound(`No policy named ${name}. \`mlwb policies list\` shows the policies there are.`);
    return p;
  }

  add(name: string, settings: PolicySettings): StoredPolicy {
    if (this.find(name))
      throw conflict(
        `A policy named ${name} exists already. Pick another name with --name, or remove it first (\`mlwb policies remove ${name}\`).`,
      );
    const at = now();
    this.db
      .prepare(
        'INSERT INTO policies (id, name, settings, enabled, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)',
      )
      .run(newId(), name, JSON.stringify(settings), at, at);
    return this.get(name);
  }

  /** New settings; `triggersChanged`: alerts from before now no longer set it off. */
  update(id: string, settings: PolicySettings, enabled: boolean, triggersChanged: boolean): StoredPolicy {
    const at = now();
    this.db
      .prepare(
        'UPDATE policies SET settings = ?, enabled = ?, updated_at = ?, triggers_since = CASE WHEN ? THEN ? ELSE triggers_since END WHERE id = ?',
      )
      .run(JSON.stringify(settings), enabled ? 1 : 0, at, triggersChanged ? 1 : 0, at, id);
    const row = this.db.prepare('SELECT * FROM policies WHERE id = ?').get(id) as PolicyRow;
    return policyOf(row);
  }

  /** When its triggers were last changed, or null (never since it was made). */
  triggersSince(id: string): number | null {
    const row = this.db.prepare('SELECT triggers_since FROM policies WHERE id = ?').get(id) as
      | { triggers_since: number | null }
      | undefined;
    return row?.triggers_since ?? null;
  }

  remove(name: string): boolean {
    const p = this.find(name);
    if (!p) return false;
    if (this.running(p.id))
      throw conflict(`${name} is retraining now. Cancel that first (its operation in the app, or Ctrl+C).`);
    return this.db.prepare('DELETE FROM policies WHERE id = ?').run(p.id).changes > 0;
  }

  /** The policy's executions, newest first. */
  executions(policyId: string, limit: number): PolicyExecution[] {
    this.endOrphans(policyId);
    return (
      this.db
        .prepare(
          'SELECT body FROM policy_executions WHERE policy_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
        )
        .all(policyId, limit) as { body: string }[]
    ).map((r) => JSON.parse(r.body) as PolicyExecution);
  }

  last(policyId: string): PolicyExecution | null {
    return this.executions(policyId, 1)[0] ?? null;
  }

  /** Every policy's latest execution, by policy id: one read (and one look for orphans) for a list. */
  lastOfEach(): Map<string, PolicyExecution> {
    this.endOrphans();
    const rows = this.db
      .prepare(
        `SELECT policy_id, body FROM (
           SELECT policy_id, body,
                  ROW_NUMBER() OVER (PARTITION BY policy_id ORDER BY started_at DESC, rowid DESC) AS n
           FROM policy_executions)
         WHERE n = 1`,
      )
      .all() as { policy_id: string; body: string }[];
    return new Map(rows.map((r) => [r.policy_id, JSON.parse(r.body) as PolicyExecution]));
  }

  running(policyId: string): PolicyExecution | null {
    this.endOrphans(policyId);
    const row = this.db
      .prepare("SELECT body FROM policy_executions WHERE policy_id = ? AND status = 'running'")
      .get(policyId) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as PolicyExecution) : null;
  }

  /** Records a new execution held by this process; refused while another runs. */
  begin(policy: StoredPolicy, exec: PolicyExecution): void {
    writeTransaction(this.db, () => {
      this.endOrphans(policy.id);
      const other = this.db
        .prepare("SELECT body FROM policy_executions WHERE policy_id = ? AND status = 'running'")
        .get(policy.id) as { body: string } | undefined;
      if (other) {
        const e = JSON.parse(other.body) as PolicyExecution;
        throw conflict(
          `${policy.name} is retraining already (started ${new Date(e.startedAt).toISOString()}, ${e.trigger.reason}). Wait for it, or cancel it.`,
        );
      }
      const me = thisProcess();
      this.db
        .prepare(
          'INSERT INTO policy_executions (id, policy_id, started_at, status, body, holder_pid, holder_start) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(exec.id, policy.id, exec.startedAt, exec.status, JSON.stringify(exec), me.pid, me.start);
    });
  }

  /** Saves the execution as it is now (its steps as they went; its end). */
  save(exec: PolicyExecution): void {
    this.db
      .prepare(
        'UPDATE policy_executions SET status = ?, body = ?, holder_pid = CASE WHEN ? THEN NULL ELSE holder_pid END WHERE id = ?',
      )
      .run(exec.status, JSON.stringify(exec), exec.status === 'running' ? 0 : 1, exec.id);
  }

  /** Executions (of one policy, or of all) whose process ended while they ran: failed, saying so. */
  private endOrphans(policyId?: string): void {
    const running =
      "SELECT id, status, body, holder_pid, holder_start FROM policy_executions WHERE status = 'running'";
    const rows = (
      policyId === undefined
        ? this.db.prepare(running).all()
        : this.db.prepare(`${running} AND policy_id = ?`).all(policyId)
    ) as ExecutionRow[];
    for (const r of rows) {
      if (r.holder_pid !== null && isAlive({ pid: r.holder_pid, start: r.holder_start })) continue;
      const e = JSON.parse(r.body) as PolicyExecution;
      const at = now();
      e.status = 'failed';
      e.endedAt = at;
      for (const step of e.steps)
        if (step.state === 'running') {
          step.state = 'failed';
          step.endedAt = at;
          step.message = 'The process running this execution ended before it finished.';
        } else if (step.state === 'pending') step.state = 'skipped';
      this.save(e);
    }
  }
}
