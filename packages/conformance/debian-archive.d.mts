// Types of debian-archive.mjs (plain JavaScript, run by node without a build), for the tests that import it.

/** A package's fields in an index (Package, Version, Depends, Filename, Size, SHA256, ...). */
export type PackageFields = Record<string, string>;
/** A parsed package index: packages by name, and which package provides a virtual name. */
export interface PackageIndex {
  readonly packages: Map<string, PackageFields>;
  readonly provides: Map<string, string>;
}
/** A suite's Release text, checked with gpgv, and the mirror it came from. */
export interface SignedRelease {
  readonly mirror: string;
  readonly text: string;
}

export const KEYRING: string;
export class InstallError extends Error {}
export function log(s: string): void;
export function cacheRoot(): string;
export function checkTools(what: string): void;
export function get(url: string, timeoutMs?: number): Promise<Buffer>;
export function sha256(buf: Uint8Array): string;
export function aptMirrors(): string[];
export function signedRelease(suite: string): Promise<SignedRelease>;
export function indexHash(release: SignedRelease, suite: string, arch: string): string;
export function packageIndex(release: SignedRelease, suite: string, arch: string, hash: string): Promise<PackageIndex & { bytes: number }>;
export function parseIndex(text: string): PackageIndex;
export function dependencies(fields: PackageFields, field?: string): string[];
export function dependedPackage(index: PackageIndex, name: string, prefix: string): PackageFields;
export function fetchDeb(release: SignedRelease, pkg: PackageFields): Promise<Buffer>;
export function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void>;
