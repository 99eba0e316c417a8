// ptdump's machine-readable outputs, in the shape that schema/ptdump.schema.json describes: `--json` writes one
// document, `--jsonl` one JSON object per line. Both come from the same calls: a dump starts with its header
// members, then lists of items (records, findings, translations, changes), then its tail (the summary). The
// document holds them as members of one object; the lines are a header line, one line per item and a summary line,
// so that the items of the lines, in order, are the items of the document's lists.
import type { Out } from './_output';
import { JsonWriter } from './_output';

/**
 * The version of the JSON shape, the `schema` member of every document and of every header line. It changes when
 * a member changes its meaning or its type, or goes away; a new member does not change it.
 */
export const SCHEMA_VERSION = 1;

/** What ptdump was asked to do: the `command` member. */
export type Command = 'list' | 'translate' | 'diff' | 'find-roots';

/** A JSON or JSONL output, written one dump at a time. */
export interface Structured {
  /** Starts a dump with its header members (arch, format, source, registers...). */
  begin(header: Readonly<Record<string, unknown>>): void;
  /** Starts the list `name` of the dump (`records`, `findings`...): the items that follow belong to it. */
  list(name: string): void;
  /** One item of the list started last: an object with a `kind`. */
  item(value: Readonly<Record<string, unknown>>): void;
  /** Ends the dump with its tail members (summary, filter, audit). */
  end(tail: Readonly<Record<string, unknown>>): void;
  /** Ends the output. */
  finish(): void;
}

function members(json: JsonWriter, object: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(object)) json.value(v, k);
}

/**
 * One document: `{ schema, command, dumps: [ {header..., list: [items], tail...} ] }`, or, for a command that has one
 * dump by nature (`diff`), the dump's members directly in the document: `{ schema, command, header..., tail... }`.
 */
class JsonDocument implements Structured {
  private readonly json: JsonWriter;
  private listOpen = false;

  constructor(
    private readonly out: Out,
    command: Command,
    private readonly nested: boolean,
  ) {
    this.json = new JsonWriter(out);
    this.json.open('{');
    this.json.value(SCHEMA_VERSION, 'schema');
    this.json.value(command, 'command');
    if (nested) this.json.open('[', 'dumps');
  }

  begin(header: Readonly<Record<string, unknown>>): void {
    if (this.nested) this.json.open('{');
    members(this.json, header);
  }

  list(name: string): void {
    if (this.listOpen) this.json.close();
    this.json.open('[', name);
    this.listOpen = true;
  }

  item(value: Readonly<Record<string, unknown>>): void {
    this.json.value(value);
  }

  end(tail: Readonly<Record<string, unknown>>): void {
    if (this.listOpen) this.json.close();
    this.listOpen = false;
    members(this.json, tail);
    if (this.nested) this.json.close();
  }

  finish(): void {
    if (this.nested) this.json.close();
    this.json.close();
    this.out.text('\n');
  }
}

/**
 * One object per line: `{"kind":"header","schema":1,"command":...,header...}`, one line per item, then
 * `{"kind":"summary",tail...}`. Each line goes to the output as it is made: nothing is held but the current line.
 */
class JsonLines implements Structured {
  constructor(
    private readonly out: Out,
    private readonly command: Command,
  ) {}

  begin(header: Readonly<Record<string, unknown>>): void {
    this.out.line(JSON.stringify({ kind: 'header', schema: SCHEMA_VERSION, command: this.command, ...header }));
  }

  list(): void {}

  item(value: Readonly<Record<string, unknown>>): void {
    this.out.line(JSON.stringify(value));
  }

  end(tail: Readonly<Record<string, unknown>>): void {
    this.out.line(JSON.stringify({ kind: 'summary', ...tail }));
  }

  finish(): void {}
}

/** The machine-readable output the settings ask for, or undefined for text. */
export function structuredOut(format: { readonly json: boolean; readonly jsonl: boolean }, out: Out, command: Command): Structured | undefined {
  if (format.jsonl) return new JsonLines(out, command);
  if (format.json) return new JsonDocument(out, command, command === 'list' || command === 'translate');
  return undefined;
}
