// Loaded into a ptdump child with `node --import`: at exit, writes the process's peak resident set size (KiB, the
// kernel's ru_maxrss) to the file named by PTDUMP_TEST_RSS. Tests measure memory this way, without /usr/bin/time.
import { writeFileSync } from 'node:fs';

const out = process.env.PTDUMP_TEST_RSS;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
