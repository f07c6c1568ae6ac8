import { describe, expect, it } from 'vitest';
import {
  classAnswers,
  curlCommand,
  featureFields,
  parseValues,
  requestFor,
  valuesFromPaste,
  valuesFromRecord,
} from './tryItRequest.ts';

const iris = {
  name: 'iris-clf',
  inputs: [{ name: 'input', type: 'float32', shape: [-1, 4] }],
  features: { input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
};
const fields = featureFields(iris);
const row = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

describe('try-it requests', () => {
  it('makes one field per feature column, in the spec order', () => {
    expect(fields.map((f) => f.column)).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
    ]);
    expect(fields[3]).toEqual({ input: 'input', column: 'petal_width', index: 3 });
  });

  it('names positional fields after the tensor when an input has no feature spec', () => {
    const unnamed = { name: 'm', inputs: [{ name: 'x', type: 'float64', shape: [-1, 2] }], features: {} };
    const f = featureFields(unnamed);
    expect(f.map((x) => x.column)).toEqual(['x[0]', 'x[1]']);
    expect(requestFor('invocations', unnamed, f, { 'x[0]': 1, 'x[1]': 2 })).toEqual({
      path: '/invocations',
      body: { inputs: { x: [[1, 2]] } },
    });
  });

  it('says which field is not a number', () => {
    expect(
      parseValues(fields, {
        sepal_length: ' 5.1 ',
        sepal_width: '3.5',
        petal_length: '1.4',
        petal_width: '.2',
      }),
    ).toEqual({ values: row });
    expect(
      parseValues(fields, { sepal_length: 'abc', sepal_width: '', petal_length: '1', petal_width: '1e400' }),
    ).toEqual({
      errors: {
        sepal_length: '"abc" is not a number.',
        sepal_width: 'A number is needed.',
        petal_width: '"1e400" is not a number.',
      },
    });
  });

  it('sends a named record to /invocations and tensors to the OIP infer path', () => {
    expect(requestFor('invocations', iris, fields, row)).toEqual({
      path: '/invocations',
      body: { dataframe_records: [row] },
    });
    expect(requestFor('oip', iris, fields, row)).toEqual({
      path: '/v2/models/iris-clf/infer',
      body: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] },
    });
  });

  it('writes a curl command a shell reads back as the same body', () => {
    const cmd = curlCommand('http://127.0.0.1:8080/', '/invocations', { note: "it's" });
    expect(cmd).toBe(
      `curl -s -X POST 'http://127.0.0.1:8080/invocations' -H 'Content-Type: application/json' -d '{"note":"it'\\''s"}'`,
    );
  });

  it('fills from a JSON record, a CSV header and row, or a row in order', () => {
    const cols = fields.map((f) => f.column);
    expect(
      valuesFromPaste(
        '{"petal_width":0.2,"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"target":0}',
        cols,
      ),
    ).toEqual({
      values: { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' },
    });
    expect(
      valuesFromPaste('target,petal_width,sepal_length,sepal_width,petal_length\n0,0.2,5.1,3.5,1.4', cols),
    ).toEqual({
      values: { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' },
    });
    expect(valuesFromPaste('5.1\t3.5\t1.4\t0.2', cols)).toEqual({
      values: { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' },
    });
    expect(valuesFromPaste('5.1,3.5', cols)).toEqual({
      error: expect.stringContaining('One line of 2 values: the form takes 4'),
    });
    expect(valuesFromPaste('{"sepal_length": 1}', cols)).toEqual({
      error: 'The row has no sepal_width, petal_length, petal_width.',
    });
    expect(valuesFromPaste('{oops', cols)).toEqual({ error: expect.stringContaining('not valid JSON') });
    expect(valuesFromPaste('a,b\n1,2', cols)).toEqual({
      error: expect.stringContaining('The header has no'),
    });
  });

  it('fills from a dataset row, naming the feature columns it lacks', () => {
    const cols = fields.map((f) => f.column);
    expect(valuesFromRecord({ ...row, target: 'setosa' }, cols)).toEqual({
      values: { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' },
    });
    // A missing cell leaves its field empty, for the form to ask for a number.
    expect(valuesFromRecord({ ...row, petal_width: null }, cols)).toEqual({
      values: { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '' },
    });
    expect(valuesFromRecord({ sepal_length: 1, sepal_width: 2 }, cols)).toEqual({
      error: 'The row has no petal_length, petal_width.',
    });
  });

  it('reads class labels and probabilities out of an answer, highest first', () => {
    expect(
      classAnswers({
        predictions: [{ label: 'setosa', probabilities: { setosa: 0.9, versicolor: 0.02, virginica: 0.08 } }],
      }),
    ).toEqual([
      {
        label: 'setosa',
        probabilities: [
          ['setosa', 0.9],
          ['virginica', 0.08],
          ['versicolor', 0.02],
        ],
      },
    ]);
    expect(classAnswers({ predictions: ['setosa'] })).toEqual([{ label: 'setosa', probabilities: [] }]);
    expect(classAnswers({ predictions: [1.5] })).toBeNull();
    expect(classAnswers({ outputs: [] })).toBeNull();
    expect(classAnswers(null)).toBeNull();
  });
});
