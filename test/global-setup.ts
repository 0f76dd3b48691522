/**
 * Test-suite set-up: installs what the tests need and the repository does not ship. The full
 * Fashion-MNIST test split comes from Debian's `dataset-fashion-mnist` package; when it is
 * missing and this is a root shell with apt-get (CI), install it; otherwise the one test that
 * reads it is skipped with its reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const FILE = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

function aptInstall(): boolean {
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', 'dataset-fashion-mnist'], { stdio: 'ignore', timeout: 300_000 }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 });
  return install();
}

export default function setup(): void {
  if (existsSync(FILE)) return;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root && apt) {
    process.stderr.write('test set-up: installing dataset-fashion-mnist (Debian) for the dataset tests…\n');
    if (!aptInstall()) process.stderr.write('test set-up: apt-get could not install dataset-fashion-mnist; its test is skipped\n');
  }
}
