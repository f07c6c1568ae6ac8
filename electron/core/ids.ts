/** Sortable ids (ULID) and the clock, in one place so tests and records agree on them. */
import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

export function newId(): string {
  return next();
}

export function now(): number {
  return Date.now();
}
