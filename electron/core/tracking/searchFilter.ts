/**
 * The MLflow search syntax subset, compiled to parameterized SQL over the runs tables:
 *   metrics.<key> | params.<key> | tags.<key> | attributes.<name>
 *   compared with = != < <= > >= (and LIKE, ILIKE for strings), clauses joined by AND.
 * Keys may be quoted with backticks or double quotes (`metrics."val acc"`). Values: numbers for
 * metrics, 'single' or "double" quoted strings for params, tags and string attributes.
 * ORDER BY terms are `<entity>.<key> [ASC|DESC]`.
 */
import { LIMITS } from '../../../shared/tracking.ts';
import { invalidInput } from '../errors.ts';

type Entity = 'metrics' | 'params' | 'tags' | 'attributes';
const COMPARATORS = ['=', '!=', '<>', '<=', '>=', '<', '>', 'LIKE', 'ILIKE'] as const;
type Comparator = (typeof COMPARATORS)[number];

export interface Clause {
  entity: Entity;
  key: string;
  op: Comparator;
  value: string | number;
}

/** Attribute names (MLflow's and ours) → columns of `runs r`. */
const ATTRIBUTES: Record<string, { column: string; kind: 'string' | 'number' }> = {
  run_id: { column: 'r.id', kind: 'string' },
  run_name: { column: 'r.name', kind: 'string' },
  status: { column: 'r.status', kind: 'string' },
  start_time: { column: 'r.start_time', kind: 'number' },
  end_time: { column: 'r.end_time', kind: 'number' },
  created: { column: 'r.created_at', kind: 'number' },
  experiment_id: { column: 'r.experiment_id', kind: 'string' },
};
const ATTRIBUTE_ALIASES: Record<string, string> = {
  runName: 'run_name',
  'run name': 'run_name',
  id: 'run_id',
};

const ENTITY_ALIASES: Record<string, Entity> = {
  metric: 'metrics',
  metrics: 'metrics',
  param: 'params',
  params: 'params',
  parameter: 'params',
  parameters: 'params',
  tag: 'tags',
  tags: 'tags',
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
};

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace() {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  done() {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
  fail(what: string): never {
    throw invalidInput(
      `Cannot parse the filter at position ${this.pos + 1}: ${what}. Example: metrics.acc > 0.9 and params.lr = '0.01'`,
    );
  }
  /** An identifier, or a quoted one. */
  name(): string {
    this.skipSpace();
    const q = this.text[this.pos];
    if (q === '`' || q === '"') return this.quoted(q);
    const m = /^[A-Za-z0-9_\-/:]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }
  quoted(q: string): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++]!;
      if (ch === q) {
        if (this.text[this.pos] === q) {
          out += q;
          this.pos++;
          continue;
        }
        return out;
      }
      out += ch;
    }
    this.fail(`a ${q} quote is never closed`);
  }
  comparator(): Comparator {
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    for (const op of ['!=', '<>', '<=', '>=', '=', '<', '>']) {
      if (rest.startsWith(op)) {
        this.pos += op.length;
        return op as Comparator;
      }
    }
    const m = /^(i?like)\b/i.exec(rest);
    if (m) {
      this.pos += m[0].length;
      return m[1]!.toUpperCase() as Comparator;
    }
    this.fail('expected one of = != < <= > >= LIKE ILIKE');
  }
  value(): string | number {
    this.skipSpace();
    const q = this.text[this.pos];
    if (q === "'" || q === '"') return this.quoted(q);
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a number or a quoted string');
    this.pos += m[0].length;
    return Number(m[0]);
  }
  keyword(word: string): boolean {
    this.skipSpace();
    const re = new RegExp(`^${word}\\b`, 'i');
    if (!re.test(this.text.slice(this.pos))) return false;
    this.pos += word.length;
    return true;
  }
}

function entityAndKey(s: Scanner): { entity: Entity; key: string } {
  const head = s.name();
  let entity: Entity | undefined;
  let key: string;
  const dot = head.indexOf('.');
  if (dot > 0 && !head.startsWith('`')) {
    entity = ENTITY_ALIASES[head.slice(0, dot)];
    key = head.slice(dot + 1);
  } else if (s.text[s.pos] !== '.' && Object.hasOwn(ATTRIBUTES, ATTRIBUTE_ALIASES[head] ?? head)) {
    // As in MLflow, a bare name is an attribute: `start_time DESC`, `status = 'RUNNING'`.
    entity = 'attributes';
    key = head;
  } else {
    entity = ENTITY_ALIASES[head];
    if (s.text[s.pos] !== '.') s.fail(`"${head}" must be followed by .key (e.g. metrics.${head})`);
    s.pos++;
    key = s.name();
  }
  if (!entity) s.fail(`"${head.split('.')[0]}" is not metrics, params, tags or attributes`);
  if (!key) s.fail('the key after the dot is empty');
  if (entity === 'attributes') key = ATTRIBUTE_ALIASES[key] ?? key;
  return { entity, key };
}

