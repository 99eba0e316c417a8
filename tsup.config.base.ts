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
    // `_`-prefixed members are internal to their package (CONTRIBUTING, "Internal members"): shortened in the
    // bundle, as `stripInternal` drops them from the declarations
    esbuildOptions(options) {
      options.mangleProps = /^_[a-zA-Z]/;
    },
    ...extra,
  });
}
