import { packageBuild } from '../../tsup.config.base';

// The declarations use Symbol.dispose (PageTable64 and its cursor are Disposable): the reference makes a
// consumer's TypeScript load that lib whatever its `lib` setting, as the handbook recommends for
// declaration files that rely on built-in types. The consumer test compiles against lib ES2022 to prove it.
export default packageBuild(['src/index.ts'], { dts: { banner: '/// <reference lib="esnext.disposable" />' } });
