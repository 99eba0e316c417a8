// core's Tlb and every architecture's TLB instructions over it, on a stand-in MMU model (a fixed list of pages per
// address space), so that only the TLB is under test. One table of instructions: for each, the entries its manual
// says it removes, out of the same seven entries (non-global ones of ASIDs 0, 1 and 2, two global ones of which one
// is a 2M page, one of another VMID). The expected sets are the manuals' sentences, quoted beside each row.
import {
  Access,
  type AccessKind,
  MmuCode,
  MmuModel,
  Privilege,
  type PrivilegeLevel,
  Tlb,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { tlbiAlle1, tlbiAside1, tlbiIpas2e1, tlbiVaae1, tlbiVae1, tlbiVmalle1, tlbiVmalls12e1 } from '@page-table-multiarch/aarch64';
import { tlbiall, tlbiasid, tlbimva, tlbimvaa } from '@page-table-multiarch/arm';
import { invtlb } from '@page-table-multiarch/loongarch64';
import { hfenceGvma, hfenceVvma, sfenceVma } from '@page-table-multiarch/riscv';
import { invept, invlpg, invpcid, invvpid, movToCr3 } from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const TWO32 = 2 ** 32;

interface Page {
  readonly base: bigint;
  readonly shift: number;
  /** ASID, or -1 for a global page */
  readonly asid: number;
  readonly vmid: number;
  readonly pa: bigint;
}

/** A model whose translations are a fixed list of pages: global, or of one (VMID, ASID). */
class PageListModel extends MmuModel<string> implements TlbWalker {
  readonly tlbAttributeBits = 1;
  readonly tlbModeBits = 0;
  leafAttributes = 0;
  leafGlobal = false;
  asid = 0;
  vmid = 0;
  walks = 0;

  constructor(readonly pages: readonly Page[]) {
    super();
  }

  translateWords(vaLo: number, vaHi: number, _access: AccessKind, _privilege: PrivilegeLevel): number {
    this.walks++;
    const va = (BigInt(vaHi >>> 0) << 32n) | BigInt(vaLo >>> 0);
    for (const p of this.pages) {
      const mask = (1n << BigInt(p.shift)) - 1n;
      if ((va & ~mask) !== p.base || p.vmid !== this.vmid || (p.asid !== -1 && p.asid !== this.asid)) continue;
      const pa = p.pa | (va & mask);
      this.leafAttributes = 1;
      this.leafGlobal = p.asid === -1;
      return this.found(Number(pa & 0xffff_ffffn), Number(pa >> 32n), 2 ** p.shift, 3 - Math.floor((p.shift - 12) / 9), 7);
    }
    return this.fault(MmuCode.NotPresent, 0);
  }

  protected syndrome(): string {
    return 'not present';
  }

  tlbModeKey(): number {
    return 0;
  }

  tlbCheck(attributes: number): number {
    return attributes === 1 ? (7 << 3) | 7 : 0;
  }
}

// The seven entries every row starts from.
const ENTRIES = {
  a1: { base: 0x1000n, shift: 12, asid: 1, vmid: 0, pa: 0x10_1000n },
  a2: { base: 0x1000n, shift: 12, asid: 2, vmid: 0, pa: 0x20_1000n },
  a1b: { base: 0x5000n, shift: 12, asid: 1, vmid: 0, pa: 0x10_5000n },
  a0: { base: 0x3000n, shift: 12, asid: 0, vmid: 0, pa: 0x30_3000n },
  g: { base: 0x9000n, shift: 12, asid: -1, vmid: 0, pa: 0x40_9000n },
  g2m: { base: 0x20_0000n, shift: 21, asid: -1, vmid: 0, pa: 0x80_0000n },
  vm1: { base: 0x1000n, shift: 12, asid: 1, vmid: 1, pa: 0x50_1000n },
} satisfies Record<string, Page>;
type Name = keyof typeof ENTRIES;
const NAMES = Object.keys(ENTRIES) as Name[];
const VMID0: Name[] = ['a1', 'a2', 'a1b', 'a0', 'g', 'g2m'];

/** A TLB holding the seven entries, current address space (VMID 0, ASID 1). */
function filled() {
  const model = new PageListModel(Object.values(ENTRIES));
  const tlb = new Tlb(model, { entries: 64, ways: 4 });
  for (const name of NAMES) {
    const p = ENTRIES[name];
    use(tlb, p.asid === -1 ? 0 : p.asid, p.vmid);
    expect(tlb.translateNumber(Number(p.base) + 8, Access.READ, Privilege.SUPERVISOR)).toBe(Number(p.pa) + 8);
  }
  use(tlb, 1, 0);
  return { tlb, model };
}

function use(tlb: Tlb<string>, asid: number, vmid: number): void {
  const model = tlb.model as PageListModel;
  tlb.asid = model.asid = asid;
  tlb.vmid = model.vmid = vmid;
}

/** The entries still cached: each probed in its own address space, a hit or a walk. */
function cached(tlb: Tlb<string>): Name[] {
  const model = tlb.model as PageListModel;
  const keep = [tlb.asid, tlb.vmid];
  const left: Name[] = [];
  for (const name of NAMES) {
    const p = ENTRIES[name];
    use(tlb, p.asid === -1 ? 7 : p.asid, p.vmid);
    const walks = model.walks;
    // the last byte of the page: a 2M entry must answer for all of it
    const va = Number(p.base) + 2 ** p.shift - 8;
    expect(tlb.translateNumber(va, Access.READ, Privilege.USER)).toBe(Number(p.pa) + 2 ** p.shift - 8);
    if (model.walks === walks) left.push(name);
  }
  use(tlb, keep[0]!, keep[1]!);
  return left;
}

type Row = [instruction: string, run: (tlb: Tlb<string>) => void, removed: Name[]];
const rows: Row[] = [
  // Intel SDM Vol. 3A 4.10.4.1, current PCID 1
  ['INVLPG 0x1000 ("entries for the page, current PCID, and global entries for the page")', (t) => invlpg(t, 0x1000), ['a1']],
  ['INVLPG 0x9000', (t) => invlpg(t, 0x9000n), ['g']],
  ['INVLPG 0x20_1000 (inside a 2M global page)', (t) => invlpg(t, 0x20_1000), ['g2m']],
  ['INVPCID type 0, PCID 1, 0x1000 ("except global translations")', (t) => invpcid(t, 0, 1, 0x1000), ['a1']],
  ['INVPCID type 0, PCID 1, 0x9000 (a global page: kept)', (t) => invpcid(t, 0, 1, 0x9000), []],
  ['INVPCID type 1, PCID 1 ("all mappings of the PCID except global")', (t) => invpcid(t, 1, 1), ['a1', 'a1b']],
  ['INVPCID type 2 ("all mappings, including global")', (t) => invpcid(t, 2, 0), VMID0],
  ['INVPCID type 3 ("all mappings except global")', (t) => invpcid(t, 3, 0), ['a1', 'a2', 'a1b', 'a0']],
  ['MOV CR3 PCIDE = 1, PCID 2 ("non-global entries of the new PCID")', (t) => movToCr3(t, 0x8000_0000n | 2n, true), ['a2']],
  ['MOV CR3 PCIDE = 1, PCID 2, bit 63 set (no invalidation)', (t) => movToCr3(t, (1n << 63n) | 0x8000_0000n | 2n, true), []],
  ['MOV CR3 PCIDE = 0 ("PCID 000H except global pages")', (t) => movToCr3(t, 0x8000_0000n | 2n, false), ['a0']],
  // Arm DDI 0487 C5.5
  ['TLBI VAE1 0x1000, ASID 1 ("matching VA and ASID, or global for the VA")', (t) => tlbiVae1(t, 0x1000, 1), ['a1']],
  ['TLBI VAE1 0x9000, ASID 2', (t) => tlbiVae1(t, 0x9000, 2), ['g']],
  ['TLBI ASIDE1 1 ("non-global entries of the ASID")', (t) => tlbiAside1(t, 1), ['a1', 'a1b']],
  ['TLBI VMALLE1 ("all stage 1 entries of the current VMID")', (t) => tlbiVmalle1(t), VMID0],
  ['TLBI VAAE1 0x1000 ("the VA, any ASID")', (t) => tlbiVaae1(t, 0x1000), ['a1', 'a2']],
  ['TLBI VAAE1 0x21_2340 (inside a 2M global page)', (t) => tlbiVaae1(t, 0x21_2340), ['g2m']],
  // ARM DDI 0406C B4.2.2
  ['TLBIMVA 0x1000, ASID 2 ("MVA and ASID, and global entries for the MVA")', (t) => tlbimva(t, 0x1000, 2), ['a2']],
  ['TLBIMVA 0x9000, ASID 1', (t) => tlbimva(t, 0x9000, 1), ['g']],
  ['TLBIASID 2', (t) => tlbiasid(t, 2), ['a2']],
  ['TLBIALL', (t) => tlbiall(t), VMID0],
  ['TLBIMVAA 0x1000 ("regardless of the ASID")', (t) => tlbimvaa(t, 0x1000), ['a1', 'a2']],
  // LoongArch Vol. 1 4.2.4, INVTLB
  ['INVTLB 0x0', (t) => invtlb(t, 0), VMID0],
  ['INVTLB 0x1', (t) => invtlb(t, 1), VMID0],
  ['INVTLB 0x2 ("G = 1")', (t) => invtlb(t, 2), ['g', 'g2m']],
  ['INVTLB 0x3 ("G = 0")', (t) => invtlb(t, 3), ['a1', 'a2', 'a1b', 'a0']],
  ['INVTLB 0x4, ASID 1 ("G = 0 and ASID")', (t) => invtlb(t, 4, 1), ['a1', 'a1b']],
  ['INVTLB 0x5, ASID 1, 0x1000 ("G = 0, ASID and VA")', (t) => invtlb(t, 5, 1, 0x1000), ['a1']],
  ['INVTLB 0x5, ASID 1, 0x9000', (t) => invtlb(t, 5, 1, 0x9000), []],
  ['INVTLB 0x6, ASID 1, 0x9000 ("G = 1 or ASID, and VA")', (t) => invtlb(t, 6, 1, 0x9000), ['g']],
  ['INVTLB 0x6, ASID 2, 0x1000', (t) => invtlb(t, 6, 2, 0x1000), ['a2']],
  // RISC-V Privileged 4.2.1
  ['SFENCE.VMA x0, x0', (t) => sfenceVma(t), VMID0],
  ['SFENCE.VMA x0, ASID 1 ("except global mappings")', (t) => sfenceVma(t, undefined, 1), ['a1', 'a1b']],
  ['SFENCE.VMA 0x1000, x0 ("for all address spaces")', (t) => sfenceVma(t, 0x1000), ['a1', 'a2']],
  ['SFENCE.VMA 0x9000, x0', (t) => sfenceVma(t, 0x9000), ['g']],
  ['SFENCE.VMA 0x1000, ASID 1', (t) => sfenceVma(t, 0x1000, 1), ['a1']],
  ['SFENCE.VMA 0x9000, ASID 1 (global: kept)', (t) => sfenceVma(t, 0x9000, 1), []],
  // the second-stage forms; the stand-in's entries are stage 1 (or combined) ones, of VMID 0 but for vm1 (VMID 1).
  // Arm DDI 0487 C5.5, D8.14
  ['TLBI VMALLS12E1 ("stage 1 and stage 2 entries of the current VMID")', (t) => tlbiVmalls12e1(t), VMID0],
  ['TLBI IPAS2E1 0x1000 ("stage 2 only" entries: no stage 1 or combined one)', (t) => tlbiIpas2e1(t, 0x1000), []],
  ['TLBI ALLE1 ("all entries of the EL1&0 regime, every VMID")', (t) => tlbiAlle1(t), NAMES],
  // RISC-V Privileged, Hypervisor Extension, HFENCE.VVMA / HFENCE.GVMA (current VMID 0)
  ['HFENCE.VVMA x0, x0 (as SFENCE.VMA, current VMID only)', (t) => hfenceVvma(t), VMID0],
  ['HFENCE.VVMA 0x1000, ASID 1', (t) => hfenceVvma(t, 0x1000, 1), ['a1']],
  ['HFENCE.GVMA x0, x0 ("all VMIDs")', (t) => hfenceGvma(t), NAMES],
  ['HFENCE.GVMA x0, VMID 1', (t) => hfenceGvma(t, undefined, 1), ['vm1']],
  ['HFENCE.GVMA 0x1000 >> 2, VMID 0 (combined entries: every one of the VMID)', (t) => hfenceGvma(t, 0x400, 0), VMID0],
  // Intel SDM Vol. 3C 29.4.3.1 (VPID = the TLB's VMID)
  ['INVEPT all-context (linear mappings, not made through EPT: kept)', (t) => invept(t, 2), []],
  ['INVVPID type 0, VPID 1, 0x1000', (t) => invvpid(t, 0, 1, 0x1000), ['vm1']],
  ['INVVPID type 0, VPID 1, 0x5000 (another page)', (t) => invvpid(t, 0, 1, 0x5000), []],
  ['INVVPID type 1, VPID 1', (t) => invvpid(t, 1, 1), ['vm1']],
  ['INVVPID type 2 ("all VPIDs except VPID 0000H")', (t) => invvpid(t, 2, 0), ['vm1']],
  ['INVVPID type 3, VPID 1 ("except global translations")', (t) => invvpid(t, 3, 1), ['vm1']],
  // the generic calls
  ['invalidate with vmid 1', (t) => t.invalidate({ global: true, vmid: 1 }), ['vm1']],
  ['invalidate with vmid "all", one page', (t) => t.invalidate({ vaddr: 0x1000, global: true, vmid: 'all' }), ['a1', 'a2', 'vm1']],
  ['flushAll (every VMID)', (t) => t.flushAll(), NAMES],
  ['flushHook() with a page', (t) => t.flushHook()(0x1000n), ['a1', 'a2']],
  ['flushHook(1) with a page: that ASID and the globals of the page', (t) => t.flushHook(1)(0x9000n), ['g']],
  ['flushHook(2), a full flush: that ASID and every global', (t) => t.flushHook(2)(), ['a2', 'g', 'g2m']],
];

describe('TLB instructions of every architecture over core Tlb: each removes what its manual says, nothing else', () => {
  it.each(rows)('%s', (_name, run, removed) => {
    const { tlb } = filled();
    expect(cached(tlb)).toEqual(NAMES);
    run(tlb);
    expect(cached(tlb)).toEqual(NAMES.filter((n) => !removed.includes(n)));
  });

  it('bad operands throw typed errors and remove nothing', () => {
    const { tlb } = filled();
    const before = tlb._data.slice();
    expect(() => invpcid(tlb, 4 as 0, 1)).toThrow(RangeError);
    expect(() => invpcid(tlb, 0, 1)).toThrow(RangeError); // type 0 without an address
    expect(() => invpcid(tlb, 1, 4096)).toThrow(RangeError);
    expect(() => tlbiVae1(tlb, 0x1000, 0x1_0000)).toThrow(RangeError);
    expect(() => tlbiasid(tlb, 256)).toThrow(RangeError);
    expect(() => invtlb(tlb, 7)).toThrow(RangeError);
    expect(() => invtlb(tlb, 5, 1)).toThrow(RangeError);
    expect(() => invtlb(tlb, 4, 1024)).toThrow(RangeError);
    expect(() => movToCr3(tlb, -1, true)).toThrow();
    expect(() => invlpg(tlb, 1n << 64n)).toThrow();
    expect(() => invvpid(tlb, 1, 0)).toThrow(RangeError); // VPID 0: VMfailValid
    expect(() => invvpid(tlb, 0, 1, 0x8000_0000_0000n)).toThrow(RangeError); // not canonical
    expect(() => invvpid(tlb, 1, 0x1_0000)).toThrow(RangeError);
    expect(() => invept(tlb, 1)).toThrow(RangeError); // single-context without an EPTP
    expect(() => hfenceGvma(tlb, 1n << 64n)).toThrow();
    expect(() => tlbiIpas2e1(tlb, -1)).toThrow();
    expect(() => tlb.invalidate({ global: true, vmid: -1 })).toThrow(RangeError);
    expect(() => tlb.invalidate({ global: true, vmid: 'some' as 'all' })).toThrow(RangeError);
    expect(tlb._data).toEqual(before);
    expect(tlb.asid).toBe(1);
  });
});

describe('Tlb: pages of every size, upper-half addresses, sets and ways', () => {
  // a 1G page and a 512G page (shifts 30 and 39: the tag is in the high word), in the upper half
  const pages: Page[] = [
    { base: 0xffff_ffff_c000_0000n, shift: 30, asid: 1, vmid: 0, pa: 0x1_4000_0000n },
    { base: 0xffff_ff00_0000_0000n, shift: 39, asid: 1, vmid: 0, pa: 0x80_0000_0000n },
    { base: 0x7fff_f000n, shift: 12, asid: 1, vmid: 0, pa: 0xfff_fff0_0000_0000n },
  ];

  it('an entry serves its whole page, wherever the page is, at any size', () => {
    const model = new PageListModel(pages);
    model.asid = 1;
    const tlb = new Tlb(model, { entries: 16, ways: 2 });
    tlb.asid = 1;
    for (const p of pages) {
      for (const off of [0n, 8n, (1n << BigInt(p.shift)) - 8n, 0x1234_5678n & ((1n << BigInt(p.shift)) - 8n)]) {
        const va = p.base + off;
        const r = tlb.translate(va, Access.WRITE, Privilege.USER);
        expect(r).toEqual({ ok: true, paddr: p.pa + off, size: 2 ** p.shift, level: 3 - Math.floor((p.shift - 12) / 9), permissions: 7 });
        // the word form, as an emulator calls it
        expect(tlb.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), Access.READ, Privilege.USER)).toBe(0);
        expect(tlb.paHi * TWO32 + tlb.paLo).toBe(Number(p.pa + off));
      }
    }
    // one walk per page, everything else a hit
    expect([tlb.walks, tlb.misses, tlb.hits]).toEqual([3, 3, 21]);
    // a page-sized invalidation anywhere inside removes the whole entry
    tlb.invalidate({ vaddr: 0xffff_ff20_1234_5000n, global: true });
    tlb.translate(0xffff_ff00_0000_0000n, Access.READ, Privilege.USER);
    expect(tlb.misses).toBe(4);
  });

  it('a set holds `ways` entries; a free way is used first, then the ways in turn (round-robin), and an evicted page is walked again', () => {
    // 4 sets of 2 ways: pages 0, 4, 8 (x 4K) fall in set 0
    const list: Page[] = [0, 4, 8].map((n) => ({ base: BigInt(n) << 12n, shift: 12, asid: 0, vmid: 0, pa: 0x100_0000n + (BigInt(n) << 12n) }));
    const model = new PageListModel(list);
    const tlb = new Tlb(model, { entries: 8, ways: 2 });
    const read = (n: number) => tlb.translateNumber(n << 12, Access.READ, Privilege.USER);
    read(0);
    read(4);
    read(0);
    expect([tlb.hits, tlb.misses]).toEqual([1, 2]);
    read(8); // replaces page 0, the oldest
    read(4);
    expect([tlb.hits, tlb.misses]).toEqual([2, 3]);
    expect(read(0)).toBe(0x100_0000);
    expect([tlb.hits, tlb.misses]).toEqual([2, 4]);
  });

  it('a way that an invalidation or flushAll freed is filled before a valid entry is evicted, in a full TLB too', () => {
    // one set of 2 ways: every page falls in it, and a third page evicts the oldest
    const list: Page[] = [0, 1, 2, 3, 4, 5].map((n) => ({ base: BigInt(n) << 12n, shift: 12, asid: 0, vmid: 0, pa: 0x100_0000n + (BigInt(n) << 12n) }));
    const tlb = new Tlb(new PageListModel(list), { entries: 2, ways: 2 });
    const read = (n: number) => tlb.translateNumber(n << 12, Access.READ, Privilege.USER);
    // pages 0 and 1 fill both ways; 2 takes the way of 0 (the oldest); the next victim is 1's way
    for (const n of [0, 1, 2]) read(n);
    tlb.invalidate({ vaddr: 2n << 12n, global: true });
    tlb.resetCounters();
    // 3 goes into the way freed by the invalidation: 1 stays
    read(3);
    read(1);
    expect([tlb.hits, tlb.misses]).toEqual([1, 1]);
    // after flushAll both ways are free: 4 and 5 fill them in order (the next victim is still way 1, 5's), and
    // 0 then evicts 5, not 4
    tlb.flushAll();
    tlb.resetCounters();
    for (const n of [4, 5, 4]) read(n);
    expect([tlb.hits, tlb.misses]).toEqual([1, 2]);
    read(0);
    read(4);
    expect([tlb.hits, tlb.misses]).toEqual([2, 3]);
  });
});
