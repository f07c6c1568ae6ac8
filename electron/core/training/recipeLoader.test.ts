import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { loadRecipe, resolveParams } from './recipeLoader.ts';
import { expandSweep } from './sweep.ts';

const dirs = tempDirs();

function recipe(yaml: string, files: Record<string, string> = {}): string {
  const dir = dirs.make();
  fs.writeFileSync(path.join(dir, 'recipe.yaml'), yaml);
  for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
  return dir;
}

const message = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: Error & { code?: string }) => `${e.code}: ${e.message}`,
  );

describe('recipes', () => {
  it('loads the shipped examples', async () => {
    const root = path.resolve(import.meta.dirname, '../../../resources/recipes');
    for (const name of ['sklearn-classifier', 'sklearn-regression']) {
      const { recipe: r } = await loadRecipe(path.join(root, name));
      expect(r.image).toBe('mlwb/python-sklearn:bookworm');
      expect(r.metrics.length).toBeGreaterThan(0);
    }
  });

  it('names the field that is wrong', async () => {
    expect(await message(loadRecipe(dirs.make()))).toMatch(/^NOT_FOUND: .* has no recipe\.yaml/);
    expect(await message(loadRecipe(recipe('name: [unclosed')))).toMatch(/^INVALID_INPUT: .*not valid YAML/);
    expect(await message(loadRecipe(recipe('name: x\ncommand: ["true"]\n')))).toMatch(
      /exactly one of image: .* or build:/,
    );
    expect(await message(loadRecipe(recipe('name: x\nimage: a\ncommand: "python3 train.py"\n')))).toMatch(
      /command/,
    );
    expect(
      await message(
        loadRecipe(recipe('name: x\nimage: a\ncommand: ["t"]\nparams:\n  lr: {type: decimal}\n')),
      ),
    ).toMatch(/params\.lr\.type/);
    expect(
      await message(loadRecipe(recipe('name: x\nimage: a\ncommand: ["t"]\nresources: {memory: lots}\n'))),
    ).toMatch(/resources\.memory/);
    expect(
      await message(
        loadRecipe(recipe('name: x\nimage: a\ncommand: ["t"]\nmetrics:\n  - {key: k, regex: "(unclosed"}\n')),
      ),
    ).toMatch(/metrics\.k\.regex is not a valid regular expression/);
    expect(await message(loadRecipe(recipe('name: x\nbuild: Dockerfile\ncommand: ["t"]\n')))).toMatch(
      /^NOT_FOUND: .*Dockerfile/,
    );
    expect(await message(loadRecipe(recipe('name: x\nbuild: ../Dockerfile\ncommand: ["t"]\n')))).toMatch(
      /inside the recipe folder/,
    );
  });

  it('types params from the recipe, with clear errors for wrong values and unknown names', async () => {
    const { recipe: r } = await loadRecipe(
      recipe(
        'name: x\nimage: a\ncommand: ["t"]\nparams:\n  lr: {type: float, default: 0.1}\n  n: {type: int, default: 3}\n  s: {type: string}\n  b: {type: bool, default: false}\n',
      ),
    );
    expect(resolveParams(r, { s: 'hi', n: '7', lr: '1e-3', b: 'true' })).toEqual({
      lr: 0.001,
      n: 7,
      s: 'hi',
      b: true,
    });
    expect(() => resolveParams(r, { s: 'x', n: '2.5' })).toThrow(/Param n is an int; "2.5" is not/);
    expect(() => resolveParams(r, { s: 'x', lr: 'fast' })).toThrow(/Param lr is a float; "fast" is not/);
    expect(() => resolveParams(r, { s: 'x', b: 'maybe' })).toThrow(/Param b is a bool/);
    expect(() => resolveParams(r, { s: 'x', nope: '1' })).toThrow(/has no param "nope"/);
    expect(() => resolveParams(r, {})).toThrow(/Give a value for --param s=/);
  });

  it('expands sweeps as a full grid or a reproducible random sample', () => {
    const grid = expandSweep({ a: [1, 2, 3], b: ['x', 'y'] });
    expect(grid).toHaveLength(6);
    expect(grid).toContainEqual({ a: 3, b: 'y' });
    const sample = expandSweep({ a: [1, 2, 3], b: ['x', 'y'] }, { randomSamples: 3, seed: 42 });
    expect(sample).toHaveLength(3);
    expect(expandSweep({ a: [1, 2, 3], b: ['x', 'y'] }, { randomSamples: 3, seed: 42 })).toEqual(sample);
    expect(new Set(sample.map((s) => JSON.stringify(s))).size).toBe(3);
  });
});
