// Output in pieces: a listing of millions of runs is written as it is walked, never held whole. Text goes out in
// blocks of about 16 KiB; JSON through a writer that emits one document member by member, byte for byte what
// JSON.stringify(document, null, 2) would give for the whole.
import type { CliIo } from './_main';

/**
 * Characters gathered before a write: large enough that a write costs little per line, small enough that the block
 * is little of what a young-generation collection finds alive. Everything gathered survives the collections that
 * happen while it waits, and V8 grows its young generation with what survives: on W9 (262,144 runs) blocks of 64 Ki
 * characters made the peak RSS 75 MiB as text and 92 MiB as JSON lines, blocks of 16 Ki 66 and 76 MiB, for the same
 * CPU time (the writes are 4 times as many, about 4,300 for 68 MiB of JSON lines).
 */
const BLOCK = 1 << 14;

/** Gathers output and writes it to the CliIo in blocks. */
export class Out {
  private buf = '';
  constructor(private readonly io: CliIo) {}

  /** A line (its newline added). */
  line(s: string): void {
    this.buf += `${s}\n`;
    if (this.buf.length >= BLOCK) this.flush();
  }

  /** Text as it is. */
  text(s: string): void {
    this.buf += s;
    if (this.buf.length >= BLOCK) this.flush();
  }

  /** Writes what is gathered. */
  flush(): void {
    if (this.buf.length === 0) return;
    const s = this.buf;
    this.buf = '';
    this.io.stdout(s);
  }
}

/**
 * One JSON document written in pieces, with the layout of `JSON.stringify(doc, null, 2)`: open a container, write
 * its members (each a value small enough to stringify at once), close it. The caller writes the final newline.
 */
export class JsonWriter {
  /** The closing bracket of each open container, innermost last. */
  private readonly closers: string[] = [];
  /** Per open container: whether a member has been written yet. */
  private readonly filled: boolean[] = [];

  constructor(private readonly out: Out) {}

  /** Opens an object or an array: a member of the one open (by `key` in an object), or the document itself. */
  open(bracket: '{' | '[', key?: string): void {
    this.member(key);
    this.out.text(bracket);
    this.closers.push(bracket === '{' ? '}' : ']');
    this.filled.push(false);
  }

  /** Closes the innermost container. */
  close(): void {
    const closer = this.closers.pop();
    if (closer === undefined) throw new Error('JsonWriter: nothing is open');
    const filled = this.filled.pop();
    this.out.text(filled ? `\n${'  '.repeat(this.closers.length)}${closer}` : closer);
  }

  /** A member: `value` as JSON.stringify writes it, indented to its depth; an undefined value is left out. */
  value(value: unknown, key?: string): void {
    if (value === undefined) return;
    this.member(key);
    const depth = this.closers.length;
    const flat = flatObject(value, depth);
    if (flat !== undefined) {
      this.out.text(flat);
      return;
    }
    const text = JSON.stringify(value, null, 2);
    // strings in JSON hold no raw newline, so every newline here is layout
    this.out.text(depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`));
  }

  /** The separator, the indentation and the key in front of a member. */
  private member(key: string | undefined): void {
    const depth = this.closers.length;
    if (depth === 0) return;
    const named = key === undefined ? '' : `${JSON.stringify(key)}: `;
    this.out.text(`${this.filled[depth - 1] ? ',' : ''}\n${'  '.repeat(depth)}${named}`);
    this.filled[depth - 1] = true;
  }
}

/** The keys of the last flat object written at each depth, and the text in front of each value (`\n`, indentation, key). */
const lastKeys: string[][] = [];
const lastPrefixes: string[][] = [];

/** The text in front of each member of an object with `keys` at `depth`: the last one's when the keys are the same. */
function prefixesOf(keys: string[], depth: number): string[] {
  const last = lastKeys[depth];
  if (last !== undefined && last.length === keys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (last[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastPrefixes[depth]!;
  }
  const indent = `\n${'  '.repeat(depth + 1)}`;
  const prefixes = keys.map((k, i) => `${i === 0 ? '' : ','}${indent}${JSON.stringify(k)}: `);
  lastKeys[depth] = keys;
  lastPrefixes[depth] = prefixes;
  return prefixes;
}

/**
 * An object whose values are all strings, finite numbers, booleans or null (a record of the listing) as
 * `JSON.stringify(value, null, 2)` writes it at `depth`, built directly: the listing writes millions of them, all
 * with the same keys, and the general stringify with indentation and the re-indenting after it cost about three
 * times as much. Undefined for anything else.
 */
function flatObject(value: unknown, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const prefixes = prefixesOf(keys, depth);
  let text = '{';
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const v = (value as Record<string, unknown>)[keys[i]!];
    let item: string;
    if (typeof v === 'string') item = JSON.stringify(v);
    else if (typeof v === 'number' && Number.isFinite(v)) item = `${v}`;
    else if (typeof v === 'boolean') item = v ? 'true' : 'false';
    else if (v === null) item = 'null';
    else return undefined;
    text += `${prefixes[i]}${item}`;
    n++;
  }
  return n === 0 ? '{}' : `${text}\n${'  '.repeat(depth)}}`;
}
