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
// Nothing is trusted that is not signed: the suite's InRelease is checked with gpgv against Debian's archive
// keyring, the package index against the SHA256 in it, and every .deb against the SHA256 in the index. Versions
// are read from the live index (the mirror drops superseded trixie .debs at each point release, so a pinned
// version goes stale), and the libraries from the packages' Depends fields.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const SUITE = 'trixie';
const ARCH = 'amd64';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
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
const ATTEMPTS = 4;
const PARALLEL = 4;

const log = (s) => console.log(`conformance: ${s}`);
const fail = (s) => {
  console.error(`conformance: ${s}`);
  process.exit(1);
};

function cacheRoot() {
  if (process.env.PTM_QEMU_CACHE) return process.env.PTM_QEMU_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'page-table-multiarch');
}

const root = cacheRoot();
const current = join(root, 'qemu-current');

if (process.argv.includes('--print')) {
  if (!existsSync(join(current, '.complete'))) fail(`no current QEMU in ${root} (run packages/conformance/install-current.mjs)`);
  console.log(current);
  process.exit(0);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the current QEMU is installed from Debian's ${ARCH} packages only (this is ${process.platform}/${process.arch})`);
for (const tool of ['gpgv', 'dpkg-deb']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    fail(`${tool} is needed to install the current QEMU (Debian: apt-get install ${tool === 'gpgv' ? 'gpgv' : 'dpkg'})`);
  }
}
if (!existsSync(KEYRING)) fail(`${KEYRING} is missing (Debian: apt-get install debian-archive-keyring)`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET with retries (backoff 2, 4, 8 s) and a timeout per attempt; a 404 is final. */
async function get(url, timeoutMs = 120_000) {
  let last;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404) throw Object.assign(new Error(`404 ${url}`), { final: true });
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
      return Buffer.from(await res.arrayBuffer());
    } catch (e) {
      last = e;
      if (e.final) break;
      if (attempt < ATTEMPTS) {
        log(`${url}: ${e.cause?.message ?? e.message}; retrying (${attempt}/${ATTEMPTS - 1})`);
        await sleep(1000 * 2 ** attempt);
      }
    }
  }
  throw last;
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The archive URIs of the apt sources of this machine (the mirror it already uses), security archives left out. */
function aptMirrors() {
  const uris = [];
  if (process.env.QEMU_CURRENT_MIRROR) uris.push(process.env.QEMU_CURRENT_MIRROR);
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d')) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
    }
  }
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const t = line.trim();
      let m = /^URIs:\s*(.+)$/i.exec(t); // deb822
      if (m !== null) uris.push(...m[1].split(/\s+/));
      m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s/.exec(t); // one-line form
      if (m !== null) uris.push(m[1]);
    }
  }
  const mirrors = [...new Set(uris.map((u) => u.replace(/\/+$/, '')))].filter((u) => /^https?:\/\//.test(u) && !/security/.test(u));
  // Debian archives (".../debian") before other sources (vendor repositories that have no trixie suite);
  // the override stays first
  const rank = (u) => (u === process.env.QEMU_CURRENT_MIRROR ? 0 : /\/debian$/.test(u) ? 1 : 2);
  return mirrors.sort((x, y) => rank(x) - rank(y));
}

/** The signed Release text of SUITE from the first mirror that serves it, checked with gpgv. */
async function release() {
  const mirrors = aptMirrors();
  if (mirrors.length === 0) fail('no apt source found in /etc/apt/sources.list*: set QEMU_CURRENT_MIRROR to a Debian mirror');
  const errors = [];
  for (const mirror of mirrors) {
    let signed;
    try {
      signed = await get(`${mirror}/dists/${SUITE}/InRelease`, 30_000);
    } catch (e) {
      errors.push(`${mirror}: ${e.cause?.message ?? e.message}`);
      continue;
    }
    const dir = join(tmpdir(), `ptm-inrelease-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'InRelease'), signed);
      const text = execFileSync('gpgv', ['--keyring', KEYRING, '--output', '-', join(dir, 'InRelease')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString('utf8');
      return { mirror, text };
    } catch (e) {
      errors.push(`${mirror}: InRelease of ${SUITE} does not verify with ${KEYRING}: ${e.stderr?.toString().trim() ?? e.message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  fail(`could not get Debian ${SUITE}'s package index from any mirror (tried ${mirrors.length}):\n  ${errors.join('\n  ')}\n` +
    'conformance: the current QEMU is not installed; its conformance tests fail under CI=true and skip otherwise');
}

/** Runs `fn` on every item, at most `n` at a time; the first failure fails the whole. */
async function pool(items, n, fn) {
  const todo = [...items];
  const worker = async () => {
    for (let item = todo.shift(); item !== undefined; item = todo.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: n }, worker));
}

/** Parses a Debian control file (the package index) into objects of fields. */
function parseIndex(text) {
  const out = new Map();
  const provides = new Map();
  for (const para of text.split(/\n\n+/)) {
    const fields = {};
    let key = null;
    for (const line of para.split('\n')) {
      if (/^\s/.test(line) && key !== null) fields[key] += `\n${line}`;
      else {
        const i = line.indexOf(':');
        if (i < 0) continue;
        key = line.slice(0, i);
        fields[key] = line.slice(i + 1).trim();
      }
    }
    if (fields.Package === undefined) continue;
    out.set(fields.Package, fields);
    for (const p of (fields.Provides ?? '').split(',')) {
      const name = p.trim().split(/\s/)[0];
      if (name && !provides.has(name)) provides.set(name, fields.Package);
    }
  }
  return { packages: out, provides };
}

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
    for (const field of ['Pre-Depends', 'Depends']) {
      for (const dep of (p[field] ?? '').split(',')) {
        const first = dep.split('|')[0].trim().split(/[\s:(]/)[0];
        if (first) queue.push(first);
      }
    }
  }
  return [...chosen.values()];
}

async function main() {
  const t0 = Date.now();
  const { mirror, text } = await release();
  // the SHA256 section of Release: " <hash> <size> main/binary-amd64/Packages.gz"
  const entry = new RegExp(`^ ([0-9a-f]{64})\\s+\\d+\\s+main/binary-${ARCH}/Packages\\.gz$`, 'm').exec(text);
  if (entry === null) fail(`the ${SUITE} Release file lists no main/binary-${ARCH}/Packages.gz`);
  const indexHash = entry[1];
  // by hash (Acquire-By-Hash): the file that matches this Release even while the mirror is being updated
  const gz = await get(`${mirror}/dists/${SUITE}/main/binary-${ARCH}/by-hash/SHA256/${indexHash}`);
  if (sha256(gz) !== indexHash) fail(`the ${SUITE} package index does not match its SHA256 in Release`);
  const index = parseIndex(gunzipSync(gz).toString('utf8'));
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
      const deb = await get(`${mirror}/${p.Filename}`);
      if (sha256(deb) !== p.SHA256) throw new Error(`${p.Filename}: SHA256 differs from the index`);
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

main().catch((e) => fail(`installing the current QEMU failed: ${e.cause?.message ?? e.message}`));
