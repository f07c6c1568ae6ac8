/**
 * Reads and validates a recipe folder's recipe.yaml, with errors that name the field, and turns
 * the user's param values (strings from a CLI, values from a form) into the declared types.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { type ParamValue, Recipe } from '../../../shared/training.ts';
import { invalidInput, notFound } from '../errors.ts';
import { compileMetricRegex, MAX_TOTAL_PROGRAM, tooMany } from './metricRegex.ts';

export async function loadRecipe(dir: string): Promise<{ dir: string; recipe: Recipe }> {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'recipe.yaml');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw notFound(`${abs} is not a recipe: it has no recipe.yaml. See resources/recipes for examples.`);
    }
    throw err;
  }
  // The YAML parser (170 kB) loads with the first recipe, not with every command.
  // Its default export, as a static import had it: yaml is CommonJS, and the CLI bundle's interop
  // gives its functions only there.
  const { default: YAML } = await import('yaml');
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw invalidInput(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = Recipe.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    const message = issue.message.startsWith(`${String(issue.path[0])}:`)
      ? issue.message
      : `${where}: ${issue.message}`;
    throw invalidInput(`${file}: ${message}`, { issues: parsed.error.issues });
  }
  const recipe = parsed.data;
  // Matched against what a container prints, in linear time (metricRegex.ts): RE2 syntax.
  let instructions = 0;
  for (const m of recipe.metrics) {
    const compiled = await compileMetricRegex(m.regex);
    if ('refused' in compiled) throw invalidInput(`${file}: metrics.${m.key}.regex ${compiled.refused}`);
    instructions += compiled.re.programSize();
    if (instructions > MAX_TOTAL_PROGRAM) throw invalidInput(`${file}: metrics.${m.key}.regex ${tooMany()}`);
  }
  if (recipe.build) {
    const dockerfile = path.join(abs, recipe.build);
    if (!dockerfile.startsWith(abs + path.sep))
      throw invalidInput(`${file}: build: must name a file inside the recipe folder.`);
    await fs.access(dockerfile).catch(() => {
      throw notFound(`${file}: build: names ${recipe.build}, which is not in ${abs}.`);
    });
  }
  return { dir: abs, recipe };
}

/** Defaults, then the given values, each converted to its declared type. */
export function resolveParams(recipe: Recipe, given: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(recipe.params))
    if (spec.default !== undefined) out[name] = spec.default;
  for (const [name, value] of Object.entries(given)) {
    const spec = recipe.params[name];
    if (!spec) {
      const known = Object.keys(recipe.params);
      throw invalidInput(
        `The recipe ${recipe.name} has no param "${name}". Its params: ${known.join(', ') || '(none)'}.`,
      );
    }
    out[name] = coerce(name, spec.type, value);
  }
  const missing = Object.keys(recipe.params).filter((n) => out[n] === undefined);
  if (missing.length)
    throw invalidInput(`Give a value for ${missing.map((m) => `--param ${m}=…`).join(', ')} (no default).`);
  return out;
}

function coerce(name: string, type: 'float' | 'int' | 'string' | 'bool', value: ParamValue): ParamValue {
  const fail = (): never => {
    throw invalidInput(
      `Param ${name} is ${type === 'int' ? 'an int' : `a ${type}`}; "${String(value)}" is not.`,
    );
  };
  switch (type) {
    case 'string':
      return String(value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (/^(true|1|yes)$/i.test(String(value))) return true;
      if (/^(false|0|no)$/i.test(String(value))) return false;
      return fail();
    case 'int': {
      const n = typeof value === 'number' ? value : String(value).trim() === '' ? Number.NaN : Number(value);
      return Number.isSafeInteger(n) ? n : fail();
    }
    case 'float': {
      const n = typeof value === 'number' ? value : String(value).trim() === '' ? Number.NaN : Number(value);
      return Number.isFinite(n) ? n : fail();
    }
  }
}
