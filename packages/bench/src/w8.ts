// W8 -- two-stage translation with a TLB miss on every access: A64Mmu (stage 1, 4K granule, 48-bit) over
// A64Stage2Mmu (stage 2, 4K granule, 40-bit IPAs from level 1) on W6's 100,000 pages, each translated once per pass
// in W6's order, with no TLB in front: every translation is a full walk of both stages (each of the 4 stage 1
// table reads goes through a 3-level stage 2 walk first, and so does the output address: 19 descriptor reads). The
// stage 2 table maps every stage 1 table frame to itself and every stage 1 output page with 4K pages, so that stage
// 2 is as deep as it gets. Beside it, the same pages through stage 1 alone (A64Mmu without a second stage), and
// the two stages behind a Tlb over 64 of the pages: hits on entries that combine both stages (after the first
// pass's misses), the cost of a two-stage translation that an emulator's TLB serves.
import { Access, MappingFlags, PageSize, Privilege, Tlb } from '@page-table-multiarch/core';
import { A64Mmu, A64PageTable, A64Stage2Mmu, A64Stage2PageTable, encodeA64Registers, encodeA64Stage2Registers } from '@page-table-multiarch/aarch64';
import type { W7Context } from './w7';

/**
 * Where stage 2 puts the stage 1 output pages: away from their IPAs (seqPa up), so that an answer that skipped stage
 * 2 differs, and above 4 GiB, so that no answer is a small integer: the bench's allocation test then sees a physical
 * address boxed on its way out of translateNumber (16 bytes per access).
 */
const OUT_PA = 0x8_2000_0000;

export function w8(ctx: W7Context): void {
  const names = ['W8 two stages, random pages', 'W8 stage 1 only, random pages', 'W8 two stages behind a Tlb, 64 hot pages'];
  if (!names.some((n) => ctx.filter.test(n))) return;
  const { memory, pages, seqPa } = ctx;
  const RW = MappingFlags.READ | MappingFlags.WRITE;
  const s1 = new A64PageTable(memory, { half: 'lower' });
  const c1 = s1.cursor();
  for (let k = 0; k < pages.length; k++) c1.map(pages[k]!, seqPa + k * 4096, PageSize.Size4K, RW);
  c1.flush();
  // the stage 1 table frames: the root and every table a Table descriptor points at (levels 0-2)
  const frames = new Set<number>([Number(s1.rootPaddr)]);
  s1.walk(Number.POSITIVE_INFINITY, (level, _index, _va, bits) => {
    if (level < 3 && (bits & 3n) === 3n) frames.add(Number(bits & 0x0000_ffff_ffff_f000n));
  });
  const s2 = new A64Stage2PageTable(memory, { granule: 4, ipaBits: 40 });
  const c2 = s2.cursor();
  for (const f of frames) c2.map(f, f, PageSize.Size4K, RW);
  for (let k = 0; k < pages.length; k++) c2.map(seqPa + k * 4096, OUT_PA + k * 4096, PageSize.Size4K, RW);
  c2.flush();
  const stage2 = new A64Stage2Mmu(memory, encodeA64Stage2Registers(s2));
  const regs = encodeA64Registers({ ttbr0: s1 });
  const twoStage = new A64Mmu(memory, { ...regs, stage2 });
  const oneStage = new A64Mmu(memory, regs);
  const va = Float64Array.from(pages, (p, k) => p + ((k * 8) & 0xff8));
  // the answers' low 32 bits summed: two stages give OUT_PA + k * 4096 + offset, one stage seqPa + k * 4096 + offset
  let want2 = 0;
  let want1 = 0;
  for (let k = 0; k < pages.length; k++) {
    want2 = (want2 + ((OUT_PA + k * 4096 + ((k * 8) & 0xff8)) | 0)) | 0;
    want1 = (want1 + ((seqPa + k * 4096 + ((k * 8) & 0xff8)) | 0)) | 0;
  }
  let got = 0;
  // one loop per model, so that each call site sees one receiver
  const twoBody = () => {
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (twoStage.translateNumber(va[i]!, Access.READ, Privilege.SUPERVISOR) | 0)) | 0;
    got = s;
  };
  const oneBody = () => {
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (oneStage.translateNumber(va[i]!, Access.READ, Privilege.SUPERVISOR) | 0)) | 0;
    got = s;
  };
  const note = `${frames.size} stage 1 table frames, each a 4K stage 2 page`;
  if (ctx.filter.test(names[0]!)) {
    ctx.bench(names[0]!, va.length, () => {}, twoBody, () => {}, note);
    ctx.check(got === want2, `${names[0]}: the answers' sum ${got} is not ${want2}`);
  }
  if (ctx.filter.test(names[1]!)) {
    ctx.bench(names[1]!, va.length, () => {}, oneBody, () => {}, 'the same pages, a walk of stage 1 each');
    ctx.check(got === want1, `${names[1]}: the answers' sum ${got} is not ${want1}`);
  }
  if (ctx.filter.test(names[2]!)) {
    // as many accesses as the other rows, cycling over 64 of the pages (a stride that visits each in turn)
    const HOT = 64;
    const tlb = new Tlb(twoStage, { entries: 1024, ways: 4 });
    const hot = Float64Array.from(va, (_, i) => va[(i * 29) % HOT]!);
    let want3 = 0;
    for (let i = 0; i < hot.length; i++) {
      const k = (i * 29) % HOT;
      want3 = (want3 + ((OUT_PA + k * 4096 + ((k * 8) & 0xff8)) | 0)) | 0;
    }
    const tlbBody = () => {
      let s = 0;
      for (let i = 0; i < hot.length; i++) s = (s + (tlb.translateNumber(hot[i]!, Access.READ, Privilege.SUPERVISOR) | 0)) | 0;
      got = s;
    };
    ctx.bench(names[2]!, hot.length, () => tlb.resetCounters(), tlbBody, () => {}, `${HOT} pages: a miss (a walk of both stages) for each the first time, then hits`);
    ctx.check(got === want3, `${names[2]}: the answers' sum ${got} is not ${want3}`);
    // the last timed body: at most the 64 first-time misses walked, every other access hit
    ctx.check(tlb.walks <= HOT && tlb.hits >= hot.length - HOT, `${names[2]}: ${tlb.hits} hits and ${tlb.walks} walks for ${hot.length} accesses`);
  }
  s1.destroy();
  s2.destroy();
}
