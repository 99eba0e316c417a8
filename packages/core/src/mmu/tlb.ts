// A software TLB over any MMU model: translations cached per (VMID, ASID, virtual page) in one Int32Array, with
// global entries, pages of any size, and the invalidations every architecture's instructions are made of.
//
// What an entry holds, and why: the leaf's raw attributes (an architecture-defined small integer, such as the low
// byte of a RISC-V PTE), not the permissions one access computed. The permissions of a cached leaf depend on the
// privilege and on mode bits (RISC-V SUM / MXR, x86 CR0.WP / SMAP / EFLAGS.AC, AArch64 PAN) that change without any
// invalidation, and the hardware applies the current ones to what its TLB holds (RISC-V Privileged spec 4.3.2: the
// checks of steps 5-7 use the PTE; x86 SDM Vol. 3A 4.10.2.2: a TLB entry holds the PTE's access rights, checked per
// access). So each hit re-checks: a table built once per mode value, indexed by (attributes, privilege), says which
// access kinds the cached leaf serves without a walk and what the effective permissions are. A store to a leaf
// whose dirty flag is clear is never served from the TLB: it goes to the model's walk, which sets D (RISC-V Svadu,
// x86) or faults (Svade), and the refreshed leaf replaces the entry. Only successful translations are cached; a
// fault always comes from a walk, so its syndrome is the model's.
//
// In front of the entries, for `translateNumber`: a direct-mapped table keyed by the 4 KiB virtual page number, as
// QEMU's softmmu TLB is (accel/tcg/cputlb.c: per page a tag per access kind and an addend); its layout and the
// operations no hit makes are in tlb-first-level.ts. A way holds, per privilege and access kind, whether it serves
// that access, and the physical address of its 4 KiB page, its permissions, size and level, copied from an entry under
// one mode key, ASID and VMID. A hit there is a few loads and compares inline in the caller's loop; anything else
// takes the entries' path, which fills the slot after a hit. The slots are only ever a copy of live entries (so the
// counters are those of the entries alone): an entry that is replaced, evicted or invalidated by address takes its
// slots with it, and any other invalidation, or a change of the mode key, ASID or VMID, empties them all. The mode
// key is compared on every access rather than announced by the model: the models' mode bits are plain fields that a
// caller sets directly (RISC-V `sum`, x86 `wp`, ...), and a generation counter bumped by each of them would be one
// more thing every model must not forget; the compare is one inlined call (on RISC-V, two field loads). The ASID
// and VMID are the TLB's own: their setters mark the slots stale (the mode key they were filled under is forgotten),
// so that a hit does not compare them (W7's hits 6.3 -> 5.7 ns, builds side by side).
import { PAIR, splitAddr } from '../_addr';
import { POW2, TWO32 } from '../_pairs';
import type { FlushTlb } from '../interfaces';
import { type AccessKind, MmuCode, type PrivilegeLevel } from './access';
import { accessArgsOk, checkArgs, MmuModel } from './model';
import { copyIntoWay0, dropPages, emptyFirstLevel, FAST_PAGE, FAST_SHIFT, FAST_STRIDE, FAST_WAYS, firstLevelArrays, MAX_FAST_SLOTS, swapWays } from './tlb-first-level';
import { MAX_ATTRIBUTE_BITS, MAX_MODE_BITS, type TlbOptions, type TlbScope, type TlbWalker } from './tlb-types';

const TWO_MINUS_32 = 2 ** -32;

// An entry is 8 int32 words: the page's virtual base (low, high), ASID, VMID, the frame's physical base (low, high),
// the leaf's attributes, and INFO = VALID | GLOBAL | shift << 2 | (level + 1) << 8 | COPIED | MANY | the 4 KiB page
// copied << 14 (see COPIED).
const STRIDE = 8;
const VALID = 1;
const GLOBAL = 2;
/**
 * In INFO: the entry was copied into the first-level table since it was made (its slots must go with it). Bits 31:14
 * then hold which of its 4 KiB pages (counted from the entry's first), and MANY says that more than one was: so the
 * slots of a huge entry that served one 4 KiB page go with one probe, not a search of its 512 or more pages.
 */
const COPIED = 1 << 12;
/** In INFO: more than one 4 KiB page of the entry was copied (or the entry is larger than 2^30 bytes). */
const MANY = 1 << 13;
const SUB_SHIFT = 14;
/** Page sizes (as log2) the TLB can hold at once: 4K, 16K, 64K, 2M, 32M, 512M, 1G, 512G cover every format here. */
const MAX_CLASSES = 8;

