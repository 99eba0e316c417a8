// The x86 entry bits the dump inspectors read, shared by the 4-/5-level inspector (inspector.ts) and the 32-bit and
// PAE one (legacy-registers.ts): the low twelve bits have the same meaning in every x86 paging mode.
// Source: Intel SDM Vol. 3A (325462), 4.3 Tables 4-4 to 4-6 (32-bit paging), 4.4.2 Tables 4-9 to 4-11 (PAE paging),
// 4.5 Tables 4-14 to 4-20 (4- and 5-level paging).

/** P (present), bit 0. */
export const P: number = 1 << 0;
/** R/W, bit 1. */
export const RW: number = 1 << 1;
/** U/S, bit 2. */
export const US: number = 1 << 2;
/** PWT, bit 3. */
export const PWT: number = 1 << 3;
/** PCD, bit 4. */
export const PCD: number = 1 << 4;
/** A (accessed), bit 5. */
export const A: number = 1 << 5;
/** D (dirty), bit 6 of a leaf. */
export const D: number = 1 << 6;
/** PS, bit 7 of an entry above the last level; PAT in a 4 KiB PTE. */
export const PS: number = 1 << 7;
/** G (global), bit 8 of a leaf. */
export const G: number = 1 << 8;
/** PAT of a huge page, bit 12 (Tables 4-4, 4-9, 4-17, 4-19); bit 7 is PAT in a 4 KiB PTE (Tables 4-6, 4-11, 4-20). */
export const PAT_HUGE: number = 1 << 12;
/** XD, bit 63 (bit 31 of the high word): PAE and 4-/5-level paging. */
export const XD_HI: number = 0x8000_0000;
/** Bits 20:13 of a PDE that maps a 2 MiB page: reserved (Tables 4-9, 4-19). */
export const RSVD_2M: number = 0x001f_e000;
/** Every MappingFlags bit the inspectors deal in. */
export const ALL: number = 63;
