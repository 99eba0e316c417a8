import { packageBuild } from '../../tsup.config.base';

export default packageBuild(['src/main.ts'], { dts: false });