/**
 * A software TLB in front of an MMU model: `translateWords` / `translateNumber` / `translate` answer as the model
 * does, from a cached translation when one serves the access and from the model's walk otherwise (which also fills
 * the TLB). Entries are tagged with the address space current when they were made ({@link asid}, {@link vmid});
 * a global entry matches every ASID of its VMID. One entry covers a whole page of any size. Set-associative with
 * round-robin replacement in each set once its ways are all valid; sizes are constructor options.
 *
 * The TLB keeps translations the way the hardware does: a change to the tables is seen only after an invalidation
 * ({@link invalidate}, {@link flushAll}, the architecture packages' instruction helpers, or {@link flushHook} on a
 * table's cursor), and changing {@link asid} switches address spaces without flushing. Mode bits of the model (SUM,
 * MXR, ...) apply at once, as in the hardware. A fault leaves the architecture's syndrome in the model's fields.
 *
 * Hot path: a hit allocates nothing, uses no BigInt and throws nothing.
 * @example
 * const tlb = new Tlb(mmu, { entries: 1024, ways: 4 });
 * const pa = tlb.translateNumber(0x40_1000, Access.READ, Privilege.USER); // walks, then caches
 * tlb.translateNumber(0x40_1008, Access.READ, Privilege.USER);            // a hit
 * tlb.invalidate({ vaddr: 0x40_1000, global: true });                     // as SFENCE.VMA va, x0
 */
export class Tlb<S> extends MmuModel<S> {
  /** The model that walks on a miss. */
  readonly model: MmuModel<S> & TlbWalker;
  /** Entries. */
  readonly entries: number;
  /** Entries per set. */
  readonly ways: number;
  /** @internal */ _asid: number;
  /** @internal */ _vmid: number;
  /** @internal the entries, STRIDE words each */ readonly _data: Int32Array;
  /** @internal the next victim's way in each set */ readonly _next: Uint8Array;
  /**
   * @internal entries without VALID (a fill searches its set for one only while some are: a full TLB, W7's misses,
   * takes the round-robin victim at once; a miss in a cached table read 131-141 ns with the search, 120-128 without)
   */
  _free: number;
  /** @internal log2 of each page size held, in increasing order (lookups try the smaller pages first) */ readonly _shifts: Int32Array;
  /** @internal */ _classes: number;
  /** @internal hits, misses, walks */ readonly _counts: Float64Array;
  /** @internal per mode key: the tlbCheck of every (attributes, privilege) */ readonly _checks: Uint16Array;
  /** @internal per mode key: whether its row of _checks is made */ readonly _made: Uint8Array;
  /** @internal */ readonly _attrShift: number;
  /** @internal first-level table: the 4 KiB page number held by each way, NaN when empty */ readonly _fastTags: Float64Array;
  /** @internal first-level table: FAST_STRIDE doubles per way (tags, frame, shape: see tlb-first-level.ts) */ readonly _fast: Float64Array;
  /** @internal added to the page numbers of _fast's tags: k / 4096, moved by each empty (see tlb-first-level.ts) */ _fastBase: number;
  /** @internal slots - 1 */ readonly _fastMask: number;
  /**
   * @internal the mode key the slots were filled under; -1: none yet, or the ASID or VMID changed since (their
   * setters set it, so that a hit compares the mode key alone)
   */
  _fastMode: number;
  /**
   * @internal where the result fields come from: -1 from their own fields (an entry's hit, a walk, a fault), else
   * the first-level hit of the last call as `way << 13 | privilege << 12 | offset in the 4 KiB page` (way: its index
   * in _fastTags; << 3 its first double in _fast)
   */
  _fastHit: number;
  /** @internal hits served by the first-level table (those of the entries are in _counts) */ _fastHits: number;
  /** @internal first-level tags examined to let go of the 4 KiB pages of a range: a test's measure of that work */
  _dropProbes: number;

  /**
   * @throws RangeError for sizes that are not powers of two, ways that do not divide entries, or a model whose
   *   tlbAttributeBits / tlbModeBits are out of range.
   */
  constructor(model: MmuModel<S> & TlbWalker, options: TlbOptions = {}) {
    super();
    const entries = options.entries ?? 1024;
    const ways = options.ways ?? 4;
    if (!isPow2(entries) || entries > 1 << 20) throw new RangeError(`Tlb: "entries" ${String(entries)} is not a power of two in [1, 2^20]`);
    if (!isPow2(ways) || ways > entries || ways > 128) {
      throw new RangeError(`Tlb: "ways" ${String(ways)} is not a power of two of at most min(entries, 128)`);
    }
    const attrBits = model.tlbAttributeBits;
    const modeBits = model.tlbModeBits;
    if (!(Number.isInteger(attrBits) && attrBits >= 1 && attrBits <= MAX_ATTRIBUTE_BITS && Number.isInteger(modeBits) && modeBits >= 0 && modeBits <= MAX_MODE_BITS)) {
      throw new RangeError(`Tlb: the model's tlbAttributeBits ${attrBits} / tlbModeBits ${modeBits} are outside 1-${MAX_ATTRIBUTE_BITS} / 0-${MAX_MODE_BITS}`);
    }
    this.model = model;
    this.entries = entries;
    this.ways = ways;
    this._asid = 0;
    this._vmid = 0;
    this._data = new Int32Array(entries * STRIDE);
    this._next = new Uint8Array(entries / ways);
    this._free = entries;
    this._shifts = new Int32Array(MAX_CLASSES);
    this._classes = 0;
    this._counts = new Float64Array(3);
    this._attrShift = attrBits + 1;
    this._checks = new Uint16Array(1 << (modeBits + attrBits + 1));
    this._made = new Uint8Array(1 << modeBits);
    const slots = Math.min(MAX_FAST_SLOTS, Math.max(64, entries));
    const { tags, fast } = firstLevelArrays(slots);
    this._fastTags = tags;
    this._fast = fast;
    this._fastBase = 0;
    this._fastMask = slots - 1;
    this._fastMode = -1;
    this._fastHit = -1;
    this._fastHits = 0;
    this._dropProbes = 0;
  }

