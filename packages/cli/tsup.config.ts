import { packageBuild } from '../../tsup.config.base';

// The library entry (index), the samples without Node modules (samples, for pages in a browser) and the executable
// (ptdump, which starts with a #! line and is made executable).
export default packageBuild(['src/index.ts', 'src/ptdump.ts', 'src/samples.ts']);
