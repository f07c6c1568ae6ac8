// placeholder until the evaluation engine lands (not committed)
import type { OpContext } from '../ops/operations.ts';
import type { EngineInput, EngineOutput } from '../registry/evaluations.ts';
import type { Duck } from '../tabular/duckdb.ts';
export async function evaluateVersion(_duck: Duck, _input: EngineInput, _ctx: OpContext): Promise<EngineOutput> {
  throw new Error('not yet');
}