  /** The current address space (RISC-V satp.ASID, x86 PCID, Arm ASID, LoongArch ASID.ASID): tags new entries. */
  get asid(): number {
    return this._asid;
  }

  /** Switches the address space: entries of other ASIDs stay, but do not match (global entries do). */
  set asid(asid: number) {
    if (asid !== this._asid) this._fastMode = -1;
    this._asid = asid;
  }

  /** The current virtual machine (Arm VMID, x86 VPID); entries of another VMID never match. */
  get vmid(): number {
    return this._vmid;
  }

  /** Switches the virtual machine: entries of other VMIDs stay, but do not match. */
  set vmid(vmid: number) {
    if (vmid !== this._vmid) this._fastMode = -1;
    this._vmid = vmid;
  }

  // The result fields. A first-level hit writes none of them: it records its way, privilege and page offset in
  // _fastHit (one store instead of six), and these getters decode the way, which no call changes before the hit is
  // settled (settleHit): a translation settles it first, and so do invalidate and flushAll.

  /** Low 32 bits of the physical address of the last successful translation. */
  override get paLo(): number {
    const h = this._fastHit;
    // `>>> 0` of an integer double is its low 32 bits (ToUint32: modulo 2^32); a frame's bits 11:0 are clear
    return h < 0 ? this.lastPaLo : ((this._fast[((h >>> 13) << 3) | 3]! >>> 0) | (h & 4095)) >>> 0;
  }

  /** High 32 bits of the physical address of the last successful translation. */
  override get paHi(): number {
    const h = this._fastHit;
    return h < 0 ? this.lastPaHi : Math.floor(this._fast[((h >>> 13) << 3) | 3]! * TWO_MINUS_32);
  }

  /** Bytes of the page the last successful translation went through (0 after a fault). */
  override get pageSize(): number {
    const h = this._fastHit;
    return h < 0 ? this.lastPageSize : POW2[(this.fastShape(h) >>> 12) & 63]!;
  }

  /** Level (0 = root) of the leaf found, or of the entry that faulted; -1 when no table was read. */
  override get level(): number {
    const h = this._fastHit;
    return h < 0 ? this.lastLevel : (this.fastShape(h) >>> 18) - 1;
  }

  /** Effective permissions of the last successful translation; 0 after a fault. */
  override get permissions(): number {
    const h = this._fastHit;
    return h < 0 ? this.lastPermissions : (this.fastShape(h) >>> (((h >>> 12) & 1) * 6)) & 63;
  }

  /** The `MmuCode` of the last fault, or 0 after a successful translation. */
  override get faultCode(): number {
    return this._fastHit < 0 ? this.lastFaultCode : 0;
  }

  /** The shape (see tlb-first-level.ts) of the first-level way that the hit `h` (a _fastHit) was served by. */
  private fastShape(h: number): number {
    return this._fast[((h >>> 13) << 3) | 7]!;
  }

  /**
   * Moves the result fields of a first-level hit into their own fields, before anything but a translation changes
   * the first-level table (the getters would then decode a way that no longer holds the hit).
   */
  private settleHit(): void {
    if (this._fastHit < 0) return;
    this.lastPaLo = this.paLo;
    this.lastPaHi = this.paHi;
    this.lastPageSize = this.pageSize;
    this.lastLevel = this.level;
    this.lastPermissions = this.permissions;
    this.lastFaultCode = 0;
    this._fastHit = -1;
  }

  /** Accesses served from a cached entry. */
  get hits(): number {
    return this._counts[0]! + this._fastHits;
  }

  /** Accesses that found no entry for their page (each one walked). */
  get misses(): number {
    return this._counts[1]!;
  }

  /** Walks of the model: the misses, and the accesses an entry did not serve (a permission fault, a clean page's first store). */
  get walks(): number {
    return this._counts[2]!;
  }

