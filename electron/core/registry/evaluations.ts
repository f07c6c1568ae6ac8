/**
 * Evaluating a model version on a table of a dataset version, storing the result per (version,
 * data), and checking an alias's gate with those evaluations. The inference and the metrics are
 * the evaluation engine's (../evaluation/); this module picks the data, the label and the features,
 * and decides when a stored evaluation can stand in for a new one.
 */
import { fromJsonNumber, type JsonNumber, toJsonNumber } from '../../../shared/drift.ts';
import type { EvaluationResult } from '../../../shared/evaluation.ts';
import type {
  EvaluationRecord,
  Gate,
  GateOutcome,
  ModelTask,
  ModelVersion,
} from '../../../shared/registry.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { invalidInput } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Duck } from '../tabular/duckdb.ts';
import { type TableFormat, tableFormatOf } from '../tabular/tableFormat.ts';
import type { StoredEvaluation } from './evaluationRepo.ts';
import { checkRules } from './gateRules.ts';
import { describeTable, type RegistryService } from './registryService.ts';

/** What the evaluation engine is given: the model, how features feed it, and the table. */
export interface EngineInput {
  version: ModelVersion;
  modelFile: string;
  /** The stored table: its blob, its format, its path in the dataset, how a message names it. */
  table: { file: string; format: TableFormat; path: string; shownAs: string };
  label: string;
}
export interface EngineOutput {
  task: ModelTask;
  /** null: a metric that does not apply (ROC AUC with one class present). */
  metrics: Record<string, JsonNumber | null>;
  details: EvaluationResult;
}
export type EvaluationEngine = (input: EngineInput, ctx: OpContext) => Promise<EngineOutput>;

export interface EvaluateRequest {
  name: string;
  version?: number;
  alias?: string;
  dataset: string;
  datasetVersion?: number;
  path?: string;
  label?: string;
}

export class ModelEvaluations {
  constructor(
    private readonly d: {
      registry: RegistryService;
      datasets: DatasetService;
      objects: ObjectStore;
      duck: Duck;
    },
    private readonly engine: EvaluationEngine,
  ) {}

  /** The table of a dataset version to evaluate on: the one named, else its only one. */
  tableOf(dataset: string, datasetVersion?: number, path?: string) {
    const data = this.d.datasets.show(dataset, datasetVersion);
    const tables = data.entries.filter((e) => tableFormatOf(e.path));
    const shown = `${data.dataset}@${data.version}`;
    let entry: (typeof tables)[number] | undefined;
    if (path) {
      entry = data.entries.find((e) => e.path === path);
      if (!entry)
        throw invalidInput(
          `${shown} has no file ${path}. Its tables: ${tables.map((t) => t.path).join(', ') || 'none'}.`,
        );
      if (!tableFormatOf(entry.path))
        throw invalidInput(`${path} is not a table the workbench reads (CSV, TSV, Parquet, JSON Lines).`);
    } else if (tables.length === 1) {
      entry = tables[0];
    } else if (tables.length === 0) {
      throw invalidInput(`${shown} holds no table (CSV, TSV, Parquet or JSON Lines) to evaluate on.`);
    } else {
      throw invalidInput(
        `${shown} holds ${tables.length} tables (${tables.map((t) => t.path).join(', ')}): name one with --path.`,
      );
    }
    return { data, table: entry!, shown };
  }

  /**
   * A gate is checked against its data when it is set: a table that cannot be picked or a label
   * column that is not there would otherwise refuse every later move of the alias.
   */
  async setGate(p: Parameters<RegistryService['setGate']>[0]): Promise<Gate> {
    const { table, shown } = this.tableOf(p.dataset, p.datasetVersion, p.path);
    const columns = await describeTable(
      this.d.duck,
      this.d.objects.pathFor(table.sha256),
      tableFormatOf(table.path)!,
    );
    if (!columns.some((c) => c.name === p.label))
      throw invalidInput(
        `${shown}:${table.path} has no column ${p.label}; its columns are ${columns.map((c) => c.name).join(', ')}.`,
      );
    return this.d.registry.setGate(p);
  }

