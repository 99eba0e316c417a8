// The explorer in headless Chromium (see _browser.ts): each embedded sample opens and its map draws every run the
// library lists for it. Counts are read from the map's data attributes, never from pixels, and compared with
// dumpMappings run here in Node on the same sample.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpMappings, MappingFlags, type MappingRun, RegisterError, translateAddress } from '@page-table-multiarch/core';
import { ARCHES } from '@page-table-multiarch/cli/samples';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, ready, type Harness, SHOTS, SKIP, start, TITLE } from './_browser';
import { elfCore, qemuRegisters, sampleImage, W9_RUNS, w9Image } from './_dumps';

/** The runs and diagnostics the library lists for ptdump's sample of `arch`. */
function libraryCounts(arch: string): { runs: number; roots: number } {
  const spec = ARCHES.find((a) => a.name === arch)!;
  const sample = spec.sample();
  const plan = spec.decode(sample.registers, sample.switches);
  if (plan instanceof RegisterError) throw plan;
  let runs = 0;
  for (const rec of dumpMappings({ ...plan.format, handler: sample.memory }, { roots: plan.roots })) if (rec.kind === 'mapping') runs++;
  return { runs, roots: plan.roots.length };
}

/** ptdump's sample of `arch`, attached as the page attaches it, for translateAddress. */
function libraryWalk(arch: string, va: bigint) {
  const spec = ARCHES.find((a) => a.name === arch)!;
  const sample = spec.sample();
  const plan = spec.decode(sample.registers, sample.switches);
  if (plan instanceof RegisterError) throw plan;
  const source = { ...plan.format, handler: sample.memory };
  const runs = [...dumpMappings(source, { roots: plan.roots })].filter((r): r is MappingRun => r.kind === 'mapping');
  return { t: translateAddress(source, va, { roots: plan.roots }), runs, roots: plan.roots, entryBytes: plan.format.meta.entryBytes };
}

