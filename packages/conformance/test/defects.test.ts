// The release numbers the defect table is keyed on, and which defects each release the suite runs on has.
import { describe, expect, it } from 'vitest';
import { DEFECTS, parseRelease } from '../src/index';

describe('QEMU defects by release', () => {
  it('reads the release from a --version line', () => {
    expect(parseRelease('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)')).toEqual([7, 2, 22]);
    expect(parseRelease('QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)')).toEqual([10, 0, 13]);
    expect(parseRelease('QEMU emulator version 9.1')).toEqual([9, 1, 0]);
    expect(() => parseRelease('qemu-img version 8.0.0')).not.toThrow();
    expect(() => parseRelease('not QEMU')).toThrow(/not a QEMU version line/);
  });

  it('7.2 has every defect; 10.0.13 the VS-stage A / D write, the LDDIR one, the fetch-fault hang, the three of the x86 walk and the ARMv7 domain order', () => {
    const has = (r: readonly [number, number, number]) => Object.entries(DEFECTS).filter(([, d]) => d.in(r)).map(([k]) => k);
    expect(has([7, 2, 22])).toEqual(Object.keys(DEFECTS));
    expect(has([10, 0, 13])).toEqual(['riscvVsAdWrite', 'laLddirHighBits', 'laFetchFault', 'x86RsvdWithoutP', 'x86Accessed1gOnFault', 'x86PaePdpteAccessed', 'a32DomainFirst']);
  });
});
