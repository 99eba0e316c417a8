import { defineConfig, type Options } from 'tsup';

/**
 * The one build configuration every package reuses:
 * `export default packageBuild(['src/index.ts'])` in its tsup.config.ts.
 * ESM only, with .d.ts beside each entry, no bundling of other workspace packages.
 */
export function packageBuild(entry: string[], extra: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    ...extra,
  });
}
