// The control-register and IA32_EFER bits that select and shape paging (Intel SDM Vol. 3A, 2.5 "Control
// Registers", Figure 2-7, and 2.2.1 "Extended Feature Enable Register"), stated once for the register codecs, the
// boot-image builders and the MMU models. Bigint literals: a top-level `1n << 16n` is code a bundler keeps even when
// nothing uses it.

/** CR0.WP, bit 16: supervisor writes honour read-only pages. */
export const CR0_WP = 0x1_0000n;
/** CR0.PG, bit 31: paging on. */
export const CR0_PG = 0x8000_0000n;
/** CR4.PSE, bit 4: 4 MiB pages with 32-bit paging. */
export const CR4_PSE = 0x10n;
/** CR4.PAE, bit 5: PAE paging (and 4/5-level paging with IA32_EFER.LME). */
export const CR4_PAE = 0x20n;
/** CR4.PGE, bit 7: global pages. */
export const CR4_PGE = 0x80n;
/** CR4.LA57, bit 12: 5-level paging. */
export const CR4_LA57 = 0x1000n;
/** CR4.PCIDE, bit 17: process-context identifiers. */
export const CR4_PCIDE = 0x2_0000n;
/** CR4.SMEP, bit 20. */
export const CR4_SMEP = 0x10_0000n;
/** CR4.SMAP, bit 21. */
export const CR4_SMAP = 0x20_0000n;
/** CR4.PKE, bit 22: protection keys for user pages. */
export const CR4_PKE = 0x40_0000n;
/** IA32_EFER.LME, bit 8: IA-32e mode. */
export const EFER_LME = 0x100n;
/** IA32_EFER.NXE, bit 11: the XD bit. */
export const EFER_NXE = 0x800n;
