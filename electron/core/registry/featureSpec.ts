/**
 * The feature spec: which named column feeds each column of each input tensor. It is settled once,
 * at registration, from the most explicit source there is:
 *   1. `--features A,B,…` (a model with one input);
 *   2. the columns the model's own signature.json names per input (the example recipes write it);
 *   3. the run's training table, less the label column (`--label`, else the recipe's `label` param),
 *      and if that does not fit the input's width, its numeric columns less the label (what the
 *      example recipes train on).
 * Anything ambiguous is refused with what to pass instead, so evaluation and serving never guess.
 */
import type { FeatureSpec, TensorSpec } from '../../../shared/registry.ts';
import { invalidInput } from '../errors.ts';

export interface TableColumn {
  name: string;
  numeric: boolean;
}

export interface FeatureSources {
  inputs: TensorSpec[];
  explicit?: string[];
  /** `inputs[].columns` of the model's signature.json, by input name. */
  declared?: Record<string, string[]>;
  label?: string;
  /** The columns of the table the run trained on, when it had one. */
  training?: { shownAs: string; columns: TableColumn[] };
}

/** Columns per row of an input: its last dimension, or undefined when that is dynamic. */
function widthOf(input: TensorSpec): number | undefined {
  if (input.shape.length < 2) return 1;
  const last = input.shape.at(-1)!;
  return last > 0 ? last : undefined;
}

function checkNames(names: string[], where: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (!n.trim()) throw invalidInput(`${where} has an empty feature name.`);
    if (seen.has(n)) throw invalidInput(`${where} names the feature ${n} twice.`);
    seen.add(n);
  }
}

function fits(input: TensorSpec, names: string[], where: string): void {
  const width = widthOf(input);
  if (width !== undefined && width !== names.length)
    throw invalidInput(
      `${where} names ${names.length} feature${names.length === 1 ? '' : 's'}, but the model's input ${input.name} takes ${width} per row.`,
    );
}

export function resolveFeatureSpec(s: FeatureSources): FeatureSpec {
  const tensors = s.inputs.filter((i) => i.type !== 'non-tensor');
  if (!tensors.length) throw invalidInput('The model has no tensor input, so no feature can feed it.');
  if (s.explicit) {
    if (tensors.length !== 1)
      throw invalidInput(
        `--features names the columns of one input, but the model has ${tensors.length} (${tensors.map((t) => t.name).join(', ')}); list each input's columns in the model's signature.json instead.`,
      );
    checkNames(s.explicit, '--features');
    fits(tensors[0]!, s.explicit, '--features');
    return { [tensors[0]!.name]: s.explicit };
  }
  if (s.declared && tensors.every((t) => s.declared![t.name]?.length)) {
    const spec: FeatureSpec = {};
    for (const t of tensors) {
      const names = s.declared[t.name]!;
      checkNames(names, `signature.json (input ${t.name})`);
      fits(t, names, `signature.json (input ${t.name})`);
      spec[t.name] = names;
    }
    return spec;
  }
  const hint = 'Pass --features A,B,… (the columns in the order the model reads them)';
  if (tensors.length !== 1)
    throw invalidInput(
      `The model has ${tensors.length} inputs (${tensors.map((t) => t.name).join(', ')}) and its signature.json does not name their columns. Write them there as inputs[].columns.`,
    );
  if (!s.training) throw invalidInput(`The run trained on no table the workbench can read. ${hint}.`);
  if (!s.label) throw invalidInput(`Which column is the label? ${hint}, or --label COL.`);
  const columns = s.training.columns;
  if (!columns.some((c) => c.name === s.label))
    throw invalidInput(
      `${s.training.shownAs} has no column ${s.label}; its columns are ${columns.map((c) => c.name).join(', ')}. ${hint}, or the right --label.`,
    );
  const input = tensors[0]!;
  const width = widthOf(input);
  const all = columns.filter((c) => c.name !== s.label).map((c) => c.name);
  if (width === undefined || all.length === width) return { [input.name]: all };
  const numeric = columns.filter((c) => c.name !== s.label && c.numeric).map((c) => c.name);
  if (numeric.length === width) return { [input.name]: numeric };
  throw invalidInput(
    `The model's input ${input.name} takes ${width} columns per row, but ${s.training.shownAs} has ${all.length} besides ${s.label} (${numeric.length} numeric). ${hint}.`,
  );
}
