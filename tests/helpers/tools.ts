// Oracle tools (aapt, apksigner, openssl, python3...). Locally a missing tool skips its tests; in CI
// (.ci/run installs them) a missing tool is an error, so a green CI always means "compared".
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function hasTool(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error(`CI needs ${cmd}: .ci/run should have installed it`);
    return false;
  }
}

export const FRAMEWORK_RES = '/usr/share/android-framework-res/framework-res.apk';

export function hasFrameworkRes(): boolean {
  if (existsSync(FRAMEWORK_RES)) return true;
  if (process.env.CI) throw new Error('CI needs android-framework-res: .ci/run should have installed it');
  return false;
}