  /** Sets the hit, miss and walk counters to 0. */
  resetCounters(): void {
    this._counts.fill(0);
    this._fastHits = 0;
  }

  /**
   * Translates one access as {@link MmuModel.translateNumber}, from the first-level table when its slot serves the
   * access, else through {@link translateWords}. Kept small, so that V8 inlines it into the caller's loop: the
   * address stays an unboxed double and the answer is returned without a heap number. Everything but a hit on the
   * slot's first three ways is in translateWords, which is called with and returns small integers only, and is too
   * large for V8 to inline here (over 460 bytes of bytecode, V8's limit), so that this function stays small even
   * where V8 optimizes it on its own before the loop that calls it.
   * @throws RangeError as {@link MmuModel.translateNumber}.
   */
  override translateNumber(vaddr: number, access: AccessKind, privilege: PrivilegeLevel): number {
    // Literals, not the module's constants: optimized code reads a module constant from its context on every use
    // (a load, a type check, and for 1 / FAST_PAGE a division). 2^-12, 4096 = FAST_PAGE, << 5 = * FAST_WAYS *
    // FAST_STRIDE (the slot's first way in _fast), | 8 = + FAST_STRIDE (its second way), << 10 = << 13 >> 3.
    // The page number and offset are doubles: exact below 2^53, and no split into 32-bit halves on a hit.
    const scaled = vaddr * 0.000244140625;
    const page = Math.floor(scaled);
    const fast = this._fast;
    const tag = page + this._fastBase;
    // the tag of this privilege and access kind (an invalid one reads another double, and fails the checks below)
    const kind = (privilege << 2) | access;
    // the slot's first way, else its second or third: up to three pages of a working set that share a slot hit
    // here (a fourth is served by translateWords, which brings it to the first way). Which of the two, _fastTags
    // says: the page numbers of a slot's 4 ways are in one 32-byte line, where the ways' own tags are in one line
    // each, and a miss (which translateWords then searches _fastTags for) reads no more lines than the first way's.
    const slot = page & this._fastMask;
    let way = slot << 5;
    // (the first way's tag read once: V8 does not reuse a typed array load across the branch)
    let found = fast[way | kind];
    if (found !== tag) {
      const tags = this._fastTags;
      if (tags[(slot << 2) | 1] === page) way |= 8;
      else if (tags[(slot << 2) | 2] === page) way |= 16;
      found = fast[way | kind];
    }
    if (found === tag && this.fastServes(access, privilege)) {
      // The offset from the scaled address, in doubles: scaled - page is exact (a power-of-two scaling, then the
      // difference of two doubles within a factor of 2 of each other), and so is its product by 4096. Written as
      // vaddr - page * 4096, V8 took the product in int32 under the page numbers' small-integer feedback, with
      // checks of the page's conversion, -0 and overflow on every hit (W7's hits 7.3 -> 6.3 ns, the hits row's loop
      // alone, builds side by side in one process). A fraction (not an address: the checked path throws) fails the
      // test below.
      const offset = (scaled - page) * 4096;
      if ((offset | 0) === offset) {
        // a small integer field, not a typed array element: one load and store; past 2^30 V8 widens it to a double
        this._fastHits++;
        // the result fields, decoded from the way when read (their getters)
        this._fastHit = (way << 10) | (privilege << 12) | offset;
        return fast[way | 3]! + offset;
      }
    }
    // MmuModel.translateNumber's own steps, here rather than a call of it: the address is a double, and as the
    // argument of a call that V8 does not inline it would be boxed (W7's trace, whose misses come this way: 2.8 heap
    // bytes per access with that call). 2^-32: the address's high word, exact as the page number is.
    const vaHi = Math.floor(vaddr * 2.3283064365386963e-10);
    const vaLo = vaddr - vaHi * 4294967296;
    if (!(vaLo >>> 0 === vaLo && vaHi >= 0 && vaHi < 0x200000) || !accessArgsOk(access, privilege)) {
      checkArgs(vaddr, access, privilege, 'translateNumber');
    }
    // `| 0`: the call's result as a small integer, not the tagged value the call returns; every answer of this
    // function is then a number in a register, and a hit's address above 2^31 is not boxed where the answers meet
    const r = this.translateWords(vaLo | 0, vaHi | 0, access, privilege) | 0;
    if (r < 0) return r;
    const hi = this.lastPaHi;
    return hi < 0x200000 ? hi * 4294967296 + this.lastPaLo : MmuCode.WIDE;
  }