/** Clicks the map at `fraction` (0..1) of lane `lane`'s width, in the band; returns once the walk is shown. */
async function clickMap(page: Page, lane: number, fraction: number): Promise<void> {
  const [label, band, gap] = ((await page.getAttribute('#map', 'data-geometry')) ?? '').split(',').map(Number) as [number, number, number];
  await page.waitForSelector('#walk[data-state="done"]');
  const canvas = page.locator('#map canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const asked = Number(await page.getAttribute('#walk', 'data-asked'));
  await page.mouse.click(box.x + fraction * box.width + 1, box.y + lane * (label + band + gap) + label + band - 4);
  // the click asked for a walk, and its answer is shown
  expect(Number(await page.getAttribute('#walk', 'data-asked'))).toBe(asked + 1);
  await page.waitForSelector(`#walk[data-state="done"][data-answered="${asked + 1}"]`);
}

/** The walk panel against translateAddress of the address it shows. */
async function expectWalkAsLibrary(page: Page, arch: string): Promise<boolean> {
  const va = BigInt((await page.getAttribute('#walk', 'data-vaddr'))!);
  const { t, entryBytes } = libraryWalk(arch, va);
  expect(await page.getAttribute('#walk-result', 'data-mapped')).toBe(String(t.mapped));
  expect(await page.getAttribute('#walk-result', 'data-paddr')).toBe(t.paddr === undefined ? null : `0x${t.paddr.toString(16)}`);
  const steps = page.locator('#walk .step');
  expect(await steps.count()).toBe(t.steps.length);
  for (let k = 0; k < t.steps.length; k++) {
    const s = t.steps[k]!;
    expect(await steps.nth(k).getAttribute('data-level')).toBe(String(s.level));
    expect(await steps.nth(k).getAttribute('data-index')).toBe(String(s.index));
    expect(await steps.nth(k).getAttribute('data-entry')).toBe(`0x${s.bits.toString(16).padStart(entryBytes * 2, '0')}`);
    expect(await steps.nth(k).locator('table.fields tr[data-field]').count()).toBeGreaterThan(0);
  }
  const text = (await page.textContent('#walk-result')) ?? '';
  if (!t.mapped) expect(text).toContain(t.reason!);
  return t.mapped;
}

async function mapData(page: Page): Promise<{ runs: number; drawn: number; lanes: number }> {
  const attr = async (name: string) => Number(await page.getAttribute('#map', `data-${name}`));
  return { runs: await attr('runs'), drawn: await attr('drawn'), lanes: await attr('lanes') };
}

describe.skipIf(SKIP)(TITLE, () => {
  let harness: Harness | undefined;
  let page: Page | undefined;
  const errors: string[] = [];
  const files = mkdtempSync(join(tmpdir(), 'ptm-explorer-dumps-'));

  beforeAll(async () => {
    harness = await start();
    page = await openPage(harness, errors);
  }, 120_000);

  afterAll(async () => {
    await harness?.close();
    rmSync(files, { recursive: true, force: true });
  });

  /** Opens `bytes` through the file input, with the registers typed in the text box; returns the status state. */
  async function openFile(p: Page, name: string, bytes: Uint8Array, registers: string, arch = 'auto', base = ''): Promise<string> {
    const path = join(files, name);
    writeFileSync(path, bytes);
    await p.setInputFiles('#file', path);
    await p.selectOption('#file-arch', arch);
    await p.fill('#file-base', base);
    await p.fill('#registers', registers);
    await p.click('#open-file');
    return ready(p, 60_000);
  }

  it('opens the embedded default (x86_64) at start and draws both halves', async () => {
    expect(await page!.getAttribute('#status', 'data-state')).toBe('ready');
    expect(await page!.getAttribute('#status', 'data-arch')).toBe('x86_64');
    const lib = libraryCounts('x86_64');
    expect(await mapData(page!)).toEqual({ runs: lib.runs, drawn: lib.runs, lanes: 2 });
    expect(errors).toEqual([]);
  });

  for (const spec of ARCHES) {
    it(`draws every run of the ${spec.name} sample, one lane per root`, async () => {
      const p = page!;
      await p.selectOption('#sample', spec.name);
      expect(await ready(p)).toBe('ready');
      expect(await p.getAttribute('#status', 'data-arch')).toBe(spec.name);
      const lib = libraryCounts(spec.name);
      expect(lib.runs).toBeGreaterThan(3);
      expect(await mapData(p)).toEqual({ runs: lib.runs, drawn: lib.runs, lanes: lib.roots });
      // zoomed in four times on every lane, fewer runs are in view; back to the whole range, all of them again
      await p.click('#zoom-in');
      await p.click('#zoom-in');
      expect((await mapData(p)).drawn).toBeLessThan(lib.runs);
      await p.click('#zoom-reset');
      expect((await mapData(p)).drawn).toBe(lib.runs);
      // fitted to the mappings: each lane's view holds its first and last run, with a margin of at most 1/50
      await p.click('#zoom-fit');
      expect((await mapData(p)).drawn).toBe(lib.runs);
      const { runs, roots } = libraryWalk(spec.name, 0n);
      const views = ((await p.getAttribute('#map', 'data-view')) ?? '').split(' ').map((v) => v.split('+').map(Number) as [number, number]);
      roots.forEach((root, k) => {
        const mine = runs.filter((r) => r.root === k);
        const page = (va: bigint) => Number((va - BigInt(root.vaStart)) >> 12n);
        const [start, span] = views[k]!;
        const from = page(mine[0]!.vaddr);
        const to = page(mine[mine.length - 1]!.end);
        expect(start).toBeLessThanOrEqual(from);
        expect(start + span).toBeGreaterThanOrEqual(to);
        expect(span).toBeLessThanOrEqual((to - from) * 1.05 + 16);
      });
      await p.locator('#map').screenshot({ path: join(SHOTS, `map-${spec.name}.png`) });
      // beside the walk, the architecture's text, its terms linked to the manuals
      const links = p.locator('#teach p a');
      expect(await p.locator('#teach p').count()).toBeGreaterThanOrEqual(3);
      expect(await links.count()).toBeGreaterThanOrEqual(3);
      expect(await links.first().getAttribute('href')).toMatch(/^https:\/\//);
      expect(errors).toEqual([]);
    });

    it(`walks a mapped and an unmapped address of the ${spec.name} sample clicked on the map, as translateAddress does`, async () => {
      const p = page!;
      await p.selectOption('#sample', spec.name);
      expect(await ready(p)).toBe('ready');
      const { runs, roots } = libraryWalk(spec.name, 0n);
      const first = runs[0]!;
      const lanePages = Number((BigInt(roots[first.root]!.vaEnd) - BigInt(roots[first.root]!.vaStart)) >> 12n);
      const startPage = Number((first.vaddr - BigInt(roots[first.root]!.vaStart)) >> 12n);
      // hovering the run shows its line
      const [label, band, gap] = ((await p.getAttribute('#map', 'data-geometry')) ?? '').split(',').map(Number) as [number, number, number];
      const canvas = p.locator('#map canvas');
      await canvas.scrollIntoViewIfNeeded();
      const box = (await canvas.boundingBox())!;
      await p.mouse.move(box.x + (startPage / lanePages) * box.width + 1, box.y + first.root * (label + band + gap) + label + band - 4);
      await p.waitForSelector('.map-tip:not([hidden])');
      expect(await p.textContent('.map-tip')).toMatch(new RegExp(`^0x0*${first.vaddr.toString(16)}-0x0*${first.end.toString(16)} `));
      await clickMap(p, first.root, startPage / lanePages);
      expect(await p.getAttribute('#walk', 'data-vaddr')).toBe(`0x${first.vaddr.toString(16)}`);
      expect(await expectWalkAsLibrary(p, spec.name)).toBe(true);
      await p.locator('#walk-panel').screenshot({ path: join(SHOTS, `walk-${spec.name}.png`) });
      // the middle of the first lane: nothing is mapped there in any sample
      await clickMap(p, 0, 0.5);
      expect(await expectWalkAsLibrary(p, spec.name)).toBe(false);
      // typed: the last page of the last run
      const last = runs[runs.length - 1]!;
      await p.fill('#walk-va', `0x${(last.end - 4096n).toString(16)}`);
      await p.click('#walk-go');
      await p.waitForSelector(`#walk[data-state="done"][data-vaddr="0x${(last.end - 4096n).toString(16)}"]`);
      expect(await expectWalkAsLibrary(p, spec.name)).toBe(true);
      expect(errors).toEqual([]);
    });
  }

  it('opens ELF cores through the file input, the architecture from the header, the registers as QEMU prints them', async () => {
    const p = page!;
    for (const arch of ['riscv64', 'arm', 'x86_64']) {
      const { sample, image, base } = sampleImage(arch);
      expect(await openFile(p, `${arch}.core`, elfCore(image, base, arch, arch === 'arm'), qemuRegisters(sample))).toBe('ready');
      expect(await p.getAttribute('#status', 'data-arch')).toBe(arch);
      const lib = libraryCounts(arch);
      expect(await mapData(p)).toEqual({ runs: lib.runs, drawn: lib.runs, lanes: lib.roots });
      expect(await p.getAttribute('#listing', 'data-rows')).toBe(String(lib.runs));
      expect(await p.textContent('#about')).toContain(`${arch}.core (ELF${arch === 'arm' ? 32 : 64} core, 2 segments`);
      expect(await p.locator('#teach p').count()).toBe(0); // the teaching text is for the samples
    }
    // registers that point nowhere useful are refused with the decoder's message, and nothing else changes
    const { image, base } = sampleImage('riscv64');
    expect(await openFile(p, 'bare.core', elfCore(image, base, 'riscv64'), 'satp 0000000000000000')).toBe('error');
    expect(await p.textContent('#status')).toMatch(/could not open: RegisterError: .*satp/);
    expect(await p.getAttribute('#status', 'data-arch')).toBe('x86_64');
    expect(await p.isHidden('#diagnostics')).toBe(true);
    // a table pointer that leaves the dump is reported under the listing, and the rest is listed
    const x86 = sampleImage('x86_64');
    const bad = x86.image.slice();
    new DataView(bad.buffer).setUint32(Number(x86.sample.registers['cr3']! - x86.base) + 3 * 8, 0x7fff_f003, true); // PML4[3]
    expect(await openFile(p, 'bad.bin', bad, qemuRegisters(x86.sample), 'x86_64', x86.base.toString(16))).toBe('ready');
    expect(await p.isHidden('#diagnostics')).toBe(false);
    expect(await p.textContent('#diagnostics')).toMatch(/^!! 0x18000000000 OutsideMemory: PML4\[3\]/);
    expect(await p.getAttribute('#listing', 'data-rows')).toBe(String(libraryCounts('x86_64').runs));
    expect(errors).toEqual([]);
  });

  it('filters the listing by permissions, range and audit findings; a row clicked is walked', async () => {
    const p = page!;
    await p.selectOption('#sample', 'x86_64');
    expect(await ready(p)).toBe('ready');
    const { runs } = libraryWalk('x86_64', 0n);
    const rows = async () => Number(await p.getAttribute('#listing', 'data-rows'));
    expect(await rows()).toBe(runs.length);
    await p.selectOption('#f-write', 'yes');
    expect(await rows()).toBe(runs.filter((r) => r.effective & MappingFlags.WRITE).length);
    await p.selectOption('#f-user', 'no');
    expect(await rows()).toBe(runs.filter((r) => r.effective & MappingFlags.WRITE && !(r.effective & MappingFlags.USER)).length);
    await p.selectOption('#f-write', 'any');
    await p.selectOption('#f-user', 'any');
    await p.fill('#f-from', '0xffffffff80000000');
    expect(await rows()).toBe(runs.filter((r) => r.end > 0xffff_ffff_8000_0000n).length);
    await p.fill('#f-to', '0xffffffffc0000000');
    expect(await rows()).toBe(runs.filter((r) => r.end > 0xffff_ffff_8000_0000n && r.vaddr < 0xffff_ffff_c000_0000n).length);
    await p.fill('#f-from', '');
    await p.fill('#f-to', '');
    await p.check('#f-audit');
    expect(await rows()).toBe(1);
    const row = p.locator('#listing .row').first();
    expect(await row.textContent()).toMatch(/^0xffffffffc0000000-0xffffffffc0001000 .* RW x .*!! W\+X/);
    await row.click();
    await p.waitForSelector('#walk[data-state="done"][data-vaddr="0xffffffffc0000000"]');
    expect(await expectWalkAsLibrary(p, 'x86_64')).toBe(true);
    await p.uncheck('#f-audit');
    expect(await rows()).toBe(runs.length);
    expect(errors).toEqual([]);
  });

  it('opens the 262,144-run W9 dump, draws its map and scrolls its listing rendering only the rows in view', async () => {
    const p = page!;
    expect(await openFile(p, 'w9.bin', w9Image(), 'CR3=0000000000000000 CR4=00000020 EFER=0000000000000d01', 'x86_64', '0')).toBe('ready');
    const ms = async (name: string) => Number(await p.getAttribute('#status', `data-${name}`));
    const figures = { open: await ms('open-ms'), read: await ms('read-ms'), file: await ms('file-ms'), draw: await ms('draw-ms') };
    expect(await mapData(p)).toEqual({ runs: W9_RUNS, drawn: W9_RUNS, lanes: 2 });
    expect(await p.getAttribute('#listing', 'data-rows')).toBe(String(W9_RUNS));
    const rendered = async () => Number(await p.getAttribute('#listing', 'data-rendered'));
    expect(await rendered()).toBeLessThanOrEqual(40);
    // to the middle of the listing: the rows there, and only about as many as fit
    const t0 = Date.now();
    await p.$eval('#listing', (el) => {
      el.scrollTop = el.scrollHeight / 2;
    });
    await p.waitForSelector('#listing:not([data-first="0"])');
    expect(Number(await p.getAttribute('#listing', 'data-first'))).toBeGreaterThan(100_000);
    const scrollMs = Date.now() - t0;
    expect(await rendered()).toBeLessThanOrEqual(40);
    const first = p.locator('#listing .row').first();
    const k = Number(await first.getAttribute('data-run'));
    expect(k).toBeGreaterThan(W9_RUNS / 2 - 100);
    // run k covers pages 16k..16k+15: 64 KiB from 0x10000 * k
    expect(await first.textContent()).toMatch(new RegExp(`^0x${(k * 0x10000).toString(16).padStart(16, '0')}-0x${((k + 1) * 0x10000).toString(16).padStart(16, '0')}\\s+64K\\s+4K`));
    await p.locator('#map').screenshot({ path: join(SHOTS, 'map-w9.png') });
    console.log(`explorer W9 (262,144 runs) in headless Chromium: opened and drawn in ${figures.open.toFixed(0)} ms (tables read ${figures.read.toFixed(0)} ms, of which file reads ${figures.file.toFixed(0)} ms; map drawn ${figures.draw.toFixed(0)} ms); listing scrolled to the middle in ${scrollMs} ms`);
    expect(errors).toEqual([]);
  }, 120_000);

  it('saves a screenshot of the whole page on the x86_64 sample, fitted to its mappings', async () => {
    const p = await openPage(harness!, errors);
    await p.waitForSelector('#walk[data-state="done"]');
    await p.click('#zoom-fit');
    // the kernel's text clicked in the listing: walked, and its lane zoomed to the 16 MiB around it
    await p.locator('#listing .row', { hasText: '0xffffffff81000000-' }).click();
    await p.waitForSelector('#walk[data-state="done"][data-vaddr="0xffffffff81000000"]');
    expect(((await p.getAttribute('#map', 'data-view')) ?? '').split(' ')[1]).toMatch(/\+4096$/);
    await p.screenshot({ path: join(SHOTS, 'explorer-x86_64.png'), fullPage: true });
    await p.close();
    expect(errors).toEqual([]);
  });
});
