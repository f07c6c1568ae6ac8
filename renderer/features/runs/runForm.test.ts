import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../../shared/training.ts';
import { checkForm, initialForm, parseParam, parseSweepValues } from './runForm.ts';

const recipe: Recipe = {
  name: 'r',
  image: 'img',
  command: ['python3', 'train.py'],
  params: {
    C: { type: 'float', default: 1 },
    max_iter: { type: 'int', default: 100 },
    label: { type: 'string', default: 'target' },
    scale: { type: 'bool', default: true },
  },
  metrics: [],
  resources: {},
} as Recipe;

describe('run form', () => {
  it('parses each param type and says what is wrong', () => {
    expect(parseParam({ type: 'int' }, ' 42 ')).toEqual({ value: 42 });
    expect(parseParam({ type: 'int' }, '4.2')).toEqual({ error: '“4.2” is not a whole number' });
    expect(parseParam({ type: 'float' }, '1e-3')).toEqual({ value: 0.001 });
    expect(parseParam({ type: 'float' }, '')).toHaveProperty('error');
    expect(parseParam({ type: 'float' }, 'Infinity')).toHaveProperty('error');
    expect(parseParam({ type: 'bool' }, 'false')).toEqual({ value: false });
    expect(parseParam({ type: 'bool' }, 'yes')).toHaveProperty('error');
    expect(parseParam({ type: 'string' }, ' keep spaces ')).toEqual({ value: ' keep spaces ' });
  });

  it('reads sweep values as the param type, dropping duplicates', () => {
    expect(parseSweepValues({ type: 'float' }, '0.1, 1,10, 1')).toEqual({ values: [0.1, 1, 10] });
    expect(parseSweepValues({ type: 'int' }, '1,,2')).toEqual({ error: 'Give values separated by commas' });
    expect(parseSweepValues({ type: 'int' }, '1,x')).toHaveProperty('error');
  });

  it('turns a filled form into the runs.start request', () => {
    const form = initialForm(recipe, undefined, 'iris');
    form.params.C = { value: '1', sweep: true, values: '0.1,1,10' };
    form.params.max_iter!.value = '50';
    form.parallel = '3';
    form.memory = '2g';
    form.seed = '7';
    form.name = ' sweep ';
    const checked = checkForm('/recipes/r', recipe, form);
    expect(checked.errors).toEqual({});
    expect(checked.runCount).toBe(3);
    expect(checked.request).toEqual({
      recipe: '/recipes/r',
      datasets: [{ channel: 'train', dataset: 'iris' }],
      params: { max_iter: 50, label: 'target', scale: true },
      sweep: { C: [0.1, 1, 10] },
      parallel: 3,
      resources: { memory: '2g' },
      seed: 7,
      name: 'sweep',
    });
  });

  it('gives no request, and an error per field, when something is wrong', () => {
    const form = initialForm(recipe, undefined, 'iris');
    form.params.max_iter!.value = 'many';
    form.memory = 'lots';
    form.channels.push({ key: 999, channel: 'train', dataset: 'other', version: 2 });
    const checked = checkForm('/recipes/r', recipe, form);
    expect(checked.request).toBeNull();
    expect(Object.keys(checked.errors).sort()).toEqual(['channel:999', 'memory', 'param:max_iter']);
  });

  it('samples a random sweep, at most the grid', () => {
    const form = initialForm(recipe, undefined, 'iris');
    form.params.C = { value: '1', sweep: true, values: '1,2' };
    form.params.max_iter = { value: '1', sweep: true, values: '10,20,30' };
    form.mode = 'random';
    form.samples = '10';
    const checked = checkForm('/recipes/r', recipe, form);
    expect(checked.gridSize).toBe(6);
    expect(checked.runCount).toBe(6);
    expect(checked.request).toMatchObject({ randomSamples: 10 });
  });
});
