/**
 * The typed client over a transport: every reply is parsed with the contract's zod schema before
 * anyone sees it, and long methods can be awaited to their finished result.
 */
import { createContext, useContext } from 'react';
import type { z } from 'zod';
import {
  type MethodName,
  type Methods,
  methods,
  OpStarted,
  type ParamsOf,
  type ResultOf,
} from '../../shared/contract.ts';
import { ApiError } from './apiError.ts';
import { type OpProgress, OpTracker } from './operations.ts';
import type { Transport } from './transport.ts';

/** Methods that return an op handle at once and finish with `op.finished`. */
export type LongMethod = { [M in MethodName]: Methods[M]['long'] extends true ? M : never }[MethodName];
export type QueryMethod = Exclude<MethodName, LongMethod>;
export type Reply<M extends MethodName> = M extends LongMethod ? { op: string } : ResultOf<M>;

export interface Client {
  transport: Transport;
  /** One call; for long methods the reply is the op handle. */
  call<M extends MethodName>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<Reply<M>>;
  /** A long method, started and awaited to its validated result. */
  run<M extends LongMethod>(
    method: M,
    params: ParamsOf<M>,
    opts?: { signal?: AbortSignal; onProgress?: (p: OpProgress) => void; onStarted?: (op: string) => void },
  ): Promise<ResultOf<M>>;
}

function parseWith(schema: z.ZodType, value: unknown, what: string): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError('INTERNAL', `The reply to ${what} does not match the contract.`);
  return parsed.data;
}

export function createClient(transport: Transport): Client {
  const tracker = new OpTracker(transport);
  return {
    transport,
    async call(method, params, signal) {
      const raw = await transport.invoke(method, params, signal);
      const schema = methods[method].long ? OpStarted : methods[method].result;
      return parseWith(schema, raw, method) as Reply<typeof method>;
    },
    async run(method, params, opts = {}) {
      if (!methods[method].long) throw new Error(`${method} is not a long method; use call().`);
      // Not aborted with the signal: the op must be known to be cancelled (the tracker does that).
      const { op } = parseWith(OpStarted, await transport.invoke(method, params), method) as { op: string };
      opts.onStarted?.(op);
      const raw = await tracker.wait(op, { signal: opts.signal, onProgress: opts.onProgress });
      return parseWith(methods[method].result, raw, method) as ResultOf<typeof method>;
    },
  };
}

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient needs a <ClientContext.Provider>.');
  return client;
}