  /**
   * Whether a first-level tag read with this access kind and privilege may answer: both are one of Access /
   * Privilege (not a fraction that `|` truncates into a valid one), and the slots were filled under the model's
   * current mode key (and, as the setters of asid and vmid see to, the current ASID and VMID). (A method of its own
   * for the size of translateNumber's bytecode, which V8 inlines only below 460 bytes; this one it always inlines.)
   * The test of accessArgsOk written out, not called: a call of the module function from here cost a hit 0.5 ns
   * (W7 hits 7.2 -> 7.8, core builds alternated).
   */
  private fastServes(access: AccessKind, privilege: PrivilegeLevel): boolean {
    return access >>> 0 <= 2 && (access | 0) === access && privilege >>> 0 <= 1 && (privilege | 0) === privilege && this.model.tlbModeKey() === this._fastMode;
  }

  /**
   * Translates one access as {@link MmuModel.translateWords}: from a cached entry when one serves it, else by the
   * model's walk, whose success is cached. Unchecked arguments, as the model's.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    // the result fields are this call's own fields from here on (what follows may rewrite the last hit's slot);
    // a first-level hit's address is kept, as the last successful translation's until this call succeeds
    if (this._fastHit >= 0) {
      this.lastPaLo = this.paLo;
      this.lastPaHi = this.paHi;
      this._fastHit = -1;
    }
    const model = this.model;
    const mode = model.tlbModeKey();
    // A page that another way of its first-level slot holds (pushed out of the first way by a page of the same
    // slot) moves back to the first way, and answers from there when it serves the access: no lookup of the
    // entries. (Written here rather than in a method of its own: see translateNumber on this function's size.)
    if (vaHi >>> 0 < 0x200000 && access >>> 0 <= 2) {
      const page = (vaHi >>> 0) * 0x100000 + (vaLo >>> FAST_SHIFT);
      // the slot's first way in _fastTags
      const slot = (page & this._fastMask) * FAST_WAYS;
      const tags = this._fastTags;
      if (tags[slot] !== page) {
        let other = slot + 1;
        while (other < slot + FAST_WAYS && tags[other] !== page) other++;
        if (other < slot + FAST_WAYS) swapWays(this, slot, other);
      }
      const fast = this._fast;
      const way = slot * FAST_STRIDE;
      if (fast[way + ((privilege & 1) << 2) + access] === page + this._fastBase && mode === this._fastMode) {
        this._fastHits++;
        // the page's physical address (as in the paLo getter: not `%`, which V8 compiles to an x87 loop), size,
        // level and permissions
        const frame = fast[way + 3]!;
        const shape = fast[way + 7]!;
        const paLo = ((frame >>> 0) | (vaLo & (FAST_PAGE - 1))) >>> 0;
        return this.found(paLo, Math.floor(frame * TWO_MINUS_32), POW2[(shape >>> 12) & 63]!, (shape >>> 18) - 1, (shape >>> ((privilege & 1) * 6)) & 63);
      }
    }
    const e = this.lookup(vaLo | 0, vaHi | 0);
    if (e >= 0) {
      const d = this._data;
      const row = mode << this._attrShift;
      if (this._made[mode] === 0) this.makeChecks(mode);
      const check = this._checks[row | (d[e + 6]! << 1) | privilege]!;
      if (((check >>> access) & 1) !== 0) {
        this._counts[0]!++;
        this.fillFast(vaLo | 0, vaHi | 0, e, row | (d[e + 6]! << 1), mode);
        const info = d[e + 7]!;
        const shift = (info >>> 2) & 63;
        if (shift < 32) {
          this.lastPaLo = (d[e + 4]! | (vaLo & ((1 << shift) - 1))) >>> 0;
          this.lastPaHi = d[e + 5]! >>> 0;
        } else {
          this.lastPaLo = vaLo >>> 0;
          this.lastPaHi = (d[e + 5]! | (vaHi & ((1 << (shift - 32)) - 1))) >>> 0;
        }
        this.lastPageSize = POW2[shift]!;
        this.lastLevel = ((info >>> 8) & 15) - 1;
        this.lastPermissions = check >>> 3;
        this.lastFaultCode = 0;
        return 0;
      }
    } else {
      this._counts[1]!++;
    }
    return this.walk(vaLo | 0, vaHi | 0, access, privilege, e);
  }

  /**
   * The model's walk for a miss (or an access an entry does not serve); caches its translation. `found` is what
   * lookup gave for the address just before (an entry, or -1), which the fill then need not look up again.
   */
  private walk(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel, found: number): number {
    this._counts[2]!++;
    const model = this.model;
    const r = model.translateWords(vaLo, vaHi, access, privilege);
    // after a fault, paLo / paHi stay those of this TLB's last successful translation (a hit the model never saw)
    if (r === 0) {
      this.lastPaLo = model.paLo;
      this.lastPaHi = model.paHi;
    }
    this.lastPageSize = model.pageSize;
    this.lastLevel = model.level;
    this.lastPermissions = model.permissions;
    this.lastFaultCode = model.faultCode;
    // which stage refused (a two-stage model): what `translate` reports as stage / onWalk
    this.faultStage = model.faultStage;
    this.faultOnWalk = model.faultOnWalk;
    // level -1: no table was read (a bare, untranslated mode); negative attributes: not cacheable (TlbWalker)
    if (r === 0 && model.level >= 0 && model.leafAttributes >= 0) {
      this.fill(vaLo, vaHi, model.pageSize, model.level, model.leafAttributes, model.leafGlobal, found);
    }
    return r;
  }

