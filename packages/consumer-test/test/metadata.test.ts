// What npm shows about each published package and what a user's licence checker reads: the MIT licence text in
// every tarball (the LICENSE of the repository, the same bytes), the licence field, and where the source, the
// README and the bug tracker are (repository with the package's folder, homepage, bugs), all pointing at one
// repository.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from './_support';

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
}

const read = (file: string): string => readFileSync(`${ROOT}${file}`, 'utf8');
const root = JSON.parse(read('package.json')) as Manifest;
const published = readdirSync(`${ROOT}packages`)
  .map((folder) => ({ folder, manifest: JSON.parse(read(`packages/${folder}/package.json`)) as Manifest }))
  .filter(({ manifest }) => manifest.private !== true);

it('the repository has an MIT LICENSE, and its package.json says where the repository is', () => {
  expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  expect(root.license).toBe('MIT');
  expect(root.repository?.type).toBe('git');
  expect(root.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
  expect(published.map((p) => p.folder)).toEqual(expect.arrayContaining(['core', 'entry', 'x86_64', 'cli']));
});

describe.each(published)('packages/$folder', ({ folder, manifest }) => {
  const web = root.repository!.url!.replace(/^git\+/, '').replace(/\.git$/, '');

  it('ships the repository LICENSE, byte for byte, and says MIT', () => {
    expect(manifest.license).toBe('MIT');
    expect(read(`packages/${folder}/LICENSE`)).toBe(read('LICENSE'));
    expect(manifest.files).toContain('LICENSE');
  });

  it('names the repository (with its folder), its README as homepage, and the bug tracker', () => {
    expect(manifest.repository).toEqual({ type: 'git', url: root.repository!.url, directory: `packages/${folder}` });
    expect(manifest.homepage).toBe(`${web}/tree/main/packages/${folder}#readme`);
    expect(manifest.bugs).toEqual({ url: `${web}/issues` });
    expect(root.bugs).toEqual(manifest.bugs);
  });
});
