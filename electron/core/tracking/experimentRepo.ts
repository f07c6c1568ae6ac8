/**
 * SQL for experiments and their tags: the one module that reads and writes the tables experiments
 * and experiment_tags. Ids are MLflow's: decimal strings counting up from "0", the default
 * experiment the first migration creates.
 */
import type { Experiment } from '../../../shared/tracking.ts';
import { conflict, notFound } from '../errors.ts';
import { now } from '../ids.ts';
import { type Db, writeTransaction } from '../store/database.ts';

interface ExperimentRow {
  id: string;
  name: string;
  artifact_uri: string;
  lifecycle_stage: string;
  created_at: number;
  updated_at: number;
}

export class ExperimentRepo {
  constructor(private readonly db: Db) {}

  create(name: string, artifactUri?: string, tags: Record<string, string> = {}): string {
    return writeTransaction(this.db, () => {
      if (this.db.prepare('SELECT 1 FROM experiments WHERE name = ?').get(name)) {
        throw conflict(`An experiment named "${name}" already exists.`);
      }
      const row = this.db.prepare('SELECT max(CAST(id AS INTEGER)) AS n FROM experiments').get() as {
        n: number | null;
      };
      const id = String((row.n ?? 0) + 1);
      const t = now();
      this.db
        .prepare(
          'INSERT INTO experiments (id, name, artifact_uri, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, name, artifactUri ?? `mlwb-artifacts:/${id}`, t, t);
      const tag = this.db.prepare('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)');
      for (const [k, v] of Object.entries(tags)) tag.run(id, k, v);
      return id;
    });
  }

  get(id: string): Experiment {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as
      | ExperimentRow
      | undefined;
    if (!row) throw notFound(`No experiment with id ${id}.`);
    return this.toExperiment(row);
  }

  byName(name: string): Experiment | undefined {
    const row = this.db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as
      | ExperimentRow
      | undefined;
    return row ? this.toExperiment(row) : undefined;
  }

  list(opts: { includeDeleted?: boolean } = {}): Experiment[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM experiments ${opts.includeDeleted ? '' : "WHERE lifecycle_stage = 'active'"} ORDER BY CAST(id AS INTEGER)`,
      )
      .all() as ExperimentRow[];
    return rows.map((r) => this.toExperiment(r));
  }

  private toExperiment(r: ExperimentRow): Experiment {
    const tags = this.db
      .prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ?')
      .all(r.id) as {
      key: string;
      value: string;
    }[];
    return {
      id: r.id,
      name: r.name,
      artifactUri: r.artifact_uri,
      lifecycleStage: r.lifecycle_stage,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    };
  }
}
