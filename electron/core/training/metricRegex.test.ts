/**
 * A recipe's metric regexes against what a hostile container prints: matching stays linear and
 * bounded (a catastrophic pattern on a 50,000-character line), normal patterns still give metrics,
 * and what RE2 cannot run is refused when the recipe is loaded, saying what to write instead. The
 * last test runs such a recipe in the Docker engine and checks that the workbench keeps answering.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { dockerSkipReason, writeRecipe } from '../testing/trainingFixtures.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';
import { MATCH_CHARS, RegexMetrics } from './metricRegex.ts';
import { loadRecipe } from './recipeLoader.ts';

const dirs = tempDirs();

function recipe(metrics: { key: string; regex: string }[]): string {
  const dir = dirs.make();
  const lines = metrics.map((m) => `  - {key: ${m.key}, regex: ${JSON.stringify(m.regex)}}`);
  fs.writeFileSync(
    path.join(dir, 'recipe.yaml'),
    `name: r\nimage: a\ncommand: ["t"]\nmetrics:\n${lines.join('\n')}\n`,
  );
  return dir;
}

const refusal = (dir: string) =>
  loadRecipe(dir).then(
    () => 'loaded',
    (e: Error & { code?: string }) => `${e.code}: ${e.message}`,
  );

describe('metric regexes', () => {
  it('matches a catastrophic pattern on a 50,000-character hostile line within 200 ms; loss=… still gives metrics', () => {
    const dir = recipe([
      { key: 'evil', regex: '^(a+)+$' },
      { key: 'loss', regex: 'loss=([0-9.]+)' },
    ]);
    // In a process of its own, so that a backtracking engine fails this test by its timeout
    // instead of freezing the test run.
    const script = path.join(dirs.make(), 'hostile.mts');
    fs.writeFileSync(
      script,
      `import { loadRecipe } from ${JSON.stringify(path.join(import.meta.dirname, 'recipeLoader.ts'))};
       import { RegexMetrics } from ${JSON.stringify(path.join(import.meta.dirname, 'metricRegex.ts'))};
       const { recipe } = await loadRecipe(process.argv[2]);
       const regex = await RegexMetrics.compile(recipe.metrics);
       regex.match('warm up');
       const t = performance.now();
       const hostile = regex.match('a'.repeat(50_000) + 'b');
       const ms = performance.now() - t;
       const normal = regex.match('epoch 3 loss=0.25 accuracy=0.9');
       process.stdout.write(JSON.stringify({ ms, hostile, normal }));`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, dir], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(child.signal, 'the match did not return within 30 s').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout) as {
      ms: number;
      hostile: unknown[];
      normal: { key: string; value: number; step: number }[];
    };
    expect(out.ms).toBeLessThan(200);
    expect(out.hostile).toEqual([]);
    expect(out.normal).toMatchObject([{ key: 'loss', value: 0.25, step: 0 }]);
  });

  it('keeps group 1 as the value, counts steps per key, and matches a line on its first characters', async () => {
    const regex = await RegexMetrics.compile(
      [
        { key: 'loss', regex: '\\bloss=([-+0-9.eE]+)' },
        { key: 'acc', regex: '(?i)acc(?:uracy)?[:=] *(\\d+(?:\\.\\d+)?)' },
      ],
      { acc: 7 },
    );
    expect(regex.match('epoch 1 loss=1.5e-1 Accuracy: 0.75', () => 42)).toEqual([
      { key: 'loss', value: 0.15, step: 0, timestamp: 42 },
      { key: 'acc', value: 0.75, step: 7, timestamp: 42 },
    ]);
    expect(regex.match('val_loss=3 no metric here')).toEqual([]);
    expect(regex.match(`${'x'.repeat(MATCH_CHARS - 10)} loss=2`)).toMatchObject([{ value: 2, step: 1 }]);
    expect(regex.match(`${'x'.repeat(MATCH_CHARS)} loss=2`)).toEqual([]);
  });

  it('bounds the time a flood of long lines takes against a costly pattern, and counts what it left', async () => {
    // Allowed (under MAX_PROGRAM), but each 4,096-character line costs milliseconds.
    const regex = await RegexMetrics.compile([{ key: 'k', regex: '((?:x*y?){35})=' }]);
    const line = `${'x'.repeat(MATCH_CHARS - 1)}=${'x'.repeat(50_000)}`;
    const t = performance.now();
    for (let i = 0; i < 300; i++) regex.match(line);
    // Unbounded, the 300 lines would take 20 ms or more each.
    expect(performance.now() - t).toBeLessThan(2000);
    expect(regex.skippedLines).toBeGreaterThan(200);
  });

  it('keeps every point of an ordinary run, however many lines it prints at once', async () => {
    // What a follower gets in one go when it catches up with a run that printed fast.
    const regex = await RegexMetrics.compile([
      { key: 'loss', regex: 'loss[=:] *([-+0-9.eE]+)' },
      { key: 'acc', regex: '(?i)acc(?:uracy)?[=:] *([-+0-9.eE]+)' },
      { key: 'lr', regex: '\\blr[=:] *([-+0-9.eE]+)' },
      { key: 'val_loss', regex: 'val_loss[=:] *([-+0-9.eE]+)' },
    ]);
    const chatter = `step done, ${'progress '.repeat(12)}`;
    let points = 0;
    for (let i = 0; i < 200_000; i++)
      points += regex.match(
        i % 100 === 0 ? `epoch ${i} loss=0.${i} accuracy: 0.5 lr=0.01 val_loss=1e-3 ${chatter}` : chatter,
      ).length;
    expect(points).toBe(2000 * 4);
    expect(regex.skippedLines).toBe(0);
  });

  it('refuses at load what RE2 cannot run in linear time, saying what to write instead', async () => {
    expect(await refusal(recipe([{ key: 'k', regex: '(a)\\1=([0-9]+)' }]))).toMatch(
      /^INVALID_INPUT: .*metrics\.k\.regex uses a backreference \(\\1\), which cannot be matched in linear time\. Metric regexes are RE2 .*e\.g\. `loss=\(\[-\+0-9\.eE\]\+\)`/,
    );
    expect(await refusal(recipe([{ key: 'k', regex: '(?<n>a)\\k<n>(\\d)' }]))).toMatch(
      /metrics\.k\.regex uses a backreference \(\\k\)/,
    );
    expect(await refusal(recipe([{ key: 'k', regex: '(?<=loss=)([0-9.]+)' }]))).toMatch(
      /metrics\.k\.regex uses lookaround \(\(\?<=…\).*Match the text around the value instead/,
    );
    expect(await refusal(recipe([{ key: 'k', regex: 'loss=(?!nan)([0-9.]+)' }]))).toMatch(
      /metrics\.k\.regex uses lookaround \(\(\?!…\)/,
    );
    expect(await refusal(recipe([{ key: 'k', regex: '(.{0,999})=' }]))).toMatch(
      /metrics\.k\.regex is too large: it compiles to \d+ instructions, more than 150\. Make it simpler/,
    );
    const many = Array.from({ length: 14 }, (_, i) => ({ key: `k${i}`, regex: '((?:x*y?){10})=' }));
    expect(await refusal(recipe(many))).toMatch(
      /metrics\.k\d+\.regex is one too many: a recipe's metric regexes may have 600 instructions in all/,
    );
    expect(
      await refusal(recipe(Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, regex: 'a=(\\d)' })))),
    ).toMatch(/at most 32 regexes/);
    expect(await refusal(recipe([{ key: 'k', regex: 'loss=[0-9.]+' }]))).toMatch(
      /metrics\.k\.regex has no group for the value: put the value in parentheses/,
    );
    expect(await refusal(recipe([{ key: 'k', regex: '(x)\\Z' }]))).toMatch(
      /metrics\.k\.regex is not a valid regular expression: invalid escape sequence: `\\Z`\. Metric regexes are RE2/,
    );
  });

  it('leaves out a rule a run recorded before RE2 holds, and says why', async () => {
    const regex = await RegexMetrics.compile([
      { key: 'old', regex: '(?<=loss=)([0-9.]+)' },
      { key: 'loss', regex: 'loss=([0-9.]+)' },
    ]);
    expect(regex.refused).toEqual([expect.stringMatching(/^metrics\.old\.regex uses lookaround/)]);
    expect(regex.match('loss=0.5')).toMatchObject([{ key: 'loss', value: 0.5 }]);
  });
});

const skipReason = await dockerSkipReason();

describe.skipIf(Boolean(skipReason))(
  `a hostile line in a real run${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let wb: Workbench | undefined;
    afterAll(async () => {
      await wb?.close();
    });

    it('leaves the workbench answering while a container prints 50,000 a’s at ^(a+)+$, and still reads loss', async () => {
      wb = await openWorkbench(dirs.make());
      const dir = writeRecipe(dirs.make(), {
        name: 'hostile-line',
        script: [
          "print('a' * 50_000 + 'b', flush=True)",
          "print('a' * 50_000 + 'b', flush=True)",
          "print('epoch 0 loss=0.5', flush=True)",
        ],
        metrics: [
          { key: 'evil', regex: '^(a+)+$' },
          { key: 'loss', regex: 'loss=([0-9.]+)' },
        ],
      });
      // The longest the event loop went without a turn while the run was followed.
      let last = performance.now();
      let longest = 0;
      const ticker = setInterval(() => {
        const t = performance.now();
        longest = Math.max(longest, t - last);
        last = t;
      }, 10);
      try {
        const [id] = await wb.runs.start({ recipe: dir });
        await wb.runs.waitFor(id!);
        expect(wb.tracking.run(id!).status).toBe('FINISHED');
        expect(wb.tracking.metricHistory(id!, 'loss').map((p) => p.value)).toEqual([0.5]);
        expect(wb.tracking.metricHistory(id!, 'evil')).toEqual([]);
      } finally {
        clearInterval(ticker);
      }
      expect(longest).toBeLessThan(1000);
    });
  },
);
