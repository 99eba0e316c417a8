import { type AddrInput, PhysicalMemory, type PhysAddr } from '@page-table-multiarch/core';

/** A PhysicalMemory whose allocator can be told to fail: allocations after `budget` more succeed return null. */
export class FailingMemory extends PhysicalMemory {
  budget = Number.POSITIVE_INFINITY;

  constructor(size: number, base: AddrInput) {
    super({ size, base });
  }

  override allocFrames(count: number, align: number): PhysAddr | null {
    if (this.budget <= 0) return null;
    this.budget--;
    return super.allocFrames(count, align);
  }
}