  /** Word index in _data of the entry that holds (vaLo, vaHi) in the current address space, or -1. */
  private lookup(vaLo: number, vaHi: number): number {
    const d = this._data;
    const shifts = this._shifts;
    const setMask = this._next.length - 1;
    const ways = this.ways;
    const asid = this.asid | 0;
    const vmid = this.vmid | 0;
    for (let c = 0; c < this._classes; c++) {
      const shift = shifts[c]!;
      let tagLo: number;
      let tagHi: number;
      let page: number;
      if (shift < 32) {
        tagLo = vaLo & (-1 << shift);
        tagHi = vaHi;
        page = (vaLo >>> shift) | (vaHi << (32 - shift));
      } else {
        tagLo = 0;
        tagHi = vaHi & (-1 << (shift - 32));
        page = vaHi >>> (shift - 32);
      }
      const want = VALID | (shift << 2);
      let e = (page & setMask) * ways * STRIDE;
      for (let w = 0; w < ways; w++, e += STRIDE) {
        const info = d[e + 7]!;
        if (d[e] === tagLo && d[e + 1] === tagHi && (info & 0xfd) === want && d[e + 3] === vmid && ((info & GLOBAL) !== 0 || d[e + 2] === asid)) {
          return e;
        }
      }
    }
    return -1;
  }

  /**
   * Caches a translation of the page of 2^shift bytes (size given in bytes) holding (vaLo, vaHi); `old` is the
   * entry lookup finds for the address now, or -1.
   */
  private fill(vaLo: number, vaHi: number, size: number, level: number, attributes: number, global: boolean, old: number): void {
    const shift = size < TWO32 ? 31 - Math.clz32(size) : 63 - Math.clz32(size / TWO32);
    const shifts = this._shifts;
    let c = 0;
    while (c < this._classes && shifts[c]! < shift) c++;
    if (c === this._classes || shifts[c] !== shift) {
      // a ninth page size: left uncached rather than evicting a class whose entries may still be live
      if (this._classes === MAX_CLASSES) return;
      // the sizes stay in increasing order, the order lookups try them in (see below)
      shifts.copyWithin(c + 1, c, this._classes);
      shifts[c] = shift;
      this._classes++;
    }
    // a stale entry for the same page (left by a store that had to walk) goes first, so that lookups find the new one
    const d = this._data;
    let e: number;
    if (old >= 0 && ((d[old + 7]! >>> 2) & 63) === shift) {
      e = old;
    } else {
      const page = shift < 32 ? (vaLo >>> shift) | (vaHi << (32 - shift)) : vaHi >>> (shift - 32);
      const set = page & (this._next.length - 1);
      // a free way first (an invalidation left it), else the set's oldest entry
      e = set * this.ways * STRIDE;
      const end = e + this.ways * STRIDE;
      if (this._free > 0) {
        while (e < end && (d[e + 7]! & VALID) !== 0) e += STRIDE;
        if (e < end) this._free--;
      } else {
        e = end;
      }
      if (e === end) {
        const way = this._next[set]!;
        this._next[set] = (way + 1) & (this.ways - 1);
        e = (set * this.ways + way) * STRIDE;
      }
    }
    // the first-level slots copy live entries only: those of the entry replaced go, and those of another entry that
    // the new one now comes before in lookups. Lookups try the smaller pages first, so that other entry can only be
    // of a larger page, and it covers the address: lookup found it (old). After a miss (old = -1) no entry covers
    // the address, so none covers any part of the new page (pages are aligned powers of two), and the 512 or more
    // 4 KiB pages of a huge page are not searched (that search made a miss on a 2 MiB page cost 5.8 us against the
    // walk's 68 ns)
    if ((d[e + 7]! & (VALID | COPIED)) === (VALID | COPIED)) this.dropCopies(e);
    if (old >= 0 && old !== e && ((d[old + 7]! >>> 2) & 63) > shift) dropPages(this, vaLo, vaHi, shift);
    if (shift < 32) {
      const mask = -1 << shift;
      d[e] = vaLo & mask;
      d[e + 1] = vaHi;
      d[e + 4] = this.lastPaLo & mask;
      d[e + 5] = this.lastPaHi;
    } else {
      const mask = -1 << (shift - 32);
      d[e] = 0;
      d[e + 1] = vaHi & mask;
      d[e + 4] = 0;
      d[e + 5] = this.lastPaHi & mask;
    }
    d[e + 2] = this.asid;
    d[e + 3] = this.vmid;
    d[e + 6] = attributes;
    d[e + 7] = VALID | (global ? GLOBAL : 0) | (shift << 2) | ((level + 1) << 8);
  }

