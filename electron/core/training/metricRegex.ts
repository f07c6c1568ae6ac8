/**
 * A recipe's metric regexes (`metrics: [{key, regex}]`, first group = value, as SageMaker's metric
 * definitions), run on every line a training container prints: text an untrusted program controls,
 * matched on the process's main thread.
 *
 * JavaScript's RegExp backtracks: `^(a+)+$` on a line of 30 a's and a b takes seconds, on 50,000
 * forever, and the app stops answering. So the regexes run on RE2 (re2js, a pure-JS port), whose
 * time is linear in the line — times the size of the compiled pattern, which can itself be large
 * (`(.{0,999})=` runs ~2,000 instructions per character). All three are bounded:
 * - a line is matched on its first MATCH_CHARS characters;
 * - a pattern that compiles to more than MAX_PROGRAM instructions is refused;
 * - a recipe has at most 32 regexes (the recipe schema), of MAX_TOTAL_PROGRAM instructions in all;
 * - a line whose cost (its length times the size of all the patterns, RE2's bound) is above
 *   CHEAP_STEPS is costly: a run's costly lines take at most MATCH_SHARE of the time after a burst
 *   of MATCH_BURST_MS; past that a costly line is not matched, and counted (a flood of long lines
 *   against large patterns). A cheap line is always matched and never charged: a usual metric
 *   line (`loss=0.25 …`, a few hundred characters against patterns of 10–60 instructions) is
 *   always matched, however many lines a run prints and however busy the machine is. A cheap line
 *   costs at most about 1.5 ms (about 22 ns a step, measured here on adversarial patterns): a
 *   hostile recipe whose container floods such lines can still keep the main thread busy; matching
 *   on a worker thread would end that.
 * A regex RE2 cannot run (backreferences, lookaround) is refused when the recipe is loaded, with
 * what to write instead; a run recorded before this (its spec holds such a regex) runs without it.
 *
 * re2js (~260 KB) loads on first use, not with the core: most CLI commands never match a metric.
 */
import type { RE2JS } from 're2js';
import type { ParsedPoint } from './metricParsers.ts';

/** A line is matched on this many characters from its start. */
export const MATCH_CHARS = 4096;
/** A compiled pattern may have this many instructions (`loss=([-+0-9.eE]+)` has 11, elaborate ones 30–60). */
export const MAX_PROGRAM = 150;
/** All of a recipe's patterns together may have this many instructions. */
export const MAX_TOTAL_PROGRAM = 600;
/**
 * A line costing at most this (its length × the size of all the patterns) is cheap: always
 * matched. `loss=([-+0-9.eE]+)` (11 instructions) alone is cheap on any line it sees.
 */
const CHEAP_STEPS = 64 * 1024;
/** After the burst, costly matches may take this share of the time that passes. */
const MATCH_SHARE = 0.25;
/** What costly matches may take at once. */
const MATCH_BURST_MS = 200;

const EXAMPLE = '`loss=([-+0-9.eE]+)`';
const SYNTAX = 'Metric regexes are RE2 (the syntax of Go’s regexp: no backreferences or lookaround).';

let engine: Promise<typeof import('re2js')> | undefined;
const re2 = () => {
  engine ??= import('re2js');
  return engine;
};

/**
 * The regex compiled, or why it is refused: a phrase that follows "metrics.KEY.regex" and says
 * what to change.
 */
export async function compileMetricRegex(source: string): Promise<{ re: RE2JS } | { refused: string }> {
  const { RE2JS } = await re2();
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    return { refused: whyNot(err) };
  }
  if (re.programSize() > MAX_PROGRAM)
    return {
      refused: `is too large: it compiles to ${re.programSize()} instructions, more than ${MAX_PROGRAM}. Make it simpler (fewer or smaller {n,m} repeats, fewer alternatives).`,
    };
  if (re.groupCount() < 1)
    return { refused: `has no group for the value: put the value in parentheses, e.g. ${EXAMPLE}.` };
  return { re };
}

/** Why a rule past the recipe's limits is left out. */
export const tooMany = () =>
  `is one too many: a recipe's metric regexes may have ${MAX_TOTAL_PROGRAM} instructions in all (at most 32 regexes). Make them simpler or fewer, or write the metrics to metrics.jsonl.`;

