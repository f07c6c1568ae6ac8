/**
 * SQL for monitoring: monitors and their checks, alerts, logged requests and their labels. The one
 * owner of `monitors`, `monitor_runs`, `alerts`, `requests` and `request_labels` (the log files'
 * read positions belong to requestLogIngest.ts).
 */
import {
  type Alert,
  type AlertState,
  alertRules,
  type LoggedRequest,
  type Monitor,
  type MonitorRun,
  type MonitorSettings,
  type MonitorSummary,
} from '../../../shared/monitoring.ts';
import { conflict, notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { type Db, writeTransaction } from '../store/database.ts';

interface MonitorRow {
  id: string;
  name: string;
  deployment: string;
  settings: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

const monitorOf = (r: MonitorRow): Monitor & { id: string } => ({
  id: r.id,
  name: r.name,
  deployment: r.deployment,
  ...(JSON.parse(r.settings) as MonitorSettings),
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface AlertRow {
  id: string;
  monitor: string;
  deployment: string;
  rule: string;
  state: AlertState;
  fired_at: number;
  resolved_at: number | null;
  value: number | null;
  message: string;
}

const alertOf = (r: AlertRow): Alert => ({
  id: r.id,
  monitor: r.monitor,
  deployment: r.deployment,
  rule: r.rule,
  state: r.state,
  firedAt: r.fired_at,
  resolvedAt: r.resolved_at,
  value: r.value,
  message: r.message,
});

/** What a check found for one rule (or for drift): failing fires or updates, holding resolves. */
export interface RuleVerdict {
  rule: string;
  failing: boolean;
  value: number | null;
  message: string;
}

/** A window of one deployment's traffic. */
export interface Window {
  deploymentId: string;
  from: number;
  to: number;
}

export interface TrafficFigures {
  requests: number;
  errors: number;
  rows: number;
  versions: number[];
  p50: number | null;
  p95: number | null;
}

/** A labeled request of a window: what the model answered (outputs JSON), and the truth by row. */
export interface LabeledRequest {
  version: number;
  outputs: string | null;
  labels: { row: number; label: string }[];
}

const ALERTS_SELECT = `SELECT a.id, m.name AS monitor, m.deployment, a.rule, a.state, a.fired_at, a.resolved_at,
  a.value, a.message FROM alerts a JOIN monitors m ON m.id = a.monitor_id`;

export class MonitorRepo {
  constructor(private readonly db: Db) {}

  list(): (Monitor & { id: string })[] {
    return (this.db.prepare('SELECT * FROM monitors ORDER BY name').all() as MonitorRow[]).map(monitorOf);
  }

  find(name: string): (Monitor & { id: string }) | undefined {
    const row = this.db.prepare('SELECT * FROM monitors WHERE name = ?').get(name) as MonitorRow | undefined;
    return row && monitorOf(row);
  }

  get(name: string): Monitor & { id: string } {
    const m = this.find(name);
    if (!m) throw notFound(`No monitor named ${name}. \`mlwb monitors list\` shows the monitors there are.`);
    return m;
  }

  add(name: string, deployment: string, settings: MonitorSettings): Monitor & { id: string } {
    if (this.find(name))
      throw conflict(
        `A monitor named ${name} exists already. Pick another name with --name, or remove it first (\`mlwb monitors remove ${name}\`).`,
      );
    const at = now();
    this.db
      .prepare(
        'INSERT INTO monitors (id, name, deployment, settings, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
      )
      .run(newId(), name, deployment, JSON.stringify(settings), at, at);
    return this.get(name);
  }

  /**
   * New settings and whether it is checked on schedule, in one transaction with the resolution of
   * alerts whose rule it no longer checks. Returns the monitor and those alerts' rules.
   */
  update(
    id: string,
    settings: MonitorSettings,
    enabled: boolean,
  ): { monitor: Monitor & { id: string }; resolved: string[] } {
    return writeTransaction(this.db, () => {
      const at = now();
      this.db
        .prepare('UPDATE monitors SET settings = ?, enabled = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(settings), enabled ? 1 : 0, at, id);
      const resolved = this.resolveRetired(id, alertRules(settings), at).map((a) => a.rule);
      const row = this.db.prepare('SELECT * FROM monitors WHERE id = ?').get(id) as MonitorRow;
      return { monitor: monitorOf(row), resolved };
    });
  }

  /** Resolves the monitor's firing alerts of rules other than `rules`; those alerts. */
  private resolveRetired(monitorId: string, rules: string[], at: number): { id: string; rule: string }[] {
    const firing = this.db
      .prepare("SELECT id, rule FROM alerts WHERE monitor_id = ? AND state = 'firing'")
      .all(monitorId) as { id: string; rule: string }[];
    const retired = firing.filter((a) => !rules.includes(a.rule));
    const resolve = this.db.prepare(
      "UPDATE alerts SET state = 'resolved', resolved_at = ?, message = message || ? WHERE id = ?",
    );
    for (const a of retired) resolve.run(at, ' (resolved: the monitor no longer checks this rule)', a.id);
    return retired;
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM monitors WHERE name = ?').run(name).changes > 0;
  }

  /** The monitor's checks, newest first. */
  runs(monitorId: string, limit: number): MonitorRun[] {
    return (
      this.db
        .prepare('SELECT body FROM monitor_runs WHERE monitor_id = ? ORDER BY at DESC, rowid DESC LIMIT ?')
        .all(monitorId, limit) as { body: string }[]
    ).map((r) => JSON.parse(r.body) as MonitorRun);
  }

  /** Every monitor with its last check and how many of its alerts fire, in one query. */
  summaries(): MonitorSummary[] {
    const rows = this.db
      .prepare(
        `SELECT m.*,
           (SELECT body FROM monitor_runs r WHERE r.monitor_id = m.id ORDER BY r.at DESC, r.rowid DESC LIMIT 1) AS last_run,
           (SELECT count(*) FROM alerts a WHERE a.monitor_id = m.id AND a.state = 'firing') AS firing
         FROM monitors m ORDER BY m.name`,
      )
      .all() as (MonitorRow & { last_run: string | null; firing: number })[];
    return rows.map((r) => {
      const { id: _id, ...m } = monitorOf(r);
      return { ...m, lastRun: r.last_run ? (JSON.parse(r.last_run) as MonitorRun) : null, firing: r.firing };
    });
  }

  /** When the monitor was last checked, or null. */
  lastCheckedAt(monitorId: string): number | null {
    return (
      this.db.prepare('SELECT max(at) AS at FROM monitor_runs WHERE monitor_id = ?').get(monitorId) as {
        at: number | null;
      }
    ).at;
  }

  /**
   * Records a check and moves its alerts, in one transaction: a failing rule fires an alert (or
   * updates the one firing), a holding rule resolves its firing alert. A rule that could not be
   * checked leaves its alert as it is. Returns the alerts that fired and resolved.
   */
  record(monitorId: string, run: MonitorRun, verdicts: RuleVerdict[]): { fired: Alert[]; resolved: Alert[] } {
    const fired: string[] = [];
    const resolved: string[] = [];
    return writeTransaction(this.db, () => {
      this.db
        .prepare('INSERT INTO monitor_runs (id, monitor_id, at, body) VALUES (?, ?, ?, ?)')
        .run(run.id, monitorId, run.at, JSON.stringify(run));
      const firing = this.db.prepare(
        "SELECT id FROM alerts WHERE monitor_id = ? AND rule = ? AND state = 'firing'",
      );
      for (const v of verdicts) {
        const open = firing.get(monitorId, v.rule) as { id: string } | undefined;
        if (v.failing && open) {
          this.db
            .prepare('UPDATE alerts SET value = ?, message = ? WHERE id = ?')
            .run(v.value, v.message, open.id);
        } else if (v.failing) {
          const id = newId();
          this.db
            .prepare(
              "INSERT INTO alerts (id, monitor_id, rule, state, fired_at, value, message) VALUES (?, ?, ?, 'firing', ?, ?, ?)",
            )
            .run(id, monitorId, v.rule, run.at, v.value, v.message);
          fired.push(id);
        } else if (open) {
          this.db
            .prepare("UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE id = ?")
            .run(run.at, open.id);
          resolved.push(open.id);
        }
      }
      // A check that began before its monitor was changed may have judged rules it no longer has.
      const settings = this.db.prepare('SELECT settings FROM monitors WHERE id = ?').get(monitorId) as
        | { settings: string }
        | undefined;
      const retired = settings
        ? this.resolveRetired(monitorId, alertRules(JSON.parse(settings.settings)), run.at).map((a) => a.id)
        : [];
      // One it fired and retired at once was never seen firing: it is neither.
      return {
        fired: this.alertsById(fired.filter((id) => !retired.includes(id))),
        resolved: this.alertsById([...resolved, ...retired.filter((id) => !fired.includes(id))]),
      };
    });
  }

  private alertsById(ids: string[]): Alert[] {
    if (ids.length === 0) return [];
    return (
      this.db
        .prepare(`${ALERTS_SELECT} WHERE a.id IN (${ids.map(() => '?').join(', ')})`)
        .all(...ids) as AlertRow[]
    ).map(alertOf);
  }

  /** Removes the monitor's checks from before `before`; how many. */
  pruneRuns(monitorId: string, before: number): number {
    return this.db.prepare('DELETE FROM monitor_runs WHERE monitor_id = ? AND at < ?').run(monitorId, before)
      .changes;
  }

  /** Removes the deployment's requests logged before `before`, and labels of requests no longer kept. */
  pruneRequests(deploymentId: string, before: number): void {
    writeTransaction(this.db, () => {
      const gone = this.db
        .prepare('DELETE FROM requests WHERE deployment_id = ? AND at < ?')
        .run(deploymentId, before).changes;
      if (gone)
        this.db
          .prepare(
            `DELETE FROM request_labels WHERE deployment_id = ? AND added_at < ?
               AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.deployment_id = request_labels.deployment_id AND r.request_id = request_labels.request_id)`,
          )
          .run(deploymentId, before);
    });
  }

  alerts(q: { state?: AlertState; monitor?: string; limit?: number }): Alert[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state) {
      where.push('a.state = ?');
      args.push(q.state);
    }
    if (q.monitor) {
      where.push('m.name = ?');
      args.push(q.monitor);
    }
    const sql = `${ALERTS_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.state = 'firing' DESC, a.fired_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 500) as AlertRow[]).map(alertOf);
  }

  /** Counts, versions and latency quantiles (nearest rank) of a window's requests. */
  traffic(w: Window): TrafficFigures {
    // One read of the window: the rows are wide (features and outputs live in them), so each
    // further pass over them, as a sort in SQL would be, costs as much again.
    const rows = this.db
      .prepare(
        'SELECT latency_ms, status, rows, version FROM requests WHERE deployment_id = ? AND at >= ? AND at < ?',
      )
      .raw()
      .all(w.deploymentId, w.from, w.to) as [number, number, number, number][];
    const latencies = new Float64Array(rows.length);
    const versions = new Set<number>();
    let errors = 0;
    let scored = 0;
    rows.forEach(([latency, status, n, version], i) => {
      latencies[i] = latency;
      if (status >= 400) errors++;
      scored += n;
      versions.add(version);
    });
    latencies.sort();
    // Nearest rank.
    const quantile = (q: number) =>
      rows.length ? latencies[Math.max(1, Math.ceil(q * rows.length)) - 1]! : null;
    return {
      requests: rows.length,
      errors,
      rows: scored,
      versions: [...versions].sort((x, y) => x - y),
      p50: quantile(0.5),
      p95: quantile(0.95),
    };
  }

  /**
   * The features of a window's answered requests (JSON, column-wise), a page at a time: each page
   * is read whole, so no statement stays open while the caller awaits between pages (an open
   * cursor would refuse every write on this connection meanwhile).
   */
  *featurePages(w: Window, pageSize = 5000): Generator<{ features: string }[]> {
    const page = this.db.prepare(
      `SELECT seq, at, features FROM requests
       WHERE deployment_id = ? AND at < ? AND status < 400 AND features IS NOT NULL
         AND (at > ? OR (at = ? AND seq > ?))
       ORDER BY at, seq LIMIT ?`,
    );
    let at = w.from;
    let seq = -1;
    // The first page starts at `from` itself: at = from with any seq.
    let rows = page.all(w.deploymentId, w.to, at, at, seq, pageSize) as {
      seq: number;
      at: number;
      features: string;
    }[];
    while (rows.length) {
      yield rows;
      if (rows.length < pageSize) return;
      const last = rows.at(-1)!;
      at = last.at;
      seq = last.seq;
      rows = page.all(w.deploymentId, w.to, at, at, seq, pageSize) as typeof rows;
    }
  }

  /**
   * A window's answered requests that have labels, each with its labels. A request id logged more
   * than once (a client reusing ids) names its latest request only, so a label is scored once.
   */
  labeled(w: Window): LabeledRequest[] {
    // The window's answered requests that have a label; a request id logged more than once names
    // its latest request only.
    const where = `r.deployment_id = ? AND r.at >= ? AND r.at < ? AND r.status < 400
      AND NOT EXISTS (SELECT 1 FROM requests n WHERE n.deployment_id = r.deployment_id AND n.request_id = r.request_id AND n.seq > r.seq)`;
    const args = [w.deploymentId, w.from, w.to];
    const labels = this.db
      .prepare(
        `SELECT l.request_id AS id, l.row, l.label FROM request_labels l
         JOIN requests r ON r.deployment_id = l.deployment_id AND r.request_id = l.request_id
         WHERE ${where} AND l.row < r.rows ORDER BY l.request_id, l.row`,
      )
      .all(...args) as { id: string; row: number; label: string }[];
    const byRequest = new Map<string, { row: number; label: string }[]>();
    for (const l of labels) {
      const list = byRequest.get(l.id) ?? [];
      list.push({ row: l.row, label: l.label });
      byRequest.set(l.id, list);
    }
    if (!byRequest.size) return [];
    const requests = this.db
      .prepare(
        `SELECT r.request_id AS id, r.version, r.outputs FROM requests r
         WHERE ${where} AND EXISTS (SELECT 1 FROM request_labels l WHERE l.deployment_id = r.deployment_id AND l.request_id = r.request_id)`,
      )
      .all(...args) as { id: string; version: number; outputs: string | null }[];
    return requests.flatMap((r) => {
      const rowLabels = byRequest.get(r.id);
      return rowLabels ? [{ version: r.version, outputs: r.outputs, labels: rowLabels }] : [];
    });
  }

  /** The newest logged requests, newest first. */
  recentRequests(deploymentId: string, limit: number): LoggedRequest[] {
    return this.db
      .prepare(
        `SELECT request_id AS id, at, version, endpoint, status, latency_ms AS latencyMs, rows, error
           FROM requests WHERE deployment_id = ? ORDER BY at DESC, seq DESC LIMIT ?`,
      )
      .all(deploymentId, limit) as LoggedRequest[];
  }

  /** Stores labels (a later label of a row replaces the earlier); returns how many name a logged request. */
  addLabels(
    deploymentId: string,
    labels: { requestId: string; row: number; label: string }[],
  ): {
    matched: number;
    unmatchedIds: string[];
  } {
    const at = now();
    const put = this.db.prepare(
      `INSERT INTO request_labels (deployment_id, request_id, row, label, added_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (deployment_id, request_id, row) DO UPDATE SET label = excluded.label, added_at = excluded.added_at`,
    );
    const logged = this.db.prepare(
      'SELECT 1 FROM requests WHERE deployment_id = ? AND request_id = ? LIMIT 1',
    );
    let matched = 0;
    const unmatched = new Set<string>();
    writeTransaction(this.db, () => {
      for (const l of labels) {
        put.run(deploymentId, l.requestId, l.row, l.label, at);
        if (logged.get(deploymentId, l.requestId)) matched++;
        else if (unmatched.size < 20) unmatched.add(l.requestId);
      }
    });
    return { matched, unmatchedIds: [...unmatched] };
  }
}
