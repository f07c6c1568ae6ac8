/**
 * How the contract declares a method: its params and result (zod), whether it is long, and what
 * it reads or writes (entities.ts). Used by contract.ts and the method tables it gathers.
 */
import type * as z from 'zod';
import type { Entity } from './entities.ts';

/** What a query reads, from its params. */
export type Reads<P> = (params: P) => readonly Entity[];
/** What a command writes, from its params and, once it has succeeded, its result. */
export type Writes<P, R> = (params: P, result: R) => readonly Entity[];

/** Exactly one of the two: a method is a query or a command. */
type Effects<P, R> = { reads: Reads<P>; writes?: undefined } | { writes: Writes<P, R>; reads?: undefined };

// `L` keeps `long` a literal type, so ReplyOf and the renderer's hooks can tell long methods apart.
export function method<P extends z.ZodType, R extends z.ZodType, L extends boolean = false>(
  params: P,
  result: R,
  opts: Effects<z.infer<P>, z.infer<R>> & { long?: L },
) {
  return {
    params,
    result,
    long: (opts.long ?? false) as L,
    reads: opts.reads as Reads<z.infer<P>> | undefined,
    writes: opts.writes as Writes<z.infer<P>, z.infer<R>> | undefined,
  };
}
