/**
 * The filter and order_by of MLflow's experiments/search: `name LIKE 'fraud-%' AND tags.team = 'x'`,
 * `creation_time > 1700000000000`; `order_by: ["name ASC"]`. Experiments are few, so this filters
 * and sorts in memory rather than in SQL.
 */
import { type Experiment, LIMITS } from '../../../shared/tracking.ts';
import { likeMatcher } from './likePattern.ts';
import { invalidParameter } from './mlflowErrors.ts';

type Field =
  | { kind: 'name' }
  | { kind: 'time'; which: 'createdAt' | 'updatedAt' }
  | { kind: 'tag'; key: string };

const CLAUSE =
  /^\s*((?:attributes?\.)?(?:name|creation_time|last_update_time)|tags?\.(?:`[^`]+`|"[^"]+"|[\w\-./:]+))\s*(!=|<=|>=|=|<|>|ILIKE\b|LIKE\b)\s*('(?:[^']|'')*'|"(?:[^"]|"")*"|-?\d+)\s*/i;

function field(raw: string): Field {
  const name = raw.replace(/^attributes?\./i, '');
  if (/^tags?\./i.test(name))
    return { kind: 'tag', key: name.replace(/^tags?\./i, '').replace(/^[`"]|[`"]$/g, '') };
  if (name === 'name') return { kind: 'name' };
  return { kind: 'time', which: name === 'creation_time' ? 'createdAt' : 'updatedAt' };
}

function compare(a: string | number, op: string, b: string | number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

export function experimentFilter(filter: string): (e: Experiment) => boolean {
  const tests: ((e: Experiment) => boolean)[] = [];
  let rest = filter.trim();
  while (rest) {
    const m = CLAUSE.exec(rest);
    if (!m) {
      throw invalidParameter(
        `Invalid experiment filter near "${rest.slice(0, 40)}". Example: name LIKE 'fraud-%' AND tags.team = 'risk'`,
      );
    }
    const f = field(m[1]!);
    const op = m[2]!.toUpperCase();
    const raw = m[3]!;
    const quoted = raw.startsWith("'") || raw.startsWith('"');
    const value = quoted ? raw.slice(1, -1).replaceAll(raw[0]! + raw[0]!, raw[0]!) : Number(raw);
    if ((f.kind === 'time') === quoted) {
      throw invalidParameter(
        f.kind === 'time'
          ? `${m[1]} compares with a number of milliseconds.`
          : `${m[1]} compares with a quoted string.`,
      );
    }
    if ((op === 'LIKE' || op === 'ILIKE') && !quoted)
      throw invalidParameter('LIKE compares with a quoted pattern.');
    const get = (e: Experiment): string | number | undefined =>
      f.kind === 'name' ? e.name : f.kind === 'time' ? e[f.which] : e.tags[f.key];
    if (op === 'LIKE' || op === 'ILIKE') {
      const matches = likeMatcher(String(value), op === 'ILIKE');
      tests.push((e) => {
        const v = get(e);
        return v !== undefined && matches(String(v));
      });
    } else {
      tests.push((e) => {
        const v = get(e);
        return v !== undefined && compare(v, op, value);
      });
    }
    if (tests.length > LIMITS.filterClauses)
      throw invalidParameter(`A filter has at most ${LIMITS.filterClauses} clauses joined by AND.`);
    rest = rest.slice(m[0].length);
    if (rest && !/^AND\s/i.test(rest)) throw invalidParameter('Join experiment filter clauses with AND.');
    rest = rest.replace(/^AND\s+/i, '');
  }
  return (e) => tests.every((t) => t(e));
}

const ORDER_FIELDS: Record<string, (e: Experiment) => string | number> = {
  name: (e) => e.name,
  creation_time: (e) => e.createdAt,
  last_update_time: (e) => e.updatedAt,
  experiment_id: (e) => Number(e.id),
};

/** MLflow's default order is creation_time DESC, then experiment_id ASC. */
export function experimentOrder(orderBy: string[]): (a: Experiment, b: Experiment) => number {
  const terms = (orderBy.length ? orderBy : ['creation_time DESC']).map((t) => {
    const m = /^\s*(?:attributes?\.)?(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(t);
    const get = m && Object.hasOwn(ORDER_FIELDS, m[1]!) ? ORDER_FIELDS[m[1]!] : undefined;
    if (!m || !get) {
      throw invalidParameter(
        `Invalid order_by term "${t}". Use name, creation_time, last_update_time or experiment_id, then ASC or DESC.`,
      );
    }
    return { get, sign: m[2]?.toUpperCase() === 'DESC' ? -1 : 1 };
  });
  terms.push({ get: ORDER_FIELDS.experiment_id!, sign: 1 });
  return (a, b) => {
    for (const { get, sign } of terms) {
      const x = get(a);
      const y = get(b);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return 0;
  };
}
