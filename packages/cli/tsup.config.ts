import { packageBuild } from '../../tsup.config.base';

// The library entry (index), the samples and the listing's columns without Node modules (samples, listing: for pages
// in a browser) and the executable (ptdump, which starts with a #! line and is made executable).
export default packageBuild(['src/index.ts', 'src/ptdump.ts', 'src/samples.ts', 'src/listing.ts']);
