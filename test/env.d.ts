// Vite's import.meta.glob, which vitest provides to the test files.
interface ImportMeta {
  glob<T>(pattern: string, options: { eager: true }): Record<string, T>;
}
