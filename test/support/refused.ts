import { PagingError, type PhysicalMemory } from '@page-table-multiarch/core';
import { expect } from 'vitest';

/**
 * Runs fn, which must throw `type` (with `code` for a PagingError) with the library's own message (it names the
 * operation: `map: ...`; an engine message such as "Cannot mix BigInt ..." does not), and change no byte of memory
 * nor the frame count. Returns the error.
 */
export function expectRefused(mem: PhysicalMemory, fn: () => unknown, type: abstract new (...args: never[]) => Error, code?: string): Error {
  const before = mem.bytes().slice();
  const frames = mem.framesInUse;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${type.name}${code ? ` ${code}` : ''}`).toBeInstanceOf(type);
  if (code !== undefined) expect((err as PagingError).code).toBe(code);
  expect((err as Error).message).toMatch(/^[A-Za-z][\w.]*: /);
  expect(Buffer.compare(mem.bytes(), before), `memory changed by a refused call${code ? ` (${code})` : ''}`).toBe(0);
  expect(mem.framesInUse).toBe(frames);
  return err as Error;
}

/** {@link expectRefused} for a PagingError of `code`. */
export function expectUnchanged(mem: PhysicalMemory, fn: () => unknown, code: string): void {
  expectRefused(mem, fn, PagingError, code);
}