  /**
   * Copies entry `e`, which served an access to (vaLo, vaHi) at `checks` (its row of _checks, privilege 0) under
   * mode key `mode`, into the first-level slot of the address's 4 KiB page. Addresses of 2^53 or more and frames at
   * 2^53 or more are left out (translateNumber takes the first and answers WIDE for the second).
   */
  private fillFast(vaLo: number, vaHi: number, e: number, checks: number, mode: number): void {
    if (vaHi >>> 0 >= 0x200000) return;
    const d = this._data;
    const info = d[e + 7]!;
    const shift = (info >>> 2) & 63;
    let paLo: number;
    let paHi: number;
    if (shift < 32) {
      paLo = d[e + 4]! | (vaLo & ~(-1 << shift) & -FAST_PAGE);
      paHi = d[e + 5]!;
    } else {
      paLo = vaLo & -FAST_PAGE;
      paHi = d[e + 5]! | (vaHi & ~(-1 << (shift - 32)));
    }
    if (paHi >>> 0 >= 0x200000 || shift < FAST_SHIFT) return;
    if (mode !== this._fastMode) {
      emptyFirstLevel(this);
      this._fastMode = mode;
    }
    const page = vaHi * 0x100000 + (vaLo >>> FAST_SHIFT);
    // the slot's first way in _fastTags
    const slot = (page & this._fastMask) * FAST_WAYS;
    const checkUser = this._checks[checks]!;
    const checkSupervisor = this._checks[checks | 1]!;
    // permissions are tlbCheck's bits 8:3; (info >>> 8) & 15 is level + 1
    const shape = ((checkUser >>> 3) & 63) | (((checkSupervisor >>> 3) & 63) << 6) | (shift << 12) | (((info >>> 8) & 15) << 18);
    // which 4 KiB page of the entry this is (see COPIED): the entry's first page is its virtual base's
    const sub = page - ((d[e + 1]! >>> 0) * 0x100000 + (d[e]! >>> FAST_SHIFT));
    if ((info & COPIED) === 0) d[e + 7] = shift > 30 ? info | COPIED | MANY : info | COPIED | (sub << SUB_SHIFT);
    else if ((info & MANY) === 0 && info >>> SUB_SHIFT !== sub) d[e + 7] = info | MANY;
    copyIntoWay0(this, slot, page, paHi * TWO32 + (paLo >>> 0), checkUser, checkSupervisor, shape);
  }

  /** Empties the first-level slots copied from entry `e` (one 4 KiB page, or all of the entry's: see COPIED). */
  private dropCopies(e: number): void {
    const d = this._data;
    const info = d[e + 7]!;
    const shift = (info >>> 2) & 63;
    if ((info & MANY) !== 0) {
      dropPages(this, d[e]!, d[e + 1]!, shift);
      return;
    }
    // (the entry's pages are below 2^30 bytes here: its 4 KiB pages share its high word)
    dropPages(this, ((d[e]! >>> 0) + (info >>> SUB_SHIFT) * FAST_PAGE) | 0, d[e + 1]!, FAST_SHIFT);
  }

  /** Fills the row of _checks for a mode key (once per key: the model's mode bits have few values). */
  private makeChecks(mode: number): void {
    const n = 1 << (this._attrShift - 1);
    const row = mode << this._attrShift;
    for (let a = 0; a < n; a++) {
      this._checks[row | (a << 1)] = this.model.tlbCheck(a, 0, mode);
      this._checks[row | (a << 1) | 1] = this.model.tlbCheck(a, 1, mode);
    }
    this._made[mode] = 1;
  }

  /** The model's report of the fault the last walk met. */
  protected syndrome(): S {
    // `syndrome` is protected in MmuModel; the TLB reports its model's, as the model would
    return (this.model as unknown as { syndrome(): S }).syndrome();
  }

  /** Removes every entry, of every ASID and VMID, global ones included. */
  flushAll(): void {
    this.settleHit();
    this._data.fill(0);
    this._free = this.entries;
    emptyFirstLevel(this);
    this._classes = 0;
  }

