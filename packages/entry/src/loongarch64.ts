// The loongarch64 entry codec arrives with its architecture package; this subpath exists so that the export map
// and the build pipeline already cover every architecture.
/** Name of the architecture this subpath serves. */
export const ARCH = 'loongarch64';
