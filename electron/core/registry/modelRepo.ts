/**
 * SQL for the model registry: models, versions, tags, and aliases with their history; gates and
 * evaluations are its part evaluationRepo.ts (`repo.results`). The one owner of those tables
 * (docs/architecture.md, "Tables and their owners"); every multi-row change is one transaction.
 */
import type {
  AliasMove,
  FeatureSpec,
  Lineage,
  ModelSummary,
  ModelTask,
  ModelVersion,
  TensorSpec,
} from '../../../shared/registry.ts';
import { conflict, notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { type BlobReferences, blobRegistrar } from '../objects/blobIndex.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import { EvaluationRepo } from './evaluationRepo.ts';

/** The blobs model versions reference (see blobIndex.ts). */
export const modelBlobs: BlobReferences = {
  select: 'SELECT sha256 FROM model_versions',
  usersOf: (db, sha256) =>
    (
      db
        .prepare(
          `SELECT m.name, v.number FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE v.sha256 = ? ORDER BY m.name, v.number LIMIT 5`,
        )
        .all(sha256) as { name: string; number: number }[]
    ).map((m) => `model ${m.name} version ${m.number}`),
};

interface ModelRow {
  id: string;
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
}

interface VersionRow {
  model_id: string;
  name: string;
  number: number;
  sha256: string;
  size: number;
  source: string;
  run_id: string | null;
  inputs: string;
  outputs: string;
  features: string;
  classes: string | null;
  label: string | null;
  task: string | null;
  lineage: string | null;
  description: string;
  created_at: number;
  updated_at: number;
}

export interface NewVersion {
  name: string;
  sha256: string;
  size: number;
  source: string;
  runId: string | null;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  features: FeatureSpec;
  classes: string[] | null;
  label: string | null;
  task: ModelTask | null;
  lineage: Lineage | null;
  description: string;
}

export class ModelRepo {
  /** Gates and stored evaluations, the model's other tables (evaluationRepo.ts). */
  readonly results: EvaluationRepo;

  constructor(private readonly db: Db) {
    this.results = new EvaluationRepo(db, this);
  }

  /** The model's row; NOT_FOUND names the command that lists models. */
  model(name: string): ModelRow {
    const row = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
    if (!row) throw notFound(`No model named ${name}. Run \`mlwb model list\` to see the models.`);
    return row;
  }

  findModel(name: string): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
  }

  createModel(name: string, description = ''): ModelRow {
    return writeTransaction(this.db, () => {
      if (this.findModel(name)) throw conflict(`A model named ${name} already exists.`);
      return this.insertModel(name, description);
    });
  }

  private insertModel(name: string, description: string): ModelRow {
    const t = now();
    const row = { id: newId(), name, description, created_at: t, updated_at: t };
    this.db
      .prepare(
        'INSERT INTO models (id, name, description, created_at, updated_at) VALUES (@id, @name, @description, @created_at, @updated_at)',
      )
      .run(row);
    return row;
  }

  list(): ModelSummary[] {
    const rows = this.db.prepare('SELECT * FROM models ORDER BY updated_at DESC, name').all() as ModelRow[];
    return rows.map((r) => this.summary(r));
  }

  summaryOf(name: string): ModelSummary {
    return this.summary(this.model(name));
  }

  private summary(r: ModelRow): ModelSummary {
    const counts = this.db
      .prepare('SELECT count(*) AS n, max(number) AS latest FROM model_versions WHERE model_id = ?')
      .get(r.id) as { n: number; latest: number | null };
    const aliases = Object.fromEntries(
      (
        this.db
          .prepare('SELECT alias, number FROM model_aliases WHERE model_id = ? ORDER BY alias')
          .all(r.id) as {
          alias: string;
          number: number;
        }[]
      ).map((a) => [a.alias, a.number]),
    );
    const latestEvaluation = this.results.headline(r.id);
    return {
      name: r.name,
      description: r.description,
      tags: this.tags('model_tags', 'model_id = ?', [r.id]),
      versions: counts.n,
      latestVersion: counts.latest,
      aliases,
      latestEvaluation,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private tags(table: string, where: string, args: unknown[]): Record<string, string> {
    const rows = this.db
      .prepare(`SELECT key, value FROM ${table} WHERE ${where} ORDER BY key`)
      .all(...args) as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((t) => [t.key, t.value]));
  }

  /** Adds the next version (creating the model on its first), in one transaction. */
  addVersion(v: NewVersion): number {
    return writeTransaction(this.db, () => {
      const model = this.findModel(v.name) ?? this.insertModel(v.name, '');
      const number = this.db
        .prepare('UPDATE models SET next_number = next_number + 1 WHERE id = ? RETURNING next_number - 1')
        .pluck()
        .get(model.id) as number;
      const t = now();
      blobRegistrar(this.db)(v.sha256, v.size, t);
      this.db
        .prepare(
          `INSERT INTO model_versions (model_id, number, sha256, size, source, run_id, inputs, outputs, features,
             classes, label, task, lineage, description, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          model.id,
          number,
          v.sha256,
          v.size,
          v.source,
          v.runId,
          JSON.stringify(v.inputs),
          JSON.stringify(v.outputs),
          JSON.stringify(v.features),
          v.classes ? JSON.stringify(v.classes) : null,
          v.label,
          v.task,
          v.lineage ? JSON.stringify(v.lineage) : null,
          v.description,
          t,
          t,
        );
      this.db.prepare('UPDATE models SET updated_at = ? WHERE id = ?').run(t, model.id);
      return number;
    });
  }

  private versionRows(where: string, args: unknown[]): VersionRow[] {
    return this.db
      .prepare(
        `SELECT v.*, m.name FROM model_versions v JOIN models m ON m.id = v.model_id WHERE ${where}
          ORDER BY m.name, v.number DESC`,
      )
      .all(...args) as VersionRow[];
  }

  private toVersion(r: VersionRow): ModelVersion {
    const aliases = this.db
      .prepare('SELECT alias FROM model_aliases WHERE model_id = ? AND number = ? ORDER BY alias')
      .pluck()
      .all(r.model_id, r.number) as string[];
    return {
      name: r.name,
      version: r.number,
      sha256: r.sha256,
      size: r.size,
      source: r.source,
      runId: r.run_id,
      inputs: JSON.parse(r.inputs) as TensorSpec[],
      outputs: JSON.parse(r.outputs) as TensorSpec[],
      features: JSON.parse(r.features) as FeatureSpec,
      classes: r.classes ? (JSON.parse(r.classes) as string[]) : null,
      label: r.label,
      task: r.task as ModelTask | null,
      description: r.description,
      tags: this.tags('model_version_tags', 'model_id = ? AND number = ?', [r.model_id, r.number]),
      aliases,
      lineage: r.lineage ? (JSON.parse(r.lineage) as Lineage) : null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  versions(name: string): ModelVersion[] {
    const m = this.model(name);
    return this.versionRows('v.model_id = ?', [m.id]).map((r) => this.toVersion(r));
  }

  version(name: string, number: number): ModelVersion {
    const m = this.model(name);
    const [row] = this.versionRows('v.model_id = ? AND v.number = ?', [m.id, number]);
    if (!row)
      throw notFound(
        `${name} has no version ${number}. Run \`mlwb model show ${name}\` to see its versions.`,
      );
    return this.toVersion(row);
  }

  /** Every version, of every model, whose lineage reads the given dataset version. */
  versionsTrainedOn(dataset: string, version: number): ModelVersion[] {
    return this.versionRows(
      `v.lineage IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(v.lineage, '$.datasets') d
         WHERE json_extract(d.value, '$.dataset') = ? AND json_extract(d.value, '$.version') = ?)`,
      [dataset, version],
    ).map((r) => this.toVersion(r));
  }

  /** All versions, newest first per model (MLflow's model-versions/search without a filter). */
  allVersions(): ModelVersion[] {
    return this.versionRows('1 = 1', []).map((r) => this.toVersion(r));
  }

  latestNumber(name: string): number | undefined {
    const m = this.model(name);
    return (this.db.prepare('SELECT max(number) FROM model_versions WHERE model_id = ?').pluck().get(m.id) ??
      undefined) as number | undefined;
  }

  aliasTarget(name: string, alias: string): number | undefined {
    const m = this.model(name);
    return this.db
      .prepare('SELECT number FROM model_aliases WHERE model_id = ? AND alias = ?')
      .pluck()
      .get(m.id, alias) as number | undefined;
  }

  /** The version that last held an alias now unset, while that version still exists. */
  lastHolder(name: string, alias: string): number | undefined {
    const m = this.model(name);
    return this.db
      .prepare(
        `SELECT h.from_number FROM model_alias_history h
           JOIN model_versions v ON v.model_id = h.model_id AND v.number = h.from_number
          WHERE h.model_id = ? AND h.alias = ? AND h.to_number IS NULL
            AND NOT EXISTS (SELECT 1 FROM model_aliases a WHERE a.model_id = h.model_id AND a.alias = h.alias)
          ORDER BY h.seq DESC LIMIT 1`,
      )
      .pluck()
      .get(m.id, alias) as number | undefined;
  }

  /**
   * Points `alias` at `number` and records the move, in one transaction; `expectedFrom` guards
   * against a move made by someone else between a gate's check and this write.
   */
  moveAlias(
    name: string,
    alias: string,
    number: number,
    move: { kind: AliasMove['kind']; reason: string | null; expectedFrom?: number | null },
  ): { from: number | null } {
    return writeTransaction(this.db, () => {
      const m = this.model(name);
      this.version(name, number);
      const from = (this.db
        .prepare('SELECT number FROM model_aliases WHERE model_id = ? AND alias = ?')
        .pluck()
        .get(m.id, alias) ?? null) as number | null;
      if (move.expectedFrom !== undefined && move.expectedFrom !== from)
        throw conflict(`${name}@${alias} moved while its gate was checked; try again.`);
      const t = now();
      this.db
        .prepare(
          `INSERT INTO model_aliases (model_id, alias, number, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (model_id, alias) DO UPDATE SET number = excluded.number, updated_at = excluded.updated_at`,
        )
        .run(m.id, alias, number, t);
      this.recordMove(m.id, alias, from, number, t, move.kind, move.reason);
      this.db.prepare('UPDATE models SET updated_at = ? WHERE id = ?').run(t, m.id);
      return { from };
    });
  }

  removeAlias(name: string, alias: string, reason: string | null = null): boolean {
    return writeTransaction(this.db, () => {
      const m = this.model(name);
      const from = this.db
        .prepare('SELECT number FROM model_aliases WHERE model_id = ? AND alias = ?')
        .pluck()
        .get(m.id, alias) as number | undefined;
      if (from === undefined) return false;
      this.db.prepare('DELETE FROM model_aliases WHERE model_id = ? AND alias = ?').run(m.id, alias);
      this.recordMove(m.id, alias, from, null, now(), 'removed', reason);
      return true;
    });
  }

  private recordMove(
    modelId: string,
    alias: string,
    from: number | null,
    to: number | null,
    at: number,
    kind: AliasMove['kind'],
    reason: string | null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO model_alias_history (model_id, alias, from_number, to_number, at, kind, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(modelId, alias, from, to, at, kind, reason);
  }

  /** Every alias move of the model, newest first. */
  history(name: string): AliasMove[] {
    const m = this.model(name);
    return (
      this.db
        .prepare(
          `SELECT alias, from_number, to_number, at, kind, reason FROM model_alias_history
            WHERE model_id = ? ORDER BY seq DESC`,
        )
        .all(m.id) as {
        alias: string;
        from_number: number | null;
        to_number: number | null;
        at: number;
        kind: AliasMove['kind'];
        reason: string | null;
      }[]
    ).map((r) => ({
      alias: r.alias,
      from: r.from_number,
      to: r.to_number,
      at: r.at,
      kind: r.kind,
      reason: r.reason,
    }));
  }

  updateModel(name: string, patch: { description?: string; newName?: string }): void {
    writeTransaction(this.db, () => {
      const m = this.model(name);
      if (patch.newName !== undefined && patch.newName !== name && this.findModel(patch.newName))
        throw conflict(`A model named ${patch.newName} already exists.`);
      this.db
        .prepare('UPDATE models SET name = ?, description = ?, updated_at = ? WHERE id = ?')
        .run(patch.newName ?? m.name, patch.description ?? m.description, now(), m.id);
    });
  }

  updateVersion(name: string, number: number, patch: { description?: string }): void {
    const m = this.model(name);
    const v = this.version(name, number);
    this.db
      .prepare('UPDATE model_versions SET description = ?, updated_at = ? WHERE model_id = ? AND number = ?')
      .run(patch.description ?? v.description, now(), m.id, number);
  }

  setModelTag(name: string, key: string, value: string): void {
    const m = this.model(name);
    this.db
      .prepare(
        'INSERT INTO model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
      )
      .run(m.id, key, value);
  }

  deleteModelTag(name: string, key: string): boolean {
    const m = this.model(name);
    return (
      this.db.prepare('DELETE FROM model_tags WHERE model_id = ? AND key = ?').run(m.id, key).changes > 0
    );
  }

  setVersionTag(name: string, number: number, key: string, value: string): void {
    const m = this.model(name);
    this.version(name, number);
    this.db
      .prepare(
        'INSERT INTO model_version_tags (model_id, number, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
      )
      .run(m.id, number, key, value);
  }

  deleteVersionTag(name: string, number: number, key: string): boolean {
    const m = this.model(name);
    return (
      this.db
        .prepare('DELETE FROM model_version_tags WHERE model_id = ? AND number = ? AND key = ?')
        .run(m.id, number, key).changes > 0
    );
  }

  /** Refused while an alias points at the version: move or remove the alias first. */
  deleteVersion(name: string, number: number): void {
    writeTransaction(this.db, () => {
      const v = this.version(name, number);
      if (v.aliases.length)
        throw conflict(
          `${name} version ${number} holds the alias${v.aliases.length > 1 ? 'es' : ''} ${v.aliases.join(', ')}: move or remove ${v.aliases.length > 1 ? 'them' : 'it'} before deleting the version.`,
        );
      const m = this.model(name);
      this.db.prepare('DELETE FROM model_versions WHERE model_id = ? AND number = ?').run(m.id, number);
    });
  }

  /** Refused while any version holds an alias, as for one version. */
  deleteModel(name: string): void {
    writeTransaction(this.db, () => {
      const m = this.model(name);
      const held = this.db
        .prepare('SELECT alias, number FROM model_aliases WHERE model_id = ?')
        .all(m.id) as {
        alias: string;
        number: number;
      }[];
      if (held.length)
        throw conflict(
          `${name} still has aliases (${held.map((a) => `${a.alias} → ${a.number}`).join(', ')}): remove them before deleting the model.`,
        );
      this.db.prepare('DELETE FROM models WHERE id = ?').run(m.id);
    });
  }
}
