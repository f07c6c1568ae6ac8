/**
 * The MLflow Model Registry REST subset (registered-models/*, model-versions/*) over the
 * workbench's registry, with MLflow's field names, error shapes and limits, so `MlflowClient`
 * and `mlflow.register_model` work against the workbench. MLflow's stages are not kept (aliases
 * replaced them in MLflow 2.9): every version reports `current_stage: "None"`.
 *
 * A version is registered from `runs:/RUN_ID/PATH` (PATH a file, or a folder holding
 * model.onnx). Its feature spec comes as for `mlwb model register`, or from the version's tags
 * `mlwb.features` ("a,b,c") and `mlwb.label`.
 */
import * as z from 'zod';
import { AliasName, ModelName, type ModelVersion, REGISTRY_LIMITS } from '../../../shared/registry.ts';
import { WorkbenchError } from '../../core/errors.ts';
import type { RegistryService } from '../../core/registry/registryService.ts';
import { likeMatcher } from './likePattern.ts';
import { invalidParameter, MlflowError } from './mlflowErrors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export interface RegistryEndpoint {
  methods: Partial<Record<HttpMethod, (input: unknown, registry: RegistryService) => unknown>>;
}

const Int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number),
]);
/** Versions are strings in MLflow's JSON ("3"); clients send either. */
const VersionText = z.union([
  z.number().int().positive().transform(String),
  z.string().regex(/^[1-9]\d*$/, 'expected a version number such as "3"'),
]);
const Name = z.string().min(1).max(REGISTRY_LIMITS.nameLength);
const Tag = z.object({
  key: z.string().min(1).max(REGISTRY_LIMITS.tagKeyLength),
  value: z.string().max(REGISTRY_LIMITS.tagValueLength),
});
const Description = z.string().max(REGISTRY_LIMITS.descriptionLength);
const maxResults = (max: number, dflt: number) =>
  Int64.pipe(
    z.number().int().min(1, 'max_results must be at least 1').max(max, `max_results must be at most ${max}`),
  ).default(dflt);