export function parseFilter(filter: string): Clause[] {
  const s = new Scanner(filter);
  const clauses: Clause[] = [];
  if (s.done()) return clauses;
  for (;;) {
    const { entity, key } = entityAndKey(s);
    const op = s.comparator();
    const value = s.value();
    if (entity === 'metrics' && typeof value !== 'number') s.fail(`metrics.${key} compares with a number`);
    if ((entity === 'params' || entity === 'tags') && typeof value !== 'string') {
      s.fail(`${entity}.${key} compares with a quoted string, e.g. ${entity}.${key} = '${value}'`);
    }
    if (entity === 'attributes') {
      const a = ATTRIBUTES[key];
      if (!a) return s.fail(`unknown attribute "${key}" (known: ${Object.keys(ATTRIBUTES).join(', ')})`);
      if (a.kind === 'number' && typeof value !== 'number')
        s.fail(`attributes.${key} compares with a number`);
    }
    if ((op === 'LIKE' || op === 'ILIKE') && typeof value !== 'string')
      s.fail('LIKE compares with a quoted pattern');
    clauses.push({ entity, key, op, value });
    if (clauses.length > LIMITS.filterClauses)
      throw invalidInput(`A filter has at most ${LIMITS.filterClauses} clauses joined by AND.`);
    if (s.done()) return clauses;
    if (!s.keyword('and')) s.fail('expected AND between clauses (OR is not supported)');
  }
}

/** SQL for one clause as a condition on `runs r`, with its parameters. */
function clauseSql(c: Clause): { sql: string; params: unknown[] } {
  const op = c.op === '<>' ? '!=' : c.op;
  const cmp = (col: string) => (op === 'ILIKE' ? `lower(${col}) LIKE lower(?)` : `${col} ${op} ?`);
  switch (c.entity) {
    case 'metrics':
      return {
        sql: `EXISTS (SELECT 1 FROM run_latest_metrics m WHERE m.run_id = r.id AND m.key = ? AND m.is_nan = 0 AND ${cmp('m.value')})`,
        params: [c.key, c.value],
      };
    case 'params':
    case 'tags': {
      const table = c.entity === 'params' ? 'run_params' : 'run_tags';
      // An equality is answered from the (key, value) index as a set of run ids, which SQLite
      // probes through a Bloom filter: cheaper than a lookup per run when most runs fail it.
      if (op === '=') {
        return {
          sql: `r.id IN (SELECT x.run_id FROM ${table} x WHERE x.key = ? AND x.value = ?)`,
          params: [c.key, c.value],
        };
      }
      return {
        sql: `EXISTS (SELECT 1 FROM ${table} x WHERE x.run_id = r.id AND x.key = ? AND ${cmp('x.value')})`,
        params: [c.key, c.value],
      };
    }
    case 'attributes':
      return { sql: cmp(ATTRIBUTES[c.key]!.column), params: [c.value] };
  }
}

export function filterSql(filter: string): { where: string; params: unknown[] } {
  const parts = parseFilter(filter).map(clauseSql);
  return {
    where: parts.length ? parts.map((p) => p.sql).join(' AND ') : '1',
    params: parts.flatMap((p) => p.params),
  };
}

/** ORDER BY terms; runs without the key sort last either way, ties by creation time, newest first. */
export function orderSql(orderBy: string[]): { order: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  for (const raw of orderBy) {
    const s = new Scanner(raw);
    const { entity, key } = entityAndKey(s);
    let dir = 'ASC';
    if (s.keyword('desc')) dir = 'DESC';
    else s.keyword('asc');
    if (!s.done()) s.fail('expected ASC or DESC at the end of the order term');
    let expr: string;
    if (entity === 'metrics') {
      expr = '(SELECT m.value FROM run_latest_metrics m WHERE m.run_id = r.id AND m.key = ?)';
      params.push(key);
    } else if (entity === 'params' || entity === 'tags') {
      const table = entity === 'params' ? 'run_params' : 'run_tags';
      expr = `(SELECT x.value FROM ${table} x WHERE x.run_id = r.id AND x.key = ?)`;
      params.push(key);
    } else {
      const a = ATTRIBUTES[key];
      if (!a) return s.fail(`unknown attribute "${key}"`);
      expr = a.column;
    }
    terms.push(`${expr} IS NULL, ${expr} ${dir}`);
    if (entity !== 'attributes') params.push(params.at(-1));
  }
  terms.push('r.created_at DESC', 'r.id DESC');
  return { order: terms.join(', '), params };
}
