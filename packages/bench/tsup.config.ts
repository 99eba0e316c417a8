import { packageBuild } from '../../tsup.config.base';

export default packageBuild(['src/main.ts', 'src/worker.ts'], { dts: false });
