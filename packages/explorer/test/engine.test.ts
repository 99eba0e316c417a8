// The worker's engine in Node, against the library used directly: the columns it sends the page hold exactly the
// runs of dumpMappings, with the audit's findings on the right runs.
import { auditMappings, dumpMappings, type MappingRun } from '@page-table-multiarch/core';
import { main } from '@page-table-multiarch/cli';
import { ARCHES } from '@page-table-multiarch/cli/samples';
import { describe, expect, it } from 'vitest';
import { runLine, runStart } from '../src/app/format';
import { AUDIT_EXEC_DEVICE, AUDIT_USER_EXEC_KERNEL, AUDIT_WX } from '../src/shared/protocol';
import { SAMPLES } from '../src/shared/samples';
import { readRuns, sampleSource } from '../src/worker/engine';

const KIND_BIT = { 'W+X': AUDIT_WX, UserExecKernel: AUDIT_USER_EXEC_KERNEL, ExecDevice: AUDIT_EXEC_DEVICE } as const;

describe('engine: readRuns', () => {
  it('offers the samples ptdump lists, in its order', () => {
    expect(SAMPLES.map(([arch]) => arch)).toEqual(ARCHES.map((a) => a.name));
  });

  for (const spec of ARCHES) {
    it(`${spec.name}: the columns hold every run of dumpMappings, and the audit marks the runs it finds`, () => {
      const src = sampleSource(spec.name);
      const opened = readRuns(src);
      const runs = [...dumpMappings(src.dump, { roots: src.roots })].filter((r): r is MappingRun => r.kind === 'mapping');
      const audit = auditMappings(runs, { deviceFlags: spec.deviceFlags });
      const c = opened.runs;
      expect(c.count).toBe(runs.length);
      expect(opened.roots.length).toBe(src.roots.length);
      runs.forEach((run, i) => {
        expect(runStart(opened, i)).toBe(run.vaddr);
        expect(BigInt(c.pages[i]!) * 4096n).toBe(run.size);
        expect(BigInt(c.paddr[i]!)).toBe(run.paddr);
        expect(2 ** c.pageShift[i]!).toBe(run.pageSize);
        expect([c.root[i], c.level[i], c.flags[i], c.effective[i]]).toEqual([run.root, run.level, run.flags, run.effective]);
        const expected = audit.findings.filter((f) => f.run === run).reduce((bits, f) => bits | KIND_BIT[f.kind], 0);
        expect(c.audit[i]).toBe(expected);
        expect(runLine(opened, i)).toContain(`0x${run.paddr.toString(16).padStart(opened.addrDigits, '0')}`);
      });
      expect(opened.audit.wx).toBe(audit.counts['W+X']);
      expect(opened.audit.line).toBe(audit.line);
      expect(opened.summary.runs).toBe(runs.length);
    });
  }

  for (const spec of ARCHES) {
    it(`${spec.name}: the lines of the listing are ptdump's lines`, () => {
      const out: string[] = [];
      const status = main(['--arch', spec.name, '--quiet'], { stdout: (t) => out.push(t), stderr: () => {}, stderrIsTTY: false });
      expect(status).toBe(0);
      const ptdump = out.join('').split('\n').filter((l) => l.startsWith('0x'));
      const o = readRuns(sampleSource(spec.name));
      expect(Array.from({ length: o.runs.count }, (_, i) => runLine(o, i))).toEqual(ptdump);
    });
  }

  it('the x86_64 and ARMv7 samples have a W+X page, and it is marked', () => {
    for (const arch of ['x86_64', 'arm']) {
      const o = readRuns(sampleSource(arch));
      expect(Array.from(o.runs.audit).filter((b) => b & AUDIT_WX).length, arch).toBe(1);
    }
  });

  it('refuses an architecture it does not know, with the list of those it does', () => {
    expect(() => sampleSource('mips')).toThrow(/unknown architecture "mips" \(x86_64, x86, aarch64/);
  });
});