/** RE2's parse errors, turned into what a recipe author should write instead. */
function whyNot(err: unknown): string {
  const { error, input } = err as { error?: string; input?: string };
  const message = (err as Error).message.replace(/^error parsing regexp: /, '');
  if (error === 'invalid escape sequence' && /^\\([1-9]|k)/.test(input ?? ''))
    return `uses a backreference (${input}), which cannot be matched in linear time. ${SYNTAX} Match the text itself, with the value as the first group, e.g. ${EXAMPLE}.`;
  const lookaround = /^\(\?(=|!|<=|<!)/.exec(input ?? '')?.[0];
  if (lookaround)
    return `uses lookaround (${lookaround}…), which cannot be matched in linear time. ${SYNTAX} Match the text around the value instead, with the value as the first group, e.g. ${EXAMPLE} rather than \`(?<=loss=)[-+0-9.eE]+\`.`;
  return `is not a valid regular expression: ${message}. ${SYNTAX}`;
}

/** How much time matching may still take: a burst, refilled by a share of the time that passes. */
class MatchBudget {
  private left: number;
  private last = performance.now();

  constructor(
    private readonly burst: number,
    private readonly share: number,
  ) {
    this.left = burst;
  }

  available(): boolean {
    const t = performance.now();
    this.left = Math.min(this.burst, this.left + (t - this.last) * this.share);
    this.last = t;
    return this.left > 0;
  }

  charge(ms: number): void {
    this.left -= ms;
  }
}

/** The recipe's regexes over one run's log lines; each match of a rule is the next step of its key. */
export class RegexMetrics {
  /** Lines not matched against every rule because costly matching had used its time. */
  skippedLines = 0;
  private readonly steps = new Map<string, number>();
  private readonly rules: { key: string; re: RE2JS }[];
  /** All the patterns' instructions: a line's cost is its length times this. */
  private readonly size: number;
  /** The time this run's costly lines may take. */
  private readonly costly = new MatchBudget(MATCH_BURST_MS, MATCH_SHARE);

  private constructor(
    compiled: { key: string; re: RE2JS }[],
    /** Rules left out, each with why ("metrics.loss.regex uses a backreference…"). */
    readonly refused: string[],
    initialSteps: Record<string, number>,
  ) {
    this.rules = compiled;
    this.size = compiled.reduce((n, r) => n + r.re.programSize(), 0);
    for (const [k, s] of Object.entries(initialSteps)) this.steps.set(k, s);
  }

  static async compile(
    defs: { key: string; regex: string }[],
    initialSteps: Record<string, number> = {},
  ): Promise<RegexMetrics> {
    const rules: { key: string; re: RE2JS }[] = [];
    const refused: string[] = [];
    let total = 0;
    for (const d of defs) {
      const c = await compileMetricRegex(d.regex);
      if (!('re' in c)) refused.push(`metrics.${d.key}.regex ${c.refused}`);
      else if (rules.length >= 32 || total + c.re.programSize() > MAX_TOTAL_PROGRAM)
        refused.push(`metrics.${d.key}.regex ${tooMany()}`);
      else {
        rules.push({ key: d.key, re: c.re });
        total += c.re.programSize();
      }
    }
    return new RegexMetrics(rules, refused, initialSteps);
  }

  match(line: string, clock = Date.now): ParsedPoint[] {
    const out: ParsedPoint[] = [];
    const text = line.length > MATCH_CHARS ? line.slice(0, MATCH_CHARS) : line;
    const cheap = text.length * this.size <= CHEAP_STEPS;
    if (!cheap && !this.costly.available()) {
      this.skippedLines++;
      return out;
    }
    const t = cheap ? 0 : performance.now();
    for (const { key, re } of this.rules) {
      const m = re.exec(text);
      if (!m || m[1] === undefined) continue;
      const value = Number(m[1]);
      if (!Number.isFinite(value)) continue;
      const step = this.steps.get(key) ?? 0;
      this.steps.set(key, step + 1);
      out.push({ key, value, step, timestamp: clock() });
    }
    if (!cheap) this.costly.charge(performance.now() - t);
    return out;
  }
}
