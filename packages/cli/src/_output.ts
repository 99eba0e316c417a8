// Output in pieces: a listing of millions of runs is written as it is walked, never held whole. Text goes out in
// blocks of 64 KiB, gathered as bytes in one buffer that every block reuses; JSON through a writer that emits one
// document member by member, byte for byte what JSON.stringify(document, null, 2) would give for the whole.
import type { CliIo } from './_main';

/**
 * Bytes gathered before a write. The block is one buffer, reused: nothing of it is left for the garbage collector,
 * so its size is bounded only by what a write costs per line. (Gathered as strings, blocks of 64 Ki characters
 * made the peak RSS of W9, 262,144 runs, 9 MiB larger than blocks of 16 Ki: every string gathered survived the
 * young-generation collections that happened while it waited.)
 */
const BLOCK = 1 << 16;
/** Room for one line beyond the block, so that a line of the listing is never split between two buffers. */
const SLACK = 1 << 12;

/**
 * The longest string {@link Out.put} copies character by character: below it a loop costs less than the view and
 * the native call of TextEncoder.encodeInto, above it more (the JSON of a run, about 450 characters, took twice the
 * CPU time by the loop).
 */
const SHORT = 32;
/** `0`-`9`, `a`-`f` as character codes. */
const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const TWO32 = 4294967296;

/** Gathers output as UTF-8 and writes it to the CliIo in blocks. */
export class Out {
  /** The block being filled, and how many of its bytes are. */
  private readonly bytes = new Uint8Array(BLOCK + SLACK);
  private pos = 0;
  /** Where the line being written by {@link startLine} starts, for {@link endLine}'s trim. */
  private lineStart = 0;
  private readonly encoder = new TextEncoder();
  private decoder: InstanceType<typeof TextDecoder> | undefined;

  constructor(private readonly io: CliIo) {}

  /** A line (its newline added). */
  line(s: string): void {
    this.text(s);
    this.bytes[this.pos++] = 10;
    if (this.pos >= BLOCK) this.flush();
  }

  /** Text as it is. */
  text(s: string): void {
    // at most 3 bytes of UTF-8 per UTF-16 unit (a surrogate pair, 2 units, makes 4 bytes); 1 more for a newline
    const most = s.length * 3 + 1;
    if (this.pos + most > BLOCK + SLACK) {
      this.flush();
      if (most > BLOCK + SLACK) {
        this.write(this.encoder.encode(s));
        return;
      }
    }
    this.put(s);
    if (this.pos >= BLOCK) this.flush();
  }

  /** Writes what is gathered. */
  flush(): void {
    if (this.pos === 0) return;
    const n = this.pos;
    this.pos = 0;
    this.lineStart = 0;
    this.write(this.bytes.subarray(0, n));
  }

  /**
   * Starts a line of at most `most` bytes written piece by piece ({@link char}, {@link hex}, {@link put}) and
   * ended by {@link endLine}: the whole line then fits in the block.
   */
  startLine(most: number): void {
    if (this.pos + most > BLOCK + SLACK) this.flush();
    this.lineStart = this.pos;
  }

  /** Ends the line started by {@link startLine}: its trailing white space dropped (as `trimEnd`), a newline added. */
  endLine(): void {
    const b = this.bytes;
    let p = this.pos;
    // space, and \t \n \v \f \r: the ASCII white space of String.prototype.trimEnd
    while (p > this.lineStart && (b[p - 1] === 32 || (b[p - 1]! >= 9 && b[p - 1]! <= 13))) p--;
    b[p++] = 10;
    this.pos = p;
    if (p >= BLOCK) this.flush();
  }

  /** One ASCII character (a character code below 128), within a line. */
  char(code: number): void {
    this.bytes[this.pos++] = code;
  }

  /**
   * A string within a line, as UTF-8. A short one (a column of a run, a few characters) by character codes while
   * they are ASCII; a longer one (a JSON record, hundreds), or from the first character that is not ASCII, through
   * the TextEncoder, which copies a one-byte string in native code.
   */
  put(s: string): void {
    const b = this.bytes;
    let p = this.pos;
    if (s.length > SHORT) {
      this.pos = p + this.encoder.encodeInto(s, b.subarray(p)).written;
      return;
    }
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        p += this.encoder.encodeInto(s.slice(i), b.subarray(p)).written;
        break;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /**
   * `0x` and the hex digits of `x`, at least `digits` of them (zeros in front), within a line: `x` is an exact
   * non-negative integer below 2^96 (a run's addresses and sizes, up to 2^64), split into u32 words by division
   * (exact for doubles: no BigInt and no bitwise operator on the whole).
   */
  hex(x: number, digits: number): void {
    const hi = Math.floor(x / TWO32);
    const lo = x - hi * TWO32;
    const top = Math.floor(hi / TWO32);
    const mid = hi - top * TWO32;
    // significant digits: 8 per word below the highest that is not zero
    const used = top !== 0 ? 16 + nibbles(top) : mid !== 0 ? 8 + nibbles(mid) : nibbles(lo);
    const n = used > digits ? used : digits;
    const b = this.bytes;
    const first = this.pos + 2;
    b[first - 2] = 48;
    b[first - 1] = 120;
    let p = first + n;
    this.pos = p;
    // the words' digits from the last, four bits at a time (as int32: `>>` keeps the low bits that are read)
    p = digitsOf(b, p, first, lo | 0);
    p = digitsOf(b, p, first, mid | 0);
    p = digitsOf(b, p, first, top | 0);
    while (p > first) b[--p] = 48;
  }

  /** A block to the CliIo: as bytes when it takes them (ptdump's standard output), else as text. */
  private write(block: Uint8Array): void {
    if (this.io.stdoutBytes !== undefined) {
      this.io.stdoutBytes(block);
      return;
    }
    this.decoder ??= new TextDecoder();
    this.io.stdout(this.decoder.decode(block));
  }
}

/** Writes the 8 hex digits of the u32 `word` (as int32) that fit in b[first, p), last first; returns where it stopped. */
function digitsOf(b: Uint8Array, p: number, first: number, word: number): number {
  let w = word;
  const stop = p - 8 > first ? p - 8 : first;
  while (p > stop) {
    b[--p] = HEX_DIGITS[w & 15]!;
    w >>= 4;
  }
  return p;
}

/** Hex digits of a u32 (1 for 0). */
function nibbles(v: number): number {
  return v === 0 ? 1 : (35 - Math.clz32(v)) >> 2;
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
