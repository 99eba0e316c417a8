import { packageBuild } from '../../tsup.config.base';

// The library entry (index) and the executable (ptdump, which starts with a #! line and is made executable).
export default packageBuild(['src/index.ts', 'src/ptdump.ts']);
