// The Debian-archive helpers the install scripts share (debian-archive.mjs): index parsing, the choice of the
// versioned package behind a metapackage, and the refusal of an index or a package whose SHA256 is not the signed
// one. Served by a local HTTP server: nothing here reaches a real mirror.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependedPackage, dependencies, fetchDeb, InstallError, indexHash, packageIndex, parseIndex, sha256 } from '../debian-archive.mjs';

const INDEX = `Package: linux-image-armmp-lpae
Version: 6.1.176-1
Depends: linux-image-6.1.0-50-armmp-lpae (= 6.1.176-1)
Description: Linux for ARMv7 multiplatform compatible SoCs supporting LPAE (meta-package)
 This package depends on the latest Linux kernel and modules for use on
 ARMv7 multiplatform LPAE machines.

Package: linux-image-6.1.0-50-armmp-lpae
Version: 6.1.176-1
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Provides: linux-image, wireguard-modules (= 1.0.0)
Filename: pool/main/l/linux-signed/linux-image-6.1.0-50-armmp-lpae_6.1.176-1_armhf.deb
Size: 11
SHA256: ${sha256(Buffer.from('kernel data'))}

Package: libc6
Version: 2.36-9
Depends: libgcc-s1:any
`;

describe('parseIndex and dependencies', () => {
  const index = parseIndex(INDEX);

  it('reads every paragraph with its fields, continuation lines kept, and who provides a virtual name', () => {
    expect([...index.packages.keys()]).toEqual(['linux-image-armmp-lpae', 'linux-image-6.1.0-50-armmp-lpae', 'libc6']);
    expect(index.packages.get('linux-image-armmp-lpae')!['Description']).toContain('\n ARMv7 multiplatform LPAE machines.');
    expect(index.provides.get('wireguard-modules')).toBe('linux-image-6.1.0-50-armmp-lpae');
    expect(index.provides.get('linux-image')).toBe('linux-image-6.1.0-50-armmp-lpae');
  });

  it('takes the first alternative of each dependency, without version or architecture qualifier', () => {
    expect(dependencies(index.packages.get('linux-image-6.1.0-50-armmp-lpae')!)).toEqual(['kmod', 'linux-base', 'initramfs-tools']);
    expect(dependencies(index.packages.get('libc6')!)).toEqual(['libgcc-s1']);
    expect(dependencies(index.packages.get('libc6')!, 'Pre-Depends')).toEqual([]);
  });

  it('finds the versioned kernel package a metapackage depends on, and says why when there is none', () => {
    expect(dependedPackage(index, 'linux-image-armmp-lpae', 'linux-image-')['Package']).toBe('linux-image-6.1.0-50-armmp-lpae');
    expect(() => dependedPackage(index, 'linux-image-arm64', 'linux-image-')).toThrow(InstallError);
    expect(() => dependedPackage(index, 'libc6', 'linux-image-')).toThrow(/libc6 2.36-9 depends on no linux-image-\* package/);
  });
});

describe('indexHash', () => {
  const release = {
    mirror: 'http://mirror.invalid/debian',
    text: `Suite: bookworm
MD5Sum:
 0123456789abcdef0123456789abcdef  9262518 main/binary-armhf/Packages.gz
SHA256:
 ${'a'.repeat(64)}  9262518 main/binary-amd64/Packages.gz
 ${'b'.repeat(64)}  9262518 main/binary-armhf/Packages.gz
 ${'c'.repeat(64)}  9262518 main/binary-armhf/Packages.xz
`,
  };

  it("is the SHA256 the signed Release gives the architecture's Packages.gz", () => {
    expect(indexHash(release, 'bookworm', 'armhf')).toBe('b'.repeat(64));
    expect(indexHash(release, 'bookworm', 'amd64')).toBe('a'.repeat(64));
    expect(() => indexHash(release, 'bookworm', 'riscv64')).toThrow(InstallError);
  });
});

describe('packageIndex and fetchDeb check what they download', () => {
  const gz = gzipSync(Buffer.from(INDEX));
  const files = new Map<string, Buffer>([
    [`/debian/dists/bookworm/main/binary-armhf/by-hash/SHA256/${sha256(gz)}`, gz],
    [`/debian/dists/bookworm/main/binary-armhf/by-hash/SHA256/${'d'.repeat(64)}`, gz],
    ['/debian/pool/main/l/linux-signed/linux-image-6.1.0-50-armmp-lpae_6.1.176-1_armhf.deb', Buffer.from('kernel data')],
    ['/debian/pool/main/l/linux-signed/tampered.deb', Buffer.from('kernel dat4')],
  ]);
  let server: Server;
  let mirror = '';
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = files.get(req.url ?? '');
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads an index whose SHA256 is the signed one', async () => {
    const index = await packageIndex({ mirror, text: '' }, 'bookworm', 'armhf', sha256(gz));
    expect(index.packages.size).toBe(3);
    expect(index.bytes).toBe(gz.length);
  });

  it('refuses an index whose bytes do not have the SHA256 it was asked for', async () => {
    await expect(packageIndex({ mirror, text: '' }, 'bookworm', 'armhf', 'd'.repeat(64))).rejects.toThrow(/does not match its SHA256/);
  });

  it('returns a package whose SHA256 is the index one, and refuses one whose bytes differ', async () => {
    const index = parseIndex(INDEX);
    const pkg = index.packages.get('linux-image-6.1.0-50-armmp-lpae')!;
    expect((await fetchDeb({ mirror, text: '' }, pkg)).toString()).toBe('kernel data');
    const tampered = { ...pkg, Filename: 'pool/main/l/linux-signed/tampered.deb' };
    await expect(fetchDeb({ mirror, text: '' }, tampered)).rejects.toThrow(/SHA256 differs from the index/);
  });

  it('gives up at once on a 404: one request, no retry', async () => {
    await expect(fetchDeb({ mirror, text: '' }, { Filename: 'pool/absent.deb', SHA256: '0'.repeat(64) })).rejects.toThrow(/404/);
    expect(requests.filter((u) => u === '/debian/pool/absent.deb')).toEqual(['/debian/pool/absent.deb']);
  });
});