const notFoundModel = (name: string) =>
  new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`, 404);
const notFoundVersion = (name: string, version: string) =>
  new MlflowError(
    'RESOURCE_DOES_NOT_EXIST',
    `Model Version (name=${name}, version=${version}) not found`,
    404,
  );

/** The workbench's own name rule, said in MLflow's error shape. */
function modelName(name: string): string {
  const r = ModelName.safeParse(name);
  if (!r.success) throw invalidParameter(`Invalid model name '${name}': ${r.error.issues[0]!.message}`);
  return r.data;
}

function existing(reg: RegistryService, name: string) {
  const m = reg.repo.findModel(name);
  if (!m) throw notFoundModel(name);
  return m;
}

function versionOf(reg: RegistryService, name: string, version: string): ModelVersion {
  existing(reg, name);
  try {
    return reg.repo.version(name, Number(version));
  } catch {
    throw notFoundVersion(name, version);
  }
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

function versionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.createdAt,
    last_updated_timestamp: v.updatedAt,
    current_stage: 'None',
    description: v.description,
    source: v.source,
    run_id: v.runId ?? '',
    status: 'READY',
    tags: tagList(v.tags),
    aliases: v.aliases,
    run_link: '',
  };
}

function modelJson(reg: RegistryService, name: string) {
  const s = reg.repo.summaryOf(name);
  const latest = s.latestVersion === null ? [] : [versionJson(reg.repo.version(name, s.latestVersion))];
  return {
    name: s.name,
    creation_timestamp: s.createdAt,
    last_updated_timestamp: s.updatedAt,
    description: s.description,
    latest_versions: latest,
    tags: tagList(s.tags),
    aliases: Object.entries(s.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/**
 * MLflow's registry search filters as clients write them: clauses joined by AND, each
 * `name|run_id|source|tags.KEY  =|!=|LIKE|ILIKE  'value'`, or `run_id IN ('a', 'b')`. The items of
 * an IN list are separated by commas, never by nothing: `'a''b'` is one string (a'b), so the
 * expression has one way to read a list and fails fast on an unclosed one (with the comma optional
 * it tried every split, exponential in the items).
 */
type Clause = (fields: (key: string) => string | undefined) => boolean;
function parseRegistryFilter(filter: string | undefined, allowed: string[]): Clause[] {
  if (!filter?.trim()) return [];
  const clauses: Clause[] = [];
  const re =
    /\s*(name|run_id|source|source_path|tags\.[A-Za-z0-9_.-]+|tags\.`[^`]+`)\s*(=|!=|LIKE|ILIKE|IN)\s*('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|\(\s*'(?:[^'\\]|'')*'(?:\s*,\s*'(?:[^'\\]|'')*')*\s*(?:,\s*)?\))\s*(AND\s+|$)/iy;
  let at = 0;
  while (at < filter.length) {
    re.lastIndex = at;
    const m = re.exec(filter);
    if (!m)
      throw invalidParameter(
        `Invalid filter '${filter}': expected clauses like name = 'x' or name LIKE '%x%' joined by AND.`,
      );
    at = re.lastIndex;
    const key = m[1]!.replace(/`/g, '');
    const field = key === 'source_path' ? 'source' : key;
    if (!allowed.includes(field) && !field.startsWith('tags.'))
      throw invalidParameter(
        `Invalid filter '${filter}': ${key} cannot be searched here (only ${allowed.join(', ')}).`,
      );
    const op = m[2]!.toUpperCase();
    const unquote = (s: string) => s.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
    if (op === 'IN') {
      const values = [...m[3]!.matchAll(/'((?:[^'\\]|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'"));
      clauses.push((f) => values.includes(f(field) ?? '\u0000'));
      continue;
    }
    const value = unquote(m[3]!);
    if (op === '=') clauses.push((f) => f(field) === value);
    else if (op === '!=') clauses.push((f) => f(field) !== value);
    else {
      const match = likeMatcher(value, op === 'ILIKE');
      clauses.push((f) => {
        const v = f(field);
        return v !== undefined && match(v);
      });
    }
  }
  return clauses;
}

function page<T>(items: T[], max: number, token: string | undefined) {
  let offset = 0;
  if (token) {
    try {
      offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: number }).offset;
    } catch {
      offset = -1;
    }
    if (!Number.isInteger(offset) || offset < 0)
      throw invalidParameter('Invalid page_token: pass next_page_token back unchanged.');
  }
  const slice = items.slice(offset, offset + max);
  const next =
    offset + max < items.length
      ? Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64url')
      : undefined;
  return { slice, next };
}

function orderBy<T>(
  items: T[],
  order: string[] | undefined,
  fields: Record<string, (x: T) => string | number>,
): T[] {
  const keys = (order ?? []).map((o) => {
    const [field, dir = 'ASC'] = o.trim().split(/\s+/);
    const get = fields[field ?? ''];
    if (!get || !/^(ASC|DESC)$/i.test(dir)) throw invalidParameter(`Invalid order_by clause '${o}'.`);
    return { get, sign: dir.toUpperCase() === 'DESC' ? -1 : 1 };
  });
  if (!keys.length) return items;
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const x = k.get(a);
      const y = k.get(b);
      if (x !== y) return (x < y ? -1 : 1) * k.sign;
    }
    return 0;
  });
}

const OrderList = z.union([z.array(z.string()), z.string().transform((s) => [s])]).optional();

/**
 * The run and the model file a source names: `runs:/RUN_ID/PATH`, or — what
 * `mlflow.register_model("runs:/…")` sends once the client has resolved it — the run's artifact
 * URI and a path below it (`…/RUN_ID/artifacts/PATH`) with `run_id`.
 */
function fromSource(source: string, runId: string | undefined): { runId: string; path: string } {
  const m = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (m) {
    if (runId && runId !== m[1])
      throw invalidParameter(`The source names run ${m[1]} but run_id is ${runId}.`);
    return { runId: m[1]!, path: m[2] || 'model' };
  }
  const marker = runId ? `/${runId}/artifacts` : undefined;
  const at = marker ? source.indexOf(marker) : -1;
  if (runId && at >= 0) {
    const rest = source.slice(at + marker!.length).replace(/^\/+/, '');
    return { runId, path: rest || 'model' };
  }
  throw invalidParameter(
    `Unsupported source '${source}': register from runs:/RUN_ID/PATH (the run's model file or its folder), or from the run's artifact URI with run_id.`,
  );
}

export const registryEndpoints: Record<string, RegistryEndpoint> = {
  'registered-models/create': {
    methods: {
      POST(input, reg) {
        const b = z
          .object({ name: Name, tags: z.array(Tag).default([]), description: Description.default('') })
          .parse(input);
        const name = modelName(b.name);
        if (reg.repo.findModel(name))
          throw new MlflowError(
            'RESOURCE_ALREADY_EXISTS',
            `Registered Model (name=${name}) already exists.`,
            400,
          );
        reg.repo.createModel(name, b.description);
        for (const t of b.tags) reg.repo.setModelTag(name, t.key, t.value);
        reg.changed(name);
        return { registered_model: modelJson(reg, name) };
      },
    },
  },
  'registered-models/get': {
    methods: {
      GET(input, reg) {
        const { name } = z.object({ name: Name }).parse(input);
        existing(reg, name);
        return { registered_model: modelJson(reg, name) };
      },
    },
  },
  'registered-models/search': {
    methods: {
      GET(input, reg) {
        const b = z
          .object({
            filter: z.string().optional(),
            max_results: maxResults(1000, 100),
            order_by: OrderList,
            page_token: z.string().optional(),
          })
          .parse(input);
        const clauses = parseRegistryFilter(b.filter, ['name']);
        const models = reg.repo
          .list()
          .filter((m) =>
            clauses.every((c) =>
              c((k) => (k === 'name' ? m.name : k.startsWith('tags.') ? m.tags[k.slice(5)] : undefined)),
            ),
          );
        const sorted = orderBy(
          models.sort((a, b2) => a.name.localeCompare(b2.name)),
          b.order_by,
          {
            name: (m) => m.name,
            timestamp: (m) => m.updatedAt,
            last_updated_timestamp: (m) => m.updatedAt,
            creation_timestamp: (m) => m.createdAt,
          },
        );
        const { slice, next } = page(sorted, b.max_results, b.page_token);
        return {
          registered_models: slice.map((m) => modelJson(reg, m.name)),
          ...(next ? { next_page_token: next } : {}),
        };
      },
    },
  },
  'registered-models/update': {
    methods: {
      PATCH(input, reg) {
        const b = z.object({ name: Name, description: Description.optional() }).parse(input);
        existing(reg, b.name);
        reg.update({ name: b.name, description: b.description });
        reg.changed(b.name);
        return { registered_model: modelJson(reg, b.name) };
      },
    },
  },
  'registered-models/rename': {
    methods: {
      POST(input, reg) {
        const b = z.object({ name: Name, new_name: Name }).parse(input);
        existing(reg, b.name);
        const to = modelName(b.new_name);
        if (to !== b.name && reg.repo.findModel(to))
          throw new MlflowError(
            'RESOURCE_ALREADY_EXISTS',
            `Registered Model (name=${to}) already exists.`,
            400,
          );
        if (to !== b.name) refusedAsInvalid(() => reg.refuseIfDeployed(b.name));
        reg.repo.updateModel(b.name, { newName: to });
        reg.changed(b.name);
        reg.changed(to);
        return { registered_model: modelJson(reg, to) };
      },
    },
  },
  'registered-models/delete': {
    methods: {
      DELETE(input, reg) {
        const { name } = z.object({ name: Name }).parse(input);
        existing(reg, name);
        refusedAsInvalid(() => {
          reg.refuseIfDeployed(name);
          reg.repo.deleteModel(name);
        });
        reg.changed(name);
        return {};
      },
    },
  },
  'registered-models/set-tag': {
    methods: {
      POST(input, reg) {
        const b = z.object({ name: Name, key: Tag.shape.key, value: Tag.shape.value }).parse(input);
        existing(reg, b.name);
        reg.setTag(b);
        reg.changed(b.name);
        return {};
      },
    },
  },
  'registered-models/delete-tag': {
    methods: {
      DELETE(input, reg) {
        const b = z.object({ name: Name, key: z.string().min(1) }).parse(input);
        existing(reg, b.name);
        if (!reg.deleteTag(b))
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `No tag with name: ${b.key} in model ${b.name}.`,
            404,
          );
        reg.changed(b.name);
        return {};
      },
    },
  },
  'registered-models/alias': {
    methods: {
      /** Through the API an alias moves without its gate only when forced: MLflow clients cannot pass one. */
      async POST(input, reg) {
        const b = z.object({ name: Name, alias: z.string(), version: VersionText }).parse(input);
        const alias = AliasName.safeParse(b.alias);
        if (!alias.success)
          throw invalidParameter(`Invalid alias '${b.alias}': ${alias.error.issues[0]!.message}`);
        versionOf(reg, b.name, b.version);
        if (reg.repo.results.gate(b.name, alias.data))
          throw invalidParameter(
            `${b.name}@${alias.data} is guarded by a gate; move it with the workbench (mlwb model alias ${b.name} ${b.version} ${alias.data}), which checks the gate.`,
          );
        await reg.setAlias(
          { name: b.name, version: Number(b.version), alias: alias.data, force: false },
          async () => null,
        );
        reg.changed(b.name);
        reg.onAliasMovedOutside(b.name, alias.data);
        return {};
      },
      DELETE(input, reg) {
        const b = z.object({ name: Name, alias: z.string().min(1) }).parse(input);
        existing(reg, b.name);
        if (!reg.removeAlias(b.name, b.alias))
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `Registered model alias ${b.alias} not found.`,
            404,
          );
        reg.changed(b.name);
        return {};
      },
      GET(input, reg) {
        const b = z.object({ name: Name, alias: z.string().min(1) }).parse(input);
        existing(reg, b.name);
        const n = reg.repo.aliasTarget(b.name, b.alias);
        if (n === undefined)
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `Registered model alias ${b.alias} not found.`,
            404,
          );
        return { model_version: versionJson(reg.repo.version(b.name, n)) };
      },
    },
  },
  'registered-models/get-latest-versions': {
    methods: {
      POST: latestVersions,
      GET: latestVersions,
    },
  },
  'model-versions/create': {
    methods: {
      async POST(input, reg) {
        const b = z
          .object({
            name: Name,
            source: z.string().min(1),
            run_id: z.string().optional(),
            tags: z.array(Tag).default([]),
            run_link: z.string().optional(),
            description: Description.default(''),
          })
          .parse(input);
        existing(reg, b.name);
        const { runId, path } = fromSource(b.source, b.run_id);
        const tags = Object.fromEntries(b.tags.map((t) => [t.key, t.value]));
        const features = tags['mlwb.features']?.split(',').map((f) => f.trim());
        const r = await reg.register({
          runId,
          name: b.name,
          path: path.endsWith('.onnx') ? path : `${path.replace(/\/+$/, '')}/model.onnx`,
          label: features ? undefined : tags['mlwb.label'],
          features,
          description: b.description,
        });
        for (const t of b.tags) reg.repo.setVersionTag(b.name, r.version, t.key, t.value);
        reg.changed(b.name);
        return { model_version: versionJson(reg.repo.version(b.name, r.version)) };
      },
    },
  },
  'model-versions/get': {
    methods: {
      GET(input, reg) {
        const b = z.object({ name: Name, version: VersionText }).parse(input);
        return { model_version: versionJson(versionOf(reg, b.name, b.version)) };
      },
    },
  },
  'model-versions/search': {
    methods: {
      GET(input, reg) {
        const b = z
          .object({
            filter: z.string().optional(),
            max_results: maxResults(200_000, 200_000),
            order_by: OrderList,
            page_token: z.string().optional(),
          })
          .parse(input);
        const clauses = parseRegistryFilter(b.filter, ['name', 'run_id', 'source']);
        const all = reg.repo
          .allVersions()
          .filter((v) =>
            clauses.every((c) =>
              c((k) =>
                k === 'name'
                  ? v.name
                  : k === 'run_id'
                    ? (v.runId ?? '')
                    : k === 'source'
                      ? v.source
                      : k.startsWith('tags.')
                        ? v.tags[k.slice(5)]
                        : undefined,
              ),
            ),
          );
        const sorted = orderBy(all, b.order_by, {
          name: (v) => v.name,
          version_number: (v) => v.version,
          creation_timestamp: (v) => v.createdAt,
          last_updated_timestamp: (v) => v.updatedAt,
        });
        const { slice, next } = page(sorted, b.max_results, b.page_token);
        return { model_versions: slice.map(versionJson), ...(next ? { next_page_token: next } : {}) };
      },
    },
  },
  'model-versions/update': {
    methods: {
      PATCH(input, reg) {
        const b = z
          .object({ name: Name, version: VersionText, description: Description.optional() })
          .parse(input);
        versionOf(reg, b.name, b.version);
        reg.update({ name: b.name, version: Number(b.version), description: b.description });
        reg.changed(b.name);
        return { model_version: versionJson(reg.repo.version(b.name, Number(b.version))) };
      },
    },
  },
  'model-versions/delete': {
    methods: {
      DELETE(input, reg) {
        const b = z.object({ name: Name, version: VersionText }).parse(input);
        versionOf(reg, b.name, b.version);
        refusedAsInvalid(() => reg.deleteVersion(b.name, Number(b.version)));
        reg.changed(b.name);
        return {};
      },
    },
  },
  'model-versions/get-download-uri': {
    methods: {
      GET(input, reg) {
        const b = z.object({ name: Name, version: VersionText }).parse(input);
        return { artifact_uri: versionOf(reg, b.name, b.version).source };
      },
    },
  },
  'model-versions/set-tag': {
    methods: {
      POST(input, reg) {
        const b = z
          .object({ name: Name, version: VersionText, key: Tag.shape.key, value: Tag.shape.value })
          .parse(input);
        versionOf(reg, b.name, b.version);
        reg.setTag({ name: b.name, version: Number(b.version), key: b.key, value: b.value });
        reg.changed(b.name);
        return {};
      },
    },
  },
  'model-versions/delete-tag': {
    methods: {
      DELETE(input, reg) {
        const b = z.object({ name: Name, version: VersionText, key: z.string().min(1) }).parse(input);
        versionOf(reg, b.name, b.version);
        if (!reg.deleteTag({ name: b.name, version: Number(b.version), key: b.key }))
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `No tag with name: ${b.key} in model ${b.name} version ${b.version}.`,
            404,
          );
        reg.changed(b.name);
        return {};
      },
    },
  },
};

/** A delete the registry refuses (an alias still points there) is a bad request, not a duplicate. */
function refusedAsInvalid(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkbenchError && err.code === 'CONFLICT') throw invalidParameter(err.message);
    throw err;
  }
}

/** MLflow's deprecated stage view: with no stages kept, the latest version stands for "None". */
function latestVersions(input: unknown, reg: RegistryService) {
  const b = z
    .object({ name: Name, stages: z.union([z.array(z.string()), z.string()]).optional() })
    .parse(input);
  existing(reg, b.name);
  const stages = b.stages === undefined ? [] : Array.isArray(b.stages) ? b.stages : [b.stages];
  const n = reg.repo.latestNumber(b.name);
  const wanted = stages.length === 0 || stages.some((s) => s.toLowerCase() === 'none');
  return { model_versions: n !== undefined && wanted ? [versionJson(reg.repo.version(b.name, n))] : [] };
}
