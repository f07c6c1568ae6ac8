/**
 * SQL for what a model version is judged by: the gates that guard its aliases (`model_gates`) and
 * its stored evaluations (`model_evaluations`). Part of the registry's owner, reached as
 * `repo.results` (modelRepo.ts), whose models and versions it names.
 */
import type { JsonNumber } from '../../../shared/drift.ts';
import { jsonSafe } from '../../../shared/drift.ts';
import type { Gate, GateRule, ModelSummary } from '../../../shared/registry.ts';
import { newId, now } from '../ids.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import type { ModelRepo } from './modelRepo.ts';

export interface StoredEvaluation {
  id: string;
  name: string;
  version: number;
  dataset: string;
  datasetVersion: number;
  datasetDigest: string;
  path: string;
  label: string;
  task: string;
  /** JSON spellings for non-finite values; null where a metric does not apply. */
  metrics: Record<string, JsonNumber | null>;
  details: unknown;
  createdAt: number;
}

/** The metric a model list shows for a task: the one practitioners look at first. */
const HEADLINE: Record<string, string> = { classification: 'accuracy', regression: 'rmse' };

export class EvaluationRepo {
  constructor(
    private readonly db: Db,
    private readonly models: ModelRepo,
  ) {}

  /** The newest evaluation of the model's newest evaluated version: its headline metric. */
  headline(modelId: string): ModelSummary['latestEvaluation'] {
    const ev = this.db
      .prepare(
        `SELECT number, dataset, dataset_version, task, metrics FROM model_evaluations
          WHERE model_id = ? ORDER BY number DESC, created_at DESC LIMIT 1`,
      )
      .get(modelId) as
      | { number: number; dataset: string; dataset_version: number; task: string; metrics: string }
      | undefined;
    if (!ev) return null;
    const metric = HEADLINE[ev.task] ?? 'example_count';
    const value = (JSON.parse(ev.metrics) as Record<string, JsonNumber | null>)[metric];
    if (value === undefined || value === null) return null;
    return { version: ev.number, metric, value, dataset: `${ev.dataset}@${ev.dataset_version}` };
  }

  setGate(name: string, gate: Omit<Gate, 'updatedAt'>): Gate {
    const m = this.models.model(name);
    const t = now();
    this.db
      .prepare(
        `INSERT INTO model_gates (model_id, alias, dataset, dataset_version, path, label, rules, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET dataset = excluded.dataset,
           dataset_version = excluded.dataset_version, path = excluded.path, label = excluded.label,
           rules = excluded.rules, updated_at = excluded.updated_at`,
      )
      .run(
        m.id,
        gate.alias,
        gate.dataset,
        gate.datasetVersion,
        gate.path,
        gate.label,
        JSON.stringify(gate.rules),
        t,
      );
    return { ...gate, updatedAt: t };
  }

  removeGate(name: string, alias: string): boolean {
    const m = this.models.model(name);
    return (
      this.db.prepare('DELETE FROM model_gates WHERE model_id = ? AND alias = ?').run(m.id, alias).changes > 0
    );
  }

  gates(name: string): Gate[] {
    const m = this.models.model(name);
    return (
      this.db.prepare('SELECT * FROM model_gates WHERE model_id = ? ORDER BY alias').all(m.id) as {
        alias: string;
        dataset: string;
        dataset_version: number | null;
        path: string | null;
        label: string;
        rules: string;
        updated_at: number;
      }[]
    ).map((g) => ({
      alias: g.alias,
      dataset: g.dataset,
      datasetVersion: g.dataset_version,
      path: g.path,
      label: g.label,
      rules: JSON.parse(g.rules) as GateRule[],
      updatedAt: g.updated_at,
    }));
  }

  gate(name: string, alias: string): Gate | undefined {
    return this.gates(name).find((g) => g.alias === alias);
  }

  saveEvaluation(e: Omit<StoredEvaluation, 'id' | 'createdAt'>): StoredEvaluation {
    return writeTransaction(this.db, () => {
      const m = this.models.model(e.name);
      this.models.version(e.name, e.version);
      const stored = { ...e, id: newId(), createdAt: now() };
      this.db
        .prepare(
          `DELETE FROM model_evaluations
            WHERE model_id = ? AND number = ? AND dataset_digest = ? AND path = ? AND label = ?`,
        )
        .run(m.id, e.version, e.datasetDigest, e.path, e.label);
      this.db
        .prepare(
          `INSERT INTO model_evaluations (id, model_id, number, dataset, dataset_version, dataset_digest, path,
             label, task, metrics, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          stored.id,
          m.id,
          e.version,
          e.dataset,
          e.datasetVersion,
          e.datasetDigest,
          e.path,
          e.label,
          e.task,
          // NaN and ±Infinity survive the round trip as their JSON spellings.
          JSON.stringify(jsonSafe(e.metrics)),
          JSON.stringify(jsonSafe(e.details)),
          stored.createdAt,
        );
      return stored;
    });
  }

  /** The stored evaluation of a version on exactly this data, if any. */
  findEvaluation(
    name: string,
    version: number,
    on: { datasetDigest: string; path: string; label: string },
  ): StoredEvaluation | undefined {
    return this.evaluationRows(
      'e.model_id = ? AND e.number = ? AND e.dataset_digest = ? AND e.path = ? AND e.label = ?',
      [this.models.model(name).id, version, on.datasetDigest, on.path, on.label],
    )[0];
  }

  /** Evaluations of a model (one version, or all), newest first. */
  evaluations(name: string, version?: number): StoredEvaluation[] {
    const m = this.models.model(name);
    return version === undefined
      ? this.evaluationRows('e.model_id = ?', [m.id])
      : this.evaluationRows('e.model_id = ? AND e.number = ?', [m.id, version]);
  }

  private evaluationRows(where: string, args: unknown[]): StoredEvaluation[] {
    return (
      this.db
        .prepare(
          `SELECT e.*, m.name FROM model_evaluations e JOIN models m ON m.id = e.model_id WHERE ${where}
            ORDER BY e.created_at DESC`,
        )
        .all(...args) as {
        id: string;
        name: string;
        number: number;
        dataset: string;
        dataset_version: number;
        dataset_digest: string;
        path: string;
        label: string;
        task: string;
        metrics: string;
        details: string;
        created_at: number;
      }[]
    ).map((r) => ({
      id: r.id,
      name: r.name,
      version: r.number,
      dataset: r.dataset,
      datasetVersion: r.dataset_version,
      datasetDigest: r.dataset_digest,
      path: r.path,
      label: r.label,
      task: r.task,
      metrics: JSON.parse(r.metrics) as Record<string, JsonNumber | null>,
      details: JSON.parse(r.details) as unknown,
      createdAt: r.created_at,
    }));
  }
}
