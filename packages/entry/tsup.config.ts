import { packageBuild } from '../../tsup.config.base';

export default packageBuild(['src/x86_64.ts', 'src/aarch64.ts', 'src/arm.ts', 'src/riscv.ts', 'src/loongarch64.ts']);