  /**
   * Removes the entries of the current VMID that `scope` selects: those whose page holds `scope.vaddr` (or every
   * page), non-global ones by `scope.asid`, global ones when `scope.global`. Every architecture's TLB instruction is
   * one such call (see the helpers of the architecture packages).
   * @throws TypeError / PagingError 'InvalidAddress' for a vaddr that is not a u64; RangeError for an asid that is
   *   not an integer in [0, 2^32), 'all' or 'none', or a vmid that is not an integer in [0, 2^32), 'all' or
   *   'nonzero'. Nothing is removed then.
   */
  invalidate(scope: TlbScope): void {
    const asid = scope.asid ?? 'all';
    if (asid !== 'all' && asid !== 'none' && !(Number.isInteger(asid) && asid >= 0 && asid < TWO32)) {
      throw new RangeError(`invalidate: "asid" ${String(asid)} is not an integer in [0, 2^32), 'all' or 'none'`);
    }
    const vmids = scope.vmid;
    if (vmids !== undefined && vmids !== 'all' && vmids !== 'nonzero' && !(Number.isInteger(vmids) && vmids >= 0 && vmids < TWO32)) {
      throw new RangeError(`invalidate: "vmid" ${String(vmids)} is not an integer in [0, 2^32), 'all' or 'nonzero'`);
    }
    const byPage = scope.vaddr !== undefined;
    let vaLo = 0;
    let vaHi = 0;
    if (byPage) {
      splitAddr(scope.vaddr, 'invalidate', 'vaddr');
      vaLo = PAIR[0]! | 0;
      vaHi = PAIR[1]! | 0;
    }
    this.settleHit();
    const anyAsid = asid === 'all';
    const noAsid = asid === 'none';
    const tag = typeof asid === 'number' ? asid | 0 : 0;
    const global = scope.global;
    const d = this._data;
    // the first-level slots go with the entries they copy: by page, those of each entry removed (a fence of one page
    // keeps the rest of the working set there); else all of them
    if (!byPage) emptyFirstLevel(this);
    // which VMIDs: 0 the one of `vmid` (its int32 tag), 1 every one, 2 every one but 0
    const vmidScope = vmids === 'all' ? 1 : vmids === 'nonzero' ? 2 : 0;
    const vmid = typeof vmids === 'number' ? vmids | 0 : this.vmid | 0;
    // by page: only the set each page size puts the address in can hold it; else every entry
    const classes = byPage ? this._classes : 1;
    for (let c = 0; c < classes; c++) {
      let e = 0;
      let end = d.length;
      if (byPage) {
        const shift = this._shifts[c]!;
        const page = shift < 32 ? (vaLo >>> shift) | (vaHi << (32 - shift)) : vaHi >>> (shift - 32);
        e = (page & (this._next.length - 1)) * this.ways * STRIDE;
        end = e + this.ways * STRIDE;
      }
      for (; e < end; e += STRIDE) {
        const info = d[e + 7]!;
        if ((info & VALID) === 0 || !vmidMatches(d[e + 3]!, vmidScope, vmid)) continue;
        if ((info & GLOBAL) !== 0 ? !global : noAsid || (!anyAsid && d[e + 2] !== tag)) continue;
        if (byPage && !covers(d, e, (info >>> 2) & 63, vaLo, vaHi)) continue;
        if (byPage && (info & COPIED) !== 0) this.dropCopies(e);
        d[e + 7] = 0;
        this._free++;
      }
    }
  }

  /**
   * A `flushTlb` hook for a table's options, so that the changes its cursors make reach this TLB when the cursor
   * flushes (`cursor.flush()` or dispose), as the invalidation an operating system issues after changing an entry:
   * a changed page removes that page's entries of `asid` and its global ones (of every ASID when `asid` is not
   * given); a full flush removes every entry of `asid` and every global one (every entry of the VMID without
   * `asid`). Opt-in: a table without the hook leaves the TLB stale, as hardware does after a write with no fence.
   * @throws RangeError for an asid that is not an integer in [0, 2^32).
   * @example
   * const table = new Sv39PageTable(ram, { flushTlb: tlb.flushHook() });
   */
  flushHook(asid?: number): FlushTlb {
    if (asid !== undefined && !(Number.isInteger(asid) && asid >= 0 && asid < TWO32)) {
      throw new RangeError(`flushHook: "asid" ${String(asid)} is not an integer in [0, 2^32)`);
    }
    const which = asid ?? 'all';
    return (vaddr) => this.invalidate(vaddr === undefined ? { asid: which, global: true } : { vaddr, asid: which, global: true });
  }
}

/** Whether the entry at e, of a page of 2^shift bytes, holds (vaLo, vaHi). */
function covers(d: Int32Array, e: number, shift: number, vaLo: number, vaHi: number): boolean {
  if (shift < 32) return d[e] === (vaLo & (-1 << shift)) && d[e + 1] === vaHi;
  return d[e + 1] === (vaHi & (-1 << (shift - 32)));
}

/** Whether an entry's VMID tag is among those an invalidation names: scope 0 the tag `want`, 1 every VMID, 2 all but 0. */
function vmidMatches(tag: number, scope: number, want: number): boolean {
  return scope === 1 || (scope === 2 ? tag !== 0 : tag === want);
}

function isPow2(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}
