// Every test file: a macrotask turn after each test. Vitest's worker answers the runner's RPC (test progress) only
// when its event loop turns, and between tests it awaits microtasks alone; a file whose tests run back to back for
// more than 60 s (the fuzzer, the model-based suite on a busy machine) then fails the run with "Timeout calling
// onTaskUpdate" although every test passed.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