  /**
   * Evaluates and stores. `reuse`: a stored evaluation on exactly the same data (dataset digest,
   * table, label) is returned instead of running the model again — what gates do.
   */
  async evaluate(
    p: EvaluateRequest,
    ctx: OpContext,
    opts: { reuse?: boolean } = {},
  ): Promise<EvaluationRecord> {
    const version = this.d.registry.resolve({ name: p.name, version: p.version, alias: p.alias });
    const { data, table, shown } = this.tableOf(p.dataset, p.datasetVersion, p.path);
    const label = p.label ?? version.label;
    if (!label)
      throw invalidInput(
        `Which column holds the true values? ${version.name}@${version.version} does not say: pass --label COL.`,
      );
    const on = { datasetDigest: data.digest, path: table.path, label };
    const repo = this.d.registry.repo;
    const stored = opts.reuse ? repo.results.findEvaluation(version.name, version.version, on) : undefined;
    if (stored) return toRecord(stored);
    const result = await this.engine(
      {
        version,
        modelFile: this.d.objects.pathFor(version.sha256),
        table: {
          file: this.d.objects.pathFor(table.sha256),
          format: tableFormatOf(table.path)!,
          path: table.path,
          shownAs: `${shown}:${table.path}`,
        },
        label,
      },
      ctx,
    );
    const saved = repo.results.saveEvaluation({
      name: version.name,
      version: version.version,
      dataset: data.dataset,
      datasetVersion: data.version,
      ...on,
      task: result.task,
      metrics: result.metrics,
      details: result.details,
    });
    return toRecord(saved);
  }

  /** Stored evaluations of a version (or of every version), newest first. */
  stored(name: string, version?: number): EvaluationRecord[] {
    return this.d.registry.repo.results.evaluations(name, version).map(toRecord);
  }

  /** The candidate against the alias's gate, and against the champion for relative rules. */
  async checkGate(
    name: string,
    alias: string,
    candidate: number,
    ctx: OpContext,
  ): Promise<GateOutcome | null> {
    const gate = this.d.registry.repo.results.gate(name, alias);
    if (!gate) return null;
    const on = {
      name,
      dataset: gate.dataset,
      datasetVersion: gate.datasetVersion ?? undefined,
      path: gate.path ?? undefined,
      label: gate.label,
    };
    const mine = await this.evaluate({ ...on, version: candidate }, ctx, { reuse: true });
    // The champion: the version holding the alias, or, when it was removed, the one that last held
    // it (so removing an alias is no way round a relative rule). It is evaluated only when a rule
    // compares with it: an absolute gate never fails on another version's data problems.
    const repo = this.d.registry.repo;
    const championNumber = repo.aliasTarget(name, alias) ?? repo.lastHolder(name, alias) ?? null;
    const relative = gate.rules.some((r) => r.threshold.kind === 'champion');
    const champion =
      relative && championNumber !== null && championNumber !== candidate
        ? await this.evaluate({ ...on, version: championNumber }, ctx, { reuse: true })
        : null;
    const rules = checkRules(gate.rules, numbers(mine.metrics), champion ? numbers(champion.metrics) : null);
    return {
      alias,
      dataset: mine.dataset,
      datasetVersion: mine.datasetVersion,
      candidate,
      champion: relative ? championNumber : null,
      passed: rules.every((r) => r.passed),
      rules: rules.map((r) => ({
        ...r,
        value: r.value === null ? null : toJsonNumber(r.value as number),
        threshold: r.threshold === null ? null : toJsonNumber(r.threshold as number),
      })),
    };
  }
}

/** Metrics as numbers for the rules; one that does not apply is left out (its rule says so). */
function numbers(m: Record<string, JsonNumber | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null) out[k] = fromJsonNumber(v);
  return out;
}

function toRecord(e: StoredEvaluation): EvaluationRecord {
  return { ...e, task: e.task as ModelTask, details: e.details as EvaluationResult };
}
