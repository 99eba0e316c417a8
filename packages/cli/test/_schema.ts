// A checker of the JSON Schema (draft 2020-12) keywords that schema/ptdump.schema.json uses, and no others: a
// keyword it does not know makes it throw, so the schema cannot use one that would go unchecked here. Local
// references (`#/$defs/...`) only. `unevaluatedProperties` sees the properties that `properties`,
// `additionalProperties`, and the subschemas of `allOf`, `oneOf` and `$ref` at the same place evaluated, as the
// specification says (section 11.3 of the core document).
import { readFileSync } from 'node:fs';

type Schema = Readonly<Record<string, unknown>>;

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$comment', '$defs']);
const KEYWORDS = new Set([
  '$ref',
  'allOf',
  'oneOf',
  'type',
  'const',
  'enum',
  'pattern',
  'minimum',
  'properties',
  'required',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'minItems',
  'maxItems',
]);

/** The schema shipped with the cli. */
export const PTDUMP_SCHEMA: Schema = JSON.parse(readFileSync(new URL('../schema/ptdump.schema.json', import.meta.url), 'utf8')) as Schema;

/** What a check found: errors (empty when valid) and, for an object, the properties it evaluated. */
interface Outcome {
  readonly errors: string[];
  readonly evaluated: Set<string>;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      throw new Error(`schema: unknown type '${type}'`);
  }
}

class Checker {
  constructor(private readonly root: Schema) {}

  resolve(ref: string): Schema {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const target = m ? (this.root['$defs'] as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (target === undefined) throw new Error(`schema: cannot resolve '${ref}'`);
    return target;
  }

  check(schema: Schema, v: unknown, path: string): Outcome {
    const errors: string[] = [];
    const evaluated = new Set<string>();
    const isObject = typeof v === 'object' && v !== null && !Array.isArray(v);
    const obj = v as Record<string, unknown>;
    const sub = (s: Schema, at: string): Outcome => this.check(s, v, at);
    for (const [k, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(k)) continue;
      if (!KEYWORDS.has(k)) throw new Error(`schema: keyword '${k}' at ${path} is not one this checker knows`);
      switch (k) {
        case '$ref': {
          const r = sub(this.resolve(arg as string), path);
          errors.push(...r.errors);
          for (const p of r.evaluated) evaluated.add(p);
          break;
        }
        case 'allOf':
          for (const s of arg as Schema[]) {
            const r = sub(s, path);
            errors.push(...r.errors);
            for (const p of r.evaluated) evaluated.add(p);
          }
          break;
        case 'oneOf': {
          const results = (arg as Schema[]).map((s) => sub(s, path));
          const ok = results.filter((r) => r.errors.length === 0);
          if (ok.length === 1) for (const p of ok[0]!.evaluated) evaluated.add(p);
          else if (ok.length > 1) errors.push(`${path}: matches ${ok.length} branches of oneOf`);
          else {
            // the branch that came closest says the most about what is wrong
            const best = results.reduce((a, b) => (b.errors.length < a.errors.length ? b : a));
            errors.push(`${path}: matches no branch of oneOf; the closest: ${best.errors.slice(0, 3).join('; ')}`);
          }
          break;
        }
        case 'type': {
          const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!types.some((t) => typeOk(t, v))) errors.push(`${path}: ${JSON.stringify(v)?.slice(0, 80)} is not of type ${types.join(' or ')}`);
          break;
        }
        case 'const':
          if (v !== arg) errors.push(`${path}: ${JSON.stringify(v)?.slice(0, 80)} is not ${JSON.stringify(arg)}`);
          break;
        case 'enum':
          if (!(arg as unknown[]).includes(v)) errors.push(`${path}: ${JSON.stringify(v)?.slice(0, 80)} is not one of ${JSON.stringify(arg)}`);
          break;
        case 'pattern':
          if (typeof v === 'string' && !new RegExp(arg as string, 'u').test(v)) errors.push(`${path}: '${v}' does not match ${arg as string}`);
          break;
        case 'minimum':
          if (typeof v === 'number' && v < (arg as number)) errors.push(`${path}: ${v} is below ${arg as number}`);
          break;
        case 'properties':
          if (!isObject) break;
          for (const [p, s] of Object.entries(arg as Record<string, Schema>)) {
            if (!(p in obj)) continue;
            evaluated.add(p);
            errors.push(...this.check(s, obj[p], `${path}.${p}`).errors);
          }
          break;
        case 'required':
          if (!isObject) break;
          for (const p of arg as string[]) if (!(p in obj)) errors.push(`${path}: no member '${p}'`);
          break;
        case 'additionalProperties': {
          if (!isObject) break;
          const named = new Set(Object.keys((schema['properties'] as Record<string, unknown> | undefined) ?? {}));
          for (const p of Object.keys(obj)) {
            if (named.has(p)) continue;
            evaluated.add(p);
            if (arg === false) errors.push(`${path}: member '${p}' is not in the schema`);
            else errors.push(...this.check(arg as Schema, obj[p], `${path}.${p}`).errors);
          }
          break;
        }
        case 'unevaluatedProperties':
          if (arg !== false) throw new Error('schema: unevaluatedProperties other than false');
          break;
        case 'items':
          if (Array.isArray(v)) for (const [i, item] of v.entries()) errors.push(...this.check(arg as Schema, item, `${path}[${i}]`).errors);
          break;
        case 'minItems':
          if (Array.isArray(v) && v.length < (arg as number)) errors.push(`${path}: fewer than ${arg as number} items`);
          break;
        case 'maxItems':
          if (Array.isArray(v) && v.length > (arg as number)) errors.push(`${path}: more than ${arg as number} items`);
          break;
      }
    }
    // after every other keyword of this schema object, whose evaluations it sees
    if (schema['unevaluatedProperties'] === false && isObject) {
      for (const p of Object.keys(obj)) if (!evaluated.has(p)) errors.push(`${path}: member '${p}' is not in the schema`);
    }
    return { errors, evaluated };
  }
}

/**
 * The errors of `value` against the ptdump schema's root (a `--json` document), or against one of its `$defs`
 * (`line` for a line of `--jsonl`); empty when it is valid.
 */
export function schemaErrors(value: unknown, def?: string): string[] {
  const checker = new Checker(PTDUMP_SCHEMA);
  const schema = def === undefined ? PTDUMP_SCHEMA : checker.resolve(`#/$defs/${def}`);
  return checker.check(schema, value, '$').errors;
}
