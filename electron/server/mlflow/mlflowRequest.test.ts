/**
 * Request bodies as MLflow clients send them: Python's bare NaN and Infinity are accepted outside
 * strings, and a hostile body (any client with a run's token can send one) is answered in time
 * linear in its size, not after minutes of the main thread.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonTolerant } from './mlflowRequest.ts';

describe('MLflow request bodies', () => {
  it('quotes bare NaN, Infinity and -Infinity, and leaves them alone inside strings', () => {
    expect(
      parseJsonTolerant('{"a": NaN, "b": "NaN \\" Infinity \\\\", "c": [-Infinity, Infinity, -1], "NaN": 1}'),
    ).toEqual({ a: 'NaN', b: 'NaN " Infinity \\', c: ['-Infinity', 'Infinity', -1], NaN: 1 });
    expect(() => parseJsonTolerant('{"a": NaN, "b": "unterminated}')).toThrow(/not valid JSON/);
  });

  it('refuses a body of escaped quotes that never closes, in linear time', () => {
    const body = `{"a": "${'\\"'.repeat(100_000)} NaN`;
    const t = performance.now();
    expect(() => parseJsonTolerant(body)).toThrow(/not valid JSON/);
    expect(performance.now() - t).toBeLessThan(200);
    const large = `{"a": "${'\\"'.repeat(4_000_000)} NaN`;
    const u = performance.now();
    expect(() => parseJsonTolerant(large)).toThrow(/not valid JSON/);
    expect(performance.now() - u).toBeLessThan(2000);
  });
});
