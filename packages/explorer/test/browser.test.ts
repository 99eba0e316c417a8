// The explorer in headless Chromium (see _browser.ts): each embedded sample opens and its map draws every run the
// library lists for it. Counts are read from the map's data attributes, never from pixels, and compared with
// dumpMappings run here in Node on the same sample.
import { join } from 'node:path';
import { dumpMappings, type MappingRun, RegisterError, translateAddress } from '@page-table-multiarch/core';
import { ARCHES } from '@page-table-multiarch/cli/samples';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, ready, type Session, SHOTS, SKIP, start, TITLE } from './_browser';

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
  let session: Session | undefined;
  let page: Page | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    session = await start();
    page = await openPage(session, errors);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

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
      await p.locator('#map').screenshot({ path: join(SHOTS, `map-${spec.name}.png`) });
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
});
