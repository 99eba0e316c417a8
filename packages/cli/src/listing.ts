// The columns of ptdump's listing (addresses, sizes, permissions), without the command line: this entry imports no
// Node module, so a page in a browser writes runs exactly as ptdump does.
export { addr, approxSize, permText, sizeText } from './_format';
