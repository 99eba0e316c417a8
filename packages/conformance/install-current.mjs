#!/usr/bin/env node
// Installs a current QEMU next to the system's (Debian bookworm's 7.2) without touching the system: the
// qemu-system packages of Debian trixie and the libraries they need are unpacked into a private folder, and
// every emulator is started through trixie's own dynamic loader (bookworm's libc is too old for it).
//
//   node packages/conformance/install-current.mjs          # installs or updates; prints where
//   node packages/conformance/install-current.mjs --print  # prints the folder of the installed one, or fails
//
// Where: $PTM_QEMU_CACHE, else $XDG_CACHE_HOME/page-table-multiarch, else ~/.cache/page-table-multiarch; the
// emulators are qemu-current/bin/qemu-system-* there (qemu-current links to qemu-<Debian version>).
//
// Nothing is trusted that is not signed (debian-archive.mjs: InRelease with gpgv against Debian's archive keyring,
// the index and every .deb against their SHA256). Versions are read from the live index (the mirror drops
// superseded trixie .debs at each point release, so a pinned version goes stale), and the libraries from the
// packages' Depends fields.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  cacheRoot,
  checkTools,
  dependencies,
  fetchDeb,
  InstallError,
  indexHash,
  log,
  packageIndex,
  pool,
  signedRelease,
} from './debian-archive.mjs';

const SUITE = 'trixie';
const ARCH = 'amd64';
/** The emulators the conformance suite runs. */
const EMULATORS = ['x86_64', 'aarch64', 'arm', 'riscv32', 'riscv64', 'loongarch64'];
/**
 * Packages asked for: the emulators (in trixie riscv64 has its own package; aarch64 and arm are in
 * qemu-system-arm), their data files (keymaps, option ROMs) and the firmware they load by default.
 */
const ROOTS = ['qemu-system-x86', 'qemu-system-arm', 'qemu-system-misc', 'qemu-system-riscv', 'qemu-system-data', 'seabios', 'ipxe-qemu', 'opensbi'];
/**
 * Dependencies not followed: the other emulators qemu-system-misc pulls in (s390x), and qemu-system-common
 * (bridge helper and the audio / USB / UI modules, none used with -display none; its Depends would bring
 * thirty more libraries). Packages of priority required or important are not followed either: they are what
 * maintainer scripts need (adduser, passwd, debconf), not libraries the emulators load.
 */
const NOT_FOLLOWED = /^qemu-system-(s390x|common|gui|modules-.*)$/;
const PARALLEL = 4;

const fail = (s) => {
  console.error(`conformance: ${s}`);
  process.exit(1);
};

const root = cacheRoot();
const current = join(root, 'qemu-current');

