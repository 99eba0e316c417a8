#!/usr/bin/env node
// Installs the distribution kernels that the real-kernel conformance tests boot: each row of KERNELS names a Debian
// suite, a Debian architecture and a metapackage whose Depends names the versioned kernel package of the day
// (linux-image-armmp-lpae -> linux-image-6.1.0-NN-armmp-lpae). Only the kernel image (/boot/vmlinuz-*) and its
// configuration (/boot/config-*) are kept; no modules, no initrd (the tests boot without a root file system).
//
//   node packages/conformance/install-kernels.mjs                 # installs or updates every kernel; prints where
//   node packages/conformance/install-kernels.mjs --print NAME    # prints the vmlinuz of kernel NAME, or fails
//
// Where: the cache folder of install-current.mjs ($PTM_QEMU_CACHE, else $XDG_CACHE_HOME/page-table-multiarch,
// else ~/.cache/page-table-multiarch), in kernels/<name>-<Debian version>/, with kernels/<name> linking to it.
// Fetched and checked as install-current.mjs fetches QEMU (debian-archive.mjs: InRelease with gpgv against the
// archive keyring, the index and the .deb against their SHA256, retried downloads). The version is read from the
// live index (a point release drops the previous kernel's .deb). When the suite's signed Release still gives the
// package index the hash recorded at the last install, the index (11 MiB for armhf) is not downloaded again.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, checkTools, dependedPackage, fetchDeb, InstallError, indexHash, log, packageIndex, signedRelease } from './debian-archive.mjs';

/**
 * The kernels: a name (the folder, and what the tests ask for), the Debian suite and architecture, and the
 * metapackage that depends on the current versioned kernel package. One row per kernel; an arm64, amd64 or
 * riscv64 kernel is one more row (e.g. { name: 'arm64', suite: 'bookworm', arch: 'arm64', package: 'linux-image-arm64' }).
 */
const KERNELS = [{ name: 'armmp-lpae', suite: 'bookworm', arch: 'armhf', package: 'linux-image-armmp-lpae' }];

const root = join(cacheRoot(), 'kernels');

const fail = (s) => {
  console.error(`conformance: ${s}`);
  process.exit(1);
};

const printAt = process.argv.indexOf('--print');
if (printAt >= 0) {
  const name = process.argv[printAt + 1];
  const dir = join(root, name ?? '');
  if (name === undefined || !existsSync(join(dir, '.complete'))) fail(`no kernel ${name ?? '(no name given)'} in ${root} (run packages/conformance/install-kernels.mjs)`);
  console.log(join(dir, 'vmlinuz'));
  process.exit(0);
}

/** Reads a file, or undefined when it is not there. */
function readOr(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Installs one kernel (or finds it up to date). */
async function install(kernel) {
  const t0 = Date.now();
  const release = await signedRelease(kernel.suite);
  const hash = indexHash(release, kernel.suite, kernel.arch);
  const link = join(root, kernel.name);
  const installed = existsSync(join(link, '.complete')) ? readOr(join(link, '.index')) : undefined;
  if (installed === hash) {
    log(`kernel ${kernel.name} is installed in ${join(root, readlinkSync(link))} (up to date: the ${kernel.suite} ${kernel.arch} index is unchanged)`);
    return;
  }
  const index = await packageIndex(release, kernel.suite, kernel.arch, hash);
  let pkg;
  try {
    pkg = dependedPackage(index, kernel.package, 'linux-image-');
  } catch (e) {
    throw new InstallError(`Debian ${kernel.suite} ${kernel.arch}: ${e.message}`);
  }
  const folder = `${kernel.name}-${pkg.Version}`;
  const dest = join(root, folder);
  const manifest = `${pkg.Package} ${pkg.Version} ${pkg.SHA256}`;
  const upToDate = readOr(join(dest, '.complete')) === manifest;
  if (!upToDate) {
    const mib = (Number(pkg.Size) / 2 ** 20).toFixed(1);
    log(`installing kernel ${kernel.name}: ${pkg.Package} ${pkg.Version} from Debian ${kernel.suite} ${kernel.arch} (${release.mirror}), ${mib} MiB, into ${dest}`);
    mkdirSync(root, { recursive: true });
    const staging = join(root, `.staging-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      const t1 = Date.now();
      const deb = await fetchDeb(release, pkg);
      const t2 = Date.now();
      writeFileSync(join(staging, 'kernel.deb'), deb);
      // only /boot: the .deb's data member piped through tar, not the 100 MiB of modules
      const tar = execFileSync('dpkg-deb', ['--fsys-tarfile', join(staging, 'kernel.deb')], { maxBuffer: 1 << 30 });
      execFileSync('tar', ['-x', '-C', staging, '--wildcards', './boot/vmlinuz-*', './boot/config-*'], { input: tar, maxBuffer: 1 << 30 });
      const boot = readdirSync(join(staging, 'boot'));
      const image = boot.find((f) => f.startsWith('vmlinuz-'));
      const config = boot.find((f) => f.startsWith('config-'));
      if (image === undefined || config === undefined) throw new InstallError(`${pkg.Filename} has no /boot/vmlinuz-* and /boot/config-*`);
      renameSync(join(staging, 'boot', image), join(staging, 'vmlinuz'));
      renameSync(join(staging, 'boot', config), join(staging, 'config'));
      rmSync(join(staging, 'boot'), { recursive: true, force: true });
      rmSync(join(staging, 'kernel.deb'));
      writeFileSync(join(staging, 'version'), `${pkg.Package} ${pkg.Version}\n${image}\n`);
      rmSync(dest, { recursive: true, force: true });
      renameSync(staging, dest);
      writeFileSync(join(dest, '.complete'), manifest);
      log(`kernel ${kernel.name}: downloaded ${mib} MiB in ${((t2 - t1) / 1000).toFixed(1)} s (index and Release ${((t1 - t0) / 1000).toFixed(1)} s), unpacked in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  }
  writeFileSync(join(dest, '.index'), hash);
  // kernels/<name> -> <name>-<version>: a new link renamed over the old one
  const tmp = `${link}.${process.pid}`;
  symlinkSync(folder, tmp);
  renameSync(tmp, link);
  // older versions of this kernel go
  for (const f of readdirSync(root)) {
    // <name>-<version>: the version starts with a digit, so another kernel whose name extends this one stays
    if (f !== folder && f.startsWith(`${kernel.name}-`) && /^\d/.test(f.slice(kernel.name.length + 1))) rmSync(join(root, f), { recursive: true, force: true });
  }
  log(`kernel ${kernel.name} (${pkg.Package} ${pkg.Version}) ${upToDate ? 'is installed' : 'installed'} in ${dest}${upToDate ? ' (up to date)' : ''}`);
}

async function main() {
  checkTools('the test kernels');
  let failed = 0;
  for (const kernel of KERNELS) {
    try {
      await install(kernel);
    } catch (e) {
      failed++;
      console.error(`conformance: installing kernel ${kernel.name} failed: ${e.cause?.message ?? e.message}`);
    }
  }
  if (failed > 0) fail(`${failed} of ${KERNELS.length} kernels not installed; the real-kernel tests fail under CI=true and skip otherwise`);
}

main().catch((e) => fail(`installing the test kernels failed: ${e.cause?.message ?? e.message}`));
