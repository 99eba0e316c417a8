// @page-table-multiarch/cli: the ptdump command as a function (for tests and embedding), and its building blocks.
export { ARCHES, type ArchSpec, archByName, type Sample, type SampleRegion } from './_arches';
export { CliError, EXIT_IMPLAUSIBLE, EXIT_OUTPUT_CLOSED, OutputClosed } from './_errors';
export { fromHex, fromLeHex, type GdbConnectOptions, GdbError, type GdbErrorCode, GdbRemote, leHex, type RegisterInfo, toHex } from './_gdb';
export { type DumpImage, describeImage, type ImageRange, type NoteSegment, openImage, type OpenOptions } from './_image';
export { GDB_TIMEOUT_MS, mainAsync } from './_live';
export { type CliIo, main, parseValue, VERSION } from './_main';
