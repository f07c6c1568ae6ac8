/**
 * Realized performance read from logged outputs, for each way a model answers: class
 * probabilities, a label output holding indices into the classes, one probability column (a
 * binary classifier, told from a regression by its labels), and a regression's value.
 */
import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../shared/registry.ts';
import type { LabeledRequest } from './monitorRepo.ts';
import { realizedPerformance } from './realized.ts';

function version(v: Partial<ModelVersion>): ModelVersion {
  return {
    name: 'm',
    version: 1,
    sha256: '',
    size: 0,
    source: '',
    runId: null,
    inputs: [{ name: 'x', type: 'float32', shape: [-1, 2] }],
    outputs: [],
    features: { x: ['a', 'b'] },
    classes: null,
    label: null,
    task: null,
    description: '',
    tags: {},
    aliases: [],
    lineage: null,
    createdAt: 0,
    updatedAt: 0,
    ...v,
  };
}

const request = (outputs: Record<string, unknown[]>, labels: [number, string][]): LabeledRequest => ({
  version: 1,
  outputs: JSON.stringify(outputs),
  labels: labels.map(([row, label]) => ({ row, label })),
});

describe('realized performance', () => {
  it('reads class probabilities by the classes, row by row of a batch', () => {
    const v = version({
      outputs: [{ name: 'probabilities', type: 'float32', shape: [-1, 3] }],
      classes: ['a', 'b', 'c'],
      task: 'classification',
    });
    const r = realizedPerformance(
      [
        request(
          {
            probabilities: [
              [0.8, 0.1, 0.1],
              [0.1, 0.1, 0.8],
              [0.2, 0.5, 0.3],
            ],
          },
          [
            [0, 'a'],
            [2, 'c'],
          ],
        ),
      ],
      () => v,
      false,
    );
    expect(r).toEqual({ labeled_rows: 2, accuracy: 0.5, rmse: null, mae: null });
  });

  it('maps a label output of a model with classes from its indices', () => {
    const v = version({
      outputs: [{ name: 'label', type: 'int64', shape: [-1] }],
      classes: ['setosa', 'versicolor', 'virginica'],
    });
    const r = realizedPerformance(
      [
        request({ label: [0, 1, 2] }, [
          [0, 'setosa'],
          [1, 'versicolor'],
          [2, 'setosa'],
        ]),
      ],
      () => v,
      false,
    );
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('takes one probability column for a binary classifier when the labels are 0 and 1, else a regression', () => {
    const v = version({ outputs: [{ name: 'score', type: 'float32', shape: [-1, 1] }] });
    const answers = [
      request({ score: [[0.9], [0.2], [0.7]] }, [
        [0, '1'],
        [1, '0'],
        [2, '0'],
      ]),
    ];
    expect(realizedPerformance(answers, () => v, true)).toEqual({
      labeled_rows: 3,
      accuracy: 2 / 3,
      rmse: null,
      mae: null,
    });
    const regression = realizedPerformance(
      [
        request({ score: [[2.5], [1]] }, [
          [0, '2'],
          [1, '2'],
        ]),
      ],
      () => v,
      false,
    );
    expect(regression.accuracy).toBeNull();
    expect(regression.rmse).toBeCloseTo(Math.sqrt((0.25 + 1) / 2), 12);
    expect(regression.mae).toBeCloseTo(0.75, 12);
  });

  it('skips rows the version has nothing to read for, and versions the registry no longer has', () => {
    const v = version({ outputs: [{ name: 'label', type: 'int64', shape: [-1] }], classes: ['x', 'y'] });
    const gone: LabeledRequest = { ...request({ label: [0] }, [[0, 'x']]), version: 9 };
    const r = realizedPerformance(
      [
        request({ label: [1] }, [
          [0, 'y'],
          [5, 'y'],
        ]),
        gone,
      ],
      (n) => (n === 1 ? v : undefined),
      false,
    );
    expect(r).toEqual({ labeled_rows: 1, accuracy: 1, rmse: null, mae: null });
  });
});