if (process.argv.includes('--print')) {
  if (!existsSync(join(current, '.complete'))) fail(`no current QEMU in ${root} (run packages/conformance/install-current.mjs)`);
  console.log(current);
  process.exit(0);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the current QEMU is installed from Debian's ${ARCH} packages only (this is ${process.platform}/${process.arch})`);

/** The packages to unpack: ROOTS and everything their Depends / Pre-Depends need (first alternative). */
function closure(index) {
  const chosen = new Map();
  const queue = [...ROOTS];
  while (queue.length > 0) {
    let name = queue.shift();
    if (!index.packages.has(name)) name = index.provides.get(name) ?? name;
    if (chosen.has(name)) continue;
    const p = index.packages.get(name);
    if (p === undefined) fail(`${SUITE} has no package ${name}`);
    const isRoot = ROOTS.includes(name);
    if (!isRoot && (NOT_FOLLOWED.test(name) || p.Priority === 'required' || p.Priority === 'important' || p.Essential === 'yes')) continue;
    chosen.set(name, p);
    queue.push(...dependencies(p, 'Pre-Depends'), ...dependencies(p, 'Depends'));
  }
  return [...chosen.values()];
}

async function main() {
  const t0 = Date.now();
  checkTools('the current QEMU');
  const release = await signedRelease(SUITE);
  const { mirror } = release;
  const index = await packageIndex(release, SUITE, ARCH, indexHash(release, SUITE, ARCH));
  const pkgs = closure(index);
  const qemu = index.packages.get('qemu-system-x86');
  const version = qemu.Version.replace(/^\d+:/, '');
  const name = `qemu-${version}`;
  const dest = join(root, name);
  // the emulators kept are part of what was installed: a list that grows (riscv32) installs again
  const manifest = [`emulators ${EMULATORS.join(' ')}`, ...pkgs.map((p) => `${p.Package} ${p.Version} ${p.SHA256}`).sort()].join('\n');
  if (existsSync(join(dest, '.complete')) && readFileSync(join(dest, '.complete'), 'utf8') === manifest) {
    link(name);
    log(`QEMU ${version} from Debian ${SUITE} is installed in ${dest} (up to date)`);
    return;
  }
  const bytes = pkgs.reduce((n, p) => n + Number(p.Size), 0);
  log(`installing QEMU ${version} from Debian ${SUITE} (${mirror}): ${pkgs.length} packages, ${(bytes / 2 ** 20).toFixed(1)} MiB, into ${dest}`);
  mkdirSync(root, { recursive: true });
  const staging = join(root, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, '.debs'), { recursive: true });
  try {
    // download (a few at a time) and check, then unpack one by one
    await pool(pkgs, PARALLEL, async (p) => {
      const deb = await fetchDeb(release, p);
      writeFileSync(join(staging, '.debs', `${p.Package}.deb`), deb);
    });
    const t1 = Date.now();
    // largest first, two at a time (dpkg-deb is single-threaded; qemu-system-misc alone is half the bytes)
    const bySize = [...pkgs].sort((a, b) => Number(b.Size) - Number(a.Size));
    await pool(bySize, 2, (p) => promisify(execFile)('dpkg-deb', ['-x', join(staging, '.debs', `${p.Package}.deb`), staging]));
    rmSync(join(staging, '.debs'), { recursive: true, force: true });
    finish(staging, version);
    rmSync(dest, { recursive: true, force: true });
    renameSync(staging, dest);
    writeFileSync(join(dest, '.complete'), manifest);
    link(name);
    log(`downloaded in ${((t1 - t0) / 1000).toFixed(1)} s, unpacked in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    fail(`installing QEMU ${version} failed: ${e.cause?.message ?? e.message}`);
  }
  // older versions go
  for (const f of readdirSync(root)) {
    if (f.startsWith('qemu-') && f !== name && f !== 'qemu-current') rmSync(join(root, f), { recursive: true, force: true });
  }
  log(`QEMU ${version} installed in ${dest} (emulators in ${join(current, 'bin')})`);
}

/**
 * Makes the unpacked tree runnable: wrappers that start each emulator through trixie's loader with trixie's
 * libraries, and the qemu-bundle link. Started through the loader, QEMU takes the loader's folder as the folder
 * it was installed in and looks for `qemu-bundle` there (util/cutils.c get_relocated_path): pointing it at the
 * prefix makes firmware, data files and modules come from this tree, not from the system's QEMU.
 */
function finish(prefix, version) {
  // trixie's libc6 has its files under /usr (merged /usr); some libraries may still ship under /lib
  const loader = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((d) => `${d}/ld-linux-x86-64.so.2`).find((f) => existsSync(join(prefix, f)));
  if (loader === undefined) throw new Error('no ld-linux-x86-64.so.2 in the unpacked libc6');
  const loaderDir = dirname(loader);
  symlinkSync('../'.repeat(loaderDir.split('/').length).slice(0, -1), join(prefix, loaderDir, 'qemu-bundle'));
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  // qemu-system-misc holds twenty emulators (300 MiB): only the ones used stay, and no documentation
  for (const f of readdirSync(join(prefix, 'usr/bin'))) {
    if (f.startsWith('qemu-system-') && !EMULATORS.includes(f.slice('qemu-system-'.length))) rmSync(join(prefix, 'usr/bin', f));
  }
  rmSync(join(prefix, 'usr/share/doc'), { recursive: true, force: true });
  rmSync(join(prefix, 'usr/share/man'), { recursive: true, force: true });
  for (const arch of EMULATORS) {
    const bin = `qemu-system-${arch}`;
    if (!existsSync(join(prefix, 'usr/bin', bin))) throw new Error(`${bin} is not in the unpacked packages`);
    const wrapper = join(prefix, 'bin', bin);
    // the prefix is found from the wrapper's own path, so the tree can be renamed after this
    writeFileSync(
      wrapper,
      `#!/bin/sh\n# QEMU ${version} from Debian ${SUITE}, started through its own loader and libraries (install-current.mjs)\n` +
        'p=$(cd "$(dirname "$0")/.." && pwd -P)\n' +
        `exec "$p/${loader}" --library-path "$p/usr/lib/x86_64-linux-gnu:$p/lib/x86_64-linux-gnu" "$p/usr/bin/${bin}" "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    let out;
    try {
      out = execFileSync(wrapper, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    } catch (e) {
      throw new Error(`${bin} from ${SUITE} does not start: ${e.stderr?.toString().trim() ?? e.message}`);
    }
    if (!out.includes(`version ${version.split(/[+~-]/)[0]}`)) throw new Error(`${bin} --version says "${out.split('\n')[0]}", not ${version}`);
  }
}

/** Points qemu-current at the installed version (a new link renamed over the old one). */
function link(name) {
  let old = null;
  try {
    old = readlinkSync(current);
  } catch {
    // none yet
  }
  if (old === name) return;
  const tmp = `${current}.${process.pid}`;
  symlinkSync(name, tmp);
  renameSync(tmp, current);
}

main().catch((e) => {
  if (e instanceof InstallError) fail(`${e.message}\nconformance: the current QEMU is not installed; its conformance tests fail under CI=true and skip otherwise`);
  fail(`installing the current QEMU failed: ${e.cause?.message ?? e.message}`);
});
