// The explorer in headless Chromium (see _browser.ts): each embedded sample opens and its map draws every run the
// library lists for it. Counts are read from the map's data attributes, never from pixels, and compared with
// dumpMappings run here in Node on the same sample.
import { join } from 'node:path';
import { dumpMappings, RegisterError } from '@page-table-multiarch/core';
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
  }
});
