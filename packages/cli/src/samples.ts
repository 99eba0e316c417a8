// The architectures ptdump knows and their embedded samples, without the command line: this entry imports no Node
// module, so a page in a browser can build the same samples ptdump lists.
export { ARCHES, type ArchSpec, archByName, type Sample, type SampleRegion } from './_arches';
