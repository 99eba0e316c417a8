// Fetching packages from the Debian archive the way apt trusts them, for the install scripts of the conformance
// suite (install-current.mjs: a current QEMU; install-kernels.mjs: distribution kernels booted by the tests).
//
// Nothing is trusted that is not signed: a suite's InRelease is checked with gpgv against Debian's archive keyring,
// the package index against the SHA256 the signed Release text gives it, and every .deb against the SHA256 in the
// index (Debian's chain of trust: "SecureApt", and Debian Policy 5.6.21 for the index fields used here). Downloads
// are retried; the mirror is the one this machine's apt uses.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const ATTEMPTS = 4;

export const log = (s) => console.log(`conformance: ${s}`);

/** An error the scripts report as one line and exit 1 on. */
export class InstallError extends Error {}

/**
 * The cache folder of everything the scripts install: $PTM_QEMU_CACHE, else $XDG_CACHE_HOME/page-table-multiarch,
 * else ~/.cache/page-table-multiarch (src/_qemu.ts follows the same rules to find what is there).
 */
export function cacheRoot() {
  if (process.env.PTM_QEMU_CACHE) return process.env.PTM_QEMU_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'page-table-multiarch');
}

/** Throws unless gpgv, dpkg-deb and the archive keyring are here; `what` says what needs them. */
export function checkTools(what) {
  for (const tool of ['gpgv', 'dpkg-deb']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new InstallError(`${tool} is needed to install ${what} (Debian: apt-get install ${tool === 'gpgv' ? 'gpgv' : 'dpkg'})`);
    }
  }
  if (!existsSync(KEYRING)) throw new InstallError(`${KEYRING} is missing (Debian: apt-get install debian-archive-keyring)`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET with retries (backoff 2, 4, 8 s) and a timeout per attempt; a 404 is final. */
export async function get(url, timeoutMs = 120_000) {
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

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/**
 * The archive URIs of the apt sources of this machine (the mirror it already uses), security archives left out.
 * $PTM_DEBIAN_MIRROR (or its older name $QEMU_CURRENT_MIRROR) comes first when set.
 */
export function aptMirrors() {
  const override = process.env.PTM_DEBIAN_MIRROR || process.env.QEMU_CURRENT_MIRROR;
  const uris = [];
  if (override) uris.push(override);
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
  // Debian archives (".../debian") before other sources (vendor repositories that have no such suite); the
  // override stays first
  const rank = (u) => (u === override?.replace(/\/+$/, '') ? 0 : /\/debian$/.test(u) ? 1 : 2);
  return mirrors.sort((x, y) => rank(x) - rank(y));
}

/** The signed Release text of `suite` from the first mirror that serves it, checked with gpgv. */
export async function signedRelease(suite) {
  const mirrors = aptMirrors();
  if (mirrors.length === 0) throw new InstallError('no apt source found in /etc/apt/sources.list*: set PTM_DEBIAN_MIRROR to a Debian mirror');
  const errors = [];
  for (const mirror of mirrors) {
    let signed;
    try {
      signed = await get(`${mirror}/dists/${suite}/InRelease`, 30_000);
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
      errors.push(`${mirror}: InRelease of ${suite} does not verify with ${KEYRING}: ${e.stderr?.toString().trim() ?? e.message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new InstallError(`could not get Debian ${suite}'s package index from any mirror (tried ${mirrors.length}):\n  ${errors.join('\n  ')}`);
}

/** The SHA256 that a signed Release text gives main/binary-<arch>/Packages.gz (its "SHA256:" section). */
export function indexHash(release, suite, arch) {
  const entry = new RegExp(`^ ([0-9a-f]{64})\\s+\\d+\\s+main/binary-${arch}/Packages\\.gz$`, 'm').exec(release.text);
  if (entry === null) throw new InstallError(`the ${suite} Release file lists no main/binary-${arch}/Packages.gz`);
  return entry[1];
}

/**
 * The package index of main/binary-<arch> in `suite`, checked against `hash` (from {@link indexHash}). It is
 * fetched by hash (Acquire-By-Hash): the file that matches this Release even while the mirror is being updated.
 */
export async function packageIndex(release, suite, arch, hash) {
  const gz = await get(`${release.mirror}/dists/${suite}/main/binary-${arch}/by-hash/SHA256/${hash}`);
  if (sha256(gz) !== hash) throw new InstallError(`the ${suite} ${arch} package index does not match its SHA256 in Release`);
  return { ...parseIndex(gunzipSync(gz).toString('utf8')), bytes: gz.length };
}

/** Parses a Debian control file (the package index) into objects of fields, and who provides what. */
export function parseIndex(text) {
  const packages = new Map();
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
    packages.set(fields.Package, fields);
    for (const p of (fields.Provides ?? '').split(',')) {
      const name = p.trim().split(/\s/)[0];
      if (name && !provides.has(name)) provides.set(name, fields.Package);
    }
  }
  return { packages, provides };
}

/** The package names of a Depends-style field, the first alternative of each. */
export function dependencies(fields, field = 'Depends') {
  const out = [];
  for (const dep of (fields[field] ?? '').split(',')) {
    const first = dep.split('|')[0].trim().split(/[\s:(]/)[0];
    if (first) out.push(first);
  }
  return out;
}

/**
 * The package that metapackage `name` of the index depends on whose name starts with `prefix` (the versioned kernel
 * package of linux-image-armmp-lpae, say): its fields. Throws InstallError when there is none.
 */
export function dependedPackage(index, name, prefix) {
  const meta = index.packages.get(name);
  if (meta === undefined) throw new InstallError(`the index has no package ${name}`);
  const dep = dependencies(meta).find((d) => d.startsWith(prefix));
  const pkg = dep === undefined ? undefined : index.packages.get(dep);
  if (pkg === undefined) throw new InstallError(`${name} ${meta.Version} depends on no ${prefix}* package of the index (Depends: ${meta.Depends ?? ''})`);
  return pkg;
}

/** Downloads a package of an index from the release's mirror and checks it against the index's SHA256. */
export async function fetchDeb(release, pkg) {
  const deb = await get(`${release.mirror}/${pkg.Filename}`);
  if (sha256(deb) !== pkg.SHA256) throw new InstallError(`${pkg.Filename}: SHA256 differs from the index`);
  return deb;
}

/** Runs `fn` on every item, at most `n` at a time; the first failure fails the whole. */
export async function pool(items, n, fn) {
  const todo = [...items];
  const worker = async () => {
    for (let item = todo.shift(); item !== undefined; item = todo.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: n }, worker));
}
